"""Reading an image or a link for the conversation and for `factcheck match`, the same way.

`MediaReader.read_image` opens the image once (checked for size first), hashes it, re-encodes it
as a JPEG without metadata (a phone photo's EXIF can hold where it was taken: the bot keeps only
pixels) and reads its text, all in one worker thread, at most `concurrency` at a time, so OCR
never blocks the event loop and a burst of screenshots queues instead of starving the bot. It
never raises: what went wrong is `MediaRead.problem`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from typing import Any

from PIL import Image

from bot.media.image_hash import dhash
from bot.media.links import LinkProblem, LinkReader
from bot.media.model import ImageInput, MediaRead
from bot.media.ocr import ImageProblem, OcrEngine, open_image
from bot.media.store import ImageStore

log = logging.getLogger(__name__)

#: Longest side of the copy kept for checkers (enough to read a screenshot; not the original).
KEPT_SIDE = 1600
KEPT_QUALITY = 85


class MediaReader:
    def __init__(
        self, ocr: OcrEngine | None = None, links: LinkReader | None = None, *,
        store: ImageStore | None = None, concurrency: int = 1,
    ) -> None:
        self.ocr = ocr if ocr is not None else OcrEngine()
        self.links = links if links is not None else LinkReader()
        self.store = store  # where escalated images are kept; None = not kept
        self._concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def can_read_images(self) -> bool:
        return self.ocr.available

    def read_image_now(self, data: bytes | None) -> MediaRead:
        """Synchronous: hash, keepable copy and text of the image (see the module doc)."""
        started = time.perf_counter()
        if not data:
            return MediaRead("image", problem="unreadable")
        try:
            image = open_image(data, max_bytes=self.ocr.max_bytes)
        except ImageProblem as exc:
            return MediaRead("image", problem=exc.reason, seconds=time.perf_counter() - started)
        sha = hashlib.sha256(data).hexdigest()
        try:
            fingerprint = dhash(image)
            kept = _keepable(image)
        except Exception as exc:  # noqa: BLE001 - a truncated file can fail late; say unreadable
            log.info("image could not be processed: %s", exc)
            return MediaRead("image", problem="unreadable", seconds=time.perf_counter() - started)
        text, problem = "", None
        try:
            text = self.ocr.read_image(image).text
        except ImageProblem as exc:
            problem = exc.reason
        except Exception:  # noqa: BLE001 - OCR failing must not lose the voter's message
            log.exception("OCR failed")
            problem = "unreadable"
        return MediaRead(
            "image", read_text=text, problem=problem, image_hash=fingerprint, sha256=sha,
            jpeg=kept, seconds=time.perf_counter() - started,
        )

    async def read_image(self, image: ImageInput) -> MediaRead:
        if image.problem is not None:
            return MediaRead("image", problem=image.problem)
        async with self._slot():
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(self.read_image_now, image.data), self.ocr.timeout + 10
                )
            except TimeoutError:
                return MediaRead("image", problem="timeout")

    async def read_link(self, url: str) -> MediaRead:
        started = time.perf_counter()
        try:
            page = await self.links.read(url)
        except LinkProblem as exc:
            log.info("link not read (%s): %s", exc.reason, exc.detail)
            return MediaRead(
                "link", url=url, problem=exc.reason, seconds=time.perf_counter() - started
            )
        return MediaRead(
            "link", read_text=page.summary(), url=url, canonical_url=page.canonical_url,
            title=page.title, seconds=time.perf_counter() - started,
        )

    def _slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # one per event loop
            self._slots, self._loop = asyncio.Semaphore(self._concurrency), loop
        return self._slots


def _keepable(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    if max(copy.size) > KEPT_SIDE:
        copy.thumbnail((KEPT_SIDE, KEPT_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=KEPT_QUALITY)  # no EXIF: none is passed on
    return buffer.getvalue()


def build_reader(settings: Any) -> MediaReader:
    """The reader the bot uses, from Settings (READ_IMAGES, OCR_TIMEOUT_SECONDS, READ_LINKS,
    LINK_TIMEOUT_SECONDS, LINK_ALLOW_PRIVATE, MEDIA_DIR). Says once, in the log, how to get OCR
    when Tesseract is missing: the bot then runs text-only for images."""
    ocr = OcrEngine(timeout=settings.ocr_timeout_seconds, enabled=settings.read_images)
    if settings.read_images and not ocr.available:
        log.warning(
            "cannot read images (missing: %s); run scripts/install-system-deps.sh as root, or "
            "apt-get install tesseract-ocr tesseract-ocr-tha tesseract-ocr-msa tesseract-ocr-eng",
            ", ".join(ocr.missing()),
        )
    links = LinkReader(
        allow_private=settings.link_allow_private, timeout=settings.link_timeout_seconds
    )
    return MediaReader(ocr, links, store=ImageStore(settings.media_dir))

"""Reading the text in a screenshot or photo with Tesseract (Thai, Malay, English).

Tesseract runs as a subprocess (the `tesseract` binary from Debian's tesseract-ocr packages), on
one thread (OMP_THREAD_LIMIT=1: on a shared machine its own threads only fight each other) and
under a timeout, so a pathological image costs seconds, not the bot. Images are checked before
any pixel is decoded: too many bytes or too many pixels (a decompression bomb) is refused with a
reason the conversation can explain to the voter. Large images are scaled down and small ones up
to the size Tesseract reads best (text lines of a chat screenshot ~30 px high).

Without Tesseract (or its Thai data) `OcrEngine.available` is False and every read raises
ImageProblem("no_ocr"): the bot then runs text-only and says so.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from nlu.ocr_text import clean_ocr_text

#: Bytes of an image file accepted at all (Telegram's photos are < 1 MB; documents can be more).
MAX_BYTES = 10 * 1024 * 1024
#: Pixels of an image accepted (a 50-megapixel photo is fine; a 30,000 x 30,000 PNG is not).
MAX_PIXELS = 50_000_000
#: Longest side Tesseract gets: past this a photo only gets slower, not better read.
MAX_SIDE = 2400
#: Images narrower than this are scaled up (phone screenshots saved small, thumbnails).
MIN_WIDTH = 1000
#: Seconds one read may take before it is abandoned.
TIMEOUT_SECONDS = 12.0
TESSERACT_LANGUAGES = ("tha", "msa", "eng")


class ImageProblem(Exception):
    """An image that cannot be read; `reason` is one of "too_big", "unreadable", "timeout",
    "no_ocr" (no Tesseract here), and is what the voter's reply is chosen by."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


#: A text block is kept when it has at least this share of the letters of the largest block.
MAIN_BLOCK_SHARE = 0.4


@dataclass(frozen=True)
class OcrResult:
    text: str  # the main text, cleaned: what the screenshot is about ("" when none was read)
    full_text: str  # every block read, cleaned (the app's name bar, times, buttons too)
    seconds: float
    width: int
    height: int


@dataclass(frozen=True)
class TextBlock:
    text: str
    line_height: int = 1  # pixels: how big its letters are drawn (the median word's height)


def main_blocks(blocks: list[TextBlock], share: float = MAIN_BLOCK_SHARE) -> list[str]:
    """The blocks that carry the message. A screenshot is a claim (one or a few blocks of text)
    inside an app's furniture: a chat's or page's name, "2h", a time stamp, "Like Comment
    Share", another person's "really?". Furniture is short, and mostly drawn smaller than the
    message. So each block weighs its letters times its line height squared (its area of ink),
    and every block with at least `share` of the heaviest one's weight is kept, in reading
    order. A short question in a post still outweighs the page's name above it."""
    weights = [_letter_count(b.text) * max(b.line_height, 1) ** 2 for b in blocks]
    if not weights or max(weights) == 0:
        return []
    floor = max(weights) * share
    return [b.text for b, weight in zip(blocks, weights, strict=True) if weight and weight >= floor]


def _letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


@dataclass
class _Block:
    top: int
    bottom: int
    left: int
    right: int
    line_height: int
    lines: dict[tuple[int, int], list[str]]
    heights: dict[tuple[int, int], list[int]] = field(default_factory=dict)


#: Two blocks are one when the gap between them is at most this share of a line's height:
#: Tesseract sometimes splits a bubble's last line off (a word alone on it) into its own block.
JOIN_GAP = 0.75


def parse_tsv(tsv: str) -> list[TextBlock]:
    """Tesseract's TSV output as blocks of text (lines joined by new lines), in reading order;
    a block that continues the one above it without a gap (a split-off last line) joins it."""
    blocks: dict[int, _Block] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or not cells[0].isdigit():
            continue
        level, number = int(cells[0]), int(cells[2])
        left, top, width, height = (int(c) for c in cells[6:10])
        if level == 2:
            blocks[number] = _Block(top, top + height, left, left + width, 0, {})
        elif level == 4 and number in blocks:
            blocks[number].line_height = max(blocks[number].line_height, height)
        elif level == 5 and number in blocks and cells[11].strip():
            key = (int(cells[3]), int(cells[4]))
            blocks[number].lines.setdefault(key, []).append(cells[11].strip())
            blocks[number].heights.setdefault(key, []).append(height)
    joined: list[list[_Block]] = []
    for block in (b for _, b in sorted(blocks.items()) if b.lines):
        if joined:
            above = joined[-1][-1]
            gap = block.top - above.bottom
            overlap = min(above.right, block.right) - max(above.left, block.left)
            # the smaller line height: an avatar next to a name makes a tall "line" of one
            height = max(1, min(above.line_height, block.line_height))
            if 0 <= gap <= JOIN_GAP * height and overlap > 0:
                joined[-1].append(block)
                continue
        joined.append([block])
    return [_text_block(group) for group in joined]


#: A first or last line of a block drawn smaller than this share of the block's letters is the
#: app's, not the message's (a page's name and "2h" above a post, a time stamp below a bubble).
SMALL_LINE = 0.7


def _text_block(group: list[_Block]) -> TextBlock:
    lines = [
        (" ".join(block.lines[key]), _median(block.heights[key]))
        for block in group for key in sorted(block.lines)
    ]
    size = _median([h for block in group for hs in block.heights.values() for h in hs])
    while len(lines) > 1 and lines[0][1] < SMALL_LINE * size:
        lines.pop(0)
    while len(lines) > 1 and lines[-1][1] < SMALL_LINE * size:
        lines.pop()
    return TextBlock(clean_ocr_text("\n".join(text for text, _ in lines)), size)


def _median(values: list[int]) -> int:
    """The middle value (1 for none): the size of a block's letters, whatever an avatar or an
    icon read as a "word" next to them measures."""
    return sorted(values)[len(values) // 2] if values else 1


def open_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
               ) -> Image.Image:
    """The decoded image, or ImageProblem: checked for size before its pixels are decoded."""
    if not data:
        raise ImageProblem("unreadable", "empty file")
    if len(data) > max_bytes:
        raise ImageProblem("too_big", f"{len(data)} bytes, at most {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageProblem("too_big", f"{width}x{height} pixels, at most {max_pixels}")
            image.load()
    except ImageProblem:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageProblem("too_big", str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageProblem("unreadable", str(exc) or type(exc).__name__) from exc
    upright: Image.Image = ImageOps.exif_transpose(image)  # a phone photo taken sideways
    return upright


def prepare_for_ocr(image: Image.Image) -> Image.Image:
    """Grey scale at a size Tesseract reads well."""
    grey = image.convert("L") if image.mode != "L" else image
    width, height = grey.size
    scale = 1.0
    if max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
    elif width < MIN_WIDTH:
        scale = min(2.0, MAX_SIDE / max(width, height))
    if scale != 1.0:
        grey = grey.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
        )
    return grey


class OcrEngine:
    """Tesseract behind a small, synchronous interface (bot.media.reader runs it in a worker
    thread, a bounded number at a time)."""

    def __init__(
        self,
        *,
        binary: str = "tesseract",
        languages: tuple[str, ...] = TESSERACT_LANGUAGES,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.binary = binary
        self.languages = languages
        self.timeout = timeout
        self.max_bytes = max_bytes

    @functools.cached_property
    def available(self) -> bool:
        """Tesseract is installed with every language it is asked to read."""
        return not self.missing()

    def missing(self) -> list[str]:
        """What is missing for OCR: ["tesseract"] or the language packs, [] when ready."""
        if not self.enabled:
            return ["READ_IMAGES=true"]
        path = shutil.which(self.binary)
        if path is None:
            return [self.binary]
        try:
            listed = subprocess.run(
                [path, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return [self.binary]
        have = {line.strip() for line in listed.splitlines()[1:]}
        return [f"tesseract-ocr-{lang}" for lang in self.languages if lang not in have]

    def read(self, data: bytes) -> OcrResult:
        """The text in the image `data` (any format Pillow opens), or ImageProblem."""
        if not self.available:
            raise ImageProblem("no_ocr", "missing: " + ", ".join(self.missing()))
        return self.read_image(open_image(data, max_bytes=self.max_bytes))

    def read_image(self, image: Image.Image) -> OcrResult:
        """The text in an image already opened (and checked) by `open_image`."""
        if not self.available:
            raise ImageProblem("no_ocr", "missing: " + ", ".join(self.missing()))
        started = time.perf_counter()
        width, height = image.size
        prepared = prepare_for_ocr(image)
        buffer = io.BytesIO()
        prepared.save(buffer, format="PNG", compress_level=1)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(
                [self.binary, "stdin", "stdout", "-l", "+".join(self.languages), "--psm", "3",
                 "tsv"],
                input=buffer.getvalue(), capture_output=True, timeout=self.timeout, env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ImageProblem("timeout", f"over {self.timeout:g} s") from exc
        except OSError as exc:
            raise ImageProblem("no_ocr", str(exc)) from exc
        if done.returncode != 0:
            raise ImageProblem("unreadable", done.stderr.decode("utf-8", "replace")[-300:])
        blocks = [b for b in parse_tsv(done.stdout.decode("utf-8", "replace")) if b.text]
        return OcrResult(
            text="\n".join(main_blocks(blocks)), full_text="\n".join(b.text for b in blocks),
            seconds=time.perf_counter() - started, width=width, height=height,
        )

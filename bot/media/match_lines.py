"""`factcheck match` for screenshots and links (SPEC section 2, version 1.1).

An input line may be {"image": "PATH", "text": "caption"}: the image is read the way the bot
reads a photo (bot.media.reader) and the caption and the read text are decided on together; a
text with a link is decided with what the bot reads from the page. The answer then carries
"read_text" (what was read), so an evaluation can score screenshots against the same queries as
text. An image that cannot be read, with no caption to decide on, is answered with
"decision": "escalate" and an "error" saying why; the next line is read as usual.

This module only wraps the command's line source and answer function, so the JSON-lines
protocol itself (bot.cli.jsonlines: one answer per line, bad lines) stays in one place: the line
source remembers the object of the line being answered, and the wrapped answer looks at it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bot.core.media_input import text_with_media
from bot.media.links import find_urls
from bot.media.model import MediaRead
from bot.media.reader import MediaReader

Answer = Callable[[str], dict[str, Any]]


class MediaLines:
    def __init__(self, reader: MediaReader, *, read_links: bool = True) -> None:
        self.reader = reader
        self.read_links = read_links
        self._current: dict[str, Any] | None = None

    def lines(self, source: Iterable[bytes | str] | None = None) -> Iterator[Any]:
        """The input lines, unchanged except that valid UTF-8 is passed on as text; each one's
        JSON object (if it is one) is remembered while it is being answered."""
        from bot.cli import jsonlines

        bytes_ok = hasattr(jsonlines, "read_line")  # the protocol decodes (and reports) itself
        source = source if source is not None else sys.stdin.buffer
        for raw in source:
            line: bytes | str = raw
            if isinstance(raw, bytes):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = raw if bytes_ok else raw.decode("utf-8", "replace")
            self._current = _object(line) if isinstance(line, str) else None
            yield line
        self._current = None

    def wrap(self, answer: Answer) -> Answer:
        def answer_with_media(text: str) -> dict[str, Any]:
            obj = self._current
            if obj is not None and "image" in obj:
                return self._image(answer, text, obj["image"])
            if self.read_links and find_urls(text):
                read = asyncio.run(self.reader.read_link(find_urls(text)[0]))
                result = answer(text_with_media(text, read))
                return {**result, "text": text, "read_text": read.read_text}
            return answer(text)

        return answer_with_media

    def _image(self, answer: Answer, caption: str, path: Any) -> dict[str, Any]:
        read = self._read_file(path)
        combined = text_with_media(caption, read)
        if not combined.strip():
            return {
                "text": caption, "image": path, "language": "und", "decision": "escalate",
                "entry": None, "score": 0.0, "candidates": [], "read_text": "",
                "error": f"image not read: {read.problem or 'no text found'}",
            }
        result = {**answer(combined), "text": caption, "image": path,
                  "read_text": read.read_text}
        if read.problem is not None:
            result["error"] = f"image not read: {read.problem}; decided on the caption"
        return result

    def _read_file(self, path: Any) -> MediaRead:
        if not isinstance(path, str) or not path:
            return MediaRead("image", problem="unreadable: \"image\" must be a file path")
        try:
            size = os.path.getsize(path)
            if size > self.reader.ocr.max_bytes:
                return MediaRead("image", problem=f"too_big: {size} bytes")
            with open(path, "rb") as file:
                data = file.read()
        except OSError as exc:
            return MediaRead("image", problem=f"unreadable: {exc.strerror or exc}")
        return self.reader.read_image_now(data)


def _object(line: str) -> dict[str, Any] | None:
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    try:
        obj = json.loads(stripped)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None

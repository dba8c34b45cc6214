"""The values that carry an image or a link from a channel through the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ImageInput:
    """An image a voter sent, as the channel got it: its bytes, or why there are none (the
    channel refused to download it: "too_big"; the download failed: "unreadable")."""

    data: bytes | None = None
    problem: str | None = None
    name: str = ""

    def __repr__(self) -> str:  # never dump megabytes into a log line
        size = len(self.data) if self.data is not None else 0
        return f"ImageInput({size} bytes, problem={self.problem!r}, name={self.name!r})"


@dataclass(frozen=True)
class MediaRead:
    """What the bot read from an image or a link.

    `read_text` is the text OCR found, or the page's title, description and main text;
    `problem` says why nothing was read ("too_big", "unreadable", "timeout", "no_ocr" for an
    image; "blocked", "unreachable", "timeout", "not_html", "http_error", "too_big" for a link).
    """

    kind: Literal["image", "link"]
    read_text: str = ""
    problem: str | None = None
    image_hash: str | None = None
    sha256: str | None = None
    jpeg: bytes | None = None  # the image re-encoded without metadata, kept if escalated
    url: str | None = None
    canonical_url: str | None = None
    title: str = ""
    seconds: float = 0.0

    def __repr__(self) -> str:
        return (
            f"MediaRead({self.kind}, {len(self.read_text)} chars read, problem={self.problem!r}, "
            f"hash={self.image_hash and self.image_hash[:12]}, url={self.canonical_url!r})"
        )

"""Escalated images on disk: content-addressed JPEGs under MEDIA_DIR (default var/media).

One file per distinct image (named by the SHA-256 of the kept JPEG), shared by every media row
that points at it; bot.media.records deletes a file when its last row goes (/forget, retention).
Files are written to a temporary name and renamed, so a crash never leaves half an image.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^[0-9a-f]{64}\.jpg$")


class ImageStore:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def save(self, jpeg: bytes) -> str:
        """Store `jpeg` (idempotent); returns its absolute path."""
        name = hashlib.sha256(jpeg).hexdigest()
        folder = self.directory / name[:2]
        path = folder / f"{name}.jpg"
        if path.exists():
            return str(path)
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(jpeg)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return str(path)


def delete_image_file(path: str | None) -> bool:
    """Delete a stored image; only files named as ImageStore names them (never anything a
    corrupted row might point at)."""
    if not path:
        return False
    file = Path(path)
    if not _NAME.match(file.name):
        return False
    try:
        file.unlink()
    except FileNotFoundError:
        return False
    return True

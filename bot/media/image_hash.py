"""A perceptual hash: the same picture, forwarded, re-compressed or resized, hashes (almost) alike.

A difference hash (dHash): the image in grey, shrunk to (SIZE+1) x SIZE, one bit per pair of
horizontal neighbours (is the left one brighter?). Re-compression and scaling move pixel values
a little and almost never flip the order of two neighbouring cells; a different picture flips
about half the bits. At SIZE 16 (256 bits) the hash sees a screenshot's text lines, not only its
layout, so two chat screenshots in the same app look different to it; the conversation still
asks the text read from both to agree before it treats them as one (see bot.media.records).

Written here with Pillow and numpy (a few lines) rather than pulling in a package for it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE = 16
BITS = SIZE * SIZE
#: Bits that may differ between two copies of one image (about 8%): JPEG at quality 30, a
#: resize to a third, a thin border from a screenshot tool stay under it in the tests and the
#: benchmark; different screenshots of one chat app differ by far more.
SAME_IMAGE_BITS = 20


def dhash(image: Image.Image, size: int = SIZE) -> str:
    """The hash of `image` as a hex string of size*size bits."""
    grey = image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:0{size * size // 4}x}"


def distance(a: str, b: str) -> int:
    """Bits that differ between two hashes of the same size (a large number when the sizes do
    not agree, so that they never count as the same image)."""
    if len(a) != len(b):
        return 1 << 16
    return (int(a, 16) ^ int(b, 16)).bit_count()


def same_image(a: str, b: str, max_bits: int = SAME_IMAGE_BITS) -> bool:
    return distance(a, b) <= max_bits

"""Screenshots drawn from text: what a voter forwards, made reproducibly for tests and the
benchmark (benchmarks/bench_screenshots.py).

Two styles: a chat bubble (a messaging app's conversation, with a header bar, another bubble and
a time stamp) and a social post (avatar, name, the post, a reactions bar). Thai runs are drawn
with a Thai font and Latin runs with a Latin one, as phones do. `photographed` makes it look like
a photo of a screen: slightly rotated, blurred, darker and noisy. Everything is saved as JPEG.

Fonts come from Debian's fonts-thai-tlwg, fonts-noto-core and fonts-dejavu-core
(scripts/install-system-deps.sh --fonts); `available_fonts()` says which are here.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
THAI_FONTS = (
    "noto/NotoSansThai-Regular.ttf", "tlwg/Loma.ttf", "tlwg/Garuda.ttf", "tlwg/Sawasdee.ttf",
    "tlwg/Umpush.ttf", "tlwg/Kinnari.ttf",
)
LATIN_FONTS = (
    "noto/NotoSans-Regular.ttf", "dejavu/DejaVuSans.ttf", "noto/NotoSerif-Regular.ttf",
)
_THAI_RUN = re.compile(r"([\u0e00-\u0e7f]+)")


def _find(name: str) -> Path | None:
    for base in FONT_DIRS:
        if (base / name).exists():
            return base / name
    return None


def available_fonts() -> tuple[list[Path], list[Path]]:
    """(Thai fonts, Latin fonts) installed here."""
    thai = [p for p in map(_find, THAI_FONTS) if p is not None]
    latin = [p for p in map(_find, LATIN_FONTS) if p is not None]
    return thai, latin


@dataclass(frozen=True)
class Style:
    kind: str  # "chat" or "post"
    thai_font: Path
    latin_font: Path
    size: int = 30
    width: int = 720
    photographed: bool = False
    jpeg_quality: int = 75


class _Writer:
    """Draws mixed Thai/Latin text, each run in its own font, wrapped to a width."""

    def __init__(self, style: Style, size: int | None = None) -> None:
        size = size or style.size
        self.thai = ImageFont.truetype(str(style.thai_font), size)
        self.latin = ImageFont.truetype(str(style.latin_font), size)
        self.line_height = int(size * 1.55)

    def _runs(self, text: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        return [
            (part, self.thai if _THAI_RUN.fullmatch(part) else self.latin)
            for part in _THAI_RUN.split(text) if part
        ]

    def width(self, text: str) -> float:
        return sum(font.getlength(part) for part, font in self._runs(text))

    def wrap(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in _words(text):
            candidate = current + word
            if current and self.width(candidate.rstrip()) > width:
                lines.append(current.rstrip())
                current = word.lstrip()
            else:
                current = candidate
        if current.strip():
            lines.append(current.rstrip())
        return lines

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
             fill: str) -> None:
        x, y = xy
        for part, font in self._runs(text):
            draw.text((x, y), part, font=font, fill=fill)
            x += font.getlength(part)


def _words(text: str) -> list[str]:
    """Break opportunities: spaces, and Thai words (Thai writes no spaces between them)."""
    from pythainlp.tokenize import word_tokenize

    pieces: list[str] = []
    for token in re.split(r"(\s+)", text):
        if not token:
            continue
        if token.isspace():
            if pieces:
                pieces[-1] += " "
            continue
        if _THAI_RUN.search(token):
            pieces.extend(word_tokenize(token, keep_whitespace=False) or [token])
        else:
            pieces.append(token)
    return pieces


def render(text: str, style: Style, *, seed: int = 0) -> Image.Image:
    """The screenshot of `text` in `style` (before JPEG)."""
    rng = random.Random(seed)
    writer = _Writer(style)
    small = _Writer(style, size=max(14, style.size * 2 // 3))
    if style.kind == "chat":
        image = _chat(text, style, writer, small, rng)
    else:
        image = _post(text, style, writer, small, rng)
    if style.photographed:
        image = _photograph(image, rng)
    return image


def _chat(text: str, style: Style, writer: _Writer, small: _Writer,
          rng: random.Random) -> Image.Image:
    pad = 24
    bubble_width = int(style.width * 0.78)
    lines = writer.wrap(text, bubble_width - 2 * pad)
    body = len(lines) * writer.line_height
    height = 110 + 90 + body + 2 * pad + 70
    background = rng.choice(["#e5ddd5", "#8cabd9", "#ffffff", "#dfe7ee"])
    image = Image.new("RGB", (style.width, height), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, style.width, 90), fill=rng.choice(["#075e54", "#2b2b3b", "#3a76f0"]))
    thai = bool(_THAI_RUN.search(text))
    group = ["ครอบครัว", "เพื่อนมัธยม"] if thai else ["Family group", "Geng Kampung"]
    small.draw(draw, (90, 28), rng.choice(group), "#ffffff")
    draw.ellipse((20, 18, 72, 70), fill="#cccccc")
    draw.rounded_rectangle((20, 110, 20 + int(style.width * 0.35), 170), 18, fill="#ffffff")
    reply = rng.choice(["555", "จริงเหรอ"] if thai else ["ok", "ye ke", "really?"])
    small.draw(draw, (40, 125), reply, "#333333")
    top = 190
    left = style.width - bubble_width - 20
    draw.rounded_rectangle(
        (left, top, left + bubble_width, top + body + 2 * pad), 22,
        fill=rng.choice(["#dcf8c6", "#ffffff", "#85e249"]),
    )
    for i, line in enumerate(lines):
        writer.draw(draw, (left + pad, top + pad + i * writer.line_height), line, "#111111")
    small.draw(draw, (left + bubble_width - 90, top + body + 2 * pad + 8), "10:4" +
               str(rng.randint(0, 9)), "#666666")
    return image


def _post(text: str, style: Style, writer: _Writer, small: _Writer,
          rng: random.Random) -> Image.Image:
    pad = 32
    lines = writer.wrap(text, style.width - 2 * pad)
    body = len(lines) * writer.line_height
    height = 120 + body + 120
    image = Image.new("RGB", (style.width, height), "#f0f2f5")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, style.width - 8, height - 8), fill="#ffffff")
    draw.ellipse((pad, 28, pad + 60, 88), fill=rng.choice(["#4267b2", "#e4405f", "#999999"]))
    small.draw(draw, (pad + 76, 32), rng.choice(["Thai News Daily", "Berita Terkini"]), "#050505")
    small.draw(draw, (pad + 76, 62), "2h", "#65676b")
    for i, line in enumerate(lines):
        writer.draw(draw, (pad, 110 + i * writer.line_height), line, "#050505")
    y = 110 + body + 30
    draw.line((pad, y, style.width - pad, y), fill="#ced0d4", width=2)
    small.draw(draw, (pad + 20, y + 20), "Like   Comment   Share", "#65676b")
    return image


def _photograph(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(-4.0, 4.0)
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                           fillcolor=(60, 60, 60))
    blurred = rotated.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.3)))
    darker = blurred.point(lambda v: int(v * rng.uniform(0.78, 0.92)) + 8)
    noise = Image.effect_noise(darker.size, rng.uniform(8, 18)).convert("RGB")
    return Image.blend(darker, noise, 0.08)


def jpeg(image: Image.Image, quality: int = 75) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def screenshot(text: str, style: Style, *, seed: int = 0) -> bytes:
    """`text` as a JPEG screenshot in `style`."""
    return jpeg(render(text, style, seed=seed), style.jpeg_quality)

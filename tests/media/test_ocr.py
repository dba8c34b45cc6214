"""Reading screenshots with the real Tesseract, and refusing what must not be read."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from screenshots import Style, available_fonts, screenshot

from bot.media.model import ImageInput
from bot.media.ocr import ImageProblem, OcrEngine, open_image
from bot.media.reader import MediaReader
from nlu.ocr_text import character_accuracy

ENGINE = OcrEngine()
needs_ocr = pytest.mark.skipif(
    not ENGINE.available or not all(available_fonts()),
    reason="Tesseract (tha, msa, eng) or fonts missing: scripts/install-system-deps.sh --fonts",
)

CLAIMS = {
    "th": "กกต. ประกาศเลื่อนวันเลือกตั้งล่วงหน้าออกไปอีกหนึ่งสัปดาห์ เพราะบัตรเลือกตั้งพิมพ์ไม่ทัน",
    "ms": "SPR kata undi pos untuk pengundi luar negara dibatalkan tahun ini, betul ke?",
    "en": "Is it true that you can vote with a photo of your ID card on your phone?",
}


def _style(kind: str, photographed: bool = False) -> Style:
    thai, latin = available_fonts()
    return Style(kind, thai[0], latin[0], photographed=photographed)


@needs_ocr
@pytest.mark.parametrize("language", sorted(CLAIMS))
@pytest.mark.parametrize("kind", ["chat", "post"])
def test_screenshots_are_read_in_each_language(language: str, kind: str) -> None:
    result = ENGINE.read(screenshot(CLAIMS[language], _style(kind)))
    assert character_accuracy(CLAIMS[language], result.text) >= 0.85, result.text


@needs_ocr
def test_a_photographed_screen_is_still_read() -> None:
    result = ENGINE.read(screenshot(CLAIMS["en"], _style("chat", photographed=True), seed=3))
    assert character_accuracy(CLAIMS["en"], result.text) >= 0.8, result.text


@needs_ocr
async def test_the_reader_reads_off_the_event_loop_and_keeps_a_metadata_free_copy() -> None:
    reader = MediaReader(ENGINE)
    image = Image.open(io.BytesIO(screenshot(CLAIMS["ms"], _style("post"))))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make; a real phone also writes GPS here
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert b"PhoneMaker" in buffer.getvalue()
    read = await reader.read_image(ImageInput(buffer.getvalue()))
    assert read.problem is None and "undi pos" in read.read_text
    assert read.image_hash and read.sha256 and read.jpeg
    assert b"PhoneMaker" not in read.jpeg
    assert not Image.open(io.BytesIO(read.jpeg)).getexif()


def test_too_many_bytes_are_refused_before_decoding() -> None:
    with pytest.raises(ImageProblem) as caught:
        open_image(b"\xff" * 2048, max_bytes=1024)
    assert caught.value.reason == "too_big"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height: a decompression bomb in a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))


def test_a_decompression_bomb_is_refused_by_its_size_in_pixels() -> None:
    with pytest.raises(ImageProblem) as caught:
        open_image(_png_header_only(40_000, 40_000))
    assert caught.value.reason == "too_big"


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_broken_files_are_unreadable_not_a_crash(data: bytes) -> None:
    with pytest.raises(ImageProblem) as caught:
        open_image(data)
    assert caught.value.reason == "unreadable"


def test_a_truncated_jpeg_is_unreadable() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, format="JPEG")
    with pytest.raises(ImageProblem) as caught:
        open_image(buffer.getvalue()[:200])
    assert caught.value.reason == "unreadable"


@needs_ocr
def test_ocr_that_runs_too_long_is_abandoned() -> None:
    slow = OcrEngine(timeout=0.001)
    with pytest.raises(ImageProblem) as caught:
        slow.read(screenshot(CLAIMS["en"], _style("chat")))
    assert caught.value.reason == "timeout"


async def test_the_reader_reports_problems_instead_of_raising() -> None:
    reader = MediaReader(OcrEngine(enabled=False))
    assert (await reader.read_image(ImageInput(b"junk"))).problem == "unreadable"
    assert (await reader.read_image(ImageInput(problem="too_big"))).problem == "too_big"
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, format="PNG")
    read = await reader.read_image(ImageInput(buffer.getvalue()))
    # without OCR the image is still hashed, so a copy can still find its ticket
    assert read.problem == "no_ocr" and read.image_hash and not read.read_text


def test_a_missing_binary_is_reported_not_raised() -> None:
    engine = OcrEngine(binary="no-such-tesseract-binary")
    assert not engine.available and engine.missing() == ["no-such-tesseract-binary"]
    with pytest.raises(ImageProblem) as caught:
        engine.read(b"whatever")
    assert caught.value.reason == "no_ocr"


def test_the_main_blocks_are_the_claim_not_the_apps_furniture() -> None:
    from bot.media.ocr import TextBlock, main_blocks

    blocks = [TextBlock("Family group", 20), TextBlock("really?", 20),
              TextBlock("The Election Commission will close every polling station", 30),
              TextBlock("and voters must bring two ID cards", 30), TextBlock("10:45", 18)]
    assert main_blocks(blocks) == [blocks[2].text, blocks[3].text]
    # a short question still outweighs the page name and buttons drawn smaller around it
    post = [TextBlock("Thai News Daily", 20), TextBlock("Bila hari mengundi PRU?", 30),
            TextBlock("Like Comment Share", 20)]
    assert main_blocks(post) == ["Bila hari mengundi PRU?"]
    assert main_blocks([]) == [] and main_blocks([TextBlock("— |"), TextBlock("10:45")]) == []


def test_a_split_off_last_line_joins_its_block_a_distant_block_does_not() -> None:
    from bot.media.ocr import parse_tsv

    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    rows = [header + "\tconf\ttext"]

    def block(number: int, top: int, height: int, line_height: int, words: list[str]) -> None:
        rows.append(f"2\t1\t{number}\t0\t0\t0\t10\t{top}\t500\t{height}\t-1\t")
        rows.append(f"4\t1\t{number}\t1\t1\t0\t10\t{top}\t500\t{line_height}\t-1\t")
        for i, word in enumerate(words, 1):
            rows.append(f"5\t1\t{number}\t1\t1\t{i}\t10\t{top}\t50\t{line_height}\t95\t{word}")

    block(1, 0, 120, 120, ["Thai", "News", "Daily"])  # an avatar makes its line tall
    rows[-1] = rows[-1].replace("\t120\t95\t", "\t30\t95\t")  # but its words are small
    block(2, 180, 60, 60, ["Thailand", "used", "F-16s", "to", "attack", "civilians", "in"])
    block(3, 265, 45, 45, ["Cambodia"])  # 25 px below: the same bubble
    assert [b.text for b in parse_tsv("\n".join(rows))] == [
        "Thai News Daily", "Thailand used F-16s to attack civilians in\nCambodia",
    ]


def test_lines_drawn_small_at_the_edges_of_a_block_are_the_apps() -> None:
    from bot.media.ocr import parse_tsv

    rows = ["level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
            "\tconf\ttext", "2\t1\t1\t0\t0\t0\t10\t0\t900\t300\t-1\t"]
    lines = [("Berita Terkini", 20), ("2h", 18), ("Bila hari mengundi PRU?", 32),
             ("Undi awal bila?", 31), ("Like Comment Share", 20)]
    for number, (text, height) in enumerate(lines, 1):
        rows.append(f"4\t1\t1\t1\t{number}\t0\t10\t{number * 50}\t900\t{height}\t-1\t")
        for i, word in enumerate(text.split(), 1):
            rows.append(f"5\t1\t1\t1\t{number}\t{i}\t10\t{number * 50}\t80\t{height}\t95\t{word}")
    (block,) = parse_tsv("\n".join(rows))
    assert block.text == "Bila hari mengundi PRU?\nUndi awal bila?"

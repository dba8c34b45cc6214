"""The repair of OCR output (nlu.ocr_text): each Thai mistake Tesseract makes, undone."""

from __future__ import annotations

import pytest

from nlu.ocr_text import character_accuracy, clean_ocr_text


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        # spaces Tesseract puts between Thai characters and words
        ("ก ก ต. ประ กาศ เลื่อน วัน เลือก ตั้ง", "กกต. ประกาศเลื่อนวันเลือกตั้ง"),
        # two sara e for sara ae; nikhahit + sara aa for sara am
        ("เเจ้งความ", "แจ้งความ"),
        ("ทํางาน", "ทำงาน"),
        ("น ํ า ท่วม", "น้ำท่วม".replace("\u0e49", "")),  # halves split by spaces
        ("เ เจ้ง", "แจ้ง"),
        # a tone mark typed before the upper or lower vowel it sits on
        ("ที่", "ที่"),
        ("ท่ี", "ที่"),
        ("ปู่", "ปู่"),
        ("ปู่", "ปู่"),
        # the same mark twice, two tone marks on one consonant
        ("ก็็", "ก็"),
        ("ไม่่", "ไม่"),
        ("ได้่", "ได้"),
        # obsolete letters read for their modern look-alikes
        ("ฃ่าว", "ข่าว"),
        # a mark left dangling at the start of a line
        ("่เลือกตั้ง", "เลือกตั้ง"),
    ],
)
def test_thai_ocr_mistakes_are_repaired(read: str, expected: str) -> None:
    assert clean_ocr_text(read) == expected


def test_latin_text_and_its_spaces_are_kept() -> None:
    assert clean_ocr_text("SPR  kata undi   pos\tdibatalkan") == "SPR kata undi pos dibatalkan"


def test_a_space_next_to_punctuation_latin_or_digits_is_kept() -> None:
    assert clean_ocr_text("กกต. ประ กาศ 14 พ.ค. SPR") == "กกต. ประกาศ 14 พ.ค. SPR"


def test_noise_lines_go_and_real_lines_stay_in_order() -> None:
    read = "|\n— —\nFirst line of the claim\n  \n©\nเลือก ตั้ง ล่วง หน้า\n10:45"
    assert clean_ocr_text(read) == "First line of the claim\nเลือกตั้งล่วงหน้า\n10:45"


def test_empty_and_none_give_empty() -> None:
    assert clean_ocr_text("") == ""
    assert clean_ocr_text(None) == ""  # type: ignore[arg-type]


def test_character_accuracy_ignores_what_surrounds_the_claim() -> None:
    assert character_accuracy("vote by sms", "Family group\nvote by sms\n10:45") == 1.0
    assert character_accuracy("abcd", "abxd") == 0.75
    assert character_accuracy("abcd", "") == 0.0
    assert character_accuracy("เลือกตั้ง", "เลือก ตั้ง") == 1.0  # spaces are not errors


def test_a_thai_sentence_wrapped_across_lines_is_joined_without_a_space() -> None:
    assert clean_ocr_text("กองทัพกัมพูชายิงเอ\nฟ 16 ไทยตก") == "กองทัพกัมพูชายิงเอฟ 16 ไทยตก"
    assert clean_ocr_text("Berita Terkini\nกองทัพ") == "Berita Terkini\nกองทัพ"

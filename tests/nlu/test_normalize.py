"""clean() and tokenize(): what the matcher sees of a chat message."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nlu.normalize import clean, tokenize


def test_clean_applies_nfkc_and_removes_invisible_and_control_characters() -> None:
    assert clean("ｆｕｌｌ ｗｉｄｔｈ") == "full width"
    assert clean("vo\u200bte\ufeff") == "vote"
    assert clean("a\x00b\x07c") == "abc"
    assert clean("  many \t\n  spaces  ") == "many spaces"


def test_clean_keeps_emoji_and_thai() -> None:
    assert clean("จริงไหม 👍🏽") == "จริงไหม 👍🏽"
    assert clean("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # the ZWJ sequence survives


def test_thai_is_segmented_into_words() -> None:
    assert tokenize("เลือกตั้งวันไหน") == ["เลือกตั้ง", "วัน", "ไหน"]


@pytest.mark.parametrize(
    ("text", "folded"),
    [("จริงงงง", "จริง"), ("ค่ะะะ", "ค่ะ"), ("มากกก", "มาก"), ("เเล้ว", "แล้ว")],
)
def test_thai_repeats_fold(text: str, folded: str) -> None:
    assert tokenize(text) == [folded]


def test_thai_legit_double_consonants_survive() -> None:
    assert "พรรค" in tokenize("พรรคไหนชนะ")
    assert "คน" in tokenize("คนนี้") and "นี้" in tokenize("คนนี้")


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("sooooo", ["so"]), ("goooood", ["good"]), ("pleaseeee", ["please"]),
     ("good", ["good"]), ("betulllll", ["betul"])],
)
def test_latin_repeats_fold_but_legit_doubles_stay(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_malay_short_forms_expand() -> None:
    assert tokenize("x blh undi ke", "ms") == ["tidak", "boleh", "undi", "ke"]
    assert tokenize("sy nk tanya dgn spr", "ms") == ["saya", "hendak", "tanya", "dengan", "spr"]
    assert tokenize("yg tu", "ms") == ["yang", "itu"]
    assert tokenize("xleh", "ms") == ["tidak", "boleh"]
    assert tokenize("tak", "ms") == tokenize("x", "ms") == ["tidak"]


def test_short_forms_depend_on_language() -> None:
    assert tokenize("u sure", "en") == ["you", "sure"]
    assert tokenize("dah", "en") == ["dah"]  # a Malay form is not expanded in English text
    assert tokenize("dah", None) == ["sudah"]


def test_case_and_diacritics_fold() -> None:
    assert tokenize("Café ÉLECTION") == ["cafe", "election"]


def test_urls_mentions_and_emails_are_dropped() -> None:
    text = "@spr_my semak https://mysprsemak.spr.gov.my/x?y=1 www.ect.go.th bit.ly/3xY a@b.com"
    assert tokenize(text, "ms") == ["semak"]


def test_thai_digits_become_arabic() -> None:
    assert tokenize("๒๕๖๖") == ["2566"]
    assert "14" in tokenize("วันที่ ๑๔")


def test_mixed_scripts_are_split_by_script() -> None:
    assert tokenize("เช็ค fake news ป่ะ") == ["เช็ค", "fake", "news", "ป่ะ"]


def test_malay_reduplication_digit() -> None:
    assert tokenize("calon2", "ms") == ["calon"]


def test_emoji_and_punctuation_give_no_tokens() -> None:
    assert tokenize("👍👍 !!! ???") == []
    assert tokenize("") == []


def test_returns_a_fresh_list_each_time() -> None:
    first = tokenize("vote now")
    first.append("mutated")
    assert tokenize("vote now") == ["vote", "now"]


def test_tokenize_needs_no_network_or_downloads(tmp_path: Path) -> None:
    """pythainlp must segment with its bundled dictionary: import and first use happen in a
    fresh process whose sockets refuse to connect, with an empty home directory."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise SystemExit("network used: " + repr(args))

        socket.socket.connect = refuse
        socket.create_connection = refuse
        from nlu.normalize import tokenize
        print("|".join(tokenize("ตรวจสอบสิทธิ์เลือกตั้งนอกเขต")))
        """
    )
    env = {**os.environ, "HOME": str(tmp_path), "PYTHAINLP_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
        cwd=Path(__file__).resolve().parents[2], check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|")[0] == "ตรวจสอบ"
    downloaded = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert downloaded == []


@pytest.mark.parametrize(
    ("text", "token"), [("กกต. คืออะไร", "กกต"), ("ส.ส.เขต", "สส"), ("7 พ.ค.", "พค")]
)
def test_thai_abbreviations_stay_whole(text: str, token: str) -> None:
    assert token in tokenize(text)


def test_thai_repetition_mark_is_not_a_token() -> None:
    assert tokenize("ฮ่าๆๆๆ") == ["ฮ่า"]
    assert tokenize("เยอะๆ") == ["เยอะ"]


def test_letters_and_digits_split_like_spaced_forms() -> None:
    assert tokenize("PRU15") == tokenize("PRU 15") == ["pru", "15"]
    assert tokenize("RM50", "ms") == ["rm", "50"]


def test_clean_keeps_thai_sara_am_whole() -> None:
    # NFKC alone would turn "ำ" into "ํา" and "ซ้ำ" (again) into a non-word
    assert clean("น้ำ ซ้ำ ทำ") == "น้ำ ซ้ำ ทำ"
    assert "ซ้ำ" in tokenize("เลือกตั้งซ้ำได้ไหม")

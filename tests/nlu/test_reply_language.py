"""Reply-language precedence: chosen > confident detection > last confident > Telegram > en."""

from __future__ import annotations

import pytest

from nlu.langid import LanguageGuess, detect_language
from nlu.reply_language import choose_reply_language, from_telegram_code

CONFIDENT_MS = LanguageGuess("ms", 0.99)
UNSURE_EN = LanguageGuess("en", 0.5)


def test_chosen_language_wins_over_everything() -> None:
    assert (
        choose_reply_language(
            chosen="th", detected=CONFIDENT_MS, last_confident="en", telegram_code="ms"
        )
        == "th"
    )


def test_confident_detection_beats_history_and_telegram() -> None:
    assert (
        choose_reply_language(
            chosen=None, detected=CONFIDENT_MS, last_confident="th", telegram_code="en"
        )
        == "ms"
    )


def test_unsure_detection_keeps_last_confident_language() -> None:
    assert (
        choose_reply_language(
            chosen=None, detected=UNSURE_EN, last_confident="th", telegram_code="en"
        )
        == "th"
    )


@pytest.mark.parametrize("filler", ["ok", "OK", "555", "👍", "lol", "okay"])
def test_fillers_never_flip_a_thai_conversation(filler: str) -> None:
    reply = choose_reply_language(
        chosen=None, detected=detect_language(filler), last_confident="th", telegram_code="en"
    )
    assert reply == "th"


def test_und_detection_is_ignored() -> None:
    assert (
        choose_reply_language(
            chosen=None, detected=LanguageGuess("und", 1.0), last_confident=None,
            telegram_code="id",
        )
        == "ms"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [("th", "th"), ("ms", "ms"), ("id", "ms"), ("en", "en"), ("en-GB", "en"), ("en_US", "en"),
     ("fr", None), ("zh-hans", None), (None, None), ("", None)],
)
def test_telegram_code_mapping(code: str | None, expected: str | None) -> None:
    assert from_telegram_code(code) == expected


def test_falls_back_to_telegram_then_english() -> None:
    assert (
        choose_reply_language(chosen=None, detected=None, last_confident=None, telegram_code="th")
        == "th"
    )
    assert (
        choose_reply_language(chosen=None, detected=None, last_confident=None, telegram_code="fr")
        == "en"
    )
    assert (
        choose_reply_language(chosen=None, detected=None, last_confident=None, telegram_code=None)
        == "en"
    )


def test_unknown_chosen_language_is_ignored() -> None:
    assert (
        choose_reply_language(chosen="fr", detected=None, last_confident="ms", telegram_code=None)
        == "ms"
    )

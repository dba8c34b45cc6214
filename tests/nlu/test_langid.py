"""The detector on chat-style messages: the labelled set and the behaviours the bot relies on."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from nlu.langid import CONFIDENCE_THRESHOLD, LanguageGuess, detect_language

CHAT_SET = Path(__file__).resolve().parent.parent / "data" / "lang_chat.tsv"


def _chat_rows() -> list[tuple[str, str, str]]:
    lines = CHAT_SET.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["text", "language", "kind"]
    return [tuple(line.split("\t")) for line in lines[1:] if line]  # type: ignore[misc]


def test_chat_set_is_large_balanced_and_covers_every_kind() -> None:
    rows = _chat_rows()
    assert len(rows) >= 400
    per_language = Counter(language for _, language, _ in rows)
    assert set(per_language) == {"th", "ms", "en", "und"}
    assert min(per_language[lang] for lang in ("th", "ms", "en")) >= 100
    kinds = {kind for _, _, kind in rows}
    expected = {"short", "shortform", "codemix", "slang", "emoji", "url", "digits", "mention",
                "sentence"}
    assert expected <= kinds


def test_chat_set_accuracy_meets_targets() -> None:
    rows = _chat_rows()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for text, language, _ in rows:
        total[language] += 1
        guess = detect_language(text)
        if guess.language == language:
            right[language] += 1
        else:
            misses.append((text, language, guess.language))
    overall = sum(right.values()) / len(rows)
    assert overall >= 0.97, misses
    for language in ("th", "ms", "en"):
        assert right[language] / total[language] >= 0.95, (language, misses)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("เลือกตั้งวันไหน", "th"),
        ("จริงงงง", "th"),
        ("ok ครับ", "th"),
        ("fake news ป่ะ", "th"),
        ("sy nk tanya", "ms"),
        ("x blh undi ke", "ms"),
        ("is it true ke SPR cancel PRU", "ms"),
        ("kapan pemilu dilaksanakan", "ms"),  # Indonesian counts as Malay
        ("beneran nggak sih", "ms"),
        ("when is polling day", "en"),
        ("r u sure", "en"),
        ("Is the Election Commission independent?", "en"),
    ],
)
def test_languages_of_typical_messages(text: str, language: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize(
    "text", ["", "   ", "555", "๕๕๕", "👍", "🙏🙏", "???", "https://www.ect.go.th", "@admin",
             "+60123456789", "14/05/2023"],
)
def test_no_letters_is_und(text: str) -> None:
    guess = detect_language(text)
    assert guess.language == "und"
    assert not guess.is_confident


@pytest.mark.parametrize("text", ["こんにちは", "选举什么时候", "Когда выборы", "hola que tal"])
def test_other_languages_are_und(text: str) -> None:
    assert detect_language(text).language == "und"


@pytest.mark.parametrize("text", ["ok", "OK", "okay", "555", "👍", "lol", "haha"])
def test_fillers_are_never_confident(text: str) -> None:
    guess = detect_language(text)
    assert not guess.is_confident
    # "und" is sure it is none of our languages; any language guess must be an unsure one
    assert guess.language == "und" or guess.confidence < CONFIDENCE_THRESHOLD


@pytest.mark.parametrize(
    "text", ["ขอบคุณครับ", "saya nak tanya pasal undi pos", "where do i vote tomorrow"]
)
def test_clear_messages_are_confident(text: str) -> None:
    assert detect_language(text).is_confident


def test_url_and_mention_do_not_make_a_message_english() -> None:
    assert detect_language("@SPRMalaysia link ni betul ke https://spr.gov.my/news").language == "ms"
    assert detect_language("ดูที่ https://www.ect.go.th/about นะ").language == "th"


def test_guess_is_frozen_and_bounded() -> None:
    guess = detect_language("betul ke ni")
    assert isinstance(guess, LanguageGuess)
    with pytest.raises(dataclasses.FrozenInstanceError):
        guess.language = "en"  # type: ignore[misc]
    for text, _, _ in _chat_rows():
        confidence = detect_language(text).confidence
        assert 0.0 <= confidence <= 1.0


def test_detection_does_not_depend_on_case_or_repeats() -> None:
    assert detect_language("BETUL KE NI").language == "ms"
    assert detect_language("betulllll keee").language == "ms"
    assert detect_language("sooooo fake").language == "en"


@pytest.mark.parametrize("text", ["khob khun krub", "sawasdee kha", "ok krub"])
def test_thai_in_latin_letters_is_thai(text: str) -> None:
    assert detect_language(text).language == "th"


@pytest.mark.parametrize(("text", "language"), [("tbh idk", "en"), ("gue gak tau", "ms")])
def test_chat_slang(text: str, language: str) -> None:
    assert detect_language(text).language == language


def test_lexicon_decisive_messages_never_reach_the_ngram_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The n-gram model is the slow path; a message with enough function words must not pay
    for it (this is what keeps langid faster than lingua on sentences)."""
    import nlu.langid as langid

    def refuse(word: str) -> float:
        raise AssertionError("n-gram model consulted")

    langid.clear_caches()
    monkeypatch.setattr(langid, "_ngram_evidence", refuse)
    try:
        assert detect_language("can i still vote if my name is not on the list").language == "en"
        assert detect_language("saya tak tahu di mana nak undi esok").language == "ms"
    finally:
        monkeypatch.undo()
        langid.clear_caches()


def test_unknown_words_are_scored_by_the_ngram_model() -> None:
    from nlu.langid import _word_evidence

    ms_words, en_words = ["perbincangan", "diumumkan"], ["straightforward", "neighbourhood"]
    # no lexicon knows these words; only character n-grams can tell
    assert all(_word_evidence(word)[1] == "unknown" for word in ms_words + en_words)
    assert detect_language(" ".join(ms_words)).language == "ms"
    assert detect_language(" ".join(en_words)).language == "en"

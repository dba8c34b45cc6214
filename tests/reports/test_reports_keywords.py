"""Keyword extraction and the rising rule, without a database."""

from __future__ import annotations

import pytest

from bot.reports.keywords import RISE_RATIO, Sample, count_terms, rising_terms, stopwords, terms
from bot.reports.period import Period, parse_span


def test_stopwords_are_matched_in_tokenizer_form() -> None:
    thai = stopwords("th")
    assert "ครับ" in thai and "ไหม" in thai
    assert "ทํา" in thai  # NFKC form of "ทำ", as the tokenizer produces it
    assert "hendak" in stopwords("ms")  # "nak" is expanded by the tokenizer
    assert "the" in stopwords("th")  # English is mixed into every language


def test_terms_drop_stopwords_digits_and_single_letters() -> None:
    found = terms("Is it true the SPR postponed voting? call 0123456789 x", "en")
    assert found == {"spr", "postponed", "voting", "spr postponed", "postponed voting", "call"}
    assert terms("บัตรเลือกตั้งปลอม จริงไหมครับ", "th") == {
        "บัตรเลือกตั้ง",
        "ปลอม",
        "บัตรเลือกตั้ง ปลอม",
    }


def _rows(text: str, askers: int, repeat: int = 1) -> list[tuple[str, object]]:
    return [(text, asker) for asker in range(askers) for _ in range(repeat)]


def _sample(rows: list[tuple[str, object]], total: int) -> Sample:
    return Sample(count_terms(rows, "en"), total)


def test_new_term_needs_min_count_distinct_askers() -> None:
    current = _rows("postal ballots lost", 2, repeat=5)  # 10 questions, 2 askers
    words, phrases = rising_terms(_sample(current, len(current)), _sample([], 0))
    assert words == [] and phrases == []
    current = _rows("postal ballots lost", 3)
    words, phrases = rising_terms(_sample(current, 3), _sample([], 0))
    assert {w.term for w in words} == {"postal", "ballots", "lost"}
    assert all(w.previous == 0 and w.ratio is None for w in words)


def test_rise_needs_the_ratio() -> None:
    before = _rows("ballots", 10)
    steady = _rows("ballots", 14)  # 1.4x: not a rise
    assert rising_terms(_sample(steady, 14), _sample(before, 10))[0] == []
    risen = _rows("ballots", 15)  # 1.5x
    (word,), _ = rising_terms(_sample(risen, 15), _sample(before, 10))
    assert (word.term, word.previous, word.current, word.ratio) == ("ballots", 10, 15, RISE_RATIO)


def test_sample_counts_are_scaled_to_the_period_total() -> None:
    # 10 sampled questions stand for 1000 this period; 10 stood for 100 the period before.
    current = _rows("ballots", 5) + _rows("weather", 5)
    before = _rows("ballots", 5) + _rows("weather", 5)
    (word, *_), _ = rising_terms(_sample(current, 1000), _sample(before, 100))
    assert (word.term, word.previous, word.current) == ("ballots", 50, 500)


@pytest.mark.parametrize(("text", "hours"), [("24h", 24), ("7d", 168), ("2w", 336), (" 3D ", 72)])
def test_parse_span(text: str, hours: int) -> None:
    assert parse_span(text).total_seconds() == hours * 3600


@pytest.mark.parametrize("text", ["", "7", "0d", "1y", "400d", "-1d"])
def test_parse_span_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_span(text)


def test_period_days() -> None:
    from datetime import UTC, datetime, timedelta

    period = Period.ending(datetime(2026, 11, 20, 0, 0, tzinfo=UTC), timedelta(days=2))
    assert [d.isoformat() for d in period.days()] == ["2026-11-18", "2026-11-19"]
    assert period.previous_start == datetime(2026, 11, 16, tzinfo=UTC)

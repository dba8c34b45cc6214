"""The trends report on a seeded history (conftest.seed), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from reports_seed import (
    LONE_REPEATER,
    OPEN_CLAIM,
    PRIVATE_TEXT,
    REPEATED_UNANSWERED,
    SPIKE_MS,
    SPIKE_TH,
    WITHHELD_CLAIM,
    FakeKnowledge,
    Seeded,
)

from bot.reports.privacy import MIN_COUNT
from bot.reports.trends import build_trends
from bot.reports.trends_format import render_json, render_text


def test_counts_per_language_and_decision(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    assert report.total == 30
    assert report.previous_total == 10
    assert {lang: sum(c) for lang, c in report.per_day_language.items()} == {
        "en": 11,
        "ms": 8,
        "th": 11,
    }
    assert report.decisions == {"answer": 10, "clarify": 1, "escalate": 19}
    assert {d: sum(c) for d, c in report.per_day_decision.items()} == report.decisions
    assert len(report.days) == 8  # a 7-day window from noon to noon touches 8 calendar days
    # The 6 Thai spike questions were asked 2-7 hours before noon on the last day.
    assert report.per_day_language["th"][-1] == 6


def test_answer_rate(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    rate = build_trends(seeded.database, knowledge, now=seeded.now).answer_rate
    assert rate["answered"] == 10 / 30
    assert rate["clarified"] == 1 / 30
    assert rate["escalated"] == 19 / 30


def test_most_asked_and_rising_entries(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    top = [(e.entry_id, e.current, e.previous) for e in report.top_entries]
    assert top == [
        ("th-claim-fake-ballots", 5, 1),
        ("my-ge15-dates", 3, 3),
        ("en-count", 2, 0),
    ]
    assert report.top_entries[0].text == "Fake ballots are circulating"
    # my-ge15-dates did not rise (3 -> 3); the question from 20 days ago counts in neither period.
    # en-count rose (0 -> 2) but is election information, not a rumour: rising lists claims.
    assert [e.entry_id for e in report.rising_entries] == ["th-claim-fake-ballots"]


def test_open_tickets_by_askers_with_privacy(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    assert report.open_tickets_count == 2
    assert report.new_tickets == 2  # the 1-day-old and the 3-day-old (answered) ticket
    tickets = [(t.askers, t.new_askers, t.claim) for t in report.open_tickets]
    assert tickets == [(5, 3, OPEN_CLAIM), (1, 1, None)]  # 1 asker < MIN_COUNT: withheld
    text = render_text(report)
    assert OPEN_CLAIM in text
    assert WITHHELD_CLAIM not in text
    assert "Answered long ago" not in text  # not open


def test_unanswered_questions_need_min_count_distinct_askers(
    seeded: Seeded, knowledge: FakeKnowledge
) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    shown = {u.text: (u.questions, u.askers) for u in report.unanswered}
    assert shown == {SPIKE_TH: (6, 6), SPIKE_MS: (4, 4), REPEATED_UNANSWERED: (3, 3)}
    assert all(u.askers >= MIN_COUNT for u in report.unanswered)
    # One voter asking five times is still one voter; one voter's private message never shows.
    everything = render_text(report) + render_json(report)
    assert LONE_REPEATER not in everything
    assert PRIVATE_TEXT not in everything
    for word in ("somchai", "secretname", "0812345678", "headman"):
        assert word not in everything.lower()


def test_feedback_per_entry_worst_first(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    rows = [(f.entry_id, f.helpful, f.not_helpful) for f in report.feedback]
    assert rows == [("en-count", 1, 3), ("my-ge15-dates", 4, 0)]
    assert report.feedback[0].not_helpful_share == 0.75


def test_rising_keywords_find_the_spiking_rumour(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    by_language = {k.language: k for k in report.keywords}
    thai = {t.term: (t.previous, t.current) for t in by_language["th"].words}
    # "บัตรเลือกตั้ง ปลอม" (fake ballots): 1 question the week before, 11 this week.
    assert thai["บัตรเลือกตั้ง"] == (1, 11)
    assert thai["ปลอม"] == (1, 11)
    assert thai["เชียงใหม่"] == (0, 6)
    assert "จริง" not in thai and "ไหม" not in thai and "ครับ" not in thai  # stop words
    # Counting (นับคะแนน) was asked the week before, not this week: it did not rise.
    assert "คะแนน" not in thai
    thai_phrases = {t.term for t in by_language["th"].phrases}
    assert "บัตรเลือกตั้ง ปลอม" in thai_phrases
    malay = {t.term for t in by_language["ms"].words}
    assert {"spr", "tangguh", "pengundian", "sabah"} <= malay
    assert "betul" not in malay and "ke" not in malay
    assert "pengundian awal" in {t.term for t in by_language["ms"].phrases}
    english = {t.term for t in by_language["en"].words}
    assert "recounted" in english
    assert "turnout" not in english  # asked the week before only


def test_language_filter(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, language="ms", now=seeded.now)
    assert report.total == 8 and report.previous_total == 3
    assert list(report.per_day_language) == ["ms"]
    assert report.decisions == {"answer": 3, "clarify": 1, "escalate": 4}
    assert [e.entry_id for e in report.top_entries] == ["my-ge15-dates"]
    assert report.top_entries[0].text == "Bila PRU15 diadakan?"  # in the filtered language
    assert [k.language for k in report.keywords] == ["ms"]
    assert [u.text for u in report.unanswered] == [SPIKE_MS]
    assert report.open_tickets == [] and report.open_tickets_count == 0  # tickets are en/th
    assert report.feedback == []  # seeded feedback has no question, so no language


def test_shorter_span_and_empty_database(database, knowledge: FakeKnowledge) -> None:  # type: ignore[no-untyped-def]
    from reports_seed import NOW, seed

    empty = build_trends(database, knowledge, now=NOW)
    assert empty.total == 0 and empty.answer_rate["answered"] == 0.0
    assert empty.top_entries == [] and all(not k.words for k in empty.keywords)
    render_text(empty)
    seed(database)
    day = build_trends(database, knowledge, span=timedelta(days=1), now=NOW)
    # In the last 24 h: 6 Thai spike questions, 2 th-claim answers (1 day ago, at i=0 and 3),
    # PRIVATE_TEXT (1 day ago).
    assert day.total == 6 + 2 + 1
    assert day.days == ["2026-11-19", "2026-11-20"]


def test_json_is_complete_and_identifies_nobody(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    from reports_seed import CHAT_IDS, TELEGRAM_IDS

    data = json.loads(render_json(build_trends(seeded.database, knowledge, now=seeded.now)))
    assert data["questions"] == {"total": 30, "previous_total": 10}
    assert data["answer_rate"]["answered"] == round(10 / 30, 4)
    assert data["min_count"] == MIN_COUNT
    flat = json.dumps(data)
    for key in ("voter", "chat_id", "telegram", "user_id"):
        assert key not in flat
    for identifier in TELEGRAM_IDS + CHAT_IDS:
        assert str(identifier) not in flat

"""Trends count what happened (issue #15): a pick from a list counts as that entry, and a
question counts in the language it was written in, not the language of the reply. Voters go
through the conversation core; the report is the one fact-checkers read (bot.reports)."""

from __future__ import annotations

from bot.core.callbacks import entry_hash, parse
from bot.reports.trends import build_trends
from bot.storage.models import Question


def picked_entry_id(chat, index: int, kb) -> str:
    button = [b for b in chat.buttons() if (b.data or "").startswith("p:")][index]
    parsed = parse(button.data or "")
    assert parsed is not None
    (entry,) = [e for e in kb.published() if entry_hash(e.id) == parsed.value]
    return entry.id


async def test_a_pick_from_a_list_counts_as_that_entry(services, new_chat, db):
    kb, _ = services.conversation.deps.knowledge.snapshot()
    tapped, typed = new_chat(user_id=31), new_chat(user_id=32)

    await tapped.say("Where do I have to vote?")
    assert tapped.is_clarify()
    first = picked_entry_id(tapped, 0, kb)
    await tapped.press(tapped.buttons()[0])

    await typed.say("Where do I have to vote?")
    second = picked_entry_id(typed, 1, kb)
    await typed.say("the second one")

    assert sorted(q.entry_id for q in db.rows(Question)) == sorted([first, second])
    assert {q.decision for q in db.rows(Question)} == {"clarify"}  # still a clarified question
    assert services.database is not None
    report = build_trends(services.database, kb)
    counted = {e.entry_id: e.current for e in report.top_entries}
    assert counted.get(first, 0) + counted.get(second, 0) == 2


async def test_an_unanswered_list_counts_as_no_entry(chat, db):
    await chat.say("Where do I have to vote?")
    assert chat.is_clarify()
    (question,) = db.rows(Question)
    assert question.entry_id is None


async def test_the_language_counted_is_the_messages_not_the_replys(services, chat, db):
    await chat.say("/language th")
    card = await chat.card("Can I vote by SMS or online?", "SMS")
    assert "ไม่จริง" in card.text  # answered in Thai, as chosen ...
    (question,) = db.rows(Question)
    assert question.language == "en"  # ... but asked in English
    kb, _ = services.conversation.deps.knowledge.snapshot()
    assert services.database is not None
    report = build_trends(services.database, kb)
    assert {lang: sum(days) for lang, days in report.per_day_language.items()} == {"en": 1}

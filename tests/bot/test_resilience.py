"""A failing database, matcher or intent classifier degrades the conversation, never ends it,
and never loses a question that was meant for fact-checkers."""

from __future__ import annotations

import json
import shutil

from sqlalchemy import text

from bot.core import Incoming, Spool
from bot.storage.models import Ticket, TicketSubscriber
from bot.texts import t

CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"


def break_tickets(services) -> None:
    """A real database failure: the tickets table is gone (as after a bad migration)."""
    with services.database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE tickets RENAME TO tickets_away"))


def repair_tickets(services) -> None:
    with services.database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE tickets_away RENAME TO tickets"))


async def test_escalation_is_spooled_while_the_database_fails_and_replayed_later(
    services, chat, db, tmp_path
):
    break_tickets(services)
    replies = await chat.say(CLAIM)
    assert replies[0].text == t("en", "escalated_spooled")
    spooled = [json.loads(line) for line in (tmp_path / "spool.jsonl").read_text().splitlines()]
    assert [(s["user_id"], s["text"], s["language"]) for s in spooled] == [(1001, CLAIM, "en")]

    # A restart while the database is still down keeps the spooled question.
    assert len(Spool(tmp_path / "spool.jsonl")) == 1

    assert await services.retry_spool() == 0  # still down: nothing lost
    repair_tickets(services)
    assert await services.retry_spool() == 1
    (ticket,) = db.rows(Ticket)
    assert ticket.claim_text == CLAIM and db.count(TicketSubscriber) == 1
    assert len(services.spool) == 0
    assert (tmp_path / "spool.jsonl").read_text() == ""


async def test_the_next_successful_escalation_replays_the_spool(services, chat, new_chat, db):
    break_tickets(services)
    await chat.say(CLAIM)
    repair_tickets(services)
    other = new_chat(user_id=2002)
    await other.say("The governor bought ten thousand ballot boxes with campaign money")
    await services.conversation.aclose()  # wait for the background replay
    assert db.count(Ticket) == 2 and len(services.spool) == 0


async def test_a_database_that_never_worked(make_services, tmp_path):
    services = make_services(database_url=f"sqlite:///{tmp_path}")  # a directory: unusable
    conversation = services.conversation
    replies = await conversation.handle(Incoming.from_text(1, 1, "/start", language_code="th"))
    assert "สวัสดี" in replies[0].text
    replies = await conversation.handle(Incoming.from_text(1, 1, "ส่ง SMS เพื่อเลือกตั้งได้ไหม"))
    assert replies[0].text.startswith("<b>") or "ไม่ใช่ทั้งหมด" in str(replies[0].buttons)
    replies = await conversation.handle(Incoming.from_text(1, 1, "/language ms"))
    assert replies[0].text == t("ms", "language_set")
    replies = await conversation.handle(Incoming.from_text(1, 1, CLAIM))
    assert replies[0].text == t("ms", "escalated_spooled")
    assert len(services.spool) == 1
    replies = await conversation.handle(Incoming.from_text(1, 1, "/forget"))
    replies = await conversation.handle(Incoming(1, 1, callback_data="f:y"))
    assert replies[0].text == t("ms", "forget_failed")


async def test_a_failing_matcher_sends_questions_to_fact_checkers(services, chat, db, monkeypatch):
    _, matcher = services.knowledge.snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(matcher, "match", broken)
    replies = await chat.say("Can I vote by SMS or online?")
    assert replies[0].text == t("en", "escalated_new")
    assert db.count(Ticket) == 1
    replies = await chat.say("hi")
    assert replies[0].text == t("en", "greet")  # small talk still works, and is not escalated
    assert db.count(Ticket) == 1


async def test_a_failing_intent_service_still_answers(services, chat):
    class Broken:
        async def parse(self, text: str):
            raise RuntimeError("classifier gone")

    services.conversation.deps.intents = Broken()
    card = await chat.card("Can I vote by SMS or online?", "SMS")
    assert card.text.startswith("<b>❌ FALSE</b>")


async def test_a_crashing_handler_keeps_the_question(services, chat, monkeypatch):
    from bot.core.handlers import question

    async def crash(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(question, "handle", crash)
    replies = await chat.say(CLAIM)
    assert replies[0].text == t("en", "escalated_spooled")
    assert [s.text for s in services.spool.pending()] == [CLAIM]
    replies = await chat.say("hi")
    assert replies[0].text == t("en", "error")  # nothing worth keeping: just an apology


async def test_forget_also_clears_the_spool(services, chat):
    break_tickets(services)
    await chat.say(CLAIM)
    repair_tickets(services)
    assert len(services.spool) == 1
    await chat.say("/forget")
    await chat.press("Yes, delete my data")
    assert len(services.spool) == 0


async def test_a_knowledge_reload_swaps_knowledge_and_matcher_together(
    make_services, chat_on, kb_small, tmp_path
):
    kb = tmp_path / "kb"
    shutil.copytree(kb_small, kb)
    services = make_services(knowledge_dir=kb)
    old_kb, old_matcher = services.knowledge.snapshot()
    (kb / "new.yml").write_text(
        "id: new-ink-finger\nkind: claim\nverdict: false\n"
        "text: {en: 'The ink on your finger after voting contains a tracking chip'}\n"
        "answer: {en: 'False. It is ordinary indelible ink.'}\n"
        "sources: [{url: 'https://www.spr.gov.my/'}]\n",
        encoding="utf-8",
    )
    assert await services.reload_knowledge()
    new_kb, new_matcher = services.knowledge.snapshot()
    assert new_kb is not old_kb and new_matcher is not old_matcher
    assert "new-ink-finger" in new_matcher.entries
    chat = chat_on(services)
    card = await chat.card("The ink on your finger after voting contains a tracking chip", "ink")
    assert "ordinary indelible ink" in card.text

    # A broken edit is refused; the last good knowledge keeps serving.
    (kb / "broken.yml").write_text("entries: [{id: BAD ID}]\n", encoding="utf-8")
    assert not await services.reload_knowledge()
    assert services.knowledge.snapshot() == (new_kb, new_matcher)


async def test_a_message_with_a_lone_surrogate_and_nul_is_stored_and_escalated(
    services, chat, db
):
    replies = await chat.say("Soldiers \ud800 will guard\x00 every ballot box and arrest voters")
    assert replies[0].text == t("en", "escalated_new")
    (ticket,) = db.rows(Ticket)
    assert ticket.claim_text == "Soldiers \ufffd will guard every ballot box and arrest voters"
    assert len(services.spool) == 0

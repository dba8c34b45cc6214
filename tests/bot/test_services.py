"""The composition root: background work starts and stops cleanly; old questions are purged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.core import Incoming
from bot.storage.models import OutboxMessage, Question


async def test_start_and_close(make_services):
    services = make_services()
    await services.start(watch=True)
    await asyncio.sleep(0.05)
    replies = await services.conversation.handle(Incoming.from_text(1, 1, "/help"))
    assert replies
    await services.aclose()
    assert services._tasks == []


async def test_old_questions_are_purged(services, chat, db):
    await chat.say("Can I vote by SMS or online?")
    await chat.say("boleh undi guna sms ke?")
    old = datetime.now(UTC) - timedelta(days=181)
    with services.database.session() as session:
        first = min(q.id for q in session.query(Question))
        session.execute(update(Question).where(Question.id == first).values(created_at=old))
    assert await services.purge_old_questions() == 1
    assert db.count(Question) == 1


async def test_delivered_notifications_are_purged_with_the_questions(make_services, db):
    """Delivered outbox rows quote the voter's question: the purge loop the bot runs removes
    them after QUESTION_RETENTION_DAYS too, and leaves what is still to be sent."""
    services = make_services(question_retention_days=30)
    old = datetime.now(UTC) - timedelta(days=31)
    with services.database.session() as session:
        for n, (status, created) in enumerate(
            [("sent", old), ("failed", old), ("sent", datetime.now(UTC)), ("pending", old)]
        ):
            session.add(OutboxMessage(
                chat_id=n, dedupe_key=f"k{n}", payload={"text": "You asked: ..."},
                status=status, created_at=created,
            ))
    await services.start(watch=False, purge=True)  # the purge runs once at start, then 6-hourly
    try:
        for _ in range(100):
            if db.count(OutboxMessage) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await services.aclose()
    with services.database.session() as session:
        left = sorted((row.status, row.chat_id) for row in session.query(OutboxMessage))
    assert left == [("pending", 3), ("sent", 2)]


def test_ticket_hold_comes_from_the_settings(make_services):
    """TICKET_HOLD_SECONDS reaches the ticket service: an organisation whose voters answer slowly
    can hold new questions longer before they join the checkers' queue."""
    assert make_services().escalation.tickets.hold_seconds == 300.0
    assert make_services(ticket_hold_seconds=45).escalation.tickets.hold_seconds == 45.0

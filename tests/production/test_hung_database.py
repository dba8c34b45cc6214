"""A database that hangs (a PostgreSQL server stopped with SIGSTOP: it accepts connections and
never answers) must not stop the replies: voters are answered from the knowledge, and what is
meant for fact-checkers is spooled and delivered once the database answers again.

The server is the test's own (tests/support/throwaway_postgres.py), so freezing it disturbs
nobody. The bound on each reply below is a liveness check, not a speed measurement: without
the database guard (bot/storage/guard.py) the replies never come at all.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from bot.core import Incoming
from bot.storage.models import TicketSubscriber
from bot.texts import t

pytestmark = pytest.mark.postgres

#: The knowledge (tests/data/kb-small) answers these.
KNOWN = [
    "You can vote by SMS or online",
    "The pens at polling stations use erasable ink, so bring your own pen",
    "Malaysians aged 18 are registered as voters automatically",
    "What time do polling stations open and close in Malaysia?",
    "How do I apply for a postal vote in Malaysia?",
]
#: Claims it does not know: they go to fact-checkers.
UNKNOWN = [
    "Soldiers will guard every ballot box in Kedah and arrest opposition voters",
    "The election commission secretly printed two million extra ballots in Johor",
    "Voters in Penang must show a vaccination certificate at the polling station",
    "Ballot boxes in Songkhla were swapped overnight by the army",
    "Anyone who votes for the opposition in Sabah loses their state pension",
]
#: Generous on a loaded machine; a hung database without the guard never replies at all.
LIVENESS_SECONDS = 20


def from_knowledge(replies: list) -> bool:
    """Answered from the knowledge: its card, or the "which one do you mean?" list of entries
    (which of the two is the matcher's calibration, knowledge/thresholds.py)."""
    first = replies[0]
    offers = [b for row in first.buttons for b in row if (b.data or "").startswith("p:")]
    return first.text.startswith("<b>") or bool(offers)


async def test_a_hung_database_does_not_stop_replies_and_loses_nothing(
    throwaway_postgres, make_services
):
    server = throwaway_postgres
    services = make_services(server.url, database_timeout_seconds=1.0)
    await services.start(watch=False, purge=True)
    try:
        conversation = services.conversation
        # Warm: the pool holds open connections, which the freeze then leaves hanging too.
        replies = await conversation.handle(Incoming.from_text(1, 1, KNOWN[0]))
        assert from_knowledge(replies), replies[0].text

        server.freeze()
        voters = list(enumerate(KNOWN + UNKNOWN, start=100))

        async def ask(user_id: int, text: str) -> tuple[list, float]:
            started = time.monotonic()
            replies = await asyncio.wait_for(
                conversation.handle(Incoming.from_text(user_id, user_id, text)), LIVENESS_SECONDS
            )
            return replies, time.monotonic() - started

        results = await asyncio.gather(*(ask(user_id, text) for user_id, text in voters))
        slowest = max(seconds for _, seconds in results)
        print(f"slowest reply with the database frozen: {slowest:.2f} s")
        for (_, text), (replies, _) in zip(voters, results, strict=True):
            if text in KNOWN:
                assert from_knowledge(replies), (text, replies[0].text)
            else:
                assert replies[0].text == t("en", "escalated_spooled"), (text, replies[0].text)
        assert sorted(item.text for item in services.spool.pending()) == sorted(UNKNOWN)

        server.thaw()
        deadline = time.monotonic() + 30
        while len(services.spool) and time.monotonic() < deadline:
            await asyncio.sleep(services.conversation.deps.guard.cooldown)
            await services.retry_spool()  # stops at the first failure, keeps the rest
        assert len(services.spool) == 0
        assert services.database is not None
        with services.database.session() as session:
            waiting = session.scalar(select(func.count()).select_from(TicketSubscriber))
        assert waiting == len(UNKNOWN)
    finally:
        server.thaw()
        await services.aclose()


async def test_a_stopped_database_then_restarted_loses_nothing(throwaway_postgres, make_services):
    """The other fault, for comparison: the server stopped (connections refused) is answered
    the same way, fast, and what was spooled reaches the tickets once it is back."""
    server = throwaway_postgres
    services = make_services(server.url)
    try:
        conversation = services.conversation
        replies = await conversation.handle(Incoming.from_text(1, 1, KNOWN[1]))
        assert from_knowledge(replies), replies[0].text
        server.stop()
        replies = await asyncio.wait_for(
            conversation.handle(Incoming.from_text(2, 2, KNOWN[2])), LIVENESS_SECONDS
        )
        assert from_knowledge(replies), replies[0].text
        replies = await asyncio.wait_for(
            conversation.handle(Incoming.from_text(3, 3, UNKNOWN[0])), LIVENESS_SECONDS
        )
        assert replies[0].text == t("en", "escalated_spooled")
        server.start()
        assert await services.retry_spool() == 1
        assert services.database is not None
        with services.database.session() as session:
            assert session.scalar(select(func.count()).select_from(TicketSubscriber)) == 1
    finally:
        await services.aclose()

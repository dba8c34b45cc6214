"""Two `BOT_ROLE=all` processes on one PostgreSQL: each new ticket's card reaches the checkers'
group once (the process holding the announce lock posts), and when that process dies the other
takes over."""

from __future__ import annotations

import pytest

from bot.escalation.checkers_desk import CheckersDesk
from bot.escalation.ticket_rows import PlainTicketStore
from bot.storage import Database
from bot.storage.database import ANNOUNCE_LOCK, ProcessLock
from bot.telegram.desk_and_notifications import TicketAnnouncer


def ask(database: Database, user_id: int, text: str) -> int:
    return PlainTicketStore(database).escalate(
        user_id=user_id, chat_id=user_id, text=text, language="en"
    ).ticket_id


def test_each_ticket_card_is_posted_by_one_process(database: Database, service) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("one process per SQLite database: nothing to share")
    other_db = Database(database.url)  # the second process's own connections
    try:
        first = TicketAnnouncer(service, CheckersDesk(service),
                                lock=ProcessLock(database, ANNOUNCE_LOCK))
        second = TicketAnnouncer(service, CheckersDesk(service),
                                 lock=ProcessLock(other_db, ANNOUNCE_LOCK))
        assert first.poll() == [] and second.poll() == []  # the start: nothing new yet
        ticket = ask(database, 1, "The army will count the ballots in Yala this year")
        cards = first.poll() + second.poll()
        assert len(cards) == 1 and f"Ticket #{ticket}" in cards[0].text

        first.lock.release()  # the first process dies: its connection, and the lock, go
        assert second.poll() == []  # takes over, from what is open now
        later = ask(database, 2, "Voters over 70 may vote by telephone in Pattani")
        cards = first.poll() + second.poll()
        assert len(cards) == 1 and f"Ticket #{later}" in cards[0].text
        second.lock.release()
    finally:
        other_db.dispose()

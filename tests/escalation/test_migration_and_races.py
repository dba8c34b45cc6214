"""Migration 0002 on a database that 0001 already filled, and many voters sending the same
rumour in the same instant (threads against a real database, on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.escalation.tickets import TicketService
from bot.storage import Database
from bot.storage.database import MIGRATIONS
from bot.storage.models import Base


def _upgrade(database: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_upgrade_merges_open_tickets_that_share_a_claim(database: Database) -> None:
    with database.engine.begin() as conn:  # back to an empty database, then only 0001
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    _upgrade(database, "0001")
    now = datetime.now(UTC).isoformat(" ")
    with database.engine.begin() as conn:
        for vid in (1, 2, 3):
            conn.execute(text(
                "INSERT INTO voters (id, telegram_id, chat_id, created_at, updated_at) "
                "VALUES (:i, :i, :i, :n, :n)"), {"i": vid, "n": now})
        for tid, askers in ((1, 2), (2, 2)):
            conn.execute(text(
                "INSERT INTO tickets (id, claim_text, claim_key, language, status, askers, "
                "created_at, updated_at) VALUES (:t, 'Same claim', 'same claim', 'en', 'open', "
                ":a, :n, :n)"), {"t": tid, "a": askers, "n": now})
        for tid, vid in ((1, 1), (1, 2), (2, 2), (2, 3)):
            conn.execute(text(
                "INSERT INTO ticket_subscribers (ticket_id, voter_id, language, created_at) "
                "VALUES (:t, :v, 'en', :n)"), {"t": tid, "v": vid, "n": now})
    database.migrate()
    with database.engine.begin() as conn:
        tickets = conn.execute(text(
            "SELECT id, status, askers, duplicate_of FROM tickets ORDER BY id")).all()
        waiting = conn.execute(text(
            "SELECT ticket_id, voter_id FROM ticket_subscribers ORDER BY voter_id")).all()
    assert [tuple(t) for t in tickets] == [(1, "open", 3, None), (2, "duplicate", 2, 1)]
    assert [tuple(w) for w in waiting] == [(1, 1), (1, 2), (1, 3)]


def test_a_rumour_arriving_from_many_voters_at_once_opens_one_ticket(database: Database) -> None:
    service = TicketService(database)
    voters = 24
    barrier = threading.Barrier(voters)
    receipts = []
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        barrier.wait()
        try:
            receipts.append(service.escalate_or_join(n + 1, n + 1, "Polls moved to Monday!", "en"))
            # the same voter tapping twice counts once
            receipts.append(service.escalate_or_join(n + 1, n + 1, "polls moved to monday", "en"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(voters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(Counter(r.ticket_id for r in receipts)) == 1
    [ticket] = service.list_open()
    assert ticket.askers == voters


def test_a_voter_joining_while_the_answer_commits_still_gets_it(database: Database) -> None:
    """The answer transaction holds the ticket while a voter joins: the voter waits, sees the
    ticket answered, and is sent the answer instead of waiting on a closed ticket forever."""
    from sqlalchemy import func, select

    from bot.escalation.ticket_rows import PlainTicketStore
    from bot.storage.models import Answer, OutboxMessage, Ticket

    repo = PlainTicketStore(database)
    first = repo.escalate(user_id=1, chat_id=10, text="Ballots will be burned", language="en")
    service = TicketService(database)
    result: list[object] = []

    connection = database.engine.connect()
    tx = connection.begin()
    # What TicketService.answer does first: lock the ticket (on SQLite: take the write lock).
    connection.execute(text("UPDATE tickets SET updated_at = updated_at WHERE id = :t"),
                       {"t": first.ticket_id})
    joiner = threading.Thread(target=lambda: result.append(
        service.escalate_or_join(2, 20, "ballots will be burned!", "en")
    ))
    joiner.start()
    joiner.join(timeout=1.0)
    assert joiner.is_alive()  # waiting for the answer's transaction
    connection.execute(text("UPDATE tickets SET status = 'answered' WHERE id = :t"),
                       {"t": first.ticket_id})
    connection.execute(
        Answer.__table__.insert().values(
            ticket_id=first.ticket_id, verdict="false", explanation={"en": "No."},
            sources={"sources": [{"url": "https://example.org/"}]}, checker_id=1,
            created_at=datetime.now(UTC),
        )
    )
    tx.commit()
    connection.close()
    joiner.join(timeout=30)
    [receipt] = result
    assert (receipt.ticket_id, receipt.via) == (first.ticket_id, "answered")  # type: ignore[attr-defined]
    with database.session() as session:
        assert session.get(Ticket, first.ticket_id).askers == 2
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_upgrade_to_the_ticket_hold_keeps_tickets_queued_and_one_open_ticket_per_claim(
    database: Database,
) -> None:
    """0003 adds `tickets.held_until` to a database 0002 filled: existing tickets are not held,
    and the one-open-ticket-per-claim index survives the table change (SQLite batch mode)."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    _upgrade(database, "0002")
    now = datetime.now(UTC).isoformat(" ")
    insert = text(
        "INSERT INTO tickets (claim_text, claim_key, language, status, askers, created_at, "
        "updated_at) VALUES ('Same claim', 'same claim', 'en', 'open', 1, :n, :n)"
    )
    with database.engine.begin() as conn:
        conn.execute(insert, {"n": now})
    database.migrate()
    with database.engine.begin() as conn:
        assert conn.execute(text("SELECT held_until FROM tickets")).all() == [(None,)]
    assert [t.claim_text for t in TicketService(database).list_open()] == ["Same claim"]
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert, {"n": now})


def test_a_voter_choosing_a_ticket_while_its_answer_commits_still_gets_it(
    database: Database,
) -> None:
    """A voter taps "yes, this one" while a checker's answer to that ticket is committing: the
    tap waits for it, sees the ticket answered, and the voter is sent the answer."""
    from sqlalchemy import func, select

    from bot.storage.models import Answer, OutboxMessage, Ticket

    service = TicketService(database)
    first = service.escalate_or_join(1, 10, "Ballots will be burned after counting", "en")
    own = service.escalate_or_join(2, 20, "They burn the ballots after the count", "en")
    result: list[object] = []

    connection = database.engine.connect()
    tx = connection.begin()
    connection.execute(text("UPDATE tickets SET updated_at = updated_at WHERE id = :t"),
                       {"t": first.ticket_id})
    chooser = threading.Thread(target=lambda: result.append(
        service.choose_ticket(2, own.ticket_id, first.ticket_id)
    ))
    chooser.start()
    chooser.join(timeout=1.0)
    assert chooser.is_alive()  # waiting for the answer's transaction
    connection.execute(text("UPDATE tickets SET status = 'answered' WHERE id = :t"),
                       {"t": first.ticket_id})
    connection.execute(
        Answer.__table__.insert().values(
            ticket_id=first.ticket_id, verdict="false", explanation={"en": "No."},
            sources={"sources": [{"url": "https://example.org/"}]}, checker_id=1,
            created_at=datetime.now(UTC),
        )
    )
    tx.commit()
    connection.close()
    chooser.join(timeout=30)
    [receipt] = result
    assert (receipt.outcome, receipt.ticket_id) == ("answered", first.ticket_id)  # type: ignore[attr-defined]
    with database.session() as session:
        assert session.get(Ticket, own.ticket_id).status == "duplicate"
        assert session.scalars(select(OutboxMessage.chat_id)).all() == [20]
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

"""The repository on a real database: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.escalation.ticket_rows import PlainTicketStore
from bot.storage import Database
from bot.storage.models import Question, Ticket, TicketSubscriber
from bot.storage.repository import claim_key


def test_migrations_are_idempotent(database: Database) -> None:
    database.migrate()  # a second start must not fail or recreate anything
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_voter_languages_are_kept(database: Database) -> None:
    repo = PlainTicketStore(database)
    assert repo.get_voter(7) is None
    repo.set_last_language(7, 70, "ms")
    repo.set_chosen_language(7, 70, "th")
    voter = repo.get_voter(7)
    assert voter is not None
    assert (voter.chosen_language, voter.last_language) == ("th", "ms")


def test_same_claim_joins_the_open_ticket_and_counts_askers_once(database: Database) -> None:
    repo = PlainTicketStore(database)
    first = repo.escalate(user_id=1, chat_id=1, text="Advance voting is CANCELLED!!", language="en")
    second = repo.escalate(user_id=2, chat_id=2, text="advance voting is cancelled", language="ms")
    again = repo.escalate(user_id=2, chat_id=2, text="advance  voting is cancelled.", language="ms")
    other = repo.escalate(user_id=3, chat_id=3, text="Polling day moved to Sunday", language="en")
    assert not first.joined_existing and first.askers == 1
    assert second.joined_existing and second.ticket_id == first.ticket_id and second.askers == 2
    assert again.askers == 2  # asking twice does not count twice
    assert other.ticket_id != first.ticket_id and not other.joined_existing
    with database.session() as session:
        langs = session.scalars(
            select(TicketSubscriber.language).where(TicketSubscriber.ticket_id == first.ticket_id)
        ).all()
    assert sorted(langs) == ["en", "ms"]


def test_forget_deletes_the_voter_and_their_words_in_tickets(database: Database) -> None:
    repo = PlainTicketStore(database)
    qid = repo.record_question(
        user_id=5,
        chat_id=5,
        text="is it true?",
        language="en",
        intent="check_claim",
        decision="escalate",
        entry_id=None,
        score=0.2,
    )
    repo.record_feedback(user_id=5, entry_id="x", helpful=False, question_id=qid)
    receipt = repo.escalate(user_id=5, chat_id=5, text="a rumour", language="en", question_id=qid)
    # question, feedback, subscription, the ticket's copy of their words, voter
    assert repo.forget_voter(5) == 5
    assert repo.get_voter(5) is None
    with database.session() as session:
        ticket = session.get(Ticket, receipt.ticket_id)
        # Nobody else asked and no checker worded it: nothing is left to check, so it is closed.
        assert ticket is not None and (ticket.claim_text, ticket.opened_by) == ("", None)
        assert "rumour" not in ticket.claim_key and ticket.status == "rejected"
        assert ticket.resolution is not None and ticket.resolution.startswith("withdrawn")
        assert session.scalar(select(func.count()).select_from(TicketSubscriber)) == 0
        assert session.scalar(select(func.count()).select_from(Question)) == 0
    assert repo.forget_voter(5) == 0


def test_old_questions_are_purged(database: Database) -> None:
    repo = PlainTicketStore(database)
    for _ in range(3):
        repo.record_question(
            user_id=9,
            chat_id=9,
            text="q",
            language="th",
            intent=None,
            decision="answer",
            entry_id="e",
            score=0.9,
        )
    assert repo.purge_questions(30) == 0
    assert repo.purge_questions(30, now=datetime.now(UTC) + timedelta(days=31)) == 3


def test_claim_key_ignores_case_punctuation_and_spacing_but_keeps_thai_marks() -> None:
    assert claim_key("Vote  BUYING is legal!!") == claim_key("vote buying is legal")
    assert claim_key("เลือกตั้ง ล่วงหน้า") != claim_key("เลอกตง ลวงหนา")

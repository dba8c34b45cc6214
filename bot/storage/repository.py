"""What the conversation stores and reads, as plain methods over the database.

The methods are synchronous (SQLAlchemy sessions); async callers run them with asyncio.to_thread.
Each call is one short transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.storage.database import Database
from bot.storage.models import Feedback, Question, Ticket, TicketSubscriber, Voter

OPEN_STATUSES = ("open", "taken")


@dataclass(frozen=True)
class VoterRecord:
    user_id: int
    chosen_language: str | None
    last_language: str | None


@dataclass(frozen=True)
class EscalationReceipt:
    ticket_id: int
    joined_existing: bool
    askers: int


def claim_key(text: str) -> str:
    """A key under which the same claim, pasted again, finds its open ticket.

    Case, punctuation, spacing and invisible characters differ between copies of one forwarded
    rumour; the words do not. (Matching reworded or translated claims to tickets is the matcher's
    job; this catches the copy-paste flood cheaply.)
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    # Letters, digits, marks (Thai vowels and tone marks are marks) and spaces; nothing else.
    text = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()[:500]


class Repository:
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- voters ------------------------------------------------------------------------------
    def _voter(self, session: Session, user_id: int, chat_id: int | None = None) -> Voter:
        voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
        if voter is None:
            voter = Voter(telegram_id=user_id, chat_id=chat_id if chat_id is not None else user_id)
            session.add(voter)
            session.flush()
        elif chat_id is not None and voter.chat_id != chat_id:
            voter.chat_id = chat_id
        return voter

    def get_voter(self, user_id: int) -> VoterRecord | None:
        with self.db.session() as session:
            voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
            if voter is None:
                return None
            return VoterRecord(voter.telegram_id, voter.chosen_language, voter.last_language)

    def set_chosen_language(self, user_id: int, chat_id: int, language: str | None) -> None:
        with self.db.session() as session:
            self._voter(session, user_id, chat_id).chosen_language = language

    def set_last_language(self, user_id: int, chat_id: int, language: str) -> None:
        with self.db.session() as session:
            self._voter(session, user_id, chat_id).last_language = language

    # -- questions and feedback --------------------------------------------------------------
    def record_question(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        intent: str | None,
        decision: str,
        entry_id: str | None,
        score: float | None,
    ) -> int:
        with self.db.session() as session:
            voter = self._voter(session, user_id, chat_id)
            question = Question(
                voter_id=voter.id, text=text, language=language, intent=intent,
                decision=decision, entry_id=entry_id, score=score,
            )
            session.add(question)
            session.flush()
            return question.id

    def record_feedback(
        self, *, user_id: int, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        with self.db.session() as session:
            voter = self._voter(session, user_id)
            session.add(
                Feedback(voter_id=voter.id, entry_id=entry_id, helpful=helpful, question_id=question_id)
            )

    def purge_questions(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete stored questions past the retention period; returns how many went."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        with self.db.session() as session:
            result = session.execute(delete(Question).where(Question.created_at < cutoff))
            return result.rowcount or 0

    # -- escalation --------------------------------------------------------------------------
    def escalate(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
    ) -> EscalationReceipt:
        """Open a ticket for the claim, or join the open ticket that already holds it."""
        key = claim_key(text) or text[:500]
        with self.db.session() as session:
            voter = self._voter(session, user_id, chat_id)
            ticket = session.scalar(
                select(Ticket)
                .where(Ticket.claim_key == key, Ticket.status.in_(OPEN_STATUSES))
                .order_by(Ticket.id)
                .limit(1)
            )
            joined = ticket is not None
            if ticket is None:
                ticket = Ticket(claim_text=text, claim_key=key, language=language, askers=0)
                session.add(ticket)
                session.flush()
            already = session.scalar(
                select(TicketSubscriber).where(
                    TicketSubscriber.ticket_id == ticket.id, TicketSubscriber.voter_id == voter.id
                )
            )
            if already is None:
                session.add(TicketSubscriber(ticket_id=ticket.id, voter_id=voter.id, language=language))
                session.execute(
                    update(Ticket).where(Ticket.id == ticket.id).values(askers=Ticket.askers + 1)
                )
            session.flush()
            session.refresh(ticket)
            return EscalationReceipt(ticket.id, joined, ticket.askers)

    # -- privacy -----------------------------------------------------------------------------
    def forget_voter(self, user_id: int) -> int:
        """Delete the voter and everything they gave us; tickets keep only the claim text.

        Returns the number of the voter's rows deleted (questions, feedback, subscriptions and
        the voter itself), so the caller can tell the voter what went.
        """
        with self.db.session() as session:
            voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
            if voter is None:
                return 0
            counted = 1
            for model in (Question, Feedback, TicketSubscriber):
                result = session.execute(delete(model).where(model.voter_id == voter.id))
                counted += result.rowcount or 0
            session.delete(voter)
            return counted

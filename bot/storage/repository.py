"""What the conversation stores and reads, as plain methods over the database: voters,
questions, feedback, media, /forget, and the read queries over ticket rows (what a voter's
escalation writes to tickets is bot.escalation.ticket_rows: storage keeps rows and queries).

The methods are synchronous (SQLAlchemy sessions); async callers run them with asyncio.to_thread.
Each call is one short transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.core.ports import (
    EscalationReceipt,
    QuestionDecision,
    TicketOffer,
    VoterRecord,
)
from bot.media.records import MediaRecords
from bot.storage.database import Database
from bot.storage.learned import LearnedPhrasings
from bot.storage.models import (
    Feedback,
    OutboxMessage,
    Question,
    Ticket,
    TicketStatus,
    TicketSubscriber,
    Voter,
)

OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.TAKEN)
#: How many `duplicate_of` links are followed before giving up (a cycle would be a bug).
MAX_DUPLICATE_CHAIN = 20
#: Characters of a claim a notification quotes (bot.escalation.notification_text.MAX_QUOTE,
#: which imports this: storage must not import escalation).
QUOTE_CHARS = 300


__all__ = [
    # The receipts are the core's (bot.core.ports); re-exported for the imports that use them.
    "EscalationReceipt", "TicketOffer", "VoterRecord",
    "OPEN_STATUSES", "QUOTE_CHARS", "Repository", "affected", "claim_key",
]


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


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (Session.execute is typed as returning any Result)."""
    return cast(CursorResult[Any], result).rowcount or 0


class Repository(MediaRecords, LearnedPhrasings):
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- voters ------------------------------------------------------------------------------
    def _voter(self, session: Session, user_id: int, chat_id: int | None = None) -> Voter:
        voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
        if voter is None:
            voter = Voter(telegram_id=user_id, chat_id=chat_id if chat_id is not None else user_id)
            session.add(voter)
            session.flush()
        else:
            if chat_id is not None and voter.chat_id != chat_id:
                voter.chat_id = chat_id
            if voter.blocked_at is not None:
                # A voter who writes to the bot has unblocked it: notifications may flow again.
                voter.blocked_at = None
        return voter

    def voter_row(self, session: Session, user_id: int, chat_id: int | None = None) -> Voter:
        """The voter's row in `session`, created on first contact (for services that write
        voter-related rows in their own transaction, e.g. TicketService)."""
        return self._voter(session, user_id, chat_id)

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
        decision: QuestionDecision,
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

    def recall_question(self, *, question_id: int, user_id: int) -> tuple[str, str] | None:
        """The text and language of a question this voter asked, or None (purged, forgotten, or
        somebody else's: a button only ever acts on its own voter's question)."""
        with self.db.session() as session:
            row = session.execute(
                select(Question.text, Question.language)
                .join(Voter, Question.voter_id == Voter.id)
                .where(Question.id == question_id, Voter.telegram_id == user_id)
            ).first()
            return (row.text, row.language) if row is not None else None

    def record_feedback(
        self, *, user_id: int, entry_id: str, helpful: bool, question_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        """One verdict of a voter on an entry they were shown. A second call for the same voter,
        question and entry (the reason, given after "not what I asked") updates that row."""
        with self.db.session() as session:
            voter = self._voter(session, user_id)
            existing = None
            if question_id is not None:
                existing = session.scalars(
                    select(Feedback).where(
                        Feedback.voter_id == voter.id, Feedback.question_id == question_id,
                        Feedback.entry_id == entry_id,
                    ).limit(1)
                ).first()
            if existing is not None:
                existing.helpful = helpful
                existing.reason = reason or existing.reason
                return
            session.add(
                Feedback(
                    voter_id=voter.id, entry_id=entry_id, helpful=helpful,
                    question_id=question_id, reason=reason,
                )
            )

    def record_pick(self, *, question_id: int, user_id: int, entry_id: str) -> None:
        """The entry this voter chose from the list offered for their question (a question
        that was clarified counts as the entry picked; only the voter's own question)."""
        with self.db.session() as session:
            voter_ids = select(Voter.id).where(Voter.telegram_id == user_id).scalar_subquery()
            session.execute(
                update(Question)
                .where(Question.id == question_id, Question.voter_id == voter_ids)
                .values(entry_id=entry_id)
            )

    def rejected_entries(self, question_ids: list[int]) -> list[tuple[int, str, str | None]]:
        """(question id, entry id, reason) for every entry the askers of these questions said
        was not what they asked: what checkers need to know the knowledge already offered."""
        if not question_ids:
            return []
        with self.db.session() as session:
            rows = session.execute(
                select(Feedback.question_id, Feedback.entry_id, Feedback.reason)
                .where(Feedback.question_id.in_(question_ids), Feedback.helpful.is_(False))
                .order_by(Feedback.id)
            )
            return [(int(q), e, r) for q, e, r in rows if q is not None]

    def purge_questions(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete stored questions past the retention period; returns how many went."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        self.purge_media(older_than_days, now)  # the images and links they sent go too
        with self.db.session() as session:
            result = session.execute(delete(Question).where(Question.created_at < cutoff))
            return affected(result)

    # -- ticket queries (what escalation writes with them: bot.escalation.ticket_rows) --------
    @staticmethod
    def resolve_duplicates(session: Session, ticket: Ticket) -> Ticket:
        """The ticket a chain of `duplicate_of` links ends at (the ticket itself if none)."""
        seen = {ticket.id}
        for _ in range(MAX_DUPLICATE_CHAIN):
            if ticket.status != TicketStatus.DUPLICATE or ticket.duplicate_of is None:
                return ticket
            target = session.get(Ticket, ticket.duplicate_of)
            if target is None or target.id in seen:
                return ticket
            seen.add(target.id)
            ticket = target
        return ticket

    def ticket_for_key(
        self, session: Session, key: str, statuses: tuple[TicketStatus, ...] = OPEN_STATUSES
    ) -> Ticket | None:
        """The oldest ticket under `key` that is (or was merged into one that is) in `statuses`."""
        candidates = session.scalars(
            select(Ticket)
            .where(Ticket.claim_key == key, Ticket.status.in_((*statuses, TicketStatus.DUPLICATE)))
            .order_by(Ticket.id)
            .limit(5)
        ).all()
        for candidate in candidates:
            root = self.resolve_duplicates(session, candidate)
            if root.status in statuses:
                return root
        return None

    def open_ticket_for_key(self, session: Session, key: str) -> Ticket | None:
        return self.ticket_for_key(session, key, OPEN_STATUSES)

    # -- privacy -----------------------------------------------------------------------------
    def forget_voter(self, user_id: int) -> int:
        """Delete the voter and everything they gave us, their words in tickets included.

        A ticket the voter opened keeps another asker's words for the checkers when one is
        still waiting with their question kept, else only the checker's wording (an open ticket
        left with neither, and nobody waiting, is withdrawn). Notifications already rendered for
        other voters that quote the voter's words (from before checkers' wordings existed) get
        the quote cut out. Returns the number of the voter's rows deleted (questions, feedback,
        subscriptions, notifications, tickets emptied, and the voter itself), so the caller can
        tell the voter what went. Audit rows never hold voters' words or ids.
        """
        media = self.forget_media(user_id)  # rows and the image files only this voter sent
        with self.db.session() as session:
            voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
            if voter is None:
                return media
            counted = 1 + media + self._scrub_tickets(session, voter)
            counted += self.forget_learned_votes(session, voter.id)
            for model in (Question, Feedback, TicketSubscriber, OutboxMessage):
                result = session.execute(delete(model).where(model.voter_id == voter.id))
                counted += affected(result)
            session.delete(voter)
            return counted

    def _scrub_tickets(self, session: Session, voter: Voter) -> int:
        """Remove `voter`'s words from every ticket holding them; returns how many tickets."""
        keys = {
            claim_key(text)
            for text in session.scalars(select(Question.text).where(Question.voter_id == voter.id))
        } - {""}
        # Tickets from before `opened_by` was recorded are found by the voter's questions.
        mine = Ticket.opened_by == voter.id
        if keys:
            mine = or_(mine, and_(Ticket.opened_by.is_(None), Ticket.claim_key.in_(sorted(keys))))
        tickets = session.scalars(select(Ticket).where(mine).order_by(Ticket.id)).all()
        for ticket in tickets:
            old = ticket.claim_text
            other = session.execute(
                select(TicketSubscriber.voter_id, Question.text)
                .join(Question, Question.id == TicketSubscriber.question_id)
                .where(TicketSubscriber.ticket_id == ticket.id,
                       TicketSubscriber.voter_id != voter.id)
                .order_by(TicketSubscriber.id)
                .limit(1)
            ).first()
            if other is not None:
                ticket.claim_text, ticket.opened_by = other.text, other.voter_id
                key = claim_key(other.text) or other.text[:500]
                taken = ticket.status in OPEN_STATUSES and session.scalar(
                    select(Ticket.id).where(
                        Ticket.claim_key == key, Ticket.id != ticket.id,
                        Ticket.status.in_(OPEN_STATUSES),
                    ).limit(1)
                )
                ticket.claim_key = f"forgotten:{ticket.id}" if taken else key
            else:
                # Never a real key: claim_key() keeps only letters, digits, marks and spaces.
                ticket.claim_text, ticket.opened_by = "", None
                ticket.claim_key = f"forgotten:{ticket.id}"
                waiting = session.scalar(
                    select(TicketSubscriber.id).where(
                        TicketSubscriber.ticket_id == ticket.id,
                        TicketSubscriber.voter_id != voter.id,
                    ).limit(1)
                )
                if ticket.status in OPEN_STATUSES and waiting is None and not ticket.claim_wording:
                    # Nobody waits and nothing is left to check: withdrawn, as its asker wished.
                    ticket.status = TicketStatus.REJECTED
                    ticket.resolution = "withdrawn: its only asker deleted their data (/forget)"
                    ticket.resolved_at = datetime.now(UTC)
            if old:
                _redact_outbox(session, ticket.id, voter.id, old)
        return len(tickets)


def _redact_outbox(session: Session, ticket_id: int, voter_id: int, words: str) -> None:
    """Cut `words`, as rendered notifications quote them (collapsed, escaped, maybe shortened),
    out of other voters' notifications about the ticket."""
    collapsed = " ".join(words.split())
    quotes = {html.escape(collapsed)}
    if len(collapsed) > QUOTE_CHARS:
        quotes.add(html.escape(collapsed[: QUOTE_CHARS - 1].rstrip() + "…"))
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket_id, OutboxMessage.voter_id != voter_id
        )
    ).all()
    for row in rows:
        payload = dict(row.payload or {})
        text = str(payload.get("text", ""))
        redacted = text
        for quote in sorted(quotes, key=len, reverse=True):
            redacted = redacted.replace(quote, "…")
        if redacted != text:
            payload["text"] = redacted
            row.payload = payload

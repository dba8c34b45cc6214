"""What the conversation stores and reads, as plain methods over the database.

The methods are synchronous (SQLAlchemy sessions); async callers run them with asyncio.to_thread.
Each call is one short transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.ports import (
    ChoiceReceipt,
    EscalationReceipt,
    EscalationVia,
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

T = TypeVar("T")
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.TAKEN)
#: How many `duplicate_of` links are followed before giving up (a cycle would be a bug).
MAX_DUPLICATE_CHAIN = 20
#: Characters of a claim a notification quotes (bot.escalation.notification_text.MAX_QUOTE,
#: which imports this: storage must not import escalation).
QUOTE_CHARS = 300


__all__ = [
    # The receipts are the core's (bot.core.ports); re-exported for the imports that use them.
    "EscalationReceipt", "TicketOffer", "VoterRecord",
    "OPEN_STATUSES", "QUOTE_CHARS", "Repository", "TicketMoved", "TicketServiceUnavailable",
    "affected", "claim_key", "retry_on_conflict",
]


class TicketServiceUnavailable(Exception):
    """A voter's choice among offered tickets needs the ticket service, which is not running."""


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


class TicketMoved(Exception):
    """The ticket was answered, rejected or merged between finding it and joining it."""


def retry_on_conflict(
    action: Callable[[], T], attempts: int = 4, also: tuple[type[Exception], ...] = ()
) -> T:
    """Run a transaction again when it lost a race on a unique constraint (or on `also`).

    Many voters forwarding one rumour in the same instant all try to open its ticket (or one
    voter taps twice); the database lets one insert win (uq_tickets_open_claim_key,
    ticket_subscribers' unique pair) and the others, run again, find and join what it created.
    """
    retried: tuple[type[Exception], ...] = (IntegrityError, *also)
    for attempt in range(attempts):
        try:
            return action()
        except retried:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


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

    # -- escalation --------------------------------------------------------------------------
    def escalate(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
        ask_similar: bool = False,
        key: str | None = None,
    ) -> EscalationReceipt:
        """Open a ticket for the claim, or join the open ticket that already holds it.

        A ticket merged into another (duplicate_of) sends its askers on to the one it was merged
        into, so the same pasted rumour keeps reaching the ticket checkers are working on.
        `ask_similar` (the conversation sets it: a voter is there to answer) is accepted and
        ignored here: this plain repository has no matcher to find similar tickets with (the
        TicketRoutingStore of bot.escalation does). `key` replaces the claim key of `text`
        (an image or link already sent to a ticket: bot.media.records.media_ticket_key).
        This is the transaction boundary: the one place a lost race is retried.
        """
        return retry_on_conflict(
            lambda: self.open_or_join(
                user_id=user_id, chat_id=chat_id, text=text, language=language,
                question_id=question_id, key=key,
            ),
            also=(TicketMoved,),
        )

    def choose_ticket(
        self, *, user_id: int, own_ticket_id: int, target_ticket_id: int | None
    ) -> ChoiceReceipt:
        """Plain tickets offer no open tickets to choose from, so a tap on such buttons comes
        from when the ticket service ran (this is the degraded mode without it). It cannot be
        applied: raise, and the voter is told their question stays its own ticket (it does)."""
        raise TicketServiceUnavailable("choosing an offered ticket needs the ticket service")

    def open_or_join(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
        defer_to: tuple[TicketStatus, ...] = (),
        held_until: datetime | None = None,
        key: str | None = None,
    ) -> EscalationReceipt:
        """`escalate`, except that it raises TicketMoved when the open ticket it found was
        closed before the voter could join it, or (`defer_to`) when no ticket is open but one
        in those statuses holds the claim: the caller decides what that means (TicketService
        sends the answer of an answered one). A ticket this call opens is kept out of the
        checkers' queue until `held_until` (see Ticket.held_until); a joined one is unchanged.
        One attempt (one transaction): a lost race raises IntegrityError, and the caller's
        transaction boundary (`escalate`, TicketService.escalate_or_join) runs it again."""
        key = key or claim_key(text) or text[:500]
        return self._escalate(
            key, user_id, chat_id, text, language, question_id, defer_to, held_until
        )

    def _escalate(
        self, key: str, user_id: int, chat_id: int, text: str, language: str,
        question_id: int | None, defer_to: tuple[TicketStatus, ...] = (),
        held_until: datetime | None = None,
    ) -> EscalationReceipt:
        with self.db.session() as session:
            voter = self._voter(session, user_id, chat_id)
            ticket = self.open_ticket_for_key(session, key)
            joined = ticket is not None
            if ticket is None and defer_to:
                closed = self.ticket_for_key(session, key, defer_to)
                if closed is not None:
                    raise TicketMoved(closed.id)
            if ticket is None:
                ticket = Ticket(
                    claim_text=text, claim_key=key, language=language, askers=0,
                    held_until=held_until, opened_by=voter.id,
                )
                session.add(ticket)
                session.flush()
            self.subscribe(session, ticket, voter, language, question_id)
            session.flush()
            session.refresh(ticket)
            via = EscalationVia.KEY if joined else EscalationVia.NEW
            return EscalationReceipt(ticket.id, joined, ticket.askers, via)

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

    @staticmethod
    def subscribe(
        session: Session,
        ticket: Ticket,
        voter: Voter,
        language: str,
        question_id: int | None,
        *,
        allowed: tuple[TicketStatus, ...] = OPEN_STATUSES,
    ) -> TicketSubscriber | None:
        """Add the voter to the ticket's waiting list (once: asking twice counts once).

        Returns the new subscription, or None when the voter was already waiting. The ticket row
        is locked first (PostgreSQL: FOR UPDATE) and its status read again, so a voter can never
        join a ticket whose answer is being enqueued in another transaction and miss it: they
        wait for that transaction, see the ticket closed, and TicketMoved says so.
        """
        status = session.scalar(
            select(Ticket.status).where(Ticket.id == ticket.id).with_for_update()
        )
        if status not in allowed:
            raise TicketMoved(ticket.id)
        already = session.scalar(
            select(TicketSubscriber).where(
                TicketSubscriber.ticket_id == ticket.id, TicketSubscriber.voter_id == voter.id
            )
        )
        if already is not None:
            return None
        if question_id is not None and session.get(Question, question_id) is None:
            question_id = None  # purged or forgotten meanwhile: quote the ticket's text instead
        subscription = TicketSubscriber(
            ticket_id=ticket.id, voter_id=voter.id, language=language, question_id=question_id
        )
        session.add(subscription)
        session.execute(
            update(Ticket).where(Ticket.id == ticket.id).values(askers=Ticket.askers + 1)
        )
        return subscription

    def join_ticket(
        self,
        ticket_id: int,
        *,
        user_id: int,
        chat_id: int,
        language: str,
        question_id: int | None = None,
        via: EscalationVia = EscalationVia.MATCHER,
    ) -> EscalationReceipt | None:
        """Join the voter to ticket `ticket_id` if it (or what it was merged into) is still open;
        None when it is closed by now (the caller then opens a ticket of its own). One attempt:
        a lost race raises IntegrityError for the caller's retry (TicketService.escalate_or_join).
        """
        return self._join_ticket(ticket_id, user_id, chat_id, language, question_id, via)

    def _join_ticket(
        self, ticket_id: int, user_id: int, chat_id: int, language: str,
        question_id: int | None, via: EscalationVia,
    ) -> EscalationReceipt | None:
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            ticket = self.resolve_duplicates(session, ticket)
            if ticket.status not in OPEN_STATUSES:
                return None
            voter = self._voter(session, user_id, chat_id)
            try:
                self.subscribe(session, ticket, voter, language, question_id)
            except TicketMoved:
                return None
            session.flush()
            session.refresh(ticket)
            return EscalationReceipt(ticket.id, True, ticket.askers, via)

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

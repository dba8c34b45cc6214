"""Ticket rows, in one home: open a ticket for a claim or join the open one holding it (by its
claim key), subscribe a voter to a ticket, join a ticket by number.

Two users. `TicketRows` is what the ticket service (bot.escalation.tickets.TicketService) builds
its voter side on: single attempts, each one transaction, so that the service's transaction
boundary is the only place a lost race is retried. `PlainTicketStore` is the core's store port
(bot.core.ports.CoreStore) without the ticket service: the Repository's voters, questions,
feedback and media, plus escalations that open or join by claim key alone (the degraded mode when
the ticket service could not be built, and the spool replay's store in tests).

Storage (bot.storage.repository) keeps the rows and the read queries (`claim_key`,
`resolve_duplicates`, `ticket_for_key`); what a voter's escalation *does* to tickets is here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.ports import ChoiceReceipt, EscalationReceipt, EscalationVia
from bot.storage.database import Database
from bot.storage.models import Question, Ticket, TicketStatus, TicketSubscriber, Voter
from bot.storage.repository import OPEN_STATUSES, Repository, claim_key

T = TypeVar("T")


class TicketMoved(Exception):
    """The ticket was answered, rejected or merged between finding it and joining it."""


class TicketServiceUnavailable(Exception):
    """A voter's choice among offered tickets needs the ticket service, which is not running."""


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


class TicketRows:
    """Opening, joining and subscribing to tickets: single attempts (see the module doc)."""

    def __init__(self, repository: Repository) -> None:
        self.repo = repository
        self.db: Database = repository.db

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
        """Open a ticket for the claim, or join the open ticket that already holds it.

        Raises TicketMoved when the open ticket it found was closed before the voter could join
        it, or (`defer_to`) when no ticket is open but one in those statuses holds the claim: the
        caller decides what that means (TicketService sends the answer of an answered one). A
        ticket this call opens is kept out of the checkers' queue until `held_until` (see
        Ticket.held_until); a joined one is unchanged. One attempt (one transaction): a lost race
        raises IntegrityError, and the caller's transaction boundary runs it again."""
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
            voter = self.repo.voter_row(session, user_id, chat_id)
            ticket = self.repo.open_ticket_for_key(session, key)
            joined = ticket is not None
            if ticket is None and defer_to:
                closed = self.repo.ticket_for_key(session, key, defer_to)
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
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            ticket = self.repo.resolve_duplicates(session, ticket)
            if ticket.status not in OPEN_STATUSES:
                return None
            voter = self.repo.voter_row(session, user_id, chat_id)
            try:
                self.subscribe(session, ticket, voter, language, question_id)
            except TicketMoved:
                return None
            session.flush()
            session.refresh(ticket)
            return EscalationReceipt(ticket.id, True, ticket.askers, via)


class PlainTicketStore(Repository):
    """The core's store port without the ticket service: the Repository, and escalations that
    open or join a ticket by claim key alone (see the module doc)."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.rows = TicketRows(self)

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
        ignored here: this plain store has no matcher to find similar tickets with (the
        TicketRoutingStore of bot.escalation.wiring does). `key` replaces the claim key of `text`
        (an image or link already sent to a ticket: bot.media.records.media_ticket_key).
        This is the transaction boundary: the one place a lost race is retried.
        """
        return retry_on_conflict(
            lambda: self.rows.open_or_join(
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


__all__ = [
    "PlainTicketStore", "TicketMoved", "TicketRows", "TicketServiceUnavailable",
    "retry_on_conflict",
]

"""The voters' side of a ticket: a question escalated opens a ticket or joins one (by its text,
through the ticket matcher, or an answered one whose answer is then sent at once), and a voter's
answer to "is your question one of these claims?" moves their place between tickets.

Each step here is a single transaction attempt; `escalate_or_join` and `choose_ticket` are the
transaction boundaries and the one place a lost race is retried (retry_on_conflict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.core.ports import ChoiceOutcome, ChoiceReceipt, EscalationVia
from bot.escalation import audit
from bot.escalation.ticket_common import (
    MILESTONES,
    TicketCore,
    _now,
)
from bot.escalation.ticket_index import wording_language
from bot.escalation.ticket_rows import TicketMoved, retry_on_conflict
from bot.storage.models import (
    Ticket,
    TicketStatus,
    TicketSubscriber,
    Voter,
)
from bot.storage.repository import (
    OPEN_STATUSES,
    EscalationReceipt,
    TicketOffer,
    claim_key,
)


class VoterTickets(TicketCore):
    """What a voter's escalation does to tickets (the conversation calls it through
    bot.escalation.wiring.TicketRoutingStore)."""

    # -- voters ------------------------------------------------------------------------------
    def escalate_or_join(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
        *,
        ask_similar: bool = False,
        key: str | None = None,
    ) -> EscalationReceipt:
        """Send a voter's claim to the checkers, without making them check it twice.

        In order: the same text as an open ticket joins it; the same text as an answered ticket
        joins it and gets its answer at once (through the outbox); a reworded claim the ticket
        matcher is sure about joins that ticket; anything else opens a ticket.

        With `ask_similar` (a voter is there to answer a question), a new ticket whose claim the
        matcher finds plausibly, not surely, the same as open tickets comes back with those as
        `receipt.offers`, and is held out of the checkers' queue for `hold_seconds` while the
        voter is asked (`choose_ticket` records their answer). The ticket itself is stored at
        once, so a voter who never answers, or a restart, loses nothing.

        `key` replaces the claim key of `text`: an image or link already sent to a ticket
        (bot.media.records.media_ticket_key) is that ticket's claim, whatever its text reads.
        """
        # A ticket can close while a voter joins it (TicketMoved): start again, and the voter
        # then joins what it became (answered: the answer is enqueued for them at once). This is
        # the one retry: the steps below are single attempts, so a lost race on a unique
        # constraint (IntegrityError) also starts the whole lookup again, which then finds and
        # joins what the winner created.
        receipt = retry_on_conflict(
            lambda: self._escalate_once(
                user_id, chat_id, text, language, question_id, ask_similar, key
            ),
            also=(TicketMoved,),
        )
        if receipt.via == EscalationVia.NEW:
            self._notify(receipt.ticket_id, "held" if receipt.offers else "opened")
        elif receipt.via != EscalationVia.ANSWERED and receipt.askers in MILESTONES:
            self._notify(receipt.ticket_id, "milestone")
        return receipt

    def _escalate_once(
        self, user_id: int, chat_id: int, text: str, language: str, question_id: int | None,
        ask_similar: bool = False, key: str | None = None,
    ) -> EscalationReceipt:
        key = key or claim_key(text) or text[:500]
        exact, receipt = self._join_answered(key, user_id, chat_id, language, question_id)
        if receipt is not None:
            self._notify(receipt.ticket_id, "answered")
            return receipt
        offers: tuple[TicketOffer, ...] = ()
        if not exact and self.index is not None:
            # The text's own language, detected by the matcher: `language` is the language the
            # voter is answered in, which need not be the one the forwarded rumour is written in.
            found = self.index.lookup(text, None, offers=ask_similar)
            if found.join is not None:
                joined = self.rows.join_ticket(
                    found.join, user_id=user_id, chat_id=chat_id, language=language,
                    question_id=question_id, via=EscalationVia.MATCHER,
                )
                if joined is not None:
                    return joined
            if found.offers:
                offers = self.open_offers(found.offers)
        held_until = _now() + timedelta(seconds=self.hold_seconds) if offers else None
        receipt = self.rows.open_or_join(
            user_id=user_id, chat_id=chat_id, text=text, language=language,
            question_id=question_id, defer_to=(TicketStatus.ANSWERED,), held_until=held_until,
            key=key,
        )
        # Joined by exact text meanwhile (another voter opened it first): nothing to ask.
        if receipt.via == EscalationVia.NEW and offers:
            return replace(receipt, offers=offers)
        return receipt

    def open_offers(self, ticket_ids: Sequence[int]) -> tuple[TicketOffer, ...]:
        """The tickets among `ticket_ids` that are still open and worded by a checker, in that
        order, with their wordings (read now: the index may be a moment behind a checker's
        answer). A ticket without a checker's wording is never offered: its only text is its
        asker's, which no other voter may see."""
        if not ticket_ids:
            return ()
        with self.db.session() as session:
            rows = session.execute(
                select(Ticket.id, Ticket.claim_wording, Ticket.language).where(
                    Ticket.id.in_(list(ticket_ids)), Ticket.status.in_(OPEN_STATUSES),
                    Ticket.claim_wording.is_not(None),
                )
            ).all()
        found = {
            r.id: TicketOffer(r.id, r.claim_wording, wording_language(r.claim_wording, r.language))
            for r in rows
        }
        return tuple(found[t] for t in dict.fromkeys(ticket_ids) if t in found)

    def choose_ticket(
        self, user_id: int, own_ticket_id: int, target_ticket_id: int | None
    ) -> ChoiceReceipt:
        """Record a voter's answer to "is your question one of these claims?".

        `own_ticket_id` is the ticket their question opened (held, see `escalate_or_join`);
        `target_ticket_id` the open ticket they say it is, or None for "something else". A "yes"
        moves the voter's place (their language and their own wording, quoted in the answer)
        from their ticket to the chosen one, which counts them as an asker and notifies them
        with the others; their ticket, left with nobody waiting, is merged into the chosen one as
        a duplicate, so its wording becomes a variant that leads the next voter to the answer.
        A "no" puts their ticket in the checkers' queue at once.

        Everything needed is in the arguments and the database (the buttons carry both ticket
        numbers), so the answer works after a restart, and at any later time: the ticket may
        have been answered, rejected or merged meanwhile, and the receipt says what happened.
        """
        receipt, events = retry_on_conflict(
            lambda: self._choose_once(user_id, own_ticket_id, target_ticket_id),
            also=(TicketMoved,),
        )
        for ticket_id, event in events:
            self._notify(ticket_id, event)
        return receipt

    def _choose_once(
        self, user_id: int, own_id: int, target_id: int | None
    ) -> tuple[ChoiceReceipt, list[tuple[int, str]]]:
        events: list[tuple[int, str]] = []
        with self.db.session() as session:
            voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
            own = session.get(Ticket, own_id)
            if voter is None or own is None:
                return ChoiceReceipt(ChoiceOutcome.UNKNOWN), events
            own_root = self.repo.resolve_duplicates(session, own)
            target = session.get(Ticket, target_id) if target_id is not None else None
            target_root = self.repo.resolve_duplicates(session, target) if target else None
            # Lock both tickets (a no-op write: PostgreSQL row locks, SQLite's write lock), in
            # id order, then read them again: a checker's answer or merge committed meanwhile is
            # seen here, and this cannot interleave with it.
            roots = sorted({own_root.id, *([target_root.id] if target_root else [])})
            session.execute(update(Ticket).where(Ticket.id.in_(roots)).values(updated_at=_now()))
            for ticket in (own_root, target_root):
                if ticket is not None:
                    session.refresh(ticket)
                    if ticket.status == TicketStatus.DUPLICATE and ticket.duplicate_of is not None:
                        raise TicketMoved(ticket.id)  # merged meanwhile: resolve again
            sub = self._subscription(session, own_root.id, voter.id)
            if target_root is not None and (
                target_root.id == own_root.id
                or (sub is None and self._subscription(session, target_root.id, voter.id))
            ):
                # A second tap, or a checker merged the tickets first: waiting there already.
                outcome = (
                    ChoiceOutcome.ALREADY if target_root.status in OPEN_STATUSES
                    else ChoiceOutcome.CLOSED
                )
                return ChoiceReceipt(outcome, target_root.id, target_root.askers), events
            if sub is None:
                return ChoiceReceipt(ChoiceOutcome.UNKNOWN), events
            if own_root.status not in OPEN_STATUSES:
                return ChoiceReceipt(ChoiceOutcome.CLOSED, own_root.id, own_root.askers), events
            answerable = (*OPEN_STATUSES, TicketStatus.ANSWERED)
            if target_root is None or target_root.status not in answerable:
                own_root.held_until = None  # to the checkers' queue now
                outcome = (
                    ChoiceOutcome.KEPT if target_id is None else ChoiceOutcome.TARGET_CLOSED
                )
                return ChoiceReceipt(outcome, own_root.id, own_root.askers), events
            events.extend(self._move(session, voter.id, sub, own_root, target_root))
            session.flush()
            session.refresh(target_root)
            outcome = (
                ChoiceOutcome.ANSWERED if target_root.status == TicketStatus.ANSWERED
                else ChoiceOutcome.JOINED
            )
            return ChoiceReceipt(outcome, target_root.id, target_root.askers), events

    def _move(
        self, session: Session, voter_id: int, sub: TicketSubscriber, own: Ticket, target: Ticket
    ) -> list[tuple[int, str]]:
        """Move one voter's place from `own` to `target` (both locked); the events to emit."""
        events: list[tuple[int, str]] = []
        moved = self._subscription(session, target.id, voter_id) is None
        if moved:
            sub.ticket_id = target.id
        else:
            session.delete(sub)  # already waiting on the target: counted there once
        session.flush()
        session.execute(
            update(Ticket).where(Ticket.id == own.id, Ticket.askers > 0)
            .values(askers=Ticket.askers - 1)
        )
        if moved:
            session.execute(
                update(Ticket).where(Ticket.id == target.id).values(askers=Ticket.askers + 1)
            )
        left = session.scalar(
            select(func.count()).select_from(TicketSubscriber)
            .where(TicketSubscriber.ticket_id == own.id)
        )
        own.held_until = None
        if not left:
            own.status = TicketStatus.DUPLICATE
            own.duplicate_of = target.id
            own.resolved_at = _now()
            audit.record(session, audit.VOTER, "duplicate", own.id, target=target.id, by="voter")
            events.append((own.id, "duplicate"))
        # else: another voter sent the same text meanwhile and waits on it: it goes to the queue.
        if moved and target.status == TicketStatus.ANSWERED:
            answer = self._answer_of(session, target.id)
            if self._enqueue_answers(session, target, answer, voter_ids=[voter_id]):
                events.append((target.id, "answered"))
        elif moved:
            askers = session.scalar(select(Ticket.askers).where(Ticket.id == target.id))
            if askers in MILESTONES:
                events.append((target.id, "milestone"))
        return events

    @staticmethod
    def _subscription(session: Session, ticket_id: int, voter_id: int) -> TicketSubscriber | None:
        return session.scalar(
            select(TicketSubscriber).where(
                TicketSubscriber.ticket_id == ticket_id, TicketSubscriber.voter_id == voter_id
            )
        )

    def _join_answered(
        self, key: str, user_id: int, chat_id: int, language: str, question_id: int | None
    ) -> tuple[bool, EscalationReceipt | None]:
        """(an open ticket holds this exact claim, receipt if an answered one did and the voter
        was joined to it, with its answer enqueued in the same transaction)."""
        with self.db.session() as session:
            if self.repo.open_ticket_for_key(session, key) is not None:
                return True, None
            answered = self.repo.ticket_for_key(session, key, (TicketStatus.ANSWERED,))
            if answered is None:
                return False, None
            voter = self.repo.voter_row(session, user_id, chat_id)
            sub = self.rows.subscribe(
                session, answered, voter, language, question_id, allowed=(TicketStatus.ANSWERED,)
            )
            if sub is not None:
                session.flush()
                answer = self._answer_of(session, answered.id)
                self._enqueue_answers(session, answered, answer, voter_ids=[voter.id])
            session.flush()
            session.refresh(answered)
            return False, EscalationReceipt(
                answered.id, True, answered.askers, EscalationVia.ANSWERED
            )


"""The fact-checkers' side of a ticket: the queue, and what a checker does with a ticket (take,
word, release, answer, reject, merge as a duplicate).

Channel-neutral: the CLI (`factcheck tickets`) and the checkers' Telegram desk call the same
methods, and both get the same errors (bot.escalation.errors) to show. Every action checks the
checker's authorisation and is written to the audit trail in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, or_, select, update

from bot.escalation import audit
from bot.escalation.errors import InvalidAction, TicketClosed
from bot.escalation.notification_text import render_rejection
from bot.escalation.ticket_common import (
    MAX_WORDING,
    REJECT_CATEGORIES,
    ActionReceipt,
    AnswerView,
    HistoryItem,
    TicketCore,
    TicketDetail,
    TicketSummary,
    _now,
    _outbox_row,
    _set_wording,
    _sources,
    _visible_claim,
    _wording_details,
    enqueue,
    validate_answer,
    validate_wording,
)
from bot.escalation.ticket_index import ticket_id_of
from bot.storage.models import (
    Answer,
    AuditLog,
    OutboxMessage,
    Ticket,
    TicketStatus,
    TicketSubscriber,
)
from bot.storage.repository import (
    OPEN_STATUSES,
    affected,
)
from knowledge.model import Entry


class CheckerTickets(TicketCore):
    """What fact-checkers do with tickets."""

    # -- reading -----------------------------------------------------------------------------
    def list_open(self, limit: int = 50, *, include_held: bool = False) -> list[TicketSummary]:
        """Open tickets, the most asked first (then the oldest): what checkers should do next.

        Tickets on hold (their voter is being asked whether it is another ticket's claim) are
        left out until the hold ends, unless `include_held`: a "yes" merges them away, and a
        checker should not start on a question that is about to vanish. The checkers' group
        announces a ticket when it first appears here, so a held one is announced when released.
        """
        query = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
        if not include_held:
            query = query.where(or_(Ticket.held_until.is_(None), Ticket.held_until <= _now()))
        with self.db.session() as session:
            rows = session.scalars(
                query.order_by(Ticket.askers.desc(), Ticket.id).limit(limit)
            ).all()
            return [self._summary(t) for t in rows]

    def show(self, ticket_id: int) -> TicketDetail:
        with self.db.session() as session:
            ticket = self._get(session, ticket_id)
            languages = dict(
                session.execute(
                    select(TicketSubscriber.language, func.count())
                    .where(TicketSubscriber.ticket_id == ticket_id)
                    .group_by(TicketSubscriber.language)
                ).all()
            )
            duplicates = tuple(
                session.scalars(
                    select(Ticket.id).where(Ticket.duplicate_of == ticket_id).order_by(Ticket.id)
                ).all()
            )
            answer = self._answer_of(session, ticket_id)
            notifications = {
                str(status): count
                for status, count in session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.ticket_id == ticket_id)
                    .group_by(OutboxMessage.status)
                ).all()
            }
            history = tuple(
                HistoryItem(a.created_at, a.actor_id, a.action, dict(a.details or {}))
                for a in session.scalars(
                    select(AuditLog).where(AuditLog.ticket_id == ticket_id).order_by(AuditLog.id)
                ).all()
            )
            return TicketDetail(
                ticket=self._summary(ticket),
                languages=languages,
                duplicate_of=ticket.duplicate_of,
                duplicates=duplicates,
                resolution=ticket.resolution,
                answer=(
                    AnswerView(
                        answer.verdict, dict(answer.explanation),
                        tuple(s["url"] for s in _sources(answer)), answer.checker_id,
                        answer.created_at, answer.entry_id,
                    )
                    if answer is not None
                    else None
                ),
                notifications=notifications,
                history=history,
            )

    # -- acting ------------------------------------------------------------------------------
    def take(
        self, ticket_id: int, actor_id: int, *, force: bool = False,
        wording: str | None = None, region: str | None = None,
    ) -> TicketSummary:
        """Assign the ticket to the checker, so two checkers do not research the same claim.
        A `wording` given now lets the bot offer the ticket to voters asking the same claim."""
        self.registry.require(actor_id, "take tickets", ticket_id)
        wording, region = validate_wording(wording, region)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            if ticket.assigned_to not in (None, actor_id) and not force:
                raise InvalidAction(
                    f"ticket #{ticket_id} is already taken by {ticket.assigned_to}; "
                    "take it over explicitly if they are not working on it"
                )
            previous = ticket.assigned_to
            ticket.assigned_to = actor_id
            ticket.status = TicketStatus.TAKEN
            _set_wording(ticket, wording, region)
            audit.record(
                session, actor_id, "take", ticket_id, previous=previous,
                **_wording_details(wording, region),
            )
            session.flush()
            return self._summary(ticket)

    def set_wording(
        self, ticket_id: int, actor_id: int, *, wording: str, region: str | None = None
    ) -> TicketSummary:
        """Word the claim of an open or answered ticket (or word it anew): from then on other
        voters may be offered it, and an answered one is served as knowledge in these words."""
        self.registry.require(actor_id, "word tickets", ticket_id)
        cleaned, region = validate_wording(wording, region)
        if cleaned is None:
            raise InvalidAction("give the claim's wording (what other voters will read)")
        with self.db.session() as session:
            touched = session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status.in_((*OPEN_STATUSES, TicketStatus.ANSWERED)),
                )
                .values(updated_at=_now())
            )
            ticket = self._get(session, ticket_id)
            if not affected(touched):
                raise TicketClosed(ticket_id, ticket.status)
            session.refresh(ticket)
            _set_wording(ticket, cleaned, region)
            audit.record(session, actor_id, "word", ticket_id, **_wording_details(cleaned, region))
            session.flush()
            summary = self._summary(ticket)
        if summary.status == TicketStatus.ANSWERED:
            self._notify(ticket_id, "answered")  # served as knowledge in the new words
        return summary

    def release(self, ticket_id: int, actor_id: int) -> TicketSummary:
        """Give a taken ticket back to the queue."""
        self.registry.require(actor_id, "release tickets", ticket_id)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            previous = ticket.assigned_to
            ticket.assigned_to = None
            ticket.status = TicketStatus.OPEN
            audit.record(session, actor_id, "release", ticket_id, previous=previous)
            session.flush()
            return self._summary(ticket)

    def answer(
        self,
        ticket_id: int,
        actor_id: int,
        *,
        verdict: str | None,
        explanation: Mapping[str, str],
        sources: Iterable[str],
        wording: str | None = None,
        region: str | None = None,
        fact: bool = False,
    ) -> ActionReceipt:
        """Store the answer, close the ticket and enqueue one notification per waiting voter,
        all in one transaction.

        `wording` is the claim in the checker's words (kept if given earlier and not here): the
        only form in which other voters see it, on the answered card and in their notification.
        Without one, voters who did not send the claim themselves get the verdict without it,
        and the answer is not served as knowledge. `fact`: a question of fact answered without a
        verdict (voters get the answer under the information label, as a fact card shows it)."""
        self.registry.require(actor_id, "answer tickets", ticket_id)
        checked, cleaned, urls = validate_answer(verdict, explanation, sources, fact=fact)
        validate_wording(wording, region)  # refused before anything is written
        return self._close_with_answer(
            ticket_id, actor_id, verdict=checked, explanation=cleaned, urls=urls,
            wording=wording, region=region,
        )

    def link_entry(
        self, ticket_id: int, actor_id: int, entry: Entry, *, wording: str | None = None,
        region: str | None = None,
    ) -> ActionReceipt:
        """Answer the ticket with an existing knowledge entry instead of retyping it: its verdict
        (none for a fact), its answer in every language it has and its sources are copied into
        the answer, which names the entry, and waiting voters are notified as for any answer.

        The caller resolves the entry from the knowledge it serves (the desk, the CLI's
        --knowledge). A ticket nobody has worded is worded with the entry's own text in the
        ticket's language (the knowledge's words, never a voter's), and gets its region. An
        answered ticket served as knowledge (`ticket-<n>`) is linked as that ticket
        (`link_ticket`)."""
        answered = ticket_id_of(entry.id)
        if answered is not None:
            return self.link_ticket(ticket_id, answered, actor_id)
        self.registry.require(actor_id, "answer tickets", ticket_id)
        if not entry.is_published:
            raise InvalidAction(f"entry {entry.id} is not published; link a published one")
        verdict = entry.verdict if entry.kind == "claim" else None
        _, cleaned, urls = validate_answer(
            verdict, dict(entry.answer), [s.url for s in entry.sources], fact=verdict is None
        )
        return self._close_with_answer(
            ticket_id, actor_id, verdict=verdict, explanation=cleaned, urls=urls,
            wording=wording, region=region, entry=entry,
        )

    def link_ticket(self, ticket_id: int, answered_id: int, actor_id: int) -> ActionReceipt:
        """Answer the ticket with an earlier answered ticket: it is merged into that one, whose
        answer goes to its waiting voters at once (`mark_duplicate`), and the audit trail says it
        was a link. A ticket that is not answered (yet) cannot be linked: /dup merges into an
        open one."""
        self.registry.require(actor_id, "answer tickets", ticket_id)
        with self.db.session() as session:
            target = self.repo.resolve_duplicates(session, self._get(session, answered_id))
            if target.status != TicketStatus.ANSWERED:
                raise InvalidAction(
                    f"ticket #{answered_id} has no answer to link (it is {target.status}); "
                    "merge it as a duplicate instead"
                )
        return self.mark_duplicate(ticket_id, answered_id, actor_id, audit_action="link")

    def _close_with_answer(
        self, ticket_id: int, actor_id: int, *, verdict: str | None,
        explanation: dict[str, str], urls: list[str], wording: str | None,
        region: str | None, entry: Entry | None = None,
    ) -> ActionReceipt:
        wording, region = validate_wording(wording, region)
        cleaned = explanation
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            if entry is not None and wording is None and not ticket.claim_wording:
                wording, _ = validate_wording(entry.text_in(ticket.language)[:MAX_WORDING])
            if entry is not None and region is None and not ticket.region:
                region = entry.region
            _set_wording(ticket, wording, region)
            answer = Answer(
                ticket_id=ticket_id, verdict=verdict, explanation=cleaned,
                sources={"sources": [{"url": u} for u in urls]}, checker_id=actor_id,
                entry_id=entry.id if entry is not None else None,
            )
            session.add(answer)
            ticket.status = TicketStatus.ANSWERED
            ticket.resolved_at = _now()
            ticket.assigned_to = ticket.assigned_to or actor_id
            session.flush()
            added = self._enqueue_answers(session, ticket, answer)
            links = {"entry": entry.id} if entry is not None else {}
            audit.record(
                session, actor_id, "link" if entry is not None else "answer", ticket_id,
                verdict=verdict, languages=sorted(cleaned), sources=urls, notifications=added,
                **links, **_wording_details(wording, region),
            )
        self._notify(ticket_id, "answered")
        return ActionReceipt(ticket_id, added)

    def reject(
        self, ticket_id: int, actor_id: int, *, reason: str, category: str = "not-a-claim"
    ) -> ActionReceipt:
        """Close a ticket that is not a checkable claim (or not about elections); waiting voters
        get a polite note in their language. `reason` is for the audit trail, not for voters."""
        self.registry.require(actor_id, "reject tickets", ticket_id)
        reason = (reason or "").strip()
        if category not in REJECT_CATEGORIES:
            raise InvalidAction(f"category {category!r}; one of: {', '.join(REJECT_CATEGORIES)}")
        if not reason:
            raise InvalidAction("say why the ticket is rejected (--reason)")
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            ticket.status = TicketStatus.REJECTED
            ticket.resolution = f"{category}: {reason}"[:2000]
            ticket.resolved_at = _now()
            now = _now()
            rows = [
                _outbox_row(
                    kind="rejected", ticket_id=ticket.id, voter_id=voter_id, chat_id=chat_id,
                    rendered=render_rejection(
                        claim=_visible_claim(ticket, voter_id, own), category=category,
                        language=language,
                    ),
                    now=now,
                )
                for voter_id, chat_id, language, own, _question in self._waiting(session, ticket.id)
            ]
            added = enqueue(session, rows)
            audit.record(
                session, actor_id, "reject", ticket_id, category=category, reason=reason,
                notifications=added,
            )
        self._notify(ticket_id, "rejected")
        return ActionReceipt(ticket_id, added)

    def mark_duplicate(
        self, ticket_id: int, target_id: int, actor_id: int, *, audit_action: str = "duplicate"
    ) -> ActionReceipt:
        """Merge ticket `ticket_id` into `target_id`: its waiting voters move to the target
        (a voter waiting on both counts once), and the target's askers grow accordingly. When the
        target is already answered, the moved voters get its answer straight away.
        `audit_action` is what the audit trail calls it ("link": answered with that ticket)."""
        self.registry.require(actor_id, "mark tickets as duplicates", ticket_id)
        if ticket_id == target_id:
            raise InvalidAction("a ticket cannot be a duplicate of itself")
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            target = self.repo.resolve_duplicates(session, self._get(session, target_id))
            # Lock the target too: an answer to it committed meanwhile must be seen here, or the
            # moved voters would wait on a ticket that will never notify them.
            session.execute(select(Ticket.id).where(Ticket.id == target.id).with_for_update())
            session.refresh(target)
            if target.id == ticket.id:
                raise InvalidAction(f"ticket #{target_id} was merged into #{ticket_id} already")
            if target.status not in (*OPEN_STATUSES, TicketStatus.ANSWERED):
                raise TicketClosed(target.id, target.status)
            subs = session.scalars(
                select(TicketSubscriber).where(TicketSubscriber.ticket_id == ticket.id)
            ).all()
            on_target = set(
                session.scalars(
                    select(TicketSubscriber.voter_id).where(TicketSubscriber.ticket_id == target.id)
                ).all()
            )
            moved: list[int] = []
            for sub in subs:
                if sub.voter_id in on_target:
                    session.delete(sub)  # already waiting on the target: counted there once
                else:
                    sub.ticket_id = target.id
                    moved.append(sub.voter_id)
            session.flush()
            if moved:
                session.execute(
                    update(Ticket)
                    .where(Ticket.id == target.id)
                    .values(askers=Ticket.askers + len(moved))
                )
            ticket.status = TicketStatus.DUPLICATE
            ticket.duplicate_of = target.id
            ticket.resolved_at = _now()
            added = 0
            if target.status == TicketStatus.ANSWERED and moved:
                answer = self._answer_of(session, target.id)
                added = self._enqueue_answers(session, target, answer, voter_ids=moved)
            audit.record(
                session, actor_id, audit_action, ticket_id, target=target.id, moved=len(moved),
                already_waiting=len(subs) - len(moved), notifications=added,
            )
        self._notify(ticket_id, "duplicate")
        return ActionReceipt(target.id, added)


"""The fact-checkers' side of an escalation: the queue, and what a checker does with a ticket.

Channel-neutral: the CLI (`factcheck tickets`) and the checkers' Telegram group call the same
methods, and both get the same errors (bot.escalation.errors) to show.

The one rule that shapes this module: an answer and the notifications it owes are written in the
same transaction. Either the ticket is answered and every waiting voter has an outbox row (each
with a dedupe key per ticket and voter, so nothing can enqueue a second copy), or nothing changed
and the checker sees an error. The outbox dispatcher (bot.escalation.outbox) delivers from there,
across restarts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.core.ports import ChoiceOutcome, ChoiceReceipt, EscalationVia
from bot.escalation import audit
from bot.escalation.checkers import CheckerRegistry
from bot.escalation.errors import InvalidAction, TicketClosed, TicketNotFound
from bot.escalation.render import Rendered, render_answer, render_rejection
from bot.escalation.ticket_index import OpenTicketIndex, wording_language
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    AuditLog,
    OutboxMessage,
    OutboxStatus,
    Question,
    Ticket,
    TicketStatus,
    TicketSubscriber,
    Voter,
)
from bot.storage.repository import (
    OPEN_STATUSES,
    EscalationReceipt,
    Repository,
    TicketMoved,
    TicketOffer,
    affected,
    claim_key,
    retry_on_conflict,
)
from knowledge.model import VERDICTS
from nlu.languages import LANGUAGES

log = logging.getLogger(__name__)

REJECT_CATEGORIES = ("not-a-claim", "out-of-scope")
#: Askers at which an open ticket is announced to the checkers again (a rumour is spreading).
MILESTONES = (10, 100, 1000, 10_000)
MAX_EXPLANATION = 3000
MAX_WORDING = 500
MAX_SOURCES = 10
_INSERT_CHUNK = 500
#: How long a new ticket stays out of the checkers' queue while its voter is asked whether it is
#: an open ticket's claim. Long enough to read and tap; short enough that a voter who walked away
#: does not keep checkers from their question for long.
HOLD_SECONDS = 300.0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TicketSummary:
    """A ticket as checkers see it: `claim_text` is an asker's own words (checkers only);
    `claim_wording` the checker's wording, the only form other voters see."""

    id: int
    claim_text: str
    language: str
    status: str
    askers: int
    assigned_to: int | None
    created_at: datetime
    claim_wording: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    actor_id: int
    action: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class AnswerView:
    verdict: str
    explanation: Mapping[str, str]
    sources: tuple[str, ...]
    checker_id: int
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    ticket: TicketSummary
    languages: Mapping[str, int]  # askers still waiting (or notified) per language
    duplicate_of: int | None
    duplicates: tuple[int, ...]  # tickets merged into this one
    resolution: str | None
    answer: AnswerView | None
    notifications: Mapping[str, int]  # outbox rows by status
    history: tuple[HistoryItem, ...] = field(default=())


@dataclass(frozen=True)
class ActionReceipt:
    ticket_id: int
    notifications: int  # outbox rows enqueued by this action


def _dialect_insert(session: Session):  # type: ignore[no-untyped-def]
    name = session.get_bind().dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, silently skipping any whose dedupe key already exists; returns how
    many rows were really added. ON CONFLICT DO NOTHING on both databases, so a retried action or
    two racing processes can never enqueue a second copy."""
    added = 0
    insert = _dialect_insert(session)
    table = OutboxMessage.__table__
    # Core executemany ("insertmanyvalues"): one cached statement for all rows, instead of a
    # multi-VALUES statement compiled per chunk (1 ms a row at 10,000 voters).
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    connection = session.connection()
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = list(rows[start : start + _INSERT_CHUNK])
        added += len(connection.execute(stmt, chunk).all())  # rowcount is -1 on psycopg
    return added


def _outbox_row(
    *, kind: str, ticket_id: int, voter_id: int, chat_id: int, rendered: Rendered, now: datetime
) -> dict[str, Any]:
    return {
        "kind": kind,
        "ticket_id": ticket_id,
        "voter_id": voter_id,
        "chat_id": chat_id,
        "dedupe_key": f"{kind}:{ticket_id}:{voter_id}",
        "payload": {
            "text": rendered.text,
            "buttons": [],
            "language": rendered.language,
            "answer_language": rendered.answer_language,
        },
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def validate_wording(wording: str | None, region: str | None = None
                     ) -> tuple[str | None, str | None]:
    """A checker's wording of a claim and its region, cleaned up, or InvalidAction.

    None means "not given" (a blank wording is not given either). The wording is what other
    voters will read as the claim, so it is one line, and short enough to show in a list."""
    cleaned = " ".join((wording or "").split()) or None
    if cleaned is not None and len(cleaned) > MAX_WORDING:
        raise InvalidAction(f"the claim's wording is over {MAX_WORDING} characters")
    code = (region or "").strip().upper() or None
    if code is not None and (len(code) != 2 or not code.isascii() or not code.isalpha()):
        raise InvalidAction(f"region {region!r}: a two-letter country code such as TH or MY")
    return cleaned, code


def validate_answer(
    verdict: str, explanation: Mapping[str, str], sources: Iterable[str]
) -> tuple[str, dict[str, str], list[str]]:
    """The answer cleaned up, or InvalidAction saying exactly what is wrong."""
    verdict = str(verdict).strip().lower()
    if verdict not in VERDICTS:
        raise InvalidAction(f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)}")
    cleaned: dict[str, str] = {}
    for lang, body in explanation.items():
        if lang not in LANGUAGES:
            raise InvalidAction(f"explanation language {lang!r}; one of: {', '.join(LANGUAGES)}")
        body = (body or "").strip()
        if len(body) > MAX_EXPLANATION:
            raise InvalidAction(f"the {lang} explanation is over {MAX_EXPLANATION} characters")
        if body:
            cleaned[lang] = body
    if not cleaned:
        raise InvalidAction("an answer needs an explanation in at least one of th, ms, en")
    urls: list[str] = []
    for url in sources:
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidAction(f"source {url!r} is not an http(s) URL")
        if url not in urls:
            urls.append(url)
    if not urls:
        raise InvalidAction("an answer needs at least one source URL (what the verdict rests on)")
    if len(urls) > MAX_SOURCES:
        raise InvalidAction(f"at most {MAX_SOURCES} sources")
    return verdict, cleaned, urls


class TicketService:
    """Everything done with tickets: voters joining them, checkers working them.

    `listeners` are called (ticket_id, event) after the change is committed, where event is
    "opened" (a new ticket), "held" (a new ticket kept out of the queue while its voter says
    whether it is an open ticket's claim; the queue shows it once the hold ends), "milestone" (an
    open ticket reached 10, 100, 1000... askers), "answered", "rejected" or "duplicate". The
    composition root uses them to wake the outbox dispatcher, to serve a new answer as knowledge,
    and to post cards in the checkers' group.
    They may be called from a worker thread (the conversation runs escalations in threads).
    """

    def __init__(
        self,
        database: Database,
        *,
        registry: CheckerRegistry | None = None,
        ticket_index: OpenTicketIndex | None = None,
        repository: Repository | None = None,
        hold_seconds: float = HOLD_SECONDS,
    ) -> None:
        self.db = database
        self.registry = registry or CheckerRegistry(database)
        self.index = ticket_index
        self.repo = repository or Repository(database)
        self.hold_seconds = hold_seconds
        self.listeners: list[Callable[[int, str], None]] = []

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
                joined = self.repo.join_ticket(
                    found.join, user_id=user_id, chat_id=chat_id, language=language,
                    question_id=question_id, via=EscalationVia.MATCHER,
                )
                if joined is not None:
                    return joined
            if found.offers:
                offers = self.open_offers(found.offers)
        held_until = _now() + timedelta(seconds=self.hold_seconds) if offers else None
        receipt = self.repo.open_or_join(
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
            sub = self.repo.subscribe(
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
                        answer.created_at,
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
        verdict: str,
        explanation: Mapping[str, str],
        sources: Iterable[str],
        wording: str | None = None,
        region: str | None = None,
    ) -> ActionReceipt:
        """Store the answer, close the ticket and enqueue one notification per waiting voter,
        all in one transaction.

        `wording` is the claim in the checker's words (kept if given earlier and not here): the
        only form in which other voters see it, on the answered card and in their notification.
        Without one, voters who did not send the claim themselves get the verdict without it,
        and the answer is not served as knowledge."""
        self.registry.require(actor_id, "answer tickets", ticket_id)
        verdict, cleaned, urls = validate_answer(verdict, explanation, sources)
        wording, region = validate_wording(wording, region)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            _set_wording(ticket, wording, region)
            answer = Answer(
                ticket_id=ticket_id, verdict=verdict, explanation=cleaned,
                sources={"sources": [{"url": u} for u in urls]}, checker_id=actor_id,
            )
            session.add(answer)
            ticket.status = TicketStatus.ANSWERED
            ticket.resolved_at = _now()
            ticket.assigned_to = ticket.assigned_to or actor_id
            session.flush()
            added = self._enqueue_answers(session, ticket, answer)
            audit.record(
                session, actor_id, "answer", ticket_id, verdict=verdict,
                languages=sorted(cleaned), sources=urls, notifications=added,
                **_wording_details(wording, region),
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
                for voter_id, chat_id, language, own in self._waiting(session, ticket.id)
            ]
            added = enqueue(session, rows)
            audit.record(
                session, actor_id, "reject", ticket_id, category=category, reason=reason,
                notifications=added,
            )
        self._notify(ticket_id, "rejected")
        return ActionReceipt(ticket_id, added)

    def mark_duplicate(self, ticket_id: int, target_id: int, actor_id: int) -> ActionReceipt:
        """Merge ticket `ticket_id` into `target_id`: its waiting voters move to the target
        (a voter waiting on both counts once), and the target's askers grow accordingly. When the
        target is already answered, the moved voters get its answer straight away."""
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
                session, actor_id, "duplicate", ticket_id, target=target.id, moved=len(moved),
                already_waiting=len(subs) - len(moved), notifications=added,
            )
        self._notify(ticket_id, "duplicate")
        return ActionReceipt(target.id, added)

    # -- helpers -----------------------------------------------------------------------------
    def _notify(self, ticket_id: int, status: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(ticket_id, status)
            except Exception:  # noqa: BLE001 - a listener must not undo a committed action
                log.exception("ticket listener failed for #%s", ticket_id)

    @staticmethod
    def _summary(t: Ticket) -> TicketSummary:
        return TicketSummary(
            t.id, t.claim_text, t.language, t.status, t.askers, t.assigned_to, t.created_at,
            t.claim_wording, t.region,
        )

    @staticmethod
    def _get(session: Session, ticket_id: int) -> Ticket:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket

    def _lock_open(self, session: Session, ticket_id: int) -> Ticket:
        """The ticket, locked for this transaction, or TicketNotFound / TicketClosed.

        The first statement is a write (a no-op touch of updated_at) so that on PostgreSQL the
        row is locked until commit and on SQLite the transaction holds the write lock from the
        start: two checkers answering at once are serialised, and the second one is told the
        ticket is closed instead of enqueuing a second round of notifications.
        """
        touched = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(OPEN_STATUSES))
            .values(updated_at=_now())
        )
        ticket = self._get(session, ticket_id)
        if not affected(touched):
            raise TicketClosed(ticket_id, ticket.status)
        session.refresh(ticket)
        return ticket

    @staticmethod
    def _answer_of(session: Session, ticket_id: int) -> Answer | None:
        return session.scalar(
            select(Answer).where(Answer.ticket_id == ticket_id).order_by(Answer.id.desc()).limit(1)
        )

    @staticmethod
    def _waiting(
        session: Session, ticket_id: int, voter_ids: Sequence[int] | None = None
    ) -> list[tuple[int, int, str, str | None]]:
        """(voter id, chat id, language, the voter's own question text if still kept)."""
        stmt = (
            select(Voter.id, Voter.chat_id, TicketSubscriber.language, Question.text)
            .join(Voter, Voter.id == TicketSubscriber.voter_id)
            .outerjoin(Question, Question.id == TicketSubscriber.question_id)
            .where(TicketSubscriber.ticket_id == ticket_id)
            .order_by(TicketSubscriber.id)
        )
        if voter_ids is not None:
            stmt = stmt.where(TicketSubscriber.voter_id.in_(list(voter_ids)))
        return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]

    def _enqueue_answers(
        self,
        session: Session,
        ticket: Ticket,
        answer: Answer | None,
        voter_ids: Sequence[int] | None = None,
    ) -> int:
        if answer is None:
            return 0
        urls = [s["url"] for s in _sources(answer)]
        now = _now()
        rows = []
        cache: dict[str, Rendered] = {}
        rendered: Rendered | None
        for voter_id, chat_id, language, own in self._waiting(session, ticket.id, voter_ids):
            # The voter's own words when they were the same claim (copy-paste): quote them; when
            # they were different words (joined through the matcher or a merge): show both, the
            # claim in the checker's wording. Never the words of the voter who opened it.
            if own is not None and claim_key(own) != ticket.claim_key:
                rendered = render_answer(
                    claim=ticket.claim_wording, verdict=answer.verdict,
                    explanation=answer.explanation, sources=urls, language=language,
                    question=own,
                )
            else:
                claim = _visible_claim(ticket, voter_id, own)
                shared = own is None and voter_id != ticket.opened_by
                rendered = cache.get(language) if shared else None
                if rendered is None:
                    rendered = render_answer(
                        claim=claim, verdict=answer.verdict,
                        explanation=answer.explanation, sources=urls, language=language,
                    )
                    if shared:
                        cache[language] = rendered
            rows.append(
                _outbox_row(
                    kind="answer", ticket_id=ticket.id, voter_id=voter_id, chat_id=chat_id,
                    rendered=rendered, now=now,
                )
            )
        return enqueue(session, rows)


def _visible_claim(ticket: Ticket, voter_id: int, own: str | None) -> str | None:
    """The claim as voter `voter_id` may see it: their own words (their question, or the
    ticket's text when they opened it), else the checker's wording, else nothing."""
    if own:
        return own
    if voter_id == ticket.opened_by and ticket.claim_text:
        return ticket.claim_text
    return ticket.claim_wording


def _set_wording(ticket: Ticket, wording: str | None, region: str | None) -> None:
    """Record a checker's wording and region on a locked ticket (None: keep what is there)."""
    if wording is not None:
        ticket.claim_wording = wording
    if region is not None:
        ticket.region = region


def _wording_details(wording: str | None, region: str | None) -> dict[str, str]:
    """Audit details for a wording (the checker's words: they name no voter)."""
    details = {"wording": wording, "region": region}
    return {k: v for k, v in details.items() if v is not None}


def _sources(answer: Answer) -> list[dict[str, Any]]:
    stored = answer.sources or {}
    items = stored.get("sources", []) if isinstance(stored, dict) else stored
    return [s if isinstance(s, dict) else {"url": str(s)} for s in items]


def languages_asked(details: TicketDetail) -> str:
    """"th 3, en 1" for a ticket card."""
    return ", ".join(f"{lang} {n}" for lang, n in Counter(details.languages).most_common())

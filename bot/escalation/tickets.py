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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.escalation import audit
from bot.escalation.checkers import CheckerRegistry
from bot.escalation.errors import InvalidAction, TicketClosed, TicketNotFound
from bot.escalation.render import Rendered, render_answer, render_rejection
from bot.escalation.ticket_index import OpenTicketIndex
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    AuditLog,
    OutboxMessage,
    Question,
    Ticket,
    TicketSubscriber,
    Voter,
)
from bot.storage.repository import (
    OPEN_STATUSES,
    EscalationReceipt,
    Repository,
    TicketMoved,
    claim_key,
    retry_on_conflict,
)
from knowledge.model import LANGUAGES, VERDICTS

log = logging.getLogger(__name__)

REJECT_CATEGORIES = ("not-a-claim", "out-of-scope")
#: Askers at which an open ticket is announced to the checkers again (a rumour is spreading).
MILESTONES = (10, 100, 1000, 10_000)
MAX_EXPLANATION = 3000
MAX_SOURCES = 10
_INSERT_CHUNK = 500


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TicketSummary:
    id: int
    claim_text: str
    language: str
    status: str
    askers: int
    assigned_to: int | None
    created_at: datetime


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
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


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
    "opened" (a new ticket), "milestone" (an open ticket reached 10, 100, 1000... askers),
    "answered", "rejected" or "duplicate". The composition root uses them to wake the outbox
    dispatcher, to serve a new answer as knowledge, and to post cards in the checkers' group.
    They may be called from a worker thread (the conversation runs escalations in threads).
    """

    def __init__(
        self,
        database: Database,
        *,
        registry: CheckerRegistry | None = None,
        ticket_index: OpenTicketIndex | None = None,
        repository: Repository | None = None,
    ) -> None:
        self.db = database
        self.registry = registry or CheckerRegistry(database)
        self.index = ticket_index
        self.repo = repository or Repository(database)
        self.listeners: list[Callable[[int, str], None]] = []

    # -- voters ------------------------------------------------------------------------------
    def escalate_or_join(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
    ) -> EscalationReceipt:
        """Send a voter's claim to the checkers, without making them check it twice.

        In order: the same text as an open ticket joins it; the same text as an answered ticket
        joins it and gets its answer at once (through the outbox); a reworded claim the ticket
        matcher is sure about joins that ticket; anything else opens a ticket.
        """
        # A ticket can close while a voter joins it (TicketMoved): start again, and the voter
        # then joins what it became (answered: the answer is enqueued for them at once).
        receipt = retry_on_conflict(
            lambda: self._escalate_once(user_id, chat_id, text, language, question_id),
            also=(TicketMoved,),
        )
        if receipt.via == "new":
            self._notify(receipt.ticket_id, "opened")
        elif receipt.via != "answered" and receipt.askers in MILESTONES:
            self._notify(receipt.ticket_id, "milestone")
        return receipt

    def _escalate_once(
        self, user_id: int, chat_id: int, text: str, language: str, question_id: int | None
    ) -> EscalationReceipt:
        key = claim_key(text) or text[:500]
        exact, receipt = retry_on_conflict(
            lambda: self._join_answered(key, user_id, chat_id, language, question_id)
        )
        if receipt is not None:
            self._notify(receipt.ticket_id, "answered")
            return receipt
        if not exact and self.index is not None:
            # The text's own language, detected by the matcher: `language` is the language the
            # voter is answered in, which need not be the one the forwarded rumour is written in.
            ticket_id = self.index.find(text, None)
            if ticket_id is not None:
                joined = self.repo.join_ticket(
                    ticket_id, user_id=user_id, chat_id=chat_id, language=language,
                    question_id=question_id, via="matcher",
                )
                if joined is not None:
                    return joined
        return self.repo.open_or_join(
            user_id=user_id, chat_id=chat_id, text=text, language=language,
            question_id=question_id, defer_to=("answered",),
        )

    def _join_answered(
        self, key: str, user_id: int, chat_id: int, language: str, question_id: int | None
    ) -> tuple[bool, EscalationReceipt | None]:
        """(an open ticket holds this exact claim, receipt if an answered one did and the voter
        was joined to it, with its answer enqueued in the same transaction)."""
        with self.db.session() as session:
            if self.repo.open_ticket_for_key(session, key) is not None:
                return True, None
            answered = self.repo.ticket_for_key(session, key, ("answered",))
            if answered is None:
                return False, None
            voter = self.repo.voter_row(session, user_id, chat_id)
            sub = self.repo.subscribe(
                session, answered, voter, language, question_id, allowed=("answered",)
            )
            if sub is not None:
                session.flush()
                answer = self._answer_of(session, answered.id)
                self._enqueue_answers(session, answered, answer, voter_ids=[voter.id])
            session.flush()
            session.refresh(answered)
            return False, EscalationReceipt(answered.id, True, answered.askers, "answered")

    # -- reading -----------------------------------------------------------------------------
    def list_open(self, limit: int = 50) -> list[TicketSummary]:
        """Open tickets, the most asked first (then the oldest): what checkers should do next."""
        with self.db.session() as session:
            rows = session.scalars(
                select(Ticket)
                .where(Ticket.status.in_(OPEN_STATUSES))
                .order_by(Ticket.askers.desc(), Ticket.id)
                .limit(limit)
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
            notifications = dict(
                session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.ticket_id == ticket_id)
                    .group_by(OutboxMessage.status)
                ).all()
            )
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
    def take(self, ticket_id: int, actor_id: int, *, force: bool = False) -> TicketSummary:
        """Assign the ticket to the checker, so two checkers do not research the same claim."""
        self.registry.require(actor_id, "take tickets", ticket_id)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            if ticket.assigned_to not in (None, actor_id) and not force:
                raise InvalidAction(
                    f"ticket #{ticket_id} is already taken by {ticket.assigned_to}; "
                    "take it over explicitly if they are not working on it"
                )
            previous = ticket.assigned_to
            ticket.assigned_to = actor_id
            ticket.status = "taken"
            audit.record(session, actor_id, "take", ticket_id, previous=previous)
            session.flush()
            return self._summary(ticket)

    def release(self, ticket_id: int, actor_id: int) -> TicketSummary:
        """Give a taken ticket back to the queue."""
        self.registry.require(actor_id, "release tickets", ticket_id)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            previous = ticket.assigned_to
            ticket.assigned_to = None
            ticket.status = "open"
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
    ) -> ActionReceipt:
        """Store the answer, close the ticket and enqueue one notification per waiting voter,
        all in one transaction."""
        self.registry.require(actor_id, "answer tickets", ticket_id)
        verdict, cleaned, urls = validate_answer(verdict, explanation, sources)
        with self.db.session() as session:
            ticket = self._lock_open(session, ticket_id)
            answer = Answer(
                ticket_id=ticket_id, verdict=verdict, explanation=cleaned,
                sources={"sources": [{"url": u} for u in urls]}, checker_id=actor_id,
            )
            session.add(answer)
            ticket.status = "answered"
            ticket.resolved_at = _now()
            ticket.assigned_to = ticket.assigned_to or actor_id
            session.flush()
            added = self._enqueue_answers(session, ticket, answer)
            audit.record(
                session, actor_id, "answer", ticket_id, verdict=verdict,
                languages=sorted(cleaned), sources=urls, notifications=added,
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
            ticket.status = "rejected"
            ticket.resolution = f"{category}: {reason}"[:2000]
            ticket.resolved_at = _now()
            now = _now()
            rows = [
                _outbox_row(
                    kind="rejected", ticket_id=ticket.id, voter_id=voter_id, chat_id=chat_id,
                    rendered=render_rejection(
                        claim=own or ticket.claim_text, category=category, language=language
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
            if target.status not in (*OPEN_STATUSES, "answered"):
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
            ticket.status = "duplicate"
            ticket.duplicate_of = target.id
            ticket.resolved_at = _now()
            added = 0
            if target.status == "answered" and moved:
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
            t.id, t.claim_text, t.language, t.status, t.askers, t.assigned_to, t.created_at
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
        if not touched.rowcount:
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
        for voter_id, chat_id, language, own in self._waiting(session, ticket.id, voter_ids):
            # The voter's own words when they were the same claim (copy-paste): quote them; when
            # they were different words (joined through the matcher or a merge): show both.
            if own is not None and claim_key(own) != ticket.claim_key:
                rendered = render_answer(
                    claim=ticket.claim_text, verdict=answer.verdict,
                    explanation=answer.explanation, sources=urls, language=language,
                    question=own,
                )
            else:
                rendered = cache.get(language) if own is None else None
                if rendered is None:
                    rendered = render_answer(
                        claim=own or ticket.claim_text, verdict=answer.verdict,
                        explanation=answer.explanation, sources=urls, language=language,
                    )
                    if own is None:
                        cache[language] = rendered
            rows.append(
                _outbox_row(
                    kind="answer", ticket_id=ticket.id, voter_id=voter_id, chat_id=chat_id,
                    rendered=rendered, now=now,
                )
            )
        return enqueue(session, rows)


def _sources(answer: Answer) -> list[dict[str, Any]]:
    stored = answer.sources or {}
    items = stored.get("sources", []) if isinstance(stored, dict) else stored
    return [s if isinstance(s, dict) else {"url": str(s)} for s in items]


def languages_asked(details: TicketDetail) -> str:
    """"th 3, en 1" for a ticket card."""
    return ", ".join(f"{lang} {n}" for lang, n in Counter(details.languages).most_common())

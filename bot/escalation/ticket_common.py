"""What both sides of a ticket share: its receipts and views, the outbox rows an answer or a
rejection owes, validation of a checker's input, and `TicketCore`, the state and helpers the voter
side (bot.escalation.voter_tickets) and the checker side (bot.escalation.checker_tickets) are built
on. `bot.escalation.tickets.TicketService` is the two sides together.

The one rule that shapes tickets: an answer and the notifications it owes are written in the
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

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.core.cards import feedback_buttons
from bot.core.messages import Button
from bot.core.state import stored_token
from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.errors import InvalidAction, TicketClosed, TicketNotFound
from bot.escalation.notification_text import Rendered, render_answer
from bot.escalation.ticket_index import OpenTicketIndex, ticket_entry_id
from bot.escalation.ticket_rows import TicketRows
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    OutboxMessage,
    OutboxStatus,
    Question,
    Ticket,
    TicketSubscriber,
    Voter,
)
from bot.storage.repository import (
    OPEN_STATUSES,
    Repository,
    affected,
    claim_key,
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
    verdict: str | None  # None: the answer to a question of fact
    explanation: Mapping[str, str]
    sources: tuple[str, ...]
    checker_id: int
    created_at: datetime
    entry_id: str | None = None  # the knowledge entry a checker linked, if they did


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
    *, kind: str, ticket_id: int, voter_id: int, chat_id: int, rendered: Rendered, now: datetime,
    buttons: Sequence[Sequence[Button]] = (),
) -> dict[str, Any]:
    return {
        "kind": kind,
        "ticket_id": ticket_id,
        "voter_id": voter_id,
        "chat_id": chat_id,
        "dedupe_key": f"{kind}:{ticket_id}:{voter_id}",
        "payload": {
            "text": rendered.text,
            "buttons": [
                [{"label": b.label, "data": b.data} for b in row if b.data] for row in buttons
            ],
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
    verdict: str | None, explanation: Mapping[str, str], sources: Iterable[str],
    *, fact: bool = False,
) -> tuple[str | None, dict[str, str], list[str]]:
    """The answer cleaned up, or InvalidAction saying exactly what is wrong.

    `fact`: the answer to a question of fact ("when is advance voting?"), which has no verdict;
    the verdict must then be absent (None), and the answer is shown as information."""
    if fact:
        if verdict:
            raise InvalidAction("an answer to a question of fact has no verdict; give one or "
                                "the other")
        verdict = None
    else:
        verdict = str(verdict or "").strip().lower()
        if verdict not in VERDICTS:
            raise InvalidAction(
                f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)} (or answer it as "
                "a question of fact, without a verdict)"
            )
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


class TicketCore:
    """The state both sides work with, and the helpers they share (see the module doc)."""

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
        #: Opening, joining and subscribing (bot.escalation.ticket_rows): single attempts.
        self.rows = TicketRows(self.repo)
        self.hold_seconds = hold_seconds
        self.listeners: list[Callable[[int, str], None]] = []

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
    ) -> list[tuple[int, int, str, str | None, int | None]]:
        """(voter id, chat id, language, the voter's own question text if still kept, and that
        question's id: what the feedback buttons of their answer name)."""
        stmt = (
            select(
                Voter.id, Voter.chat_id, TicketSubscriber.language, Question.text,
                TicketSubscriber.question_id,
            )
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
        for voter_id, chat_id, language, own, question_id in self._waiting(
            session, ticket.id, voter_ids
        ):
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
            # The feedback buttons of an answer from the knowledge: a linked answer is that
            # entry; else the answered ticket is served as the entry `ticket-<n>` once a checker
            # worded its claim (bot.escalation.answered).
            entry_id = answer.entry_id or (
                ticket_entry_id(ticket.id) if ticket.claim_wording else None
            )
            buttons = (
                feedback_buttons(entry_id, language, stored_token(question_id))
                if question_id is not None and entry_id is not None else ()
            )
            rows.append(
                _outbox_row(
                    kind="answer", ticket_id=ticket.id, voter_id=voter_id, chat_id=chat_id,
                    rendered=rendered, now=now, buttons=buttons,
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

"""Finds the open ticket a new question is about, when it is worded differently.

The exact `claim_key` join catches the copy-paste flood; this catches "is it true advance voting
was cancelled?" arriving after "ADVANCE VOTING CANCELLED BY EC!!". Open tickets become pseudo
knowledge entries (the claim as `text` in its language, the claims of tickets merged into it as
`variants`) and the same matcher that answers voters decides: only a confident `answer` joins a
ticket. A wrong join would send a voter the answer to a claim they did not ask about, so anything
less than that opens a ticket of its own (checkers can still merge it with /dup).

The index is built on first use and rebuilt only when the set of open tickets changed, through
`Matcher.updated`, which re-embeds only the new tickets' texts. One query per lookup tells whether
it changed, so tickets opened or closed by another process (the CLI, a second bot) are seen too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from types import MappingProxyType

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Ticket
from bot.storage.repository import OPEN_STATUSES
from knowledge.model import LANGUAGES, Entry

log = logging.getLogger(__name__)

MatcherFactory = Callable[[Sequence[Entry]], object]
PREFIX = "ticket-"


def ticket_entry_id(ticket_id: int) -> str:
    return f"{PREFIX}{ticket_id}"


def ticket_id_of(entry_id: str | None) -> int | None:
    """The ticket number of an entry id made by this package (`ticket-12` -> 12), else None."""
    if entry_id and entry_id.startswith(PREFIX) and entry_id[len(PREFIX) :].isdigit():
        return int(entry_id[len(PREFIX) :])
    return None


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def open_ticket_entries(database: Database) -> list[Entry]:
    """Every open ticket as an entry the matcher can index (one query)."""
    with database.session() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.claim_text, Ticket.language, Ticket.status,
                   Ticket.duplicate_of)
            .where(Ticket.status.in_((*OPEN_STATUSES, "duplicate")))
            .order_by(Ticket.id)
        ).all()
    open_rows = {r.id: r for r in rows if r.status in OPEN_STATUSES}
    variants: dict[int, dict[str, list[str]]] = {}
    for r in rows:
        if r.status == "duplicate" and r.duplicate_of in open_rows:
            per_lang = variants.setdefault(r.duplicate_of, {})
            per_lang.setdefault(_lang(r.language), []).append(r.claim_text)
    entries = []
    for r in open_rows.values():
        lang = _lang(r.language)
        entries.append(
            Entry(
                id=ticket_entry_id(r.id),
                kind="claim",
                verdict="unproven",
                text=MappingProxyType({lang: r.claim_text}),
                answer=MappingProxyType({lang: r.claim_text}),
                variants=MappingProxyType(
                    {k: tuple(v) for k, v in variants.get(r.id, {}).items()}
                ),
            )
        )
    return entries


class OpenTicketIndex:
    """A matcher over the open tickets, kept in step with the database.

    Preferably built on `base`, a callable returning the conversation's current matcher: the
    index is then that matcher plus the tickets (`Matcher.with_entries`, which re-embeds only the
    tickets), so the model is loaded once per process, and the curated entries are there as the
    distractors the matcher's calibration was fitted with. A ticket is joined only when a ticket
    is the confident answer. Without `base`, `factory(entries)` builds a matcher over the tickets
    alone.
    """

    def __init__(
        self,
        database: Database,
        *,
        factory: MatcherFactory | None = None,
        base: Callable[[], object | None] | None = None,
    ) -> None:
        if factory is None and base is None:
            raise ValueError("OpenTicketIndex needs a base matcher or a matcher factory")
        self.db = database
        self._factory = factory
        self._base = base
        self._matcher: object | None = None
        self._built_on: object | None = None
        self._fingerprint: tuple[object, ...] | None = None
        self._lock = threading.Lock()
        self.rebuilds = 0

    def _build(self, entries: list[Entry], base: object | None) -> object | None:
        if not entries:
            return None
        if base is not None:
            if self._matcher is not None and self._built_on is base:
                # Same knowledge as last time: reuse this index's own work, so only tickets it
                # has never seen are analysed and embedded (not every open ticket again).
                curated = list(base.entries.values())  # type: ignore[attr-defined]
                return self._matcher.updated([*curated, *entries])  # type: ignore[attr-defined]
            return base.with_entries(entries)  # type: ignore[attr-defined]
        if self._factory is None:
            return None  # no base matcher yet (knowledge still loading): exact joins only
        if self._matcher is not None:
            return self._matcher.updated(entries)  # type: ignore[attr-defined]
        return self._factory(entries)

    def _current(self) -> object | None:
        entries = open_ticket_entries(self.db)
        base = self._base() if self._base is not None else None
        fingerprint = (id(base), *((e.id, e.content_hash()) for e in entries))
        with self._lock:
            if fingerprint != self._fingerprint:
                self._matcher = self._build(entries, base)
                self._built_on = base
                self._fingerprint = fingerprint
                self.rebuilds += 1
            return self._matcher

    def find(self, text: str, language: str | None) -> int | None:
        """The open ticket `text` is confidently about, or None."""
        try:
            matcher = self._current()
            if matcher is None:
                return None
            result = matcher.match(text, language)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a matcher failure must not lose the escalation
            log.exception("matching a question against open tickets failed; opening a ticket")
            return None
        if result.decision != "answer":
            return None
        return ticket_id_of(result.entry_id)

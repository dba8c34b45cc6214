"""Finds the open ticket a new question is about, when it is worded differently.

The exact `claim_key` join catches the copy-paste flood; this catches "is it true advance voting
was cancelled?" arriving after "ADVANCE VOTING CANCELLED BY EC!!". Open tickets become pseudo
knowledge entries (the claim as `text` in its language, the claims of tickets merged into it as
`variants`) and the same matcher that answers voters decides: only a confident `answer` joins a
ticket. A wrong join would send a voter the answer to a claim they did not ask about, so anything
less than that opens a ticket of its own. When open tickets are plausible but not sure (the usual
case for a translated or loosely reworded claim), `lookup` also names them as `offers`, so the
voter can be asked whether their question is one of those claims (bot.core.handlers.ticket_choice)
rather than guessed for.

The index is built on first use and rebuilt only when the set of open tickets changed, through
`Matcher.updated`, which re-embeds only the new tickets' texts. One query per lookup tells whether
it changed, so tickets opened or closed by another process (the CLI, a second bot) are seen too.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Ticket, TicketStatus
from bot.storage.repository import OPEN_STATUSES
from knowledge.model import Entry
from knowledge.thresholds import TICKET_OFFER_MIN
from nlu.languages import LANGUAGES

log = logging.getLogger(__name__)

MatcherFactory = Callable[[Sequence[Entry]], object]
PREFIX = "ticket-"
#: At most this many open tickets are offered to a voter ("is your question one of these?").
MAX_OFFERS = 3
#: Lookups remembered per state of the index.
LOOKUP_CACHE_SIZE = 2_000


@dataclass(frozen=True)
class TicketLookup:
    """What the open tickets say about a question: `join` is the ticket it is confidently
    about (None if none); `offers` are the open tickets it may be about, best first, when there
    is no confident one (what the voter is asked to confirm)."""

    join: int | None = None
    offers: tuple[int, ...] = ()


def ticket_entry_id(ticket_id: int) -> str:
    return f"{PREFIX}{ticket_id}"


def ticket_id_of(entry_id: str | None) -> int | None:
    """The ticket number of an entry id made by this package (`ticket-12` -> 12), else None."""
    if entry_id and entry_id.startswith(PREFIX) and entry_id[len(PREFIX) :].isdigit():
        return int(entry_id[len(PREFIX) :])
    return None


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def wording_language(wording: str, fallback: str) -> str:
    """The language a checker's wording is written in (detected; `fallback` when unsure), for
    showing it as an entry's text in that language."""
    from nlu.langid import detect_language

    guess = detect_language(wording).language
    return guess if guess in LANGUAGES else _lang(fallback)


def open_ticket_entries(database: Database) -> list[Entry]:
    """Every open ticket as an entry the matcher can index (one query)."""
    with database.session() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.claim_text, Ticket.language, Ticket.status,
                   Ticket.duplicate_of, Ticket.claim_wording)
            .where(Ticket.status.in_((*OPEN_STATUSES, TicketStatus.DUPLICATE)))
            .order_by(Ticket.id)
        ).all()
    open_rows = {r.id: r for r in rows if r.status in OPEN_STATUSES}
    variants: dict[int, dict[str, list[str]]] = {}
    for r in rows:
        if r.status == TicketStatus.DUPLICATE and r.duplicate_of in open_rows and r.claim_text:
            per_lang = variants.setdefault(r.duplicate_of, {})
            per_lang.setdefault(_lang(r.language), []).append(r.claim_text)
    entries = []
    for r in open_rows.values():
        lang = _lang(r.language)
        # Matched against, never shown (offers show the wording): the asker's words, or the
        # checker's wording once /forget emptied them.
        claim = r.claim_text or r.claim_wording
        if not claim:
            continue
        entries.append(
            Entry(
                id=ticket_entry_id(r.id),
                kind="claim",
                verdict="unproven",
                text=MappingProxyType({lang: claim}),
                answer=MappingProxyType({lang: claim}),
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
        self._open_ids: frozenset[str] = frozenset()
        self._built_on: object | None = None
        self._fingerprint: tuple[object, ...] | None = None
        self._lock = threading.Lock()
        self.rebuilds = 0
        #: Lookups against the index as it is now (cleared whenever it changes): the copies of
        #: one rumour that escalate are looked up once per set of open tickets.
        self._lookups: OrderedDict[tuple[str, str | None, bool], TicketLookup] = OrderedDict()
        self._version = 0

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
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[object | None, frozenset[str]]:
        """The matcher and the entry ids in it that are open tickets (built together)."""
        entries = open_ticket_entries(self.db)
        base = self._base() if self._base is not None else None
        fingerprint = (id(base), *((e.id, e.content_hash()) for e in entries))
        with self._lock:
            if fingerprint != self._fingerprint:
                self._matcher = self._build(entries, base)
                self._open_ids = frozenset(e.id for e in entries)
                self._built_on = base
                self._fingerprint = fingerprint
                self.rebuilds += 1
                self._version += 1
                self._lookups.clear()
            return self._matcher, self._open_ids

    def find(self, text: str, language: str | None) -> int | None:
        """The open ticket `text` is confidently about, or None."""
        return self.lookup(text, language, offers=False).join

    def lookup(self, text: str, language: str | None, *, offers: bool = True) -> TicketLookup:
        """The open ticket `text` is confidently about, else (`offers`) the open tickets it may
        be about.

        Joining needs the matcher's confident `answer` among everything it knows (curated and
        answered entries included, the distractors its calibration was fitted with). Offers are
        decided on the same features with every entry but the open tickets set aside: a curated
        entry the voter already turned down ("none of these", "not what I asked") must not hide
        a plausible ticket, and only tickets from TICKET_OFFER_MIN are offered. Offering is safe
        where joining is not: the voter sees the claim and says whether it is theirs; no verdict
        is shown.
        """
        try:
            matcher, open_ids = self._snapshot()
            if matcher is None:
                return TicketLookup()
            key = (text, language, offers)
            with self._lock:
                # Only an answer computed on this very index is reused (the version changes
                # with every rebuild, and a rebuild clears the cache).
                version = self._version
                cached = self._lookups.get(key) if self._matcher is matcher else None
            if cached is not None:
                return cached
            found = self._lookup(matcher, open_ids, text, language, offers)
        except Exception:  # noqa: BLE001 - a matcher failure must not lose the escalation
            log.exception("matching a question against open tickets failed; opening a ticket")
            return TicketLookup()
        with self._lock:
            if self._version == version:
                self._lookups[key] = found
                while len(self._lookups) > LOOKUP_CACHE_SIZE:
                    self._lookups.popitem(last=False)
        return found

    def _lookup(
        self, matcher: object, open_ids: frozenset[str], text: str, language: str | None,
        offers: bool,
    ) -> TicketLookup:
        """`lookup` itself, on one snapshot of the index (may raise)."""
        # The message is embedded and its candidates scored once, for the join and the offers.
        feats = (
            matcher.features(text, language)  # type: ignore[attr-defined]
            if hasattr(matcher, "features") and hasattr(matcher, "decide")
            else None
        )
        result = (
            matcher.decide(feats)  # type: ignore[attr-defined]
            if feats is not None
            else matcher.match(text, language)  # type: ignore[attr-defined]
        )
        if result.decision == "answer" and result.entry_id in open_ids:
            return TicketLookup(join=ticket_id_of(result.entry_id))
        if not offers:
            return TicketLookup()
        candidates = self._plausible_tickets(matcher, text, language, result, open_ids, feats)
        found = [ticket_id_of(entry_id) for entry_id in candidates if entry_id in open_ids]
        return TicketLookup(offers=tuple(t for t in found if t is not None)[:MAX_OFFERS])

    @staticmethod
    def _plausible_tickets(
        matcher: object, text: str, language: str | None, result: object,
        open_ids: frozenset[str], feats: object | None,
    ) -> list[str]:
        """Entry ids of the open tickets the matcher finds plausible for `text`, best first.

        The bar is TICKET_OFFER_MIN, lower than the matcher's "did you mean" for verdicts: a
        wrong offer costs the voter one tap on "no", while a missed one splits the same claim
        over two tickets (and a Malay question about a Thai claim rarely reaches the higher bar).
        """
        others = {e for e in getattr(matcher, "entries", ()) if e not in open_ids}
        if feats is not None:
            calibration = replace(
                matcher.calibration,  # type: ignore[attr-defined]
                answer_min=math.inf,  # offers only: never a verdict
                clarify_min=TICKET_OFFER_MIN,
                offer_min=TICKET_OFFER_MIN,
            )
            offered = matcher.decide(  # type: ignore[attr-defined]
                feats, calibration, exclude=frozenset(others)
            )
            return [c.entry_id for c in offered.candidates]
        # Matchers without features (simple stand-ins): their own "did you mean" level.
        next_candidates = getattr(matcher, "next_candidates", None)
        if next_candidates is not None:
            return [c.entry_id for c in next_candidates(text, others, language)]
        # A matcher without next_candidates: what its own "did you mean" list offers.
        if getattr(result, "decision", None) != "clarify":
            return []
        return [c.entry_id for c in getattr(result, "candidates", ())]

"""Corrections: a voter shown a fact-check that later changed, or was retracted, is told once.

Meedan Check sends "this fact-check was updated"; so does this bot. Every time the curated
knowledge is (re)loaded, `Corrections.on_knowledge` compares each published entry with the last
version the database remembers of it (`entry_versions`: its verdict and answer as a fingerprint):

- an entry seen for the first time is remembered (no message: nothing changed for anyone);
- an entry whose verdict or answer differs, or that is published again after a retraction,
  becomes a new version, and every voter who was shown it in the last `window_days` (a question
  of theirs answered with it, or a list pick of it: `questions.entry_id`; or a checker's answer
  that linked it, on a ticket they waited on) gets the entry as it is now, in their language,
  through the outbox, with the feedback buttons of a card;
- an entry remembered as published that is no longer published (deleted, or its status changed)
  becomes a retracted version, and the same voters are told it was withdrawn.

Once: the version row and its outbox rows are written in one transaction, and (entry_id, seq) is
unique, so of several processes sharing the database (or one restarted) exactly one inserts the
next version and enqueues; the others' inserts fail and change nothing. Each voter gets one
message per change (the dedupe key is the version and the voter), however often they were shown
the entry. The rows hold no voter data beyond the outbox's own (deleted by /forget with the rest).

A reload that would retract more than half of the remembered entries at once (a knowledge
directory swapped or half-deleted by mistake) retracts nothing and logs a warning: that is for a
maintainer to fix, not news for thousands of voters.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.cards import feedback_buttons
from bot.core.state import stored_token
from bot.escalation.notification_text import render_correction
from bot.escalation.ticket_common import _dialect_insert, _outbox_row, enqueue
from bot.escalation.ticket_index import ticket_id_of
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    EntryVersion,
    Question,
    Ticket,
    TicketStatus,
    TicketSubscriber,
    Voter,
)
from knowledge.loader import KnowledgeBase
from knowledge.model import Entry
from nlu.languages import LANGUAGES

log = logging.getLogger(__name__)

#: Voters shown an entry this many days before it changed are told.
WINDOW_DAYS = 30
PUBLISHED = "published"
RETRACTED = "retracted"
#: A reload retracting more than this share of the remembered entries (and more than
#: MASS_RETRACTION_MIN of them) is taken for a mistake (see the module doc).
MASS_RETRACTION_SHARE = 0.5
MASS_RETRACTION_MIN = 5


def fingerprint(entry: Entry) -> str:
    """What a voter was told, as a hash: the kind, the verdict and the answer in every
    language. Wording of the claim, variants, sources and topics may change without a
    correction (the voter's answer did not)."""
    told = {
        "kind": entry.kind,
        "verdict": entry.verdict if entry.kind == "claim" else None,
        "answer": {lang: " ".join(entry.answer[lang].split()) for lang in sorted(entry.answer)},
    }
    return hashlib.sha256(
        json.dumps(told, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()


@dataclass
class CorrectionReport:
    """What one look at the knowledge did (for logs and tests)."""

    remembered: int = 0  # entries seen for the first time
    changed: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # a mass retraction not acted on
    notifications: int = 0


@dataclass(frozen=True)
class _Shown:
    voter_id: int
    chat_id: int
    language: str
    question_id: int | None


class Corrections:
    """Sends corrections when the curated knowledge changes (see the module doc)."""

    def __init__(
        self, database: Database, *, window_days: int = WINDOW_DAYS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = database
        self.window = timedelta(days=window_days)
        self.clock = clock
        #: Called with the number of corrections enqueued (the composition root wakes the
        #: outbox dispatchers with it).
        self.listeners: list[Callable[[int], None]] = []

    def on_knowledge(self, knowledge: KnowledgeBase) -> CorrectionReport:
        """KnowledgeStore's reload callback (through AnsweredKnowledge): curated knowledge
        arrived. Synchronous (database work): the store calls it in its reload thread."""
        report = CorrectionReport()
        entries = {
            e.id: e for e in knowledge.published() if ticket_id_of(e.id) is None
        }
        latest = self._latest()
        report.remembered = self._remember(
            [e for entry_id, e in entries.items() if entry_id not in latest]
        )
        for entry_id, entry in entries.items():
            version = latest.get(entry_id)
            if version is None:
                continue
            if version.status != PUBLISHED or version.fingerprint != fingerprint(entry):
                added = self._new_version(entry_id, version.seq, entry, version.text)
                if added is not None:
                    report.changed.append(entry_id)
                    report.notifications += added
        gone = [v for entry_id, v in latest.items()
                if v.status == PUBLISHED and entry_id not in entries]
        tracked = sum(1 for v in latest.values() if v.status == PUBLISHED)
        if len(gone) > MASS_RETRACTION_MIN and len(gone) > MASS_RETRACTION_SHARE * tracked:
            log.warning(
                "the knowledge no longer publishes %d of %d entries; taking it for a mistake "
                "and sending no retractions (publish them again, or retract fewer at a time)",
                len(gone), tracked,
            )
            report.held_back = sorted(v.entry_id for v in gone)
            gone = []
        for version in gone:
            added = self._new_version(version.entry_id, version.seq, None, version.text)
            if added is not None:
                report.retracted.append(version.entry_id)
                report.notifications += added
        if report.notifications:
            for listener in list(self.listeners):
                try:
                    listener(report.notifications)
                except Exception:  # noqa: BLE001 - corrections are enqueued; the poll sends them
                    log.exception("corrections listener failed")
        return report

    # -- versions ------------------------------------------------------------------------------
    def _latest(self) -> dict[str, EntryVersion]:
        with self.db.session() as session:
            newest = (
                select(EntryVersion.entry_id, func.max(EntryVersion.seq).label("seq"))
                .group_by(EntryVersion.entry_id)
                .subquery()
            )
            rows = session.scalars(
                select(EntryVersion).join(
                    newest,
                    (EntryVersion.entry_id == newest.c.entry_id)
                    & (EntryVersion.seq == newest.c.seq),
                )
            ).all()
            session.expunge_all()
            return {row.entry_id: row for row in rows}

    def _remember(self, entries: Sequence[Entry]) -> int:
        """First versions of entries never seen before; a process that lost the race to
        remember one (another inserted it) simply finds it next time."""
        if not entries:
            return 0
        now = self.clock()
        with self.db.session() as session:
            insert = _dialect_insert(session)
            stmt = insert(EntryVersion.__table__).on_conflict_do_nothing(
                index_elements=["entry_id", "seq"]
            )
            session.connection().execute(stmt, [
                _version_row(e.id, 1, PUBLISHED, e, _text(e), now) for e in entries
            ])
        return len(entries)

    def _new_version(
        self, entry_id: str, previous_seq: int, entry: Entry | None, old_text: dict[str, Any]
    ) -> int | None:
        """Insert version previous_seq + 1 of the entry (None: retracted) and enqueue its
        corrections in the same transaction; the number enqueued, or None when another process
        inserted that version first (and so sent them)."""
        now = self.clock()
        status = PUBLISHED if entry is not None else RETRACTED
        text = _text(entry) if entry is not None else old_text
        try:
            with self.db.session() as session:
                version = EntryVersion(**_version_row(
                    entry_id, previous_seq + 1, status, entry, text, now
                ))
                session.add(version)
                session.flush()  # the unique (entry_id, seq) decides which process sends
                shown = self._shown(session, entry_id, now)
                rows = [self._row(session, version, entry, text, s, now) for s in shown]
                version.corrections = enqueue(session, rows)
                added = version.corrections
        except IntegrityError:
            log.info("version %d of entry %s was recorded by another process", previous_seq + 1,
                     entry_id)
            return None
        log.info("entry %s %s: %d correction(s) enqueued", entry_id,
                 "changed" if entry is not None else "retracted", added)
        return added

    # -- who was shown it ----------------------------------------------------------------------
    def _shown(self, session: Session, entry_id: str, now: datetime) -> list[_Shown]:
        """Each voter shown the entry in the window, once, with the question of theirs the
        feedback buttons name (their latest), in the language they are answered in."""
        since = now - self.window
        found: dict[int, _Shown] = {}
        asked = session.execute(
            select(
                Voter.id, Voter.chat_id, Voter.chosen_language, Voter.last_language,
                Question.language, Question.id,
            )
            .join(Voter, Voter.id == Question.voter_id)
            .where(Question.entry_id == entry_id, Question.created_at >= since)
            .order_by(Question.created_at.desc(), Question.id.desc())
        ).all()
        for voter_id, chat_id, chosen, last, language, question_id in asked:
            if voter_id not in found:
                found[voter_id] = _Shown(
                    voter_id, chat_id, _language(chosen, last, language), question_id
                )
        linked = session.execute(
            select(
                Voter.id, Voter.chat_id, Voter.chosen_language, TicketSubscriber.language,
                TicketSubscriber.question_id,
            )
            .join(Voter, Voter.id == TicketSubscriber.voter_id)
            .join(Ticket, Ticket.id == TicketSubscriber.ticket_id)
            .join(Answer, Answer.ticket_id == Ticket.id)
            .where(
                Answer.entry_id == entry_id, Ticket.status == TicketStatus.ANSWERED,
                Answer.created_at >= since,
            )
        ).all()
        for waiting_id, waiting_chat, waiting_chose, waiting_language, waiting_question in linked:
            if waiting_id not in found:
                found[waiting_id] = _Shown(
                    waiting_id, waiting_chat, _language(waiting_chose, None, waiting_language),
                    waiting_question,
                )
        return list(found.values())

    @staticmethod
    def _row(
        session: Session, version: EntryVersion, entry: Entry | None, text: dict[str, Any],
        shown: _Shown, now: datetime,
    ) -> dict[str, Any]:
        claim = str(text.get(shown.language) or next(iter(text.values()), ""))
        if entry is None:
            rendered = render_correction(
                claim=claim, verdict=None, answer=None, sources=(), language=shown.language
            )
            buttons: tuple[tuple[Any, ...], ...] = ()
        else:
            rendered = render_correction(
                claim=entry.text_in(shown.language),
                verdict=entry.verdict if entry.kind == "claim" else None,
                answer=dict(entry.answer), sources=[s.url for s in entry.sources],
                language=shown.language,
            )
            buttons = (
                feedback_buttons(entry.id, shown.language, stored_token(shown.question_id))
                if shown.question_id is not None else ()
            )
        row = _outbox_row(
            kind="correction", ticket_id=0, voter_id=shown.voter_id, chat_id=shown.chat_id,
            rendered=rendered, now=now, buttons=buttons,
        )
        row["ticket_id"] = None  # about an entry, not a ticket
        row["dedupe_key"] = f"correction:{version.id}:{shown.voter_id}"
        return row


def _language(chosen: str | None, last: str | None, asked: str | None) -> str:
    """The language the voter is answered in: chosen, else last detected, else the question's."""
    for language in (chosen, last, asked):
        if language in LANGUAGES:
            return str(language)
    return "en"


def _text(entry: Entry) -> dict[str, Any]:
    return {lang: entry.text[lang] for lang in entry.text}


def _version_row(
    entry_id: str, seq: int, status: str, entry: Entry | None, text: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "seq": seq,
        "fingerprint": fingerprint(entry) if entry is not None else RETRACTED,
        "status": status,
        "kind": entry.kind if entry is not None else "",
        "verdict": (entry.verdict if entry is not None and entry.kind == "claim" else None),
        "text": text,
        "corrections": 0,
        "created_at": now,
    }


__all__ = ["WINDOW_DAYS", "CorrectionReport", "Corrections", "fingerprint"]

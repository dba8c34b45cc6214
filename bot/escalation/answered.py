"""Answered tickets as knowledge: for the bot at once, and as files for maintainers to commit.

A checker's answer must reach the *next* voter who asks, not only the ones who waited, so
`answered_entries` turns every answered ticket into an `Entry` (id `ticket-<n>`, kind claim) that
the conversation's matcher indexes next to the curated knowledge. `export_answers` writes the
same entries as SPEC knowledge files, so maintainers can review them, add translations and
variants, and commit them to the curated knowledge (after which the curated entry should replace
the ticket: give it the same id or retract one of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from sqlalchemy import select

from bot.escalation.ticket_index import ticket_entry_id
from bot.storage.database import Database
from bot.storage.models import Answer, Ticket
from knowledge.model import LANGUAGES, Entry, Source


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def answered_entries(database: Database, *, since_ticket_id: int = 0) -> list[Entry]:
    """Every answered ticket as a published claim entry (id `ticket-<n>`), oldest first.

    The claims of tickets merged into an answered one become its variants, so every wording
    checkers saw leads to the answer. One query per call; cheap enough to run on every refresh.
    """
    with database.session() as session:
        answered = session.execute(
            select(Ticket, Answer)
            .join(Answer, Answer.ticket_id == Ticket.id)
            .where(Ticket.status == "answered", Ticket.id > since_ticket_id)
            .order_by(Ticket.id, Answer.id)
        ).all()
        merged = session.execute(
            select(Ticket.duplicate_of, Ticket.claim_text, Ticket.language).where(
                Ticket.status == "duplicate", Ticket.duplicate_of.is_not(None)
            )
        ).all()
    variants: dict[int, dict[str, list[str]]] = {}
    for target, claim, language in merged:
        variants.setdefault(target, {}).setdefault(_lang(language), []).append(claim)
    latest: dict[int, tuple[Ticket, Answer]] = {}
    for ticket, answer in answered:
        latest[ticket.id] = (ticket, answer)  # the newest answer wins if there are several
    return [_entry(t, a, variants.get(t.id, {})) for t, a in latest.values()]


def _entry(ticket: Ticket, answer: Answer, variants: dict[str, list[str]]) -> Entry:
    lang = _lang(ticket.language)
    stored = answer.sources or {}
    items = stored.get("sources", []) if isinstance(stored, dict) else stored
    sources = tuple(Source(url=s["url"] if isinstance(s, dict) else str(s)) for s in items)
    return Entry(
        id=ticket_entry_id(ticket.id),
        kind="claim",
        verdict=answer.verdict,
        text=MappingProxyType({lang: ticket.claim_text}),
        answer=MappingProxyType(dict(answer.explanation)),
        variants=MappingProxyType(
            {k: tuple(dict.fromkeys(v)) for k, v in variants.items() if v}
        ),
        sources=sources,
        published=answer.created_at.date() if answer.created_at else None,
        status="published",
    )


def merge_answered(matcher: Any, database: Database) -> Any:
    """`matcher` plus every answered ticket (Matcher.with_entries re-embeds only new texts)."""
    entries = answered_entries(database)
    return matcher.with_entries(entries) if entries else matcher


def entry_document(entry: Entry) -> dict[str, Any]:
    """An entry as the mapping a knowledge file holds (SPEC section 1, format version 1)."""
    doc: dict[str, Any] = {"id": entry.id, "kind": entry.kind}
    if entry.verdict is not None:
        doc["verdict"] = entry.verdict
    doc["text"] = {lang: entry.text[lang] for lang in LANGUAGES if lang in entry.text}
    variants = {lang: list(entry.variants[lang]) for lang in LANGUAGES if entry.variants.get(lang)}
    if variants:
        doc["variants"] = variants
    doc["answer"] = {lang: entry.answer[lang] for lang in LANGUAGES if lang in entry.answer}
    if entry.sources:
        doc["sources"] = [{"url": s.url} for s in entry.sources]
    if entry.published is not None:
        doc["published"] = entry.published
    doc["status"] = entry.status
    return doc


def export_answers(database: Database, directory: Path, entries: Iterable[Entry] | None = None
                   ) -> list[Path]:
    """Write each answered ticket to `<directory>/ticket-<n>.yml`; returns the files written.

    One file per ticket so a maintainer can review, edit, move or drop each one on its own. Files
    are rewritten in full, so exporting again refreshes them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in entries if entries is not None else answered_entries(database):
        path = directory / f"{entry.id}.yml"
        header = (
            f"# Exported from escalation ticket #{entry.id.removeprefix('ticket-')} by "
            "`factcheck kb export-answers`.\n# Review (add translations and variants) before "
            "committing it to the curated knowledge.\n"
        )
        body = yaml.safe_dump(
            {"entries": [entry_document(entry)]}, allow_unicode=True, sort_keys=False, width=100
        )
        tmp = path.with_suffix(".yml.tmp")
        tmp.write_text(header + body, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written



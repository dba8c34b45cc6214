"""Answered tickets as knowledge: for the bot at once, and as files for maintainers to commit.

A checker's answer must reach the *next* voter who asks, not only the ones who waited, so
`answered_entries` turns every answered ticket into an `Entry` (id `ticket-<n>`, kind claim) that
the conversation's matcher indexes next to the curated knowledge. `export_answers` writes the
same entries as SPEC knowledge files, so maintainers can review them, add translations and
variants, and commit them to the curated knowledge (after which the curated entry should replace
the ticket: give it the same id or retract one of them).

Only the checker's wording of a claim (Ticket.claim_wording) is ever shown: a voter's words are
seen by that voter and the checkers, nobody else. An answered ticket nobody has worded is neither
served nor exported; the askers' own words are kept as variants of the served entry, which the
matcher reads and no card shows, and never written to the exported files, which go into git.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from sqlalchemy import select

from bot.escalation.ticket_index import ticket_entry_id, wording_language
from bot.storage.database import Database
from bot.storage.models import Answer, Ticket, TicketStatus
from knowledge.model import Entry, Source
from nlu.languages import LANGUAGES


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def answered_entries(
    database: Database, *, since_ticket_id: int = 0, for_export: bool = False
) -> list[Entry]:
    """Every answered and worded ticket as a claim entry (id `ticket-<n>`), oldest first.

    The entry's text is the checker's wording. To be served (published), the askers' own words
    and the claims of tickets merged into it become its variants, so every way voters put it
    leads to the answer; `for_export` (files for git) keeps only checkers' wordings there, gives
    the region, and marks the entry a draft for a maintainer to review. One query per call;
    cheap enough to run on every refresh.
    """
    with database.session() as session:
        answered = session.execute(
            select(Ticket, Answer)
            .join(Answer, Answer.ticket_id == Ticket.id)
            .where(
                Ticket.status == TicketStatus.ANSWERED, Ticket.id > since_ticket_id,
                Ticket.claim_wording.is_not(None),
            )
            .order_by(Ticket.id, Answer.id)
        ).all()
        merged = session.execute(
            select(Ticket.duplicate_of, Ticket.claim_text, Ticket.claim_wording, Ticket.language)
            .where(Ticket.status == TicketStatus.DUPLICATE, Ticket.duplicate_of.is_not(None))
        ).all()
    variants: dict[int, dict[str, list[str]]] = {}
    for target, claim, wording, language in merged:
        if target is None:
            continue
        if wording:
            lang = wording_language(wording, language)
            variants.setdefault(target, {}).setdefault(lang, []).append(wording)
        if claim and not for_export:
            variants.setdefault(target, {}).setdefault(_lang(language), []).append(claim)
    latest: dict[int, tuple[Ticket, Answer]] = {}
    for ticket, answer in answered:
        latest[ticket.id] = (ticket, answer)  # the newest answer wins if there are several
    # A ticket answered by linking a knowledge entry is that entry, which is served already: a
    # second entry saying the same would only make the matcher hesitate between the two.
    return [
        _entry(t, a, variants.get(t.id, {}), for_export=for_export)
        for t, a in latest.values() if a.entry_id is None
    ]


def _entry(
    ticket: Ticket, answer: Answer, variants: dict[str, list[str]], *, for_export: bool
) -> Entry:
    wording = ticket.claim_wording or ""
    lang = wording_language(wording, ticket.language)
    variants = {k: list(v) for k, v in variants.items()}
    if ticket.claim_text and not for_export:
        variants.setdefault(_lang(ticket.language), []).insert(0, ticket.claim_text)
    stored = answer.sources or {}
    items = stored.get("sources", []) if isinstance(stored, dict) else stored
    sources = tuple(Source(url=s["url"] if isinstance(s, dict) else str(s)) for s in items)
    return Entry(
        id=ticket_entry_id(ticket.id),
        # No verdict: a question of fact the checker answered (served as information).
        kind="claim" if answer.verdict else "fact",
        verdict=answer.verdict,
        region=ticket.region,
        text=MappingProxyType({lang: wording}),
        answer=MappingProxyType(dict(answer.explanation)),
        variants=MappingProxyType(
            {k: tuple(x for x in dict.fromkeys(v) if x != wording) for k, v in variants.items()
             if any(x != wording for x in v)}
        ),
        sources=sources,
        published=answer.created_at.date() if answer.created_at else None,
        status="draft" if for_export else "published",
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
    if entry.region is not None:
        doc["region"] = entry.region
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
    """Write each answered, worded ticket to `<directory>/ticket-<n>.yml` as a draft entry in
    the checker's wording; returns the files written.

    One file per ticket so a maintainer can review, edit, move or drop each one on its own. Files
    are rewritten in full, so exporting again refreshes them. No voter's words are written: the
    files are meant for git. Tickets answered without a wording are left out (see
    `unworded_answers`); a checker words them with `factcheck tickets word`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    chosen = entries if entries is not None else answered_entries(database, for_export=True)
    for entry in chosen:
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


def unworded_answers(database: Database) -> list[int]:
    """Answered tickets with no checker's wording: not served as knowledge, not exported."""
    with database.session() as session:
        return list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.status == TicketStatus.ANSWERED, Ticket.claim_wording.is_(None))
                .order_by(Ticket.id)
            ).all()
        )



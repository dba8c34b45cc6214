"""`factcheck kb learned`: the phrasings voters taught the bot, for checkers and maintainers.

Voters teach the bot by picking an entry from a "did you mean" list (bot/core/learned.py): once
two voters agree, or a checker confirms, that message (normalised) is answered with the entry
directly. Here a checker sees them all (learned and pending, with their counts), confirms one
(served at once) or rejects one (never served again, whoever picks it), and a maintainer exports
the learned ones as `variants` in the knowledge format, to review and commit.

A voter's raw words are seen only by that voter and the checkers: the export holds only the
normalised phrasing, and only of learned phrasings (two voters or a checker stood behind it).
The `kb` group lives in bot/cli/kb.py; it adds this action by calling `add_learned`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.learned import PhrasingView
    from knowledge.model import Entry

#: The file written when --export names a directory.
EXPORT_NAME = "learned-phrasings.yml"


def add_learned(kb_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = kb_subparsers.add_parser(
        "learned",
        help="phrasings voters taught by picking from lists: list, confirm, reject, export",
        description="Lists what voters taught the bot: messages (normalised) for which voters "
        "picked an entry from a 'did you mean' list. A phrasing is learned (answered directly, "
        "when the matcher offers that entry for the message) once two different voters picked "
        "the same entry and none said 'not what I asked', or once a checker confirmed it; until "
        "then it is pending. A rejected phrasing is never served again. --export writes the "
        "learned phrasings as variants of their entries in the knowledge format (SPEC section "
        "1), normalised, never a voter's raw message, for a maintainer to review and copy into "
        "the entries' files before committing: nothing reaches the curated knowledge unreviewed.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--confirm", type=int, metavar="ID", help="confirm a phrasing: served from now on"
    )
    action.add_argument(
        "--reject", type=int, metavar="ID", help="reject a phrasing: never served again"
    )
    action.add_argument(
        "--export", type=Path, metavar="DIR_OR_FILE",
        help=f"write the learned phrasings as variants (a .yml file, or DIR/{EXPORT_NAME}) "
        "for a maintainer to review",
    )
    parser.add_argument(
        "--as", dest="actor", type=int, default=None, metavar="CHECKER_ID",
        help="your Telegram user id (must be a checker): needed to confirm or reject",
    )
    parser.add_argument(
        "--knowledge", metavar="DIR", type=Path, default=None,
        help="knowledge directory the entries are read from for --export (default: "
        "KNOWLEDGE_DIR, else the bundled knowledge/base)",
    )
    parser.add_argument("--json", action="store_true", help="list as JSON lines")
    parser.set_defaults(handler=run_learned)
    return parser


def run_learned(args: argparse.Namespace) -> int:
    from bot.cli.checkers import open_database
    from bot.storage.repository import Repository

    database = open_database()
    repository = Repository(database)
    if args.confirm is not None or args.reject is not None:
        from bot.escalation.checker_registry import CheckerRegistry

        if args.actor is None or not CheckerRegistry.from_settings(database).is_checker(
            args.actor
        ):
            print("error: confirming or rejecting needs --as CHECKER_ID of a checker "
                  "(see `factcheck checkers list`)", file=sys.stderr)
            return 1
        confirm = args.confirm is not None
        phrasing_id = args.confirm if confirm else args.reject
        if not repository.decide_learned(phrasing_id, checker_id=args.actor, confirm=confirm):
            print(f"error: no learned phrasing #{phrasing_id}", file=sys.stderr)
            return 1
        print(f"phrasing #{phrasing_id} {'confirmed' if confirm else 'rejected'}")
        return 0
    views = repository.list_learned()
    if args.export is not None:
        return _export(views, args.export, args.knowledge)
    if args.json:
        for view in views:
            print(json.dumps(_as_json(view), ensure_ascii=False))
        return 0
    if not views:
        print("nothing learned yet")
        return 0
    print(f"{'ID':>5}  {'STATUS':<8}  {'AGREE':>5}  {'NO':>3}  {'LANG':<4}  ENTRY / PHRASING")
    for view in views:
        checker = f" (checker {view.confirmed_by})" if view.confirmed_by is not None else ""
        phrase = view.phrase or "(words deleted by the voter)"
        print(f"{view.id:>5}  {view.status:<8}  {view.agree:>5}  {view.disagree:>3}  "
              f"{view.language:<4}  {view.entry_id}{checker}\n{'':>36}{phrase}")
    return 0


def _as_json(view: PhrasingView) -> dict[str, Any]:
    return {
        "id": view.id, "status": view.status, "agree": view.agree, "disagree": view.disagree,
        "confirmed_by": view.confirmed_by, "language": view.language, "entry": view.entry_id,
        "phrase": view.phrase, "created_at": view.created_at.isoformat(),
    }


def _export(views: list[PhrasingView], target: Path, knowledge: Path | None) -> int:
    """Write the learned phrasings under their entries (see export_document)."""
    import yaml

    from bot.cli.kb import default_knowledge_dir
    from knowledge.loader import check_directory

    directory = knowledge or default_knowledge_dir()
    entries, errors, _ = check_directory(directory)
    if errors:
        print(f"error: the knowledge in {directory} is invalid; run `factcheck kb validate`",
              file=sys.stderr)
        return 1
    document, unknown = export_document(views, {e.id: e for e in entries})
    if unknown:
        print(f"skipped phrasings of entries no longer in {directory}: {', '.join(unknown)}",
              file=sys.stderr)
    path = target / EXPORT_NAME if target.suffix not in (".yml", ".yaml") else target
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Phrasings voters taught the bot (`factcheck kb learned --export`), normalised.\n"
        "# For a maintainer to REVIEW: copy the variants you agree with into each entry's own\n"
        "# file (named in the comment above it), then commit. Every other field is copied from\n"
        "# the knowledge only to keep this file valid: this file itself must not go into the\n"
        "# knowledge directory (its ids are taken there).\n"
    )
    body = ["entries:"]
    for doc in document["entries"]:
        body.append(f"  # edit: {doc.pop('file')}")
        dumped = yaml.safe_dump([doc], allow_unicode=True, sort_keys=False, width=100)
        body.extend(f"  {line}" for line in dumped.splitlines())
    if not document["entries"]:
        body = ["entries: []"]
    path.write_text(header + "\n".join(body) + "\n", encoding="utf-8")
    count = sum(len(v) for e in document["entries"] for v in e["variants"].values())
    print(f"{count} learned phrasing(s) of {len(document['entries'])} entries written to {path}",
          file=sys.stderr)
    return 0


def export_document(
    views: list[PhrasingView], entries: dict[str, Entry]
) -> tuple[dict[str, Any], list[str]]:
    """{"entries": [...]}: each entry with a learned phrasing, as in the knowledge, except that
    `variants` holds only the learned phrasings the entry does not already have; and the ids of
    entries not in the knowledge. Only learned phrasings, and only their normalised words."""
    from bot.core.learned import phrase_of
    from bot.escalation.answered import entry_document

    taught: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    unknown: list[str] = []
    for view in views:
        if not view.learned or not view.phrase:
            continue
        entry = entries.get(view.entry_id)
        if entry is None:
            if view.entry_id not in unknown:
                unknown.append(view.entry_id)
            continue
        known = {phrase_of(t, lang) for lang, t in entry.text.items()} | {
            phrase_of(v, lang) for lang, vs in entry.variants.items() for v in vs
        }
        lang = view.language if view.language in ("th", "ms", "en") else "en"
        if view.phrase not in known and view.phrase not in taught[entry.id][lang]:
            taught[entry.id][lang].append(view.phrase)
    out = []
    for entry_id, variants in taught.items():
        if not any(variants.values()):
            continue
        doc = entry_document(entries[entry_id])
        doc["variants"] = {lang: list(v) for lang, v in variants.items() if v}
        doc["file"] = entries[entry_id].file  # written as a comment, not a field
        out.append(doc)
    return {"entries": out}, unknown


__all__ = ["EXPORT_NAME", "add_learned", "export_document", "run_learned"]

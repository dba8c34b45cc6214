"""`factcheck kb`: tools for the maintainers who curate the knowledge files.

`validate` is what a maintainer runs before committing (and what CI can run): it lists every
problem in one go, each with file, line and entry id, so one edit-check cycle fixes them all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bot.cli.export_answers import add_export_answers
from bot.cli.learned import add_learned
from knowledge.loader import check_directory
from knowledge.model import Entry
from nlu.languages import LANGUAGES


def default_knowledge_dir() -> Path:
    from bot.config import get_settings

    return get_settings().knowledge_dir


def add_knowledge_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        type=Path,
        default=None,
        help="knowledge directory (default: KNOWLEDGE_DIR, else the bundled knowledge/base)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    kb = subparsers.add_parser("kb", help="validate and inspect knowledge files")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION", required=True)

    validate = kb_sub.add_parser(
        "validate",
        help="check a knowledge directory; exit 1 listing every error",
        description="Check every *.yml/*.yaml file below the directory against the knowledge "
        "format (SPEC section 1). Exits 0 when valid, 1 with every error (file:line: [id] "
        "message) otherwise.",
    )
    add_knowledge_argument(validate)
    validate.set_defaults(handler=run_validate)

    stats = kb_sub.add_parser(
        "stats",
        help="counts by kind, verdict, region and language; entries missing a language",
    )
    add_knowledge_argument(stats)
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.set_defaults(handler=run_stats)
    add_export_answers(kb_sub)
    add_learned(kb_sub)


def run_validate(args: argparse.Namespace) -> int:
    directory = args.knowledge or default_knowledge_dir()
    entries, errors, warnings = check_directory(directory)
    for problem in sorted(warnings):
        print(f"warning: {problem}", file=sys.stderr)
    if errors:
        for problem in sorted(errors):
            print(f"error: {problem}")
        print(f"{len(errors)} error(s) in {directory}; this knowledge would be refused.")
        return 1
    published = sum(e.is_published for e in entries)
    print(f"OK: {len(entries)} entries ({published} published) in {directory}")
    return 0


def knowledge_stats(entries: list[Entry]) -> dict[str, Any]:
    """Counts a maintainer needs to see coverage gaps at a glance."""
    missing: dict[str, list[str]] = {}
    for entry in entries:
        gaps: list[str] = [
            lang for lang in LANGUAGES if lang not in entry.text or lang not in entry.answer
        ]
        if gaps:
            missing[entry.id] = gaps
    return {
        "entries": len(entries),
        "status": dict(Counter(e.status for e in entries)),
        "kind": dict(Counter(e.kind for e in entries)),
        "verdict": dict(Counter(e.verdict for e in entries if e.verdict)),
        "region": dict(Counter(e.region or "-" for e in entries)),
        "language": {
            lang: {
                "text": sum(lang in e.text for e in entries),
                "answer": sum(lang in e.answer for e in entries),
            }
            for lang in LANGUAGES
        },
        "missing_language": missing,
    }


def run_stats(args: argparse.Namespace) -> int:
    directory = args.knowledge or default_knowledge_dir()
    entries, errors, _warnings = check_directory(directory)
    if errors:
        print(
            f"{len(errors)} error(s) in {directory}; run `factcheck kb validate`. "
            "Figures below cover the valid entries only.",
            file=sys.stderr,
        )
    stats = knowledge_stats(entries)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 1 if errors else 0
    print(f"Knowledge in {directory}: {stats['entries']} entries")
    for title in ("status", "kind", "verdict", "region"):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(stats[title].items()))
        print(f"  {title:<9} {counts or '-'}")
    print("  language  (entries with text / with answer)")
    for lang, counts in stats["language"].items():
        print(f"    {lang}: {counts['text']} / {counts['answer']}")
    missing = stats["missing_language"]
    print(f"  entries missing a language: {len(missing)}")
    for entry_id, gaps in sorted(missing.items()):
        print(f"    {entry_id}: no {', '.join(gaps)}")
    return 1 if errors else 0

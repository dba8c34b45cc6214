"""`factcheck kb export-answers DIR`: answered tickets as knowledge files for maintainers.

The `kb` group lives in bot/cli/kb.py; it adds this action by calling `add_export_answers` with
its subparsers. Also runnable alone: `python -m bot.cli.export_answers DIR`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_export_answers(kb_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = kb_subparsers.add_parser(
        "export-answers",
        help="write answered escalation tickets as knowledge files (one per ticket) to review",
        description="Writes every answered ticket as DIR/ticket-<n>.yml in the knowledge format "
        "(SPEC section 1), as a draft entry in the checker's wording of the claim with its "
        "region, then validates DIR. No voter's words are written. Tickets answered without a "
        "wording are listed and skipped: word them with `factcheck tickets word N`. Review the "
        "files (add translations and variants, set status: published) before committing them "
        "to the curated knowledge.",
    )
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.set_defaults(handler=run_export_answers)
    return parser


def run_export_answers(args: argparse.Namespace) -> int:
    from bot.cli.checkers import open_database
    from bot.escalation.answered import export_answers, unworded_answers
    from knowledge.loader import check_directory

    database = open_database()
    written = export_answers(database, args.directory)
    skipped = unworded_answers(database)
    if skipped:
        numbers = ", ".join(f"#{n}" for n in skipped)
        print(f"skipped {len(skipped)} answered ticket(s) without a checker's wording of the "
              f"claim ({numbers}): word them with `factcheck tickets word N --wording TEXT`",
              file=sys.stderr)
    _, errors, _ = check_directory(args.directory)
    for problem in sorted(errors):
        print(f"error: {problem}")
    print(f"{len(written)} answered ticket(s) written to {args.directory}", file=sys.stderr)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="factcheck kb")
    add_export_answers(parser.add_subparsers(dest="kb_command", required=True))
    args = parser.parse_args(["export-answers", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

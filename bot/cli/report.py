"""`factcheck report`: what voters are asking, for fact-checkers and maintainers.

`trends` reads the stored questions, tickets and feedback (it never writes) and prints the
report as text, JSON or a self-contained HTML file with charts. Heavy imports (SQLAlchemy
queries, matplotlib) happen inside the handler so `factcheck --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.cli.kb import add_knowledge_argument, default_knowledge_dir


def _span(value: str) -> timedelta:
    from bot.reports.period import parse_span

    try:
        return parse_span(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: use ISO 8601, e.g. 2026-11-22T06:00Z"
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser("report", help="reports for fact-checkers: trends")
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    trends = report_sub.add_parser(
        "trends",
        help="most asked entries, open tickets, answer rate and rising keywords",
        description="What voters asked in the period (default: the last 7 days) compared with "
        "the period of the same length before: questions per day by language and decision, "
        "answer rate, most asked and rising knowledge entries, open tickets by askers, rising "
        "keywords and phrases per language, and feedback per entry. Voter wording appears only "
        "when at least 3 people asked it; voters are never named.",
    )
    trends.add_argument(
        "--since",
        type=_span,
        default="7d",
        metavar="SPAN",
        help="length of the period ending now: 24h, 7d, 2w ... (default 7d)",
    )
    trends.add_argument("--language", choices=("th", "ms", "en"), help="only this language")
    trends.add_argument(
        "--format", choices=("text", "json", "html"), default="text", help="default: text"
    )
    trends.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    trends.add_argument(
        "--until",
        type=_moment,
        metavar="TIME",
        help="end of the period (ISO 8601; default now; without a zone, UTC)",
    )
    trends.add_argument("--database", metavar="URL", help="SQLAlchemy URL (default DATABASE_URL)")
    add_knowledge_argument(trends)
    trends.set_defaults(handler=run_trends)


def run_trends(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.config import get_settings
    from bot.reports.trends import build_trends
    from bot.storage import Database
    from knowledge.loader import KnowledgeInvalid, load_directory

    settings = get_settings()
    try:
        knowledge = load_directory(args.knowledge or default_knowledge_dir())
    except KnowledgeInvalid as error:
        print(f"warning: knowledge not loaded, entry texts left out: {error}", file=sys.stderr)
        knowledge = None
    database = Database(args.database or settings.database_url)
    try:
        report = build_trends(
            database, knowledge, span=args.since, language=args.language, now=args.until
        )
    except (OperationalError, ProgrammingError) as error:
        print(
            f"error: cannot read the bot's tables ({error.orig}); is DATABASE_URL the bot's "
            "database, and has the bot run once (it creates the tables)?",
            file=sys.stderr,
        )
        return 1
    finally:
        database.dispose()

    if args.format == "json":
        from bot.reports.trends_format import render_json

        output = render_json(report) + "\n"
    elif args.format == "html":
        from bot.reports.html_report import render_html

        output = render_html(report)
    else:
        from bot.reports.trends_format import render_text

        output = render_text(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(output, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0

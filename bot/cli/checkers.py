"""`factcheck checkers`: who may act on tickets, besides the ids in CHECKER_IDS.

Run by whoever operates the database (the audit trail records them as actor 0, "operator").
"""

from __future__ import annotations

import argparse
import json
import sys


def open_database():  # type: ignore[no-untyped-def]
    """The configured database (DATABASE_URL), migrated to the newest schema.

    Alembic's INFO lines are silenced unless -v: a checker running `tickets list` wants the
    queue, not the migration log.
    """
    import logging

    from bot.config import get_settings

    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    from bot.storage import Database

    database = Database(get_settings().database_url)
    database.migrate()
    return database


def register(subparsers: argparse._SubParsersAction) -> None:
    checkers = subparsers.add_parser("checkers", help="add, remove and list fact-checkers")
    sub = checkers.add_subparsers(dest="checkers_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="let a Telegram user act on tickets")
    add.add_argument("user_id", type=int, metavar="TELEGRAM_USER_ID")
    add.add_argument("--name", default=None, help="a name to recognise them by")
    add.set_defaults(handler=run_add)

    remove = sub.add_parser("remove", help="stop a Telegram user acting on tickets")
    remove.add_argument("user_id", type=int, metavar="TELEGRAM_USER_ID")
    remove.set_defaults(handler=run_remove)

    listing = sub.add_parser("list", help="every checker, from CHECKER_IDS and the database")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=run_list)


def _registry():  # type: ignore[no-untyped-def]
    from bot.escalation.checker_registry import CheckerRegistry

    return CheckerRegistry.from_settings(open_database())


def run_add(args: argparse.Namespace) -> int:
    from bot.escalation.errors import EscalationError

    try:
        added = _registry().add(args.user_id, name=args.name)
    except EscalationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.user_id} {'added' if added else 'was already a checker'}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from bot.escalation.errors import EscalationError

    try:
        removed = _registry().remove(args.user_id)
    except EscalationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not removed:
        print(f"error: {args.user_id} is not a checker", file=sys.stderr)
        return 1
    print(f"{args.user_id} removed")
    return 0


def run_list(args: argparse.Namespace) -> int:
    for info in _registry().list():
        if args.json:
            print(json.dumps({"user_id": info.telegram_id, "name": info.name,
                              "source": info.source}, ensure_ascii=False))
        else:
            name = f"  {info.name}" if info.name else ""
            print(f"{info.telegram_id}  ({info.source}){name}")
    return 0

"""`factcheck run`: the bot on Telegram when TELEGRAM_TOKEN is set, else the local chat."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="start the bot: Telegram when TELEGRAM_TOKEN is set, else a local terminal chat",
    )
    from bot.cli.chat import add_chat_arguments

    add_chat_arguments(run)
    run.set_defaults(handler=run_bot)


def run_bot(args: argparse.Namespace) -> int:
    from bot.config import get_settings

    settings = get_settings()
    if settings.telegram_token:
        if getattr(args, "knowledge", None) is not None:
            settings = settings.model_copy(update={"knowledge_dir": args.knowledge})
        if getattr(args, "database", None):
            settings = settings.model_copy(update={"database_url": args.database})
        from bot.telegram.app import run_telegram  # heavy (python-telegram-bot): only when needed

        run_telegram(settings)
        return 0
    print(
        "TELEGRAM_TOKEN is not set: starting the local chat instead (see README for Telegram).",
        file=sys.stderr,
    )
    from bot.cli.chat import run_chat

    return run_chat(args)

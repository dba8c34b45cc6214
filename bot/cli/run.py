"""`factcheck run`: the bot on Telegram when TELEGRAM_TOKEN is set, else the local chat.

With BOT_ROLE=notifier it runs only the delivery of fact-checkers' answers (bot/telegram/
notifier.py), next to the one process that receives updates. The local chat has no health server:
it is one person's terminal, not a service anything monitors.
"""

from __future__ import annotations

import argparse
import logging
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
    from bot import logsafe
    from bot.config import get_settings

    settings = get_settings()
    # Before anything can log a Bot API URL (python-telegram-bot does at DEBUG).
    logsafe.install([settings.telegram_token, settings.webhook_secret])
    if not getattr(args, "verbose", False):  # -v (DEBUG) wins over LOG_LEVEL
        logging.getLogger().setLevel(settings.log_level)
    if settings.bot_role == "notifier":
        if not settings.telegram_token:
            print("BOT_ROLE=notifier needs TELEGRAM_TOKEN: it sends through Telegram.",
                  file=sys.stderr)
            return 2
        if getattr(args, "database", None):
            settings = settings.model_copy(update={"database_url": args.database})
        from bot.telegram.notifier import run_notifier  # delivers the outbox, nothing else

        return run_notifier(settings)
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

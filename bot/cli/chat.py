"""`factcheck chat`: talk to the bot in the terminal, on the same core as Telegram."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    chat = subparsers.add_parser(
        "chat",
        help="chat with the bot in this terminal (no Telegram needed)",
        description="A local chat on the same conversation core as the Telegram bot. Buttons are "
        "numbered: type the number to press one. Reads piped standard input too (one message "
        "per line). /quit or end of input ends it.",
    )
    add_chat_arguments(chat)
    chat.set_defaults(handler=run_chat)


def add_chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", metavar="DIR", type=Path, default=None,
                        help="knowledge directory (default: KNOWLEDGE_DIR or the bundled one)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy database URL (default: DATABASE_URL or var/factcheck.db)")
    parser.add_argument("--spool", metavar="FILE", type=Path, default=None,
                        help="where escalations wait while the database is down "
                        "(default: SPOOL_PATH, else var/spool.jsonl)")
    parser.add_argument("--user-id", type=int, default=1, help="the voter's id (default 1)")
    parser.add_argument("--language-code", default=None,
                        help="what Telegram would report as the voter's app language, e.g. th")


def run_chat(args: argparse.Namespace) -> int:
    from bot.config import get_settings

    settings = get_settings()
    updates: dict[str, object] = {}
    if getattr(args, "knowledge", None) is not None:
        updates["knowledge_dir"] = args.knowledge
    if getattr(args, "database", None):
        updates["database_url"] = args.database
    if updates:
        settings = settings.model_copy(update=updates)
    return asyncio.run(_chat(settings, args))


async def _chat(settings: object, args: argparse.Namespace) -> int:
    from bot.console_chat import run_console
    from bot.services import build_services

    services = build_services(settings, spool_path=getattr(args, "spool", None))  # type: ignore[arg-type]
    await asyncio.to_thread(services.intents.warm_up)
    await services.start(watch=True)
    try:
        return await run_console(
            services.conversation,
            user_id=getattr(args, "user_id", 1),
            language_code=getattr(args, "language_code", None),
            escalation=services.escalation,
        )
    finally:
        await services.aclose()

"""`BOT_ROLE=notifier`: a process that only delivers fact-checkers' answers to voters.

Why this role exists, and why it is the only way to run more than one process per bot token:

* Updates must have exactly one receiver. Telegram hands a bot's updates to one long-polling
  connection (a second `getUpdates` caller gets 409 Conflict) or posts them to one webhook URL,
  and the conversation keeps short-lived state per chat in memory (the question a "did you mean"
  list belongs to, a pending "talk to a human", the batching of a message sent in parts, the
  per-voter rate limit). So one process (`BOT_ROLE=all`) receives updates.
* Notifications can have many senders. They are rows in the database's outbox; a dispatcher
  claims due rows with FOR UPDATE SKIP LOCKED under a lease and marks each one sent in its own
  transaction (bot/escalation/outbox.py), so dispatchers in several processes deliver disjoint
  rows: no voter is told twice, none is forgotten.

A notifier keeps delivering while the main bot restarts (a deploy in the middle of a fan-out to
thousands of voters) and takes the fan-out's sending off the process that answers voters. It
needs nothing of the conversation - no knowledge, models or Rasa - so it starts in a second.
Telegram's limit of about 30 messages per second is per token: give each process its share
with OUTBOX_RATE_PER_SECOND.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.ext import AIORateLimiter, ExtBot

from bot.config import ConfigurationError, Settings
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ratelimit import Limits
from bot.monitoring.health import Monitor
from bot.monitoring.server import start_health_server
from bot.storage.database import Database
from bot.telegram.app import RATE_LIMIT_RETRIES, api_base_url, file_base_url, wait_for_telegram
from bot.telegram.desk_and_notifications import make_sender

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> ExtBot[None]:
    """A Bot API client configured like the main bot's (same server, same retry on 429)."""
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_TOKEN is not set")
    options: dict[str, str] = {}
    if settings.telegram_api_url:
        base = api_base_url(settings.telegram_api_url)
        options = {"base_url": base, "base_file_url": file_base_url(base)}
    return ExtBot(
        settings.telegram_token,
        rate_limiter=AIORateLimiter(max_retries=RATE_LIMIT_RETRIES),
        **options,
    )


async def serve_notifications(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver the outbox until `stop` is set, then stop cleanly: rows claimed but not yet
    handed to Telegram are given back at once for another process to send."""
    database = Database(settings.database_url)
    try:
        # Same schema as the main bot; the migration lock makes concurrent starts safe.
        await asyncio.to_thread(database.migrate)
        bot = make_bot(settings)
        try:
            if not await wait_for_telegram(bot, stop):
                log.info("notifier stopped before Telegram could be reached")
                return
            dispatcher = OutboxDispatcher(
                database,
                make_sender(bot),
                limits=Limits(per_second=settings.outbox_rate_per_second),
            )
            monitor = Monitor(role="notifier", database=database, dispatchers=lambda: (dispatcher,))
            health = await start_health_server(
                monitor, settings.health_listen, settings.health_port
            )
            log.info(
                "notifier for @%s: delivering fact-checkers' answers, at most %d per second",
                bot.username, settings.outbox_rate_per_second,
            )
            try:
                await dispatcher.run(stop)
            finally:
                if health is not None:
                    await health.close()
            log.info("notifier stopped (%d delivered)", dispatcher.stats.sent)
        finally:
            await bot.shutdown()
    finally:
        database.dispose()


def run_notifier(settings: Settings) -> int:
    """`factcheck run` with BOT_ROLE=notifier: until SIGINT or SIGTERM (exit status 0), or until
    the database or Telegram fails it at start (exit status 1, for the orchestrator to restart)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve_notifications(settings, stop)

    try:
        asyncio.run(main())
    except ConfigurationError:
        raise  # a person must fix it: `factcheck` says what, with exit status 2
    except Exception:  # noqa: BLE001 - say what failed; the orchestrator restarts the process
        log.exception("the notifier stopped on an error (database or Telegram unreachable?)")
        return 1
    return 0

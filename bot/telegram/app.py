"""The one python-telegram-bot `Application` of the bot, and how it runs.

`build_application` wires the services into PTB (handlers, rate limiter, Bot API URL, start and
stop hooks); `run_telegram` is what `factcheck run` calls when TELEGRAM_TOKEN is set. Long polling
is the default because it needs nothing but a token; webhook mode (WEBHOOK_URL) is for a server
with a public HTTPS address, and always uses a secret token so only Telegram can post updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import ConfigurationError, Settings
from bot.core.batching import MessageBatcher
from bot.escalation.ratelimit import Limits
from bot.monitoring.health import Monitor
from bot.monitoring.server import start_health_server
from bot.reports.digest import schedule_daily_digest, telegram_sender
from bot.storage.database import ANNOUNCE_LOCK, DIGEST_LOCK, ProcessLock
from bot.storage.inbox import Inbox
from bot.telegram import handlers
from bot.telegram.desk_and_notifications import (
    ANNOUNCE_SECONDS,
    DESK_KEY,
    TicketAnnouncer,
    announce_tickets,
    desk_for,
    make_sender,
)
from bot.telegram.handlers import STATE_KEY, App, BotState, identity, make_deliver
from bot.telegram.inbox import InboxWorker
from bot.texts import MENU_COMMANDS, t

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

#: Updates the bot asks Telegram for; nothing else is ever delivered (less traffic, less risk).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
#: Where the outbox dispatcher's stop event and task live in `application.bot_data`.
OUTBOX_KEY = "outbox"
#: Where the inbox worker (WEB_CONCURRENCY) lives in `bot_data`, and its stop event and task.
INBOX_KEY = "inbox"
INBOX_TASK_KEY = "inbox_task"
#: Where the health server (GET /healthz, GET /metrics) lives in `application.bot_data`.
HEALTH_KEY = "health_server"
#: How often the rate limiter retries a request Telegram answered with RetryAfter (429).
RATE_LIMIT_RETRIES = 3
#: Seconds between attempts to reach Telegram at start-up: doubling, then every minute.
START_RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)

#: The command menu, per Telegram interface language (None = everyone else: English); the words
#: are bot/texts' `menu_*` keys.
COMMAND_DESCRIPTIONS: dict[str | None, dict[str, str]] = {
    code: {name: t(code or "en", f"menu_{name}") for name in MENU_COMMANDS}
    for code in (None, "th", "ms")
}


def api_base_url(url: str) -> str:
    """PTB's `base_url` for a Bot API server URL.

    Accepts what people write: the server root ("http://localhost:8081", as for Telegram's own
    local Bot API server) or a URL that already ends in "/bot" (PTB's form); a "{token}"
    placeholder is passed through.
    """
    url = url.rstrip("/")
    if "{token}" in url or url.endswith("/bot"):
        return url
    return f"{url}/bot"


def file_base_url(base: str) -> str:
    """The file download URL that goes with a Bot API base URL (".../bot" → ".../file/bot")."""
    head, sep, tail = base.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base


async def wait_for_telegram(
    bot: Bot, stop: asyncio.Event, delays: tuple[float, ...] = START_RETRY_SECONDS
) -> bool:
    """Initialize `bot` (its getMe call), trying again with backoff while Telegram cannot be
    reached, and saying so each time: a network outage or a Bot API hiccup at start-up must not
    end the process with a traceback (nor make an orchestrator restart it in a tight loop).
    True once Telegram answered; False when `stop` was set first. A token Telegram refuses is
    not retried: that is a configuration error for a person to fix."""
    attempt = 0
    while not stop.is_set():
        try:
            await bot.initialize()
            if attempt:
                log.warning("Telegram is reachable again; starting")
            return True
        except InvalidToken:  # its message quotes the token: not repeated here
            raise ConfigurationError(
                "TELEGRAM_TOKEN was refused by Telegram; copy the token @BotFather gave"
            ) from None
        except NetworkError as exc:  # includes TimedOut and Telegram's 5xx answers
            delay = delays[min(attempt, len(delays) - 1)]
            attempt += 1
            log.warning(
                "Telegram is not reachable (attempt %d: %s: %s); trying again in %g s",
                attempt, type(exc).__name__, exc, delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    return False


def _telegram_reachable(settings: Settings) -> bool:
    """Before the Application starts (which gives up at the first failure): wait until
    Telegram answers, or until SIGINT/SIGTERM (False: stop without starting)."""
    import signal

    async def check() -> bool:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        options: dict[str, str] = {}
        if settings.telegram_api_url:
            base = api_base_url(settings.telegram_api_url)
            options = {"base_url": base, "base_file_url": file_base_url(base)}
        bot = Bot(settings.telegram_token or "", **options)
        try:
            return await wait_for_telegram(bot, stop)
        finally:
            with contextlib.suppress(Exception):
                await bot.shutdown()

    return asyncio.run(check())


def build_application(settings: Settings, services: Services) -> App:
    """The configured Application; nothing touches the network until it is run."""
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_TOKEN is not set")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_token)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_rate_per_second,
                max_retries=RATE_LIMIT_RETRIES,
            )
        )
        # Voters must not wait for each other; the batcher keeps each voter's turns in order.
        .concurrent_updates(True)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_api_url:
        base = api_base_url(settings.telegram_api_url)
        builder = builder.base_url(base).base_file_url(file_base_url(base))
    application = builder.build()
    state = BotState(
        conversation=services.conversation,
        batcher=MessageBatcher(
            make_deliver(application), window=settings.message_batch_seconds
        ),
    )
    application.bot_data[STATE_KEY] = state
    application.bot_data["services"] = services
    application.bot_data["settings"] = settings
    desk = desk_for(services, settings.checkers_chat_id)
    if desk is not None and settings.checkers_chat_id is not None:
        application.bot_data[DESK_KEY] = desk
        handlers.register(application, checkers_chat_id=settings.checkers_chat_id)
        if application.job_queue is not None and services.escalation is not None:
            application.job_queue.run_repeating(
                announce_tickets,
                interval=ANNOUNCE_SECONDS,
                first=0,
                chat_id=settings.checkers_chat_id,
                data=TicketAnnouncer(
                    services.escalation.tickets, desk,
                    lock=ProcessLock(services.escalation.database, ANNOUNCE_LOCK),
                ),
                name="announce-tickets",
            )
    else:
        if settings.checkers_chat_id is not None:
            log.warning(
                "CHECKERS_CHAT_ID is set but escalation is unavailable (no database?): "
                "the checkers' group is not served"
            )
        handlers.register(application)
    _schedule_digest(application, settings, services)
    if settings.web_concurrency is not None and services.database is not None:
        application.bot_data[INBOX_KEY] = _inbox_worker(application, settings, services)
    return application


def _inbox_worker(application: App, settings: Settings, services: Services) -> InboxWorker:
    """The worker that stores posted updates in the shared inbox and handles its slot's chats
    (bot/telegram/inbox.py); started with the Application."""
    assert services.database is not None and settings.web_concurrency is not None

    async def handle(payload: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(payload, application.bot))

    return InboxWorker(
        Inbox(services.database, settings.web_concurrency),
        handle,
        pinned_slot=settings.worker_index,
    )


def _schedule_digest(application: App, settings: Settings, services: Services) -> None:
    """Post the daily digest to the checkers' group at DIGEST_HOUR, when both are configured."""
    if settings.digest_hour is None:
        return
    if settings.checkers_chat_id is None or services.database is None:
        log.warning("DIGEST_HOUR is set but there is no CHECKERS_CHAT_ID or database: no digest")
        return
    if application.job_queue is None:  # pragma: no cover - job-queue is a declared extra
        log.warning("DIGEST_HOUR is set but the job queue is unavailable: no digest")
        return
    schedule_daily_digest(
        application.job_queue,
        hour=settings.digest_hour,
        database=services.database,
        knowledge=lambda: services.store.current,
        send=telegram_sender(application.bot, settings.checkers_chat_id),
        timezone=ZoneInfo(settings.digest_timezone),
        # Several processes on one database (WEB_CONCURRENCY workers): one posts it.
        once=ProcessLock(services.database, DIGEST_LOCK).held,
    )


async def set_commands(application: App) -> None:
    """Fill Telegram's command menu in each language; a failure only costs the menu."""
    for language, descriptions in COMMAND_DESCRIPTIONS.items():
        commands = [BotCommand(name, text) for name, text in descriptions.items()]
        try:
            await application.bot.set_my_commands(commands, language_code=language)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", language or "default", exc)


async def _post_init(application: App) -> None:
    # First, so that /healthz answers (and tells the orchestrator the bot is alive) while the
    # models below load.
    settings: Settings = application.bot_data["settings"]
    application.bot_data[HEALTH_KEY] = await start_health_server(
        Monitor.for_services(application.bot_data["services"], role=settings.bot_role),
        settings.health_listen,
        settings.health_port,
    )
    state: BotState = application.bot_data[STATE_KEY]
    state.me = identity(application.bot)
    log.info("Telegram bot @%s (id %s) starting", state.me.username, state.me.id)
    await set_commands(application)
    services: Services = application.bot_data["services"]
    # Train or load the intent model before the first update is taken, so the first voter does
    # not wait for it (Telegram keeps updates queued meanwhile).
    try:
        await asyncio.to_thread(services.intents.warm_up)
    except Exception:  # noqa: BLE001 - the first message will just be slower
        log.warning("warming up the intent model failed; it loads on first use", exc_info=True)
    # The services' background work: the knowledge watcher (hot reload of edited knowledge
    # files) and the spool retry loop, on the Application's event loop.
    await services.start(watch=True)
    _start_outbox(application, services, settings)
    worker: InboxWorker | None = application.bot_data.get(INBOX_KEY)
    if worker is not None:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop), name="inbox-worker")
        application.bot_data[INBOX_TASK_KEY] = (stop, task)


def _start_outbox(application: App, services: Services, settings: Settings) -> None:
    """Deliver fact-checkers' answers to the voters who asked (bot/escalation/outbox.py)."""
    escalation = services.escalation
    if escalation is None:
        return
    dispatcher = escalation.make_dispatcher(
        make_sender(application.bot),
        limits=Limits(per_second=settings.outbox_rate_per_second),
    )
    stop = asyncio.Event()
    application.bot_data[OUTBOX_KEY] = (
        stop,
        asyncio.create_task(dispatcher.run(stop), name="outbox-dispatcher"),
    )
    log.info("delivering fact-checkers' answers to voters")


async def _post_stop(application: App) -> None:
    inbox = application.bot_data.pop(INBOX_TASK_KEY, None)
    if inbox is not None:  # the chats in hand are finished and marked handled
        stop, task = inbox
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=30)
    outbox = application.bot_data.pop(OUTBOX_KEY, None)
    if outbox is not None:
        stop, task = outbox
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=10)
    # Questions still in the batcher's quiet period are answered while the bot can still send.
    state: BotState = application.bot_data[STATE_KEY]
    await state.batcher.drain()


async def _post_shutdown(application: App) -> None:
    health = application.bot_data.pop(HEALTH_KEY, None)
    if health is not None:
        await health.close()
    await application.bot_data["services"].aclose()


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or a fresh random one (setWebhook is called at every start)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    log.warning("WEBHOOK_SECRET is not set; using a random secret for this run")
    return secrets.token_urlsafe(32)


def run_telegram(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM: webhook mode when WEBHOOK_URL is set, else polling."""
    from bot.services import build_services

    # httpx logs every Bot API request and APScheduler every job run at INFO (a line per long
    # poll, two per ticket check): keep the log readable.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    problems = settings.inbox_problems()
    if problems:
        raise ConfigurationError("invalid configuration:\n  " + "\n  ".join(problems))
    if not _telegram_reachable(settings):
        log.info("stopped before Telegram could be reached")
        return
    services = build_services(settings)
    application = build_application(settings, services)
    if settings.webhook_url:
        from bot.telegram import webhook

        worker: InboxWorker | None = application.bot_data.get(INBOX_KEY)
        # A malformed body gets 400, not 500; with workers, updates go to the shared inbox.
        webhook.install(worker.accept if worker is not None else None)
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        log.info(
            "webhook mode: listening on %s:%s/%s%s",
            settings.webhook_listen,
            settings.webhook_port,
            path,
            f" (one of {settings.web_concurrency} workers sharing the inbox)"
            if worker is not None else "",
        )
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        log.info("long-polling mode")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)

"""The composition root: everything the bot runs on, built once from Settings.

The local chat, the Telegram layer and the tests all call `build_services(settings)` and talk to
`services.conversation`, so what a test exercises is what voters get. Knowledge and its matcher
are served as one pair swapped in a single assignment: a turn takes a snapshot and can never see
new knowledge with an old matcher (or the reverse). A reload happens off the event loop
(KnowledgeStore.watch runs it in a thread) and a matcher that fails to rebuild keeps the old pair.
A database that is down at start-up does not stop the bot: turns degrade (escalations are spooled
to var/spool.jsonl and replayed by `start()`'s retry loop).

Escalation (bot/escalation/wiring.py) plugs in at two joins: the conversation's repository is a
TicketRoutingStore (reworded claims join open tickets, copies of answered claims get the
answer), and answered tickets are served as knowledge next to the curated files
(AnsweredKnowledge sits between KnowledgeStore and ServedKnowledge), so a checker's answer
reaches the next voter who asks. The channel builds its outbox dispatcher from
`services.escalation.make_dispatcher(send)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.core.context import CoreDeps
from bot.core.conversation import Conversation
from bot.core.limits import RateLimiter
from bot.core.spool import Spool
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.wiring import (
    AnsweredKnowledge,
    Escalation,
    TicketRoutingStore,
    build_escalation,
)
from bot.media.reader import build_reader
from bot.storage import Database
from bot.storage.guard import DatabaseGuard
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher, build_matcher
from knowledge.store import KnowledgeStore
from nlu.intent_service import IntentService

log = logging.getLogger(__name__)

SPOOL_RETRY_SECONDS = 30.0
#: Threads of the event loop's default executor, where the matcher and the intent classifier run.
#: Background loops that read the database (outbox, answers, purge, spool, health) each hold one
#: while a hung database keeps them waiting; Python's default (cores + 4) would then leave none
#: for the voters' turns.
DEFAULT_EXECUTOR_THREADS = 32
#: How often stored questions older than QUESTION_RETENTION_DAYS are deleted (/privacy promises it).
PURGE_SECONDS = 6 * 3600.0
#: How often answers given by another process (the CLI, a second bot) are picked up.
ANSWERS_REFRESH_SECONDS = 10.0

MatcherFactory = Callable[[KnowledgeBase, Matcher | None], Matcher]


class ServedKnowledge:
    """The (knowledge, matcher) pair the conversation reads; KnowledgeStore's on_reload target."""

    def __init__(self, factory: MatcherFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._pair: tuple[KnowledgeBase, Matcher | None] | None = None

    def on_reload(self, knowledge: KnowledgeBase) -> None:
        """Build the matcher for `knowledge`, then swap both in at once.

        At start-up a matcher that cannot be built leaves the bot without one (every question
        goes to fact-checkers) rather than not starting; on a later reload the exception reaches
        KnowledgeStore, which keeps serving the previous knowledge and matcher.
        """
        with self._lock:
            previous = self._pair[1] if self._pair else None
            try:
                matcher = self._factory(knowledge, previous)
            except Exception:
                if self._pair is not None:
                    raise
                log.exception("could not build the matcher; questions will go to fact-checkers")
                matcher = None
            self._pair = (knowledge, matcher)

    def snapshot(self) -> tuple[KnowledgeBase, Matcher | None]:
        pair = self._pair
        if pair is None:
            raise RuntimeError("no knowledge loaded yet")
        return pair


def default_matcher_factory(
    cache_dir: Path | None, glossary_file: Path | None = None
) -> MatcherFactory:
    def factory(knowledge: KnowledgeBase, previous: Matcher | None) -> Matcher:
        entries = knowledge.published()
        if previous is not None:
            return previous.updated(entries)  # reuses embeddings of unchanged entries
        return build_matcher(entries, cache_dir=cache_dir, glossary_file=glossary_file)

    return factory


@dataclass
class Services:
    settings: Settings
    store: KnowledgeStore
    knowledge: ServedKnowledge
    intents: IntentService
    database: Database | None
    #: The core's store: the Repository composed with the ticket service when escalation is
    #: wired, else the plain ticket store (bot.escalation.ticket_rows); None without a database.
    repository: PlainTicketStore | TicketRoutingStore | None
    spool: Spool
    limiter: RateLimiter
    conversation: Conversation
    escalation: Escalation | None = None
    answered: AnsweredKnowledge | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def start(self, *, watch: bool = True, purge: bool = True) -> None:
        """Start the background work: loading the intent model (so the first voter does not
        wait for it), the knowledge watcher, the spool retry loop and the retention purge."""
        ensure_default_executor()
        self._tasks.append(asyncio.create_task(asyncio.to_thread(self.intents.warm_up)))
        if watch:
            self._tasks.append(
                asyncio.create_task(self.store.watch(self.settings.knowledge_reload_seconds))
            )
        self._tasks.append(asyncio.create_task(self._retry_spool_forever()))
        if self.answered is not None:
            self._tasks.append(
                asyncio.create_task(self.answered.watch(ANSWERS_REFRESH_SECONDS))
            )
        if purge:
            self._tasks.append(asyncio.create_task(self._purge_forever()))

    async def purge_old_questions(self) -> int:
        """Delete stored questions past the retention period (what /privacy tells voters)."""
        if self.repository is None:
            return 0
        return await asyncio.to_thread(
            self.repository.purge_questions, self.settings.question_retention_days
        )

    async def purge_old_notifications(self) -> int:
        """Delete delivered (or given up) notifications past the retention period: they quote
        the voter's question, so they must not outlive it."""
        if self.database is None:
            return 0
        from bot.escalation.outbox import purge_delivered

        return await asyncio.to_thread(
            purge_delivered, self.database, self.settings.question_retention_days
        )

    async def reload_knowledge(self) -> bool:
        """Reload now if the files changed (off the event loop); True when new knowledge is
        being served."""
        result = await asyncio.to_thread(self.store.reload_if_changed)
        return bool(result.loaded)

    async def retry_spool(self) -> int:
        if self.repository is None or not len(self.spool):
            return 0
        return await self.conversation.deps.guard.run(self.spool.drain, self.repository)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.conversation.aclose()
        with contextlib.suppress(Exception):
            await self.intents.aclose()
        self.conversation.deps.guard.shutdown()
        if self.database is not None:
            self.database.dispose()

    async def _purge_forever(self) -> None:
        while True:
            try:
                purged = await self.purge_old_questions()
                if purged:
                    log.info("purged %d question(s) past the retention period", purged)
                purged = await self.purge_old_notifications()
                if purged:
                    log.info("purged %d delivered notification(s) past the retention period",
                             purged)
            except Exception:  # a database hiccup now must not stop the next purge
                log.exception("purging old questions failed")
            await asyncio.sleep(PURGE_SECONDS)

    async def _retry_spool_forever(self) -> None:
        while True:
            await asyncio.sleep(SPOOL_RETRY_SECONDS)
            try:
                await self.retry_spool()
            except Exception:  # the loop must outlive any one failure
                log.exception("spool retry failed")


def ensure_default_executor(threads: int = DEFAULT_EXECUTOR_THREADS) -> None:
    """Give the running loop's default executor `threads` threads (see DEFAULT_EXECUTOR_THREADS).
    Only once per loop: an executor set by someone else is kept."""
    loop = asyncio.get_running_loop()
    if loop in _SIZED_LOOPS:
        return
    loop.set_default_executor(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="work"))
    _SIZED_LOOPS.add(loop)


_SIZED_LOOPS: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def build_services(
    settings: Settings,
    *,
    spool_path: str | Path | None = None,
    matcher_factory: MatcherFactory | None = None,
    intents: IntentService | None = None,
    migrate: bool = True,
) -> Services:
    """Wire knowledge, matcher, intents, storage and the conversation from `settings`.

    Raises only for what a person must fix before the bot can serve anyone: knowledge that does
    not load at start-up (KnowledgeInvalid).
    """
    factory = matcher_factory or default_matcher_factory(
        settings.cache_dir, settings.glossary_file
    )
    served = ServedKnowledge(factory)
    database: Database | None = None
    repository: PlainTicketStore | TicketRoutingStore | None = None
    try:
        database = Database(settings.database_url)
        if migrate:
            database.migrate()
    except Exception:  # noqa: BLE001 - serve voters anyway; escalations are spooled
        log.exception("database %s is not usable; running degraded", _redact(settings.database_url))
    escalation: Escalation | None = None
    answered: AnsweredKnowledge | None = None
    if database is not None:
        repository = PlainTicketStore(database)
        try:
            escalation = build_escalation(
                database,
                checker_ids=settings.checker_id_set(),
                base_matcher=lambda: served.snapshot()[1],
                matcher_factory=lambda entries: factory(
                    KnowledgeBase.of("open-tickets", list(entries), []), None
                ),
                hold_seconds=settings.ticket_hold_seconds,
            )
            repository = escalation.repository
            answered = AnsweredKnowledge(database, served.on_reload)
            escalation.tickets.listeners.append(answered.on_ticket_event)
            answered.curated_listeners.append(escalation.corrections.on_knowledge)
        except Exception:  # noqa: BLE001 - plain tickets still work without the extras
            log.exception("escalation extras unavailable; using plain tickets")
            escalation, answered = None, None
    store = KnowledgeStore(
        settings.knowledge_dir,
        on_reload=answered.on_reload if answered is not None else served.on_reload,
    )
    intent_service = intents or IntentService(settings.rasa_url, settings.rasa_timeout_seconds)
    spool = Spool(spool_path or settings.spool_path)
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_per_day)
    deps = CoreDeps(
        knowledge=served,
        intents=intent_service,
        repository=repository,
        spool=spool,
        limiter=limiter,
        retention_days=settings.question_retention_days,
        guard=DatabaseGuard(settings.database_timeout_seconds),
        media=build_reader(settings),
        read_links=settings.read_links,
        learning=settings.learn_from_voters,
    )
    conversation = Conversation(deps)
    return Services(
        settings=settings,
        store=store,
        knowledge=served,
        intents=intent_service,
        database=database,
        repository=repository,
        spool=spool,
        limiter=limiter,
        conversation=conversation,
        escalation=escalation,
        answered=answered,
    )


def _redact(url: str) -> str:
    """A database URL without its password, for logs."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<unparseable database URL>"

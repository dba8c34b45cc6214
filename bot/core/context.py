"""What one turn of the conversation can see and do (python-telegram-bot's `context` idea).

Handlers receive a `TurnContext` and return replies; they never reach for globals. The context
carries the incoming message, the reply language, the chat's short-term memory, a consistent
snapshot of the knowledge and its matcher, and `db()`, which runs a call on the repository (typed
by the core's ports, bot.core.ports) off the event loop and turns a database failure into a logged
`DbResult(ok=False)` instead of an exception, so every handler decides explicitly what "the
database is down" means for the voter.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from bot.core.callbacks import EntryIndex
from bot.core.limits import RateLimiter
from bot.core.match_cache import MatchCache
from bot.core.messages import Incoming
from bot.core.ports import CoreStore
from bot.core.spool import Spool
from bot.core.state import ChatMemory, Memory, QuestionContext, stored_question_id
from bot.storage.guard import DatabaseGuard, DatabaseUnavailable
from bot.texts import t
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher
from knowledge.model import Entry
from nlu.intents import IntentResult

log = logging.getLogger(__name__)
T = TypeVar("T")


class IntentParser(Protocol):
    async def parse(self, text: str) -> IntentResult: ...


class KnowledgeSource(Protocol):
    def snapshot(self) -> tuple[KnowledgeBase, Matcher | None]:
        """The knowledge being served and the matcher built from exactly that knowledge."""
        ...


@dataclass
class CoreDeps:
    """Everything the conversation needs from outside; services.build_services() makes one."""

    knowledge: KnowledgeSource
    intents: IntentParser
    repository: CoreStore | None  # synchronous methods; None = no database
    spool: Spool
    limiter: RateLimiter | None = None
    retention_days: int = 180
    memory: Memory = field(default_factory=Memory)
    entry_index: EntryIndex = field(default_factory=EntryIndex)
    #: The matcher's answers for the current knowledge (copies of a rumour are matched once).
    match_cache: MatchCache = field(default_factory=MatchCache)
    #: Runs each fire-and-forget coroutine (e.g. the spool retry after a success).
    background: Callable[[Awaitable[Any]], Any] | None = None
    #: Every repository call of a turn goes through it: a hung database costs a voter at most
    #: its timeout, never the reply (bot/storage/guard.py).
    guard: DatabaseGuard = field(default_factory=DatabaseGuard)
    #: Reads images and links (bot.media.reader.MediaReader); None = text only.
    media: Any | None = None
    read_links: bool = True


@dataclass(frozen=True)
class DbResult(Generic[T]):
    """A repository call's outcome: `ok` False when there is no database or the call failed
    (logged); `value` is what the call returned when `ok`."""

    ok: bool
    value: T | None = None


@dataclass
class TurnContext:
    incoming: Incoming
    lang: str
    deps: CoreDeps
    chat: ChatMemory
    kb: KnowledgeBase
    matcher: Matcher | None

    def t(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    @property
    def repository(self) -> CoreStore | None:
        return self.deps.repository

    def entry(self, entry_id: str | None) -> Entry | None:
        """A published entry of the knowledge this turn is using, else None."""
        if entry_id is None:
            return None
        entry = self.kb.get(entry_id)
        return entry if entry is not None and entry.is_published else None

    def entry_by_hash(self, digest: str | None) -> Entry | None:
        return self.deps.entry_index.resolve(self.kb, digest) if digest else None

    async def recall(self, token: str | None) -> QuestionContext | None:
        """The question a button belongs to: from the chat's memory, else (after a restart, or
        once it fell out of memory) read back from the database by the id in its token. None
        when neither has it (a memory-only token from before a restart, a forgotten voter)."""
        question = self.chat.question(token)
        if question is not None:
            return question
        question_id = stored_question_id(token)
        if question_id is None:
            return None
        user_id = self.incoming.user_id
        found = await self.db(
            lambda store: store.recall_question(question_id=question_id, user_id=user_id)
        )
        if not found.ok or found.value is None:
            return None
        text, language = found.value
        return self.chat.remember(text, language, question_id)

    async def db(self, call: Callable[[CoreStore], T], /) -> DbResult[T]:
        """`call(repository)` in a database thread, within the guard's deadline (e.g.
        `lambda store: store.forget_voter(user_id)`); never raises. The call is a method of the
        core's ports, checked by the type checker."""
        repository = self.deps.repository
        if repository is None:
            return DbResult(False)
        try:
            value = await self.deps.guard.call(call, repository)
        except DatabaseUnavailable as exc:  # hung: the guard logged it once, not per call
            log.debug("database call skipped: %s", exc)
            return DbResult(False)
        except Exception:  # noqa: BLE001 - any database failure degrades, never crashes
            log.exception("database call failed")
            return DbResult(False)
        return DbResult(True, value)

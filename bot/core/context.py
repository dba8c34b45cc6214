"""What one turn of the conversation can see and do (python-telegram-bot's `context` idea).

Handlers receive a `TurnContext` and return replies; they never reach for globals. The context
carries the incoming message, the reply language, the chat's short-term memory, a consistent
snapshot of the knowledge and its matcher, and `store`, the core's storage port awaited through the
database guard (bot.core.guarded_store): `await ctx.store.escalate(...)` runs off the event loop and
turns a database failure into a logged `DbResult(ok=False)` instead of an exception, so every
handler decides explicitly what "the database is down" means for the voter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.callbacks import EntryIndex
from bot.core.guarded_store import DbResult, GuardedStore
from bot.core.learned import NearMissCache
from bot.core.limits import RateLimiter
from bot.core.match_cache import MatchCache
from bot.core.messages import Incoming
from bot.core.ports import CoreStore
from bot.core.spool import Spool
from bot.core.state import ChatMemory, Memory, QuestionContext, stored_question_id
from bot.storage.guard import DatabaseGuard
from bot.texts import t
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher
from knowledge.model import Entry
from nlu.intents import IntentResult


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
    #: The matcher's near-miss flags for messages a learned phrasing may answer (bot.core.learned).
    near_miss_cache: NearMissCache = field(default_factory=NearMissCache)
    #: Answer messages voters taught directly (bot.core.learned); picks are recorded either way.
    learning: bool = True
    #: Runs each fire-and-forget coroutine (e.g. the spool retry after a success).
    background: Callable[[Awaitable[Any]], Any] | None = None
    #: Every repository call of a turn goes through it: a hung database costs a voter at most
    #: its timeout, never the reply (bot/storage/guard.py).
    guard: DatabaseGuard = field(default_factory=DatabaseGuard)
    #: Reads images and links (bot.media.reader.MediaReader); None = text only.
    media: Any | None = None
    read_links: bool = True


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

    @property
    def store(self) -> GuardedStore:
        """The storage port, awaited through the guard; every call returns a `DbResult`."""
        return GuardedStore(self.deps.repository, self.deps.guard)

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
        found = await self.store.recall_question(question_id=question_id, user_id=user_id)
        if not found.ok or found.value is None:
            return None
        text, language = found.value
        return self.chat.remember(text, language, question_id)


__all__ = ["CoreDeps", "DbResult", "IntentParser", "KnowledgeSource", "TurnContext"]

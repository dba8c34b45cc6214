"""Treat a burst of messages from one voter as one question.

Telegram splits a long forwarded post into several messages, and people type a claim over several
lines sent one after another. Checking each fragment alone gives several wrong answers (or
several escalations of half-claims). The batcher holds a voter's plain text messages for a short
quiet period (default 1.5 s, restarted by each new part, capped by `max_wait`) and delivers them
joined as one Incoming. Commands and button presses are never held: they flush whatever text is
waiting first (so order is kept) and are delivered at once.

Channel-neutral: the Telegram layer and the tests give it an async `deliver` callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from bot.core.messages import Incoming

log = logging.getLogger(__name__)

Deliver = Callable[[Incoming], Awaitable[None]]
Key = tuple[int, int]


@dataclass
class _Pending:
    parts: list[Incoming] = field(default_factory=list)
    first_at: float = 0.0
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


class MessageBatcher:
    def __init__(
        self,
        deliver: Deliver,
        *,
        window: float = 1.5,
        max_wait: float = 6.0,
        max_parts: int = 30,
    ) -> None:
        self.deliver = deliver
        self.window = window
        self.max_wait = max_wait
        self.max_parts = max_parts
        self._pending: dict[Key, _Pending] = {}
        self._locks: dict[Key, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def key(incoming: Incoming) -> Key:
        return (incoming.chat_id, incoming.user_id)

    @staticmethod
    def batchable(incoming: Incoming) -> bool:
        """Plain text only; and in a group only text addressed to the bot, so that chatter
        sent just before "@bot is this true?" is never checked as part of the question."""
        if incoming.is_command or incoming.is_callback or incoming.image is not None:
            return False  # a photo is its own question (its caption is its text)
        return incoming.is_private or incoming.addressed

    async def submit(self, incoming: Incoming) -> None:
        """Queue a message; returns at once for text (delivery happens after the quiet period)."""
        key = self.key(incoming)
        if not self.batchable(incoming) or self.window <= 0:
            if incoming.is_private or incoming.addressed:
                await self.flush(key)  # keep order: what was typed before goes first
            await self._deliver(incoming)
            return
        loop = asyncio.get_running_loop()
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(first_at=loop.time())
        pending.parts.append(incoming)
        if pending.timer is not None:
            pending.timer.cancel()
        if len(pending.parts) >= self.max_parts:
            self._spawn(self.flush(key))
            return
        delay = min(self.window, max(0.0, pending.first_at + self.max_wait - loop.time()))
        pending.timer = loop.call_later(delay, lambda: self._spawn(self.flush(key)))

    async def flush(self, key: Key) -> None:
        """Deliver what is waiting for `key` now (no-op when nothing is)."""
        pending = self._pending.pop(key, None)
        if pending is None or not pending.parts:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        await self._deliver(merge(pending.parts))

    async def flush_all(self) -> None:
        for key in list(self._pending):
            await self.flush(key)

    async def drain(self) -> None:
        """Flush everything and wait for deliveries in flight (for shutdown and tests)."""
        await self.flush_all()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, incoming: Incoming) -> None:
        # One voter's messages are delivered in order, one at a time.
        lock = self._locks.setdefault(self.key(incoming), asyncio.Lock())
        async with lock:
            try:
                await self.deliver(incoming)
            except Exception:  # a failing delivery must not kill the batcher for everyone
                log.exception("delivering a message batch failed")

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def merge(parts: list[Incoming]) -> Incoming:
    """One Incoming for a burst: texts joined by new lines, flags of the first part kept except
    `forwarded` and `addressed`, true if any part had them."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    text = "\n".join(p.text for p in parts if p.text.strip())
    with contextlib.suppress(StopIteration):
        quoted = next(p.quoted_text for p in parts if p.quoted_text)
        first = replace(first, quoted_text=quoted)
    with contextlib.suppress(StopIteration):
        buttons = next(p.replied_buttons for p in parts if p.replied_buttons)
        first = replace(first, replied_buttons=buttons)
    return replace(
        first,
        text=text,
        forwarded=any(p.forwarded for p in parts),
        addressed=any(p.addressed for p in parts),
        timestamp=parts[-1].timestamp,
    )

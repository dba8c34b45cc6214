"""Telegram's sending limits, kept on our side so Telegram never has to enforce them.

Telegram allows a bot about 30 messages per second overall and about one per second in one chat;
beyond that it answers 429 (RetryAfter) and may slow the bot down further. A sliding-window
limiter (rather than a token bucket with a burst) guarantees the property that matters: no
one-second window ever holds more than `per_second` sends, even right after an idle spell.

Limits are per process: run one dispatcher per bot token, or divide `per_second` between them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """per_second / per_chat_seconds = None switches that limit off (benchmarks only).

    `slack` widens the window slightly, so a send timed a few milliseconds late by the event loop
    still cannot make an observer count one message too many in a one-second window.
    """

    per_second: int | None = 30
    per_chat_seconds: float | None = 1.0
    slack: float = 0.02

    @classmethod
    def unthrottled(cls) -> Limits:
        return cls(per_second=None, per_chat_seconds=None, slack=0.0)


class SlidingWindow:
    """At most `limit` acquisitions in any window of `window` seconds; `pause` stops all."""

    def __init__(
        self,
        limit: int | None,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._times: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nobody sends until it has passed."""
        self._paused_until = max(self._paused_until, self.clock() + max(seconds, 0.0))

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if self.limit is None:
                    return
                while self._times and self._times[0] <= now - self.window:
                    self._times.popleft()
                if len(self._times) < self.limit:
                    self._times.append(now)
                    return
                await asyncio.sleep(max(self._times[0] + self.window - now, 0.001))


class ChatSpacing:
    """At least `interval` seconds between two messages to the same chat."""

    def __init__(self, interval: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[int, float] = {}

    def ready_in(self, chat_id: int) -> float:
        """Seconds until the chat may get another message (0 when it may now)."""
        if self.interval is None:
            return 0.0
        last = self._last.get(chat_id)
        return 0.0 if last is None else max(last + self.interval - self.clock(), 0.0)

    def reserve(self, chat_id: int) -> None:
        if self.interval is None:
            return
        now = self.clock()
        self._last[chat_id] = now
        if len(self._last) > 50_000:  # forget chats that are free again, to bound memory
            cutoff = now - self.interval
            self._last = {c: t for c, t in self._last.items() if t > cutoff}

"""A deadline for every database call a voter waits on, so a hung database cannot stop replies.

A database that refuses connections fails fast and the conversation degrades (escalations are
spooled). A database that *hangs* (a stopped server, a network path that drops packets, a lock
held forever) is worse: the driver waits without end, and a reply that reads the database first
never comes. No driver setting covers every case (a statement timeout is enforced by the server,
which is the one not answering), so the deadline is kept here, around the call:

* the call runs in a thread of this guard's own pool, never the event loop's default executor,
  where the matcher and the intent classifier run: threads stuck on the database cannot starve
  them;
* the caller stops waiting after `timeout` seconds and gets `DatabaseUnavailable` (the thread
  stays stuck until the driver gives up, which the pool's size bounds);
* after a timeout the guard is *open* for `cooldown` seconds: calls fail at once instead of each
  waiting its own `timeout`, so a voter is answered in about one `timeout`, not one per call.
  Then a single call is let through to find out whether the database answers again.

Errors the database raises itself (connection refused, a failed statement) pass through
unchanged and do not open the guard: they are fast, and the caller handles them as before.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.monitoring import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds a voter-facing database call may take (DATABASE_TIMEOUT_SECONDS).
DEFAULT_TIMEOUT = 1.5
#: Seconds calls fail fast after a timeout, before one is let through to probe.
DEFAULT_COOLDOWN = 5.0
#: Threads for database calls; a hung database holds at most this many.
DEFAULT_WORKERS = 8


class DatabaseUnavailable(Exception):
    """The database did not answer within the deadline, or has not since the last time."""


class DatabaseGuard:
    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        cooldown: float = DEFAULT_COOLDOWN,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.timeout = timeout
        self.cooldown = cooldown
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="database")
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        """True while calls fail fast because the database stopped answering."""
        return self._opened_at is not None

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a database thread, waited for at most `timeout` seconds."""
        probe = self._admit()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        try:
            result = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self._timed_out(getattr(fn, "__name__", "call"))
            raise DatabaseUnavailable(f"no answer within {self.timeout:g} s") from None
        except BaseException:
            if probe:
                self._close()  # it answered (with an error): the database is not hung
            raise
        self._close()
        return result

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a database thread without a deadline, for background work
        nobody waits on (a spool replay): off the default executor, like every database call."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(fn, *args, **kwargs)
        )

    def _admit(self) -> bool:
        """Let the call through (True when it is the probe of an open guard) or raise."""
        with self._lock:
            if self._opened_at is None:
                return False
            if self._probing or time.monotonic() - self._opened_at < self.cooldown:
                raise DatabaseUnavailable("the database is not answering")
            self._probing = True
            return True

    def _timed_out(self, name: str) -> None:
        metrics.DATABASE_TIMEOUTS.inc()
        with self._lock:
            first = self._opened_at is None
            self._opened_at = time.monotonic()
            self._probing = False
        if first:
            log.warning(
                "the database did not answer %s within %g s; answering voters without it "
                "(escalations are spooled) and trying again every %g s",
                name, self.timeout, self.cooldown,
            )

    def _close(self) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._opened_at = None
            self._probing = False
        if was_open:
            log.warning("the database answers again")

    def shutdown(self) -> None:
        """Stop taking calls; threads stuck on a hung database are not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)

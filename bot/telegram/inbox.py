"""One webhook worker of several (WEB_CONCURRENCY): accepts updates into the PostgreSQL inbox
and handles the chats of the slot it holds (bot/storage/inbox.py explains the table).

`InboxWorker.accept` is what the webhook endpoint calls for each post: it returns once the
update is stored (Telegram gets 200 only then; a database error gives 500 and Telegram retries).
`InboxWorker.run` claims a slot, then pumps: it takes the slot's waiting rows in `update_id`
order and hands each chat's rows, one at a time, to `handle` (the Application's
`process_update`); different chats are handled concurrently. Rows are marked handled in
batches, after they were handled: a worker killed in between handles them again when it (or
another worker taking its slot) starts, so a crash can repeat a reply but never lose one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from bot.monitoring import metrics
from bot.storage.inbox import Inbox, Listener, Waiting, chat_of, slot_of

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Awaitable[None]]
#: Seconds between looks for waiting rows when no notification came.
POLL_SECONDS = 1.0
#: Seconds between attempts to claim a slot while every slot is held (a standby worker).
CLAIM_SECONDS = 5.0
#: Seconds between checks that the slot's lock is still held (its connection alive).
LOCK_CHECK_SECONDS = 5.0
#: Seconds between purges of handled rows older than a day.
PURGE_SECONDS = 600.0
#: Updates one worker holds in memory at most (taken, not handled yet); more wait in the table,
#: so a worker far behind neither reads nor skips thousands of rows at each look.
MAX_IN_HAND = 1000
#: Chats handled at the same time by one worker (the core's threads do the heavy work).
CONCURRENT_CHATS = 64


class InboxWorker:
    def __init__(
        self,
        inbox: Inbox,
        handle: Handle,
        *,
        pinned_slot: int | None = None,
        concurrent_chats: int = CONCURRENT_CHATS,
    ) -> None:
        self.inbox = inbox
        self.handle = handle
        self.pinned_slot = pinned_slot
        self.slot: int | None = None
        self._semaphore = asyncio.Semaphore(concurrent_chats)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._chats: dict[int, deque[Waiting]] = {}
        self._chat_tasks: dict[int, asyncio.Task[None]] = {}
        self._in_flight: set[int] = set()
        self._done: list[int] = []

    # -- the webhook side ---------------------------------------------------------------------

    async def accept(self, update: dict[str, Any]) -> bool:
        """Store a posted update (True: new; False: a retry of one already stored)."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("an update needs an integer update_id")
        chat_id = chat_of(update)
        new = await asyncio.to_thread(self.inbox.store, update_id, chat_id, update)
        metrics.INBOX_UPDATES.inc("stored" if new else "duplicate")
        if new and self.slot is not None and slot_of(chat_id, self.inbox.workers) == self.slot:
            self._wake.set()  # ours: no need to wait for the notification
        return new

    # -- the handling side --------------------------------------------------------------------

    def _notified(self, slot: int) -> None:
        """From the listener's thread: rows were stored for `slot`."""
        if slot == self.slot and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve a slot until `stop` is set; then finish the chats in hand and mark them."""
        self._loop = asyncio.get_running_loop()
        listener = Listener(self.inbox.database, self._notified)
        listener.start()
        try:
            while not stop.is_set():
                lock = await self._claim(stop)
                if lock is None:
                    return
                try:
                    await self._serve(lock, stop)
                finally:
                    await self._finish()
                    self.slot = None
                    await asyncio.to_thread(lock.release)
        finally:
            await asyncio.to_thread(listener.stop)

    async def _claim(self, stop: asyncio.Event) -> Any:
        """The lock of a free slot (the pinned one, else the first free), waiting while none is;
        None when stopped first."""
        slots = (
            [self.pinned_slot] if self.pinned_slot is not None else range(self.inbox.workers)
        )
        said = False
        while not stop.is_set():
            for slot in slots:
                lock = self.inbox.slot_lock(slot)
                try:
                    held = await asyncio.to_thread(lock.held)
                except Exception as exc:  # noqa: BLE001 - the database is down: try again
                    log.warning("inbox: could not claim a slot (%s)", exc)
                    break
                if held:
                    self.slot = slot
                    log.info("inbox: worker serves slot %d of %d", slot, self.inbox.workers)
                    return lock
            if not said:
                log.warning(
                    "inbox: every slot of %d is served by another worker; standing by",
                    self.inbox.workers,
                )
                said = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CLAIM_SECONDS)
        return None

    async def _serve(self, lock: Any, stop: asyncio.Event) -> None:
        assert self.slot is not None
        checked = purged = time.monotonic()
        while not stop.is_set():
            try:
                await self._flush_done()
                room = MAX_IN_HAND - len(self._in_flight)
                rows = await asyncio.to_thread(
                    self.inbox.waiting, self.slot, skip=set(self._in_flight), limit=room
                ) if room > 0 else []
            except Exception as exc:  # noqa: BLE001 - a database outage: wait and try again
                log.warning("inbox: reading waiting updates failed (%s)", exc)
                rows = []
            for row in rows:
                self._dispatch(row)
            now = time.monotonic()
            if now - checked >= LOCK_CHECK_SECONDS:
                checked = now
                try:
                    if not await asyncio.to_thread(lock.held):
                        log.warning("inbox: lost slot %d; claiming again", self.slot)
                        return
                except Exception as exc:  # noqa: BLE001
                    log.warning("inbox: lost slot %d (%s); claiming again", self.slot, exc)
                    return
            if now - purged >= PURGE_SECONDS:
                purged = now
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.inbox.purge)
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=POLL_SECONDS,
                               return_when=asyncio.FIRST_COMPLETED)
            for future in (waiter, stopper):
                future.cancel()

    def _dispatch(self, row: Waiting) -> None:
        self._in_flight.add(row.update_id)
        self._chats.setdefault(row.chat_id, deque()).append(row)
        task = self._chat_tasks.get(row.chat_id)
        if task is None or task.done():
            self._chat_tasks[row.chat_id] = asyncio.create_task(
                self._handle_chat(row.chat_id), name=f"inbox-chat-{row.chat_id}"
            )

    async def _handle_chat(self, chat_id: int) -> None:
        """One chat's rows, one after the other, in the order they were taken."""
        queue = self._chats[chat_id]
        async with self._semaphore:
            while queue:
                row = queue.popleft()
                try:
                    await self.handle(row.payload)
                except Exception:  # handled means tried: a failing update must not block a chat
                    log.exception("inbox: handling update %d failed", row.update_id)
                metrics.INBOX_HANDLED.inc()
                self._done.append(row.update_id)
                if len(self._done) >= 50:
                    self._wake.set()
        if not queue:
            self._chats.pop(chat_id, None)
            self._chat_tasks.pop(chat_id, None)

    async def _flush_done(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            await asyncio.to_thread(self.inbox.mark_handled, done)
        except Exception:
            self._done = done + self._done  # kept in flight: marked at the next try
            raise
        self._in_flight.difference_update(done)

    async def _finish(self) -> None:
        """Let the chats in hand finish (a stop in a deploy), then mark what was handled."""
        tasks = [task for task in self._chat_tasks.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=20)
        for chat_id, queue in list(self._chats.items()):  # not started: left for the next owner
            for row in queue:
                self._in_flight.discard(row.update_id)
            self._chats.pop(chat_id, None)
        try:
            await self._flush_done()
        except Exception as exc:  # noqa: BLE001 - handled again by the next owner
            log.warning("inbox: could not mark %d handled updates (%s)", len(self._done), exc)
        self._in_flight.clear()

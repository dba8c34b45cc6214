"""The durable notification dispatcher: delivers outbox rows to voters, exactly once each as far
as a crash allows, within Telegram's limits.

Lifecycle of a row: `pending` -> claimed (`sending`, with claimed_by and claimed_at) -> `sent`, or
`skipped` (the voter blocked the bot), or `failed` (a permanent error, or `max_attempts` claims).

Why each step is as it is:
- Claiming is one UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) RETURNING.
  On PostgreSQL, SKIP LOCKED lets several dispatchers claim disjoint rows without waiting on each
  other; SQLite ignores FOR UPDATE and runs the statement under its single writer lock, which
  makes the claim just as atomic. Either way, a row is claimed by one dispatcher at a time.
- A claim is a lease: rows still `sending` `lease_seconds` after they were claimed belong to a
  dispatcher that died, and the next claim takes them over. Each claim counts as an attempt, so a
  message that kills its dispatcher every time ends up `failed` instead of looping forever.
- One message in flight per worker: each of `max_in_flight` workers claims one row, sends it,
  records the outcome (`sent` in its own short transaction, in a thread that completes even if
  the task is cancelled) and only then claims the next. A row is `sending` only while it is
  really being sent, so a hard kill (kill -9, power loss) can repeat at most `max_in_flight`
  messages: those Telegram accepted in the instant before their commit. Nothing can lose one.
- A dispatcher that starts reclaims at once the rows its host's dead processes left `sending`
  (`reclaim_abandoned`: same host name, process no longer alive, or its own pid reused by a
  restart in a container), instead of waiting for their lease. Processes on different machines
  must have different host names (Docker's default); rows of another host wait for the lease.
- `send` is the channel's: an async callable `send(chat_id, text, buttons)` returning a
  `SendResult` (None counts as ok) or raising. `classify` understands python-telegram-bot's
  RetryAfter / Forbidden / BadRequest by name, so the Telegram layer can pass Bot.send_message
  nearly as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select, update

from bot.escalation.ratelimit import ChatSpacing, Limits, SlidingWindow
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, TicketSubscriber, Voter

log = logging.getLogger(__name__)

Outcome = Literal["ok", "retry_after", "blocked", "failed", "error"]
Buttons = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class SendResult:
    """What happened to one message: delivered, "wait N seconds" (Telegram's 429), the voter
    blocked the bot (403), a permanent failure (e.g. chat not found) or a transient error."""

    outcome: Outcome
    retry_after: float = 0.0
    detail: str = ""

    @classmethod
    def ok(cls) -> SendResult:
        return cls("ok")

    @classmethod
    def wait(cls, seconds: float, detail: str = "") -> SendResult:
        return cls("retry_after", float(seconds), detail or f"retry after {seconds}s")

    @classmethod
    def blocked(cls, detail: str = "the voter blocked the bot") -> SendResult:
        return cls("blocked", 0.0, detail)

    @classmethod
    def failed(cls, detail: str) -> SendResult:
        return cls("failed", 0.0, detail)

    @classmethod
    def error(cls, detail: str) -> SendResult:
        return cls("error", 0.0, detail)


Sender = Callable[[int, str, Buttons], Awaitable[SendResult | None]]


class SendRetryAfter(Exception):
    """A sender may raise this instead of returning SendResult.wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.retry_after = seconds


class SendBlocked(Exception):
    """A sender may raise this instead of returning SendResult.blocked."""


class SendFailed(Exception):
    """A permanent failure: retrying will not help."""


def classify(exc: Exception) -> SendResult:
    """Map an exception from `send` to a result, by class name so that no channel library is
    imported here (python-telegram-bot: RetryAfter, Forbidden, BadRequest, ChatMigrated)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if "SendRetryAfter" in names or "RetryAfter" in names:
        seconds = getattr(exc, "retry_after", 1.0)
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return SendResult.wait(float(seconds), detail)
    if "SendBlocked" in names or "Forbidden" in names:
        return SendResult.blocked(detail)
    if "SendFailed" in names or "BadRequest" in names or "ChatMigrated" in names:
        return SendResult.failed(detail)
    return SendResult.error(detail)


@dataclass(frozen=True)
class Claimed:
    id: int
    voter_id: int | None
    chat_id: int
    ticket_id: int | None
    payload: dict[str, Any]
    attempts: int
    token: str
    voter_blocked: bool = False


@dataclass
class DispatchStats:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0
    lost_lease: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return self.sent + self.skipped + self.failed


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class OutboxDispatcher:
    """Delivers due outbox rows through `send`; see the module docstring for the guarantees."""

    def __init__(
        self,
        database: Database,
        send: Sender,
        *,
        worker_id: str | None = None,
        limits: Limits | None = None,
        lease_seconds: float = 120.0,
        max_attempts: int = 8,
        backoff_base: float = 5.0,
        backoff_max: float = 3600.0,
        batch_size: int = 100,
        max_in_flight: int = 8,
        idle_seconds: float = 1.0,
        utcnow: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.db = database
        self.send = send
        #: Default ids are "<host>:<pid>", which lets a restart find its host's dead claims.
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}"
        self.worker_id = self.worker_id[:40]
        self.limits = limits or Limits()
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.idle_seconds = idle_seconds
        self.utcnow = utcnow
        self.window = SlidingWindow(self.limits.per_second, 1.0 + self.limits.slack)
        self.chats = ChatSpacing(self.limits.per_chat_seconds)
        self.stats = DispatchStats()
        self._stats_lock = threading.Lock()
        self._wake = asyncio.Event()

    def _count(self, name: str) -> None:
        with self._stats_lock:  # outcomes are recorded in worker threads
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    # -- claiming ----------------------------------------------------------------------------
    def claim(self, limit: int | None = None) -> list[Claimed]:
        """Atomically take up to `limit` due rows (and rows whose lease expired)."""
        now = self.utcnow()
        token = f"{self.worker_id}/{uuid.uuid4().hex[:16]}"
        due = (
            select(OutboxMessage.id)
            .where(
                or_(
                    and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                    and_(
                        OutboxMessage.status == "sending",
                        OutboxMessage.claimed_at < now - self.lease,
                    ),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit or self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.db.session() as session:
            rows = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(
                    status="sending", claimed_by=token, claimed_at=now,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(
                    OutboxMessage.id, OutboxMessage.voter_id, OutboxMessage.chat_id,
                    OutboxMessage.ticket_id, OutboxMessage.payload, OutboxMessage.attempts,
                )
                .execution_options(synchronize_session=False)
            ).all()
            voter_ids = {r.voter_id for r in rows if r.voter_id is not None}
            blocked = (
                set(
                    session.scalars(
                        select(Voter.id).where(
                            Voter.id.in_(voter_ids), Voter.blocked_at.is_not(None)
                        )
                    ).all()
                )
                if voter_ids
                else set()
            )
        claimed = [
            Claimed(
                r.id, r.voter_id, r.chat_id, r.ticket_id, dict(r.payload or {}), r.attempts,
                token, r.voter_id in blocked,
            )
            for r in rows
        ]
        claimed.sort(key=lambda c: c.id)
        return claimed

    # -- recording outcomes (synchronous; run in a worker thread by _deliver) -----------------
    def _finish(
        self, row: Claimed, status: str, *, error: str | None = None, **extra: Any
    ) -> bool:
        now = self.utcnow()
        values: dict[str, Any] = {"status": status, "claimed_by": None, "last_error": error}
        if status == "sent":
            values["sent_at"] = now
        values.update(extra)
        with self.db.session() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.token)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not result.rowcount:
                # Our lease ran out and another dispatcher took the row (its outcome stands), or
                # the row is gone: the voter used /forget while it was being sent.
                self._count("lost_lease")
                log.warning("outbox row %s was reclaimed by another dispatcher or deleted", row.id)
                return False
            if status == "sent" and row.ticket_id is not None and row.voter_id is not None:
                session.execute(
                    update(TicketSubscriber)
                    .where(
                        TicketSubscriber.ticket_id == row.ticket_id,
                        TicketSubscriber.voter_id == row.voter_id,
                    )
                    .values(notified_at=now)
                    .execution_options(synchronize_session=False)
                )
        return True

    def _release(self, row: Claimed, delay: float, *, count_attempt: bool = False,
                 error: str | None = None) -> bool:
        """Put a claimed row back as pending, due after `delay` seconds."""
        extra: dict[str, Any] = {"next_attempt_at": self.utcnow() + timedelta(seconds=delay)}
        if not count_attempt:
            extra["attempts"] = OutboxMessage.attempts - 1
        return self._finish(row, "pending", error=error, **extra)

    def _mark_blocked(self, row: Claimed, detail: str) -> None:
        now = self.utcnow()
        if self._finish(row, "skipped", error=detail[:500]) and row.voter_id is not None:
            with self.db.session() as session:
                session.execute(
                    update(Voter)
                    .where(Voter.id == row.voter_id, Voter.blocked_at.is_(None))
                    .values(blocked_at=now)
                    .execution_options(synchronize_session=False)
                )
        self._count("skipped")

    def _record(self, row: Claimed, result: SendResult) -> None:
        with self._stats_lock:
            self.stats.by_outcome[result.outcome] = self.stats.by_outcome.get(result.outcome, 0) + 1
        if result.outcome == "ok":
            if self._finish(row, "sent"):
                self._count("sent")
        elif result.outcome == "retry_after":
            self._release(row, result.retry_after, error=result.detail[:500])
            self._count("retried")
        elif result.outcome == "blocked":
            self._mark_blocked(row, result.detail)
        elif result.outcome == "failed":
            self._finish(row, "failed", error=result.detail[:500])
            self._count("failed")
        elif row.attempts >= self.max_attempts:
            self._finish(row, "failed", error=f"gave up after {row.attempts} attempts: "
                         f"{result.detail}"[:500])
            self._count("failed")
        else:
            delay = min(self.backoff_base * 2 ** (row.attempts - 1), self.backoff_max)
            self._release(row, delay, count_attempt=True, error=result.detail[:500])
            self._count("retried")

    # -- sending -----------------------------------------------------------------------------
    async def _deliver(self, row: Claimed) -> None:
        """Send one claimed row and record the outcome before returning (one in flight)."""
        if row.voter_blocked:
            await asyncio.to_thread(self._mark_blocked, row, "the voter has blocked the bot")
            return
        if row.attempts > self.max_attempts:
            await asyncio.to_thread(
                self._finish, row, "failed", error=f"gave up after {row.attempts - 1} attempts"
            )
            self._count("failed")
            return
        buttons = _buttons(row.payload.get("buttons") or [])
        # The rate-limit slot right before sending, so the limiter's clock and the moment
        # Telegram sees the message are the same instant.
        try:
            await self.window.acquire()
        except asyncio.CancelledError:  # stopped before sending: nobody should wait a lease
            with contextlib.suppress(Exception):
                self._release(row, 0.0)
            raise
        # The chat's spacing is checked and reserved with no await before the send, so two
        # workers can never both find one chat ready (the slot taken above is then unused).
        wait = self.chats.ready_in(row.chat_id)
        if wait > 0:
            await asyncio.to_thread(self._release, row, wait)
            self._count("deferred")
            return
        self.chats.reserve(row.chat_id)
        try:
            result = await self.send(row.chat_id, str(row.payload.get("text", "")), buttons)
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            result = classify(exc)
        if result is None:
            result = SendResult.ok()
        if result.outcome == "retry_after":
            # Pause everyone now, on the loop, before the next send can take this slot.
            self.window.pause(result.retry_after)
        # Recorded in a worker thread: the event loop (which also serves the conversation) is
        # not blocked by the commit. If this task is cancelled meanwhile (shutdown), the thread
        # still finishes the commit.
        await asyncio.to_thread(self._record, row, result)

    async def _claim_one(self, stop: asyncio.Event | None, budget: list[int]) -> Claimed | None:
        """The next due row, claimed; None when nothing is due, `stop` is set or the call's
        budget is spent."""
        if budget[0] <= 0 or (stop is not None and stop.is_set()):
            return None
        budget[0] -= 1
        rows = await asyncio.to_thread(self.claim, 1)
        return rows[0] if rows else None

    async def _worker(
        self, first: Claimed | None, stop: asyncio.Event | None, budget: list[int]
    ) -> int:
        """Deliver `first`, then claim, deliver and record one row at a time until nothing is
        due: one message in flight. Returns how many rows this worker delivered."""
        row = first if first is not None else await self._claim_one(stop, budget)
        done = 0
        while row is not None:
            # Cancelled meanwhile (a stop that cannot wait): a row being sent keeps its lease,
            # since whether Telegram got it is unknown; the next start's reclaim_abandoned()
            # or the lease gives it back.
            await self._deliver(row)
            done += 1
            row = await self._claim_one(stop, budget)
        return done

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """Deliver what is due with up to `max_in_flight` workers, each with one message in
        flight, up to `batch_size` claims; returns how many rows were claimed (0: nothing was
        due). One claim finds out whether there is work before the other workers start."""
        budget = [self.batch_size]
        first = await self._claim_one(stop, budget)
        if first is None:
            return 0
        counts = await asyncio.gather(
            self._worker(first, stop, budget),
            *(self._worker(None, stop, budget) for _ in range(self.max_in_flight - 1)),
        )
        return sum(counts)

    def reclaim_abandoned(self) -> int:
        """Give back at once the rows this host's dead dispatchers left `sending` (see the module
        docstring); returns how many. Call it before this dispatcher claims anything."""
        host, sep, _pid = self.worker_id.rpartition(":")
        with self.db.session() as session:
            owners = session.scalars(
                select(OutboxMessage.claimed_by)
                .where(OutboxMessage.status == "sending",
                       OutboxMessage.claimed_by.like(f"{host}{sep}%" if sep else
                                                     f"{self.worker_id}/%"))
                .distinct()
            ).all()
            dead = [owner for owner in owners if owner and _abandoned(owner, self.worker_id)]
            if not dead:
                return 0
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_by.in_(dead))
                .values(status="pending", claimed_by=None, next_attempt_at=self.utcnow())
                .execution_options(synchronize_session=False)
            )
            count = result.rowcount or 0
        if count:
            log.warning(
                "took back %d notification(s) a stopped process on this host was sending; "
                "a voter may get one of them twice", count,
            )
        return count

    def wake(self) -> None:
        """Look for work now (e.g. right after an answer enqueued notifications)."""
        self._wake.set()

    def next_due_in(self) -> float | None:
        """Seconds until some row becomes due (0 = now), or None when nothing is left to do."""
        now = self.utcnow()
        with self.db.session() as session:
            pending = session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending"
                )
            )
            leased = session.scalar(
                select(func.min(OutboxMessage.claimed_at)).where(
                    OutboxMessage.status == "sending"
                )
            )
        times = [t for t in (_aware(pending), _aware(leased) and _aware(leased) + self.lease) if t]
        if not times:
            return None
        return max(min(times) - now, timedelta(0)).total_seconds()

    async def drain(self, timeout: float | None = None) -> DispatchStats:
        """Deliver until no row is pending or leased (waiting for retries and leases), or until
        `timeout` seconds passed. For tests, benchmarks and `factcheck` one-shot runs."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if await self.run_once():
                continue
            wait = await asyncio.to_thread(self.next_due_in)
            if wait is None:
                return self.stats
            if deadline is not None and loop.time() + min(wait, 0.05) > deadline:
                return self.stats
            await asyncio.sleep(min(max(wait, 0.005), self.idle_seconds))

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver forever (until `stop` is set), polling every `idle_seconds` when idle, so rows
        enqueued by another process (the CLI) are picked up too."""
        stop = stop or asyncio.Event()
        try:
            await asyncio.to_thread(self.reclaim_abandoned)
        except Exception:  # noqa: BLE001 - the lease reclaims them anyway
            log.exception("could not take back notifications of a stopped process")
        while not stop.is_set():
            try:
                if await self.run_once(stop):
                    continue
            except Exception:  # noqa: BLE001 - a database hiccup must not end delivery
                log.exception("outbox dispatch failed; retrying in %ss", self.idle_seconds)
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()),
                       asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(
                waiters, timeout=self.idle_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()


def _abandoned(owner: str, worker_id: str) -> bool:
    """Whether the claim token `owner` ("<worker id>/<nonce>") belongs to a process that is gone:
    the same worker id (a restart; with a default id, the same pid reused), or a pid of this
    host that no longer runs."""
    owner_id = owner.split("/", 1)[0]
    if owner_id == worker_id:
        return True
    host, sep, pid = owner_id.rpartition(":")
    if not sep or not pid.isdigit() or host != worker_id.rpartition(":")[0]:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but not ours to signal
        return False
    return False


def _buttons(raw: list[list[dict[str, str]]]) -> Buttons:
    """Stored buttons back into the core's Button objects (rows of label + data or url)."""
    if not raw:
        return ()
    from bot.core.messages import Button

    return tuple(
        tuple(Button(b["label"], data=b.get("data"), url=b.get("url")) for b in row)
        for row in raw
    )


def purge_delivered(database: Database, older_than_days: int, now: datetime | None = None) -> int:
    """Delete finished notifications (sent, skipped, failed) past the retention period: they quote
    the voter's question, so they should not outlive the questions themselves."""
    from sqlalchemy import delete

    cutoff = (now or _utcnow()) - timedelta(days=older_than_days)
    with database.session() as session:
        result = session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_(("sent", "skipped", "failed")),
                OutboxMessage.created_at < cutoff,
            )
        )
        return result.rowcount or 0

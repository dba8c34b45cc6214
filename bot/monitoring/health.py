"""What `/healthz` and `/metrics` report: the live state of one bot process.

`Monitor` reads, on demand, what only exists at the moment of asking: can the database be
reached (and how many tickets are open, how many notifications wait), which knowledge is
served, whether Rasa answers. Reads are cheap by construction:

* one short transaction of indexed COUNT queries, run in a worker thread so a slow database never
  blocks the conversation's event loop;
* single-flight and cached for `cache_seconds`: a monitoring system polling every second, an
  orchestrator's health check and a curious operator together cause at most one database read
  (and one Rasa request) per second, and never pile up threads behind a database that hangs;
* bounded by `probe_timeout`: a database that does not answer within it counts as unreachable,
  which is what the health check must say (503) instead of hanging itself.

The database decides the HTTP status: without it the bot cannot store questions, open tickets or
notify voters, so a load balancer or orchestrator should know (503). Rasa down or no matcher only
degrade answers (the embedded classifier and escalation take over), so they are reported as
"degraded" with 200.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select

from bot.monitoring import metrics
from bot.monitoring.metrics import Family

if TYPE_CHECKING:
    from bot.escalation.outbox import OutboxDispatcher
    from bot.services import Services
    from bot.storage.database import Database
    from nlu.intent_service import IntentService

log = logging.getLogger(__name__)

#: Statuses of a ticket still waiting for fact-checkers (bot/storage/repository.py).
OPEN_TICKET_STATUSES = ("open", "taken")
#: Outbox rows not delivered yet: waiting (or backing off) and claimed by a dispatcher.
BACKLOG_STATUSES = ("pending", "sending")


@dataclass(frozen=True)
class StorageReport:
    """One read of the database: reachable or not, and the counts the gauges show."""

    ok: bool
    error: str | None = None
    latency_seconds: float | None = None
    tickets_open: dict[str, int] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)
    lag_seconds: float | None = None
    inbox_waiting: int = 0


@dataclass(frozen=True)
class RasaReport:
    """Rasa as this process sees it: reachable now (an HTTP probe) and its circuit breaker."""

    configured: bool
    reachable: bool | None = None
    circuit_open: bool = False
    error: str | None = None


@dataclass(frozen=True)
class KnowledgeReport:
    """The knowledge being served: curated entries, answered tickets, and the matcher."""

    loaded: bool
    curated: int = 0
    answered: int = 0
    matcher: bool = False
    reload_errors: int = 0


@dataclass(frozen=True)
class Probe:
    storage: StorageReport
    rasa: RasaReport
    at: float  # time.monotonic() when it finished


def knowledge_of(services: Services) -> Callable[[], KnowledgeReport]:
    """A reader of the services' served knowledge (cheap: counts in-memory tuples)."""

    def read() -> KnowledgeReport:
        try:
            kb, matcher = services.knowledge.snapshot()
        except RuntimeError:
            return KnowledgeReport(loaded=False)
        served = len(kb.published())
        curated = len(services.store.current.published())
        return KnowledgeReport(
            loaded=True,
            curated=curated,
            answered=max(served - curated, 0),
            matcher=matcher is not None,
            reload_errors=len(services.store.last_errors),
        )

    return read


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_last_reason: list[str] = [""]


def _public_reason(exc: Exception) -> str:
    """Why the database is unusable, for /healthz, which anyone who can reach the port reads:
    the driver's text names the database's host, port, user and database, so it goes to the log
    (once per distinct error) and /healthz says only what kind of failure it was."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if detail != _last_reason[0]:
        _last_reason[0] = detail
        log.warning("database health check failed: %s", detail)
    text = str(exc).lower()
    for needle, reason in (
        ("timeout", "timed out"), ("timed out", "timed out"),
        ("refused", "connection refused"), ("authentication", "authentication failed"),
        ("password", "authentication failed"), ("does not exist", "database or table missing"),
        ("no such table", "database or table missing"),
    ):
        if needle in text:
            return f"{type(exc).__name__}: {reason} (details in the bot's log)"
    return f"{type(exc).__name__} (details in the bot's log)"


def read_storage(database: Database | None) -> StorageReport:
    """Reach the database and count open tickets and undelivered notifications (synchronous:
    run it in a thread). Every query is served by an index on `status`."""
    if database is None:
        return StorageReport(ok=False, error="no usable database (see the start-up log)")
    from bot.storage.models import InboxUpdate, OutboxMessage, Ticket

    started = time.perf_counter()
    try:
        with database.session() as session:
            session.execute(select(1))
            latency = time.perf_counter() - started
            tickets = dict(
                session.execute(
                    select(Ticket.status, func.count())
                    .where(Ticket.status.in_(OPEN_TICKET_STATUSES))
                    .group_by(Ticket.status)
                ).all()
            )
            backlog = dict(
                session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_(BACKLOG_STATUSES))
                    .group_by(OutboxMessage.status)
                ).all()
            )
            oldest_due = _aware(
                session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == "pending"
                    )
                )
            )
            # Webhook updates stored and not handled yet (WEB_CONCURRENCY; a partial index).
            inbox_waiting = session.scalar(
                select(func.count()).select_from(InboxUpdate).where(
                    InboxUpdate.handled_at.is_(None)
                )
            )
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable", with the reason
        return StorageReport(ok=False, error=_public_reason(exc))
    lag = None
    if oldest_due is not None:
        lag = max((datetime.now(UTC) - oldest_due).total_seconds(), 0.0)
    return StorageReport(
        ok=True,
        latency_seconds=latency,
        tickets_open={status: int(tickets.get(status, 0)) for status in OPEN_TICKET_STATUSES},
        backlog={status: int(backlog.get(status, 0)) for status in BACKLOG_STATUSES},
        lag_seconds=lag,
        inbox_waiting=int(inbox_waiting or 0),
    )


class Monitor:
    """The health and metrics of one process; see the module docstring for what it reads.

    Every source is optional, so the same monitor serves the full bot (`for_services`) and a
    notifier process, which has a database and a dispatcher but no knowledge or Rasa.
    """

    def __init__(
        self,
        *,
        role: str,
        database: Database | None,
        knowledge: Callable[[], KnowledgeReport] | None = None,
        intents: IntentService | None = None,
        rasa_url: str | None = None,
        rasa_timeout: float = 1.5,
        dispatchers: Callable[[], Sequence[OutboxDispatcher]] = tuple,
        spooled: Callable[[], int] | None = None,
        cache_seconds: float = 1.0,
        probe_timeout: float = 3.0,
    ) -> None:
        self.role = role
        self.database = database
        self.knowledge = knowledge
        self.intents = intents
        self.rasa_url = rasa_url.rstrip("/") if rasa_url else None
        self.rasa_timeout = rasa_timeout
        self.dispatchers = dispatchers
        self.spooled = spooled
        self.cache_seconds = cache_seconds
        self.probe_timeout = probe_timeout
        self.hostname = socket.gethostname()
        self._last: Probe | None = None
        self._inflight: asyncio.Task[Probe] | None = None
        self._storage_task: asyncio.Future[StorageReport] | None = None

    @classmethod
    def for_services(cls, services: Services, *, role: str = "all") -> Monitor:
        """The monitor of a full bot process (`factcheck run`)."""
        settings = services.settings
        escalation = services.escalation
        return cls(
            role=role,
            database=services.database,
            knowledge=knowledge_of(services),
            intents=services.intents,
            rasa_url=settings.rasa_url,
            rasa_timeout=settings.rasa_timeout_seconds,
            dispatchers=(lambda: tuple(escalation.dispatchers)) if escalation else tuple,
            spooled=lambda: len(services.spool),
        )

    # -- probing -----------------------------------------------------------------------------
    async def probe(self) -> Probe:
        """The latest probe, at most `cache_seconds` old; one probe runs at a time."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and time.monotonic() - last.at < self.cache_seconds:
            return last
        if self._inflight is None or self._inflight.done():
            self._inflight = loop.create_task(self._probe(), name="health-probe")
        return await asyncio.shield(self._inflight)

    async def _probe(self) -> Probe:
        storage, rasa = await asyncio.gather(self._read_storage(), self._probe_rasa())
        probe = Probe(storage, rasa, time.monotonic())
        self._last = probe
        return probe

    async def _read_storage(self) -> StorageReport:
        """The database read, given up after `probe_timeout`. A read that hangs keeps its thread
        until the driver gives up; later probes wait on that same read instead of starting
        another, so a hanging database costs one thread, not one per health check."""
        task = self._storage_task
        if task is None or task.done():
            task = asyncio.ensure_future(asyncio.to_thread(read_storage, self.database))
            self._storage_task = task
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.probe_timeout)
        except TimeoutError:
            return StorageReport(ok=False, error=f"no answer within {self.probe_timeout:g} s")

    async def _probe_rasa(self) -> RasaReport:
        if self.rasa_url is None:
            return RasaReport(configured=False)
        circuit_open = bool(self.intents.circuit_open) if self.intents is not None else False
        try:
            async with httpx.AsyncClient(timeout=self.rasa_timeout) as client:
                response = await client.get(f"{self.rasa_url}/")
        except httpx.HTTPError as exc:
            return RasaReport(True, False, circuit_open, f"{type(exc).__name__}: {exc}"[:300])
        if response.status_code >= 500:
            return RasaReport(True, False, circuit_open, f"HTTP {response.status_code}")
        return RasaReport(True, True, circuit_open)

    # -- /healthz ----------------------------------------------------------------------------
    async def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body): 503 when the database cannot be used, else 200."""
        probe = await self.probe()
        storage, rasa = probe.storage, probe.rasa
        problems: list[str] = []
        body: dict[str, Any] = {
            "status": "ok",
            "role": self.role,
            "process": {
                "pid": os.getpid(),
                "host": self.hostname,
                "uptime_seconds": round(time.time() - metrics.STARTED_AT, 1),
            },
        }
        database: dict[str, Any] = {"ok": storage.ok}
        if storage.ok:
            database["latency_ms"] = round((storage.latency_seconds or 0.0) * 1000, 1)
        else:
            database["error"] = storage.error
            problems.append("database unreachable")
        body["database"] = database
        if self.knowledge is not None:
            knowledge = self.knowledge()
            body["knowledge"] = {
                "loaded": knowledge.loaded,
                "entries": knowledge.curated + knowledge.answered,
                "curated": knowledge.curated,
                "answered": knowledge.answered,
                "matcher": knowledge.matcher,
                "reload_errors": knowledge.reload_errors,
            }
            if not knowledge.loaded or not knowledge.matcher:
                problems.append("no matcher: every question goes to fact-checkers")
            if knowledge.reload_errors:
                problems.append(
                    "knowledge files are invalid: the last good knowledge is served "
                    "(run `factcheck kb validate`)"
                )
        if rasa.configured:
            body["rasa"] = {
                "reachable": rasa.reachable,
                "circuit": "open" if rasa.circuit_open else "closed",
            }
            if rasa.error:
                body["rasa"]["error"] = rasa.error
            if not rasa.reachable or rasa.circuit_open:
                problems.append("rasa unavailable: the embedded classifier answers")
        else:
            body["rasa"] = {"configured": False}
        if storage.ok:
            body["outbox"] = {
                "backlog": sum(storage.backlog.values()),
                **storage.backlog,
                "lag_seconds": None if storage.lag_seconds is None
                else round(storage.lag_seconds, 1),
            }
            body["tickets_open"] = sum(storage.tickets_open.values())
            body["inbox_backlog"] = storage.inbox_waiting
        if self.spooled is not None:
            body["spooled_escalations"] = self.spooled()
        if problems:
            body["status"] = "down" if not storage.ok else "degraded"
            body["problems"] = problems
        return (200 if storage.ok else 503), body

    # -- /metrics ----------------------------------------------------------------------------
    async def metrics_text(self) -> str:
        """Everything in the Prometheus text format: the instruments plus the live gauges."""
        probe = await self.probe()
        return metrics.render(self.families(probe))

    def families(self, probe: Probe) -> list[Family]:
        storage, rasa = probe.storage, probe.rasa
        out = [
            Family("factcheck_info", "gauge", "Which role this process runs (always 1).").add(
                1, role=self.role
            ),
            Family(
                "factcheck_process_start_time_seconds", "gauge",
                "When this process started, in Unix time.",
            ).add(metrics.STARTED_AT),
            *metrics.instruments(),
            Family(
                "factcheck_database_up", "gauge", "1 when the database answered the last probe."
            ).add(1 if storage.ok else 0),
        ]
        if storage.ok:
            out.append(Family(
                "factcheck_database_probe_seconds", "gauge",
                "How long the last database probe (SELECT 1) took.",
            ).add(storage.latency_seconds or 0.0))
            tickets = Family(
                "factcheck_tickets_open", "gauge",
                "Tickets waiting for fact-checkers, by status (read from the database).",
            )
            for status, count in storage.tickets_open.items():
                tickets.add(count, status=status)
            backlog = Family(
                "factcheck_notification_backlog", "gauge",
                "Notifications not delivered yet, by outbox status (read from the database).",
            )
            for status, count in storage.backlog.items():
                backlog.add(count, status=status)
            lag = Family(
                "factcheck_notification_lag_seconds", "gauge",
                "How long the oldest due notification has been waiting (0 when none is).",
            ).add(storage.lag_seconds or 0.0)
            inbox = Family(
                "factcheck_inbox_backlog", "gauge",
                "Webhook updates stored in the shared inbox and not handled yet "
                "(WEB_CONCURRENCY; all workers together).",
            ).add(storage.inbox_waiting)
            out += [tickets, backlog, lag, inbox]
        dispatchers = list(self.dispatchers())
        if dispatchers:
            sent = Family(
                "factcheck_notifications_total", "counter",
                "Notifications this process's outbox dispatcher finished, by outcome.",
            )
            totals = {"sent": 0, "skipped": 0, "failed": 0, "retried": 0, "deferred": 0}
            for dispatcher in dispatchers:
                for outcome in totals:
                    totals[outcome] += getattr(dispatcher.stats, outcome)
            for outcome, count in totals.items():
                sent.add(count, outcome=outcome)
            out.append(sent)
        if self.knowledge is not None:
            knowledge = self.knowledge()
            out.append(
                Family(
                    "factcheck_knowledge_entries", "gauge",
                    "Published knowledge entries served, by source (curated files, answered "
                    "tickets).",
                )
                .add(knowledge.curated, source="curated")
                .add(knowledge.answered, source="answered")
            )
        if self.intents is not None:
            stats = self.intents.stats
            engines = Family(
                "factcheck_intent_requests_total", "counter",
                "Intent classifications, by the engine that answered.",
            )
            engines.add(stats.rasa_ok, engine="rasa").add(stats.embedded, engine="embedded")
            engines.add(sum(stats.fallbacks.values()), engine="fallback")
            out.append(engines)
        if rasa.configured:
            out.append(Family(
                "factcheck_rasa_up", "gauge", "1 when Rasa answered the last probe."
            ).add(1 if rasa.reachable else 0))
            out.append(Family(
                "factcheck_rasa_circuit_open", "gauge",
                "1 while Rasa is skipped after repeated failures.",
            ).add(1 if rasa.circuit_open else 0))
        if self.spooled is not None:
            out.append(Family(
                "factcheck_spooled_escalations", "gauge",
                "Escalations saved to the local spool while the database was down.",
            ).add(self.spooled()))
        return out

"""GET /healthz and GET /metrics over real HTTP, on real services and real databases.

The numbers are checked after real work: a voter's questions through the real conversation, a
ticket answered through the real ticket service, notifications delivered by the real outbox
dispatcher (its `send` is the only stand-in: there is no Telegram here). Database failures are
real too: a port nobody listens on, and a table another transaction holds locked.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, select, text

from bot.core.messages import Incoming
from bot.monitoring import metrics
from bot.monitoring.health import Monitor, knowledge_of
from bot.monitoring.metrics import Counter, Family, Histogram, render
from bot.monitoring.server import HealthServer, start_health_server
from bot.services import Services
from bot.storage.database import Database
from bot.storage.models import Ticket
from bot.texts import t
from knowledge.loader import load_directory
from nlu.intent_service import IntentService

KB_SMALL = Path(__file__).resolve().parent.parent / "data" / "kb-small"

UNKNOWN_CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"
SMS_QUESTION = "ส่ง SMS เพื่อเลือกตั้งได้ไหม"  # a variant of small-claim-vote-by-sms, word for word
CHECKER = 9001

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Key = tuple[str, frozenset[tuple[str, str]]]


def parse_exposition(body: str) -> dict[Key, float]:
    """Samples of a Prometheus text exposition, checking its structure on the way: every sample
    belongs to a family declared (HELP, then TYPE) before it, and no sample appears twice."""
    samples: dict[Key, float] = {}
    declared: dict[str, str] = {}
    helped: set[str] = set()
    assert body.endswith("\n"), "the exposition ends with a newline"
    for line in body.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split(" ", 3)[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name in helped, f"TYPE before HELP for {name}"
            assert kind in ("counter", "gauge", "histogram"), line
            assert name not in declared, f"{name} declared twice"
            declared[name] = kind
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, inner, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in declared or declared.get(family) == "histogram", f"undeclared {name}"
        labels = frozenset(
            (k, v.encode().decode("unicode_escape")) for k, v in _LABEL.findall(inner or "")
        )
        key = (name, labels)
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(value)
    return samples


def value(samples: dict[Key, float], name: str, **labels: str) -> float:
    """A sample's value; 0 when absent (a counter that never moved is not exposed)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    """GETs against a running HealthServer."""

    def __init__(self, server: HealthServer) -> None:
        self.server = server
        self.http = httpx.AsyncClient(base_url=server.url, timeout=10)

    async def health(self) -> tuple[int, dict[str, Any]]:
        response = await self.http.get("/healthz")
        assert response.headers["content-type"].startswith("application/json")
        return response.status_code, response.json()

    async def metrics(self) -> dict[Key, float]:
        response = await self.http.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == metrics.CONTENT_TYPE
        return parse_exposition(response.text)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Monitor], Any]]:
    """Start a HealthServer on a free port for a monitor; everything is stopped after the test."""
    running: list[tuple[HealthServer, Client]] = []

    async def start(monitor: Monitor) -> Client:
        server = await HealthServer(monitor, "127.0.0.1", 0).start()
        client = Client(server)
        running.append((server, client))
        return client

    yield start
    for server, client in running:
        await client.http.aclose()
        await server.close()


def live(monitor: Monitor) -> Monitor:
    """No caching between the test's requests: each one must see the database as it is now."""
    monitor.cache_seconds = 0.0
    return monitor


# -- the exposition format ---------------------------------------------------------------------
def test_counters_and_histograms_render_in_the_text_format() -> None:
    counter = Counter("demo_total", "A demo\ncounter.", ("who",))
    counter.inc('a "quoted"\\name\nline')
    counter.inc("plain", amount=2)
    histogram = Histogram("demo_seconds", "Demo latency.", (0.1, 1.0), ("kind",))
    for seconds in (0.05, 0.1, 0.5, 3.0):
        histogram.observe(seconds, "x")
    body = render([counter.collect(), histogram.collect(), Family("g", "gauge", "G.").add(1.5)])
    samples = parse_exposition(body)
    assert value(samples, "demo_total", who='a "quoted"\\name\nline') == 1
    assert value(samples, "demo_total", who="plain") == 2
    # Buckets are cumulative and "le" is inclusive: 0.1 falls in le="0.1".
    assert value(samples, "demo_seconds_bucket", kind="x", le="0.1") == 2
    assert value(samples, "demo_seconds_bucket", kind="x", le="1") == 3
    assert value(samples, "demo_seconds_bucket", kind="x", le="+Inf") == 4
    assert value(samples, "demo_seconds_count", kind="x") == 4
    assert value(samples, "demo_seconds_sum", kind="x") == pytest.approx(3.65)
    assert value(samples, "g") == 1.5
    assert "# HELP demo_total A demo\\ncounter." in body
    with pytest.raises(ValueError):
        counter.inc()  # the label is required
    with pytest.raises(ValueError):
        counter.inc("plain", amount=-1)


# -- real work, real numbers -------------------------------------------------------------------
async def test_metrics_follow_questions_escalations_tickets_and_notifications(
    make_services: Callable[..., Services], database_url: str, serve: Any
) -> None:
    services = make_services(database_url)
    client = await serve(live(Monitor.for_services(services)))
    conversation = services.conversation
    before = await client.metrics()
    assert value(before, "factcheck_database_up") == 1
    assert value(before, "factcheck_tickets_open", status="open") == 0
    assert value(before, "factcheck_notification_backlog", status="pending") == 0

    answered = await conversation.handle(Incoming.from_text(501, 501, SMS_QUESTION))
    assert answered[0].text.startswith("<b>❌ ไม่จริง</b>")
    escalated = await conversation.handle(
        Incoming.from_text(502, 502, UNKNOWN_CLAIM, language_code="en")
    )
    assert escalated[0].text == t("en", "escalated_new")
    joined = await conversation.handle(
        Incoming.from_text(503, 503, UNKNOWN_CLAIM, language_code="en")
    )
    assert joined[0].text == t("en", "escalated_joined", askers=2)
    await conversation.handle(Incoming.from_text(501, 501, "/help"))

    after = await client.metrics()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("factcheck_questions_total", language="th", decision="answer") == 1
    assert delta("factcheck_questions_total", language="en", decision="escalate") == 2
    assert delta("factcheck_escalations_total", outcome="new") == 1
    assert delta("factcheck_escalations_total", outcome="joined") == 1
    assert delta("factcheck_reply_seconds_count", kind="message") == 3
    assert delta("factcheck_reply_seconds_count", kind="command") == 1
    assert delta("factcheck_reply_seconds_sum", kind="message") > 0
    assert value(after, "factcheck_tickets_open", status="open") == 1  # read from the database

    # A checker answers: the ticket closes and one notification per waiting voter is queued.
    assert services.database is not None and services.escalation is not None
    with services.database.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    services.escalation.tickets.answer(
        ticket_id, CHECKER, verdict="false",
        explanation={"en": "PROD-CHECKED Nobody will be arrested for voting."},
        sources=["https://example.org/prod/soldiers"],
    )
    queued = await client.metrics()
    assert value(queued, "factcheck_tickets_open", status="open") == 0
    assert value(queued, "factcheck_notification_backlog", status="pending") == 2
    status, health = await client.health()
    assert status == 200 and health["outbox"]["backlog"] == 2 and health["tickets_open"] == 0

    delivered: list[int] = []

    async def send(chat_id: int, text_: str, buttons: object) -> None:
        assert "PROD-CHECKED" in text_
        delivered.append(chat_id)

    dispatcher = services.escalation.make_dispatcher(send)
    await dispatcher.drain(timeout=20)
    assert sorted(delivered) == [502, 503]
    done = await client.metrics()
    assert value(done, "factcheck_notification_backlog", status="pending") == 0
    assert value(done, "factcheck_notifications_total", outcome="sent") == 2
    assert value(done, "factcheck_notification_lag_seconds") == 0


async def test_healthz_describes_the_process(
    make_services: Callable[..., Services], tmp_path: Any, serve: Any
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'h.db'}")
    client = await serve(live(Monitor.for_services(services, role="all")))
    status, body = await client.health()
    assert status == 200
    assert body["status"] == "ok" and body["role"] == "all"
    assert body["database"]["ok"] is True and body["database"]["latency_ms"] >= 0
    published = len(load_directory(KB_SMALL).published())
    assert body["knowledge"] == {
        "loaded": True, "entries": published, "curated": published, "answered": 0,
        "matcher": True, "reload_errors": 0,
    }
    assert body["rasa"] == {"configured": False}
    assert body["outbox"]["backlog"] == 0 and body["outbox"]["lag_seconds"] is None
    assert body["spooled_escalations"] == 0
    samples = await client.metrics()
    assert value(samples, "factcheck_knowledge_entries", source="curated") == published
    assert value(samples, "factcheck_info", role="all") == 1


async def test_healthz_is_503_when_the_database_is_unreachable(serve: Any) -> None:
    nobody = free_port()  # nothing listens here: connections are refused
    database = Database(
        f"postgresql+psycopg://dbadmin@127.0.0.1:{nobody}/votersdb?connect_timeout=3"
    )
    try:
        client = await serve(live(Monitor(role="notifier", database=database)))
        status, body = await client.health()
        assert status == 503
        assert body["status"] == "down" and "database unreachable" in body["problems"]
        assert body["database"]["ok"] is False and body["database"]["error"]
        # Anyone who reaches the port reads /healthz: it says what failed, not where or as whom.
        error = body["database"]["error"]
        assert "refused" in error
        for private in ("127.0.0.1", str(nobody), "dbadmin", "votersdb"):
            assert private not in error, error
        assert "outbox" not in body
        samples = await client.metrics()  # metrics still answer, saying the database is down
        assert value(samples, "factcheck_database_up") == 0
        assert not any(name == "factcheck_tickets_open" for name, _ in samples)
    finally:
        database.dispose()


async def test_rasa_down_is_degraded_but_healthy(
    make_services: Callable[..., Services],
    tmp_path: Any,
    intent_service: IntentService,
    serve: Any,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    services = make_services(f"sqlite:///{tmp_path / 'r.db'}")
    rasa = IntentService(dead, 0.5, classifier=intent_service.classifier, failure_threshold=2)
    for _ in range(2):  # real requests to a dead Rasa: both fall back, then the circuit opens
        result = await rasa.parse("is it true that the polls close at noon")
        assert result.engine != "rasa"
    assert rasa.circuit_open
    monitor = Monitor(
        role="all", database=services.database, knowledge=knowledge_of(services),
        intents=rasa, rasa_url=dead, rasa_timeout=0.5,
    )
    client = await serve(live(monitor))
    status, body = await client.health()
    assert status == 200 and body["status"] == "degraded"
    assert body["rasa"]["reachable"] is False and body["rasa"]["circuit"] == "open"
    samples = await client.metrics()
    assert value(samples, "factcheck_rasa_up") == 0
    assert value(samples, "factcheck_rasa_circuit_open") == 1
    assert value(samples, "factcheck_intent_requests_total", engine="fallback") == 2
    await rasa.aclose()


async def test_many_requests_cost_one_database_read(tmp_path: Any, serve: Any) -> None:
    database = Database(f"sqlite:///{tmp_path / 'c.db'}")
    database.migrate()
    reads: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.strip().upper().startswith("SELECT 1"):
            reads.append(statement)

    monitor = Monitor(role="notifier", database=database, cache_seconds=60)
    client = await serve(monitor)
    answers = await asyncio.gather(*(client.health() for _ in range(25)))
    assert [status for status, _ in answers] == [200] * 25
    await client.metrics()
    assert len(reads) == 1
    database.dispose()


async def test_a_hanging_database_is_reported_within_the_timeout(
    pg_schema: str, serve: Any
) -> None:
    database = Database(pg_schema)
    database.migrate()
    outbox_reads: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM outbox" in statement:
            outbox_reads.append(statement)

    locker = create_engine(pg_schema)
    connection = locker.connect()
    transaction = connection.begin()
    try:
        connection.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
        monitor = live(Monitor(role="notifier", database=database, probe_timeout=0.5))
        client = await serve(monitor)
        started = time.monotonic()
        first, second = await client.health(), await client.health()
        assert time.monotonic() - started < 5
        for status, body in (first, second):
            assert status == 503
            assert body["database"]["error"] == "no answer within 0.5 s"
        assert len(outbox_reads) == 1  # the second check waited on the same read
    finally:
        transaction.rollback()
        connection.close()
        locker.dispose()
    for _ in range(50):  # the blocked read finishes once the lock is gone; then all is well
        status, body = await client.health()
        if status == 200:
            break
        await asyncio.sleep(0.1)
    assert status == 200 and body["status"] == "ok"
    database.dispose()


# -- the HTTP server itself --------------------------------------------------------------------
@pytest.fixture
def plain_monitor(tmp_path: Any) -> Monitor:
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    database.migrate()
    return Monitor(role="notifier", database=database)


async def raw(server: HealthServer, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return response


async def test_the_server_answers_only_what_it_serves(plain_monitor: Monitor, serve: Any) -> None:
    client = await serve(plain_monitor)
    server = client.server
    assert (await client.http.get("/nothing")).status_code == 404
    post = await client.http.post("/healthz", content=b"{}")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    head = await client.http.head("/metrics")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    index = await client.http.get("/")
    assert "/healthz" in index.text and "/metrics" in index.text
    assert (await raw(server, b"NONSENSE\r\n\r\n")).startswith(b"HTTP/1.1 400 ")
    huge = b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"
    assert (await raw(server, huge)).startswith(b"HTTP/1.1 431 ")
    ok = await raw(server, b"GET /healthz?verbose=1 HTTP/1.0\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in ok


async def test_a_silent_client_blocks_nobody_and_not_the_shutdown(
    plain_monitor: Monitor,
) -> None:
    server = await HealthServer(plain_monitor, "127.0.0.1", 0).start()
    _, silent = await asyncio.open_connection("127.0.0.1", server.port)  # connects, says nothing
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        assert (await http.get("/healthz")).status_code == 200
    started = time.monotonic()
    await server.close()
    assert time.monotonic() - started < 3
    silent.close()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=server.url, timeout=2) as http:
            await http.get("/healthz")


async def test_a_taken_port_is_logged_and_the_bot_runs_on(
    plain_monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.INFO, logger="bot.monitoring.server"):
            assert await start_health_server(plain_monitor, "127.0.0.1", port) is None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and str(port) in errors[0].getMessage()
    assert await start_health_server(plain_monitor, "127.0.0.1", 0) is None  # 0 = off


async def test_invalid_knowledge_files_make_health_degraded(
    make_services: Callable[..., Services], tmp_path: Any, serve: Any
) -> None:
    """A broken edit keeps the last good knowledge serving, but it is not `ok`: the edit is not
    being served and somebody must fix it."""
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(KB_SMALL, kb)
    services = make_services(f"sqlite:///{tmp_path / 'k.db'}", knowledge_dir=kb)
    client = await serve(live(Monitor.for_services(services)))
    status, body = await client.health()
    assert status == 200 and body["status"] == "ok", body
    (kb / "broken.yml").write_text("entries: [{id: BAD ID}]\n", encoding="utf-8")
    assert not await services.reload_knowledge()
    status, body = await client.health()
    assert status == 200 and body["status"] == "degraded"
    assert body["knowledge"]["reload_errors"] > 0
    assert any("knowledge files are invalid" in p for p in body["problems"])

"""Fan-out of one checker's answer to N waiting voters through the real outbox dispatcher.

What is real: the database (SQLite file by default, or --database-url), the migrations, the
ticket service's answer transaction (one outbox row per voter), the dispatcher with its claims,
leases, rate limiter and per-row commits. What stands in for Telegram: a local async function
that records (chat_id, time.monotonic()) for every message and optionally sleeps --latency
seconds first (Telegram's round trip). No fake clock: every figure is wall time.

Checks printed at the end: every voter received exactly one message (distinct chat ids == N, no
duplicates, every outbox row 'sent'), and the limits held (the most messages in any one-second
window, the shortest gap between two messages to one chat).

    .venv/bin/python benchmarks/bench_fanout.py                    # 10,000 voters, 30 msg/s
    .venv/bin/python benchmarks/bench_fanout.py --unthrottled      # the machinery's own speed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.escalation.checker_registry import CheckerRegistry  # noqa: E402
from bot.escalation.outbox import OutboxDispatcher  # noqa: E402
from bot.escalation.ratelimit import Limits  # noqa: E402
from bot.escalation.tickets import TicketService  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.models import Base, OutboxMessage, Ticket, TicketSubscriber, Voter  # noqa: E402

CHECKER = 1
LANGS = ("th", "ms", "en")


def seed(database: Database, voters: int, tickets: int = 1) -> list[int]:
    """`tickets` open tickets, each with the same `voters` waiting voters (bulk insert: setup,
    not measured). More than one ticket means several messages per chat: the per-chat limit."""
    now = datetime.now(UTC)
    with database.session() as session:
        made = []
        for n in range(tickets):
            claim = f"Advance voting has been cancelled in district {n + 1}"
            ticket = Ticket(claim_text=claim, claim_key=claim.lower(), language="en",
                            status="open", askers=voters)
            session.add(ticket)
            session.flush()
            made.append(ticket.id)
        chunk = 2000
        for start in range(0, voters, chunk):
            ids = range(start, min(start + chunk, voters))
            session.execute(insert(Voter), [
                {"telegram_id": 10_000_000 + i, "chat_id": 10_000_000 + i, "created_at": now,
                 "updated_at": now} for i in ids
            ])
        voter_ids = session.scalars(select(Voter.id).order_by(Voter.id)).all()
        for ticket_id in made:
            for start in range(0, voters, chunk):
                session.execute(insert(TicketSubscriber), [
                    {"ticket_id": ticket_id, "voter_id": vid, "language": LANGS[i % 3],
                     "created_at": now}
                    for i, vid in enumerate(voter_ids[start : start + chunk], start)
                ])
        return made


def ensure_database(url: str) -> None:
    """Create the (scratch) PostgreSQL database named in `url` when it does not exist yet."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open window [t, t + window)."""
    times = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def dispatch(database: Database, limits: Limits, latency: float, in_flight: int
                   ) -> tuple[list[tuple[int, float]], float, object]:
    sent: list[tuple[int, float]] = []

    async def send(chat_id: int, text: str, buttons: object) -> None:
        # Recorded when the request leaves, which is what Telegram's limits count; then the
        # round trip (a slow reply must not make two messages look closer than they were).
        sent.append((chat_id, time.monotonic()))
        if latency:
            await asyncio.sleep(latency)

    dispatcher = OutboxDispatcher(database, send, limits=limits, batch_size=200,
                                  max_in_flight=in_flight)
    started = time.monotonic()
    stats = await dispatcher.drain()
    return sent, time.monotonic() - started, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=1,
                        help="answers owed to every voter (>1 exercises the per-chat limit)")
    parser.add_argument("--rate", type=int, default=30, help="messages per second overall")
    parser.add_argument("--per-chat", type=float, default=1.0, help="seconds between two "
                        "messages to one chat")
    parser.add_argument("--unthrottled", action="store_true",
                        help="switch both limits off: measures the machinery, not Telegram's cap")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the stand-in for Telegram takes per message")
    parser.add_argument(
        "--in-flight", type=int,
        default=OutboxDispatcher.__init__.__kwdefaults__["max_in_flight"],  # type: ignore[index]
        help="workers, each with one message in flight (default: the dispatcher's)",
    )
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if not url.startswith("sqlite"):
            ensure_database(url)
        database = Database(url)
        if not database.is_sqlite:
            with database.engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        database.migrate()
        ticket_ids = seed(database, args.voters, args.tickets)
        service = TicketService(database, registry=CheckerRegistry(database, [CHECKER]))

        t0 = time.monotonic()
        enqueued = 0
        for ticket_id in ticket_ids:
            enqueued += service.answer(
                ticket_id, CHECKER, verdict="false",
                explanation={"en": "No. Advance voting goes ahead as announced.",
                             "ms": "Tidak. Undi awal diteruskan seperti diumumkan."},
                sources=["https://www.ect.go.th/"],
            ).notifications
        answer_seconds = (time.monotonic() - t0) / len(ticket_ids)

        limits = Limits.unthrottled() if args.unthrottled else Limits(
            per_second=args.rate or None, per_chat_seconds=args.per_chat or None
        )
        sent, seconds, stats = asyncio.run(
            dispatch(database, limits, args.latency, args.in_flight)
        )
        with database.session() as session:
            statuses = dict(session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all())
        database.dispose()

    chats = Counter(chat for chat, _ in sent)
    per_chat_gaps = []
    by_chat: dict[int, list[float]] = {}
    for chat, t in sent:
        by_chat.setdefault(chat, []).append(t)
    for times in by_chat.values():
        times.sort()
        per_chat_gaps += [b - a for a, b in zip(times, times[1:], strict=False)]
    figures = {
        "database": "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0],
        "mode": "unthrottled" if args.unthrottled else
        f"throttled ({args.rate}/s overall, 1 per {args.per_chat}s per chat)",
        "voters": args.voters,
        "messages_per_voter": args.tickets,
        "latency_s": args.latency,
        "in_flight": args.in_flight,
        "answer_transaction_s": round(answer_seconds, 3),
        "rows_enqueued": enqueued,
        "dispatch_s": round(seconds, 2),
        "messages_per_s": round(len(sent) / seconds, 1) if seconds else None,
        "messages_sent": len(sent),
        "distinct_chats": len(chats),
        "duplicates": sum(n - args.tickets for n in chats.values() if n > args.tickets),
        "chats_short_of_messages": sum(1 for n in chats.values() if n < args.tickets),
        "outbox_statuses": statuses,
        "max_in_any_1s_window": max_in_window([t for _, t in sent]),
        "min_gap_same_chat_s": round(min(per_chat_gaps), 3) if per_chat_gaps else None,
        "dispatcher_stats": {"sent": stats.sent, "retried": stats.retried,
                             "deferred": stats.deferred, "failed": stats.failed},
    }
    gap = figures["min_gap_same_chat_s"]
    ok = (
        figures["distinct_chats"] == args.voters and figures["duplicates"] == 0
        and figures["chats_short_of_messages"] == 0
        and statuses == {"sent": args.voters * args.tickets}
        and (args.unthrottled or not args.rate
             or figures["max_in_any_1s_window"] <= args.rate)
        and (args.unthrottled or not args.per_chat or gap is None or gap >= args.per_chat)
    )
    figures["all_checks_passed"] = ok
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:>24}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

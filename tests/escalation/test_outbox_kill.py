"""kill -9 of a real process in the middle of a fan-out, then a restart: how many voters get the
answer twice, and how long the rows it was sending wait (README, "Several processes").

The child process is a real OutboxDispatcher on the test's database; its sender stands in for
Telegram only by appending each chat id to a file (flushed and fsynced) before it returns, which
is the moment Telegram would have accepted the message. The parent kills the child with SIGKILL
after 40 of 150 deliveries, starts a new one (same host, new pid) and counts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ticket_rows import PlainTicketStore
from bot.storage import Database
from bot.storage.models import OutboxMessage

VOTERS = 150
KILL_AFTER = 40
CHECKER = 9001
#: The dispatcher's default: one message in flight per worker.
WORKERS = OutboxDispatcher.__init__.__kwdefaults__["max_in_flight"]  # type: ignore[index]
LEASE = 120.0

CHILD = textwrap.dedent("""
    import asyncio, os, sys
    from bot.escalation.outbox import OutboxDispatcher
    from bot.escalation.ratelimit import Limits
    from bot.storage import Database

    url, sent_file = sys.argv[1], sys.argv[2]

    async def send(chat_id, text, buttons):
        await asyncio.sleep(0.02)  # a Bot API round trip
        with open(sent_file, "a") as fh:  # Telegram has accepted it
            fh.write(f"{chat_id}\\n")
            fh.flush()
            os.fsync(fh.fileno())

    dispatcher = OutboxDispatcher(
        Database(url), send, lease_seconds=120,
        limits=Limits(per_second=None, per_chat_seconds=None, slack=0.0),
    )
    asyncio.run(dispatcher.run())
""")


def _statuses(database: Database) -> Counter[str]:
    with database.session() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return Counter({status: int(count) for status, count in rows})


def _sent(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _start(database: Database, sent_file: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, database.url, str(sent_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait(check, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_kill_9_mid_fan_out_repeats_at_most_the_messages_in_flight(
    database: Database, service, tmp_path: Path
) -> None:
    repo = PlainTicketStore(database)
    receipt = None
    for n in range(VOTERS):
        receipt = repo.escalate(
            user_id=n + 1, chat_id=5000 + n, text="Polling stations close at noon this year",
            language="en",
        )
    assert receipt is not None
    service.answer(receipt.ticket_id, CHECKER, verdict="false",
                   explanation={"en": "No, they close at the usual hour."},
                   sources=["https://example.org/hours"])
    sent_file = tmp_path / "telegram.txt"

    first = _start(database, sent_file)
    try:
        _wait(lambda: len(_sent(sent_file)) >= KILL_AFTER, 120, f"{KILL_AFTER} deliveries")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = _statuses(database)
    delivered_before = len(_sent(sent_file))
    assert at_kill["sending"] <= WORKERS, at_kill  # only what was really in flight

    second = _start(database, sent_file)
    try:
        took = _wait(lambda: _statuses(database)["sent"] == VOTERS, 120, "the rest delivered")
    finally:
        second.terminate()
        _, err = second.communicate(timeout=30)
    times = Counter(_sent(sent_file))
    assert set(times) == set(range(5000, 5000 + VOTERS))  # nobody lost
    repeats = sum(n - 1 for n in times.values())
    assert repeats <= at_kill["sending"] <= WORKERS, (repeats, at_kill)
    assert took < LEASE / 2, took  # the restart took its rows back at once, not after the lease
    assert _statuses(database) == Counter({"sent": VOTERS})
    print(
        f"\nkill -9 after {delivered_before} of {VOTERS}: {at_kill['sending']} row(s) sending, "
        f"{repeats} voter(s) told twice, the rest delivered {took:.1f} s after the restart "
        f"(lease {LEASE:.0f} s)"
    )

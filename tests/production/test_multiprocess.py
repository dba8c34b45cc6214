"""Two real bot processes on one PostgreSQL database and one Telegram emulator, the way production
scales (README, Deployment): one `factcheck run` receives updates (BOT_ROLE=all, long polling)
and one `factcheck run` only delivers fact-checkers' answers (BOT_ROLE=notifier).

Why not two pollers: Telegram gives a bot's updates to one getUpdates caller (a second gets 409
Conflict; the emulator would hide that by splitting updates between them), and the conversation
keeps per-chat state in memory, so updates have exactly one receiver. Notifications are rows in
the database that any number of dispatchers can share, which is what this test proves:

1. both processes start at once on an empty schema (the migration lock lets one migrate);
2. every voter message is handled once, by the receiver; the notifier never asks for updates;
3. an answer fanned out to ~200 waiting voters reaches each exactly once, delivered by both
   processes together, and their /metrics add up to the number delivered;
4. the notifier stopped (SIGTERM, as in a deploy) in the middle of a fan-out: nothing is lost,
   nothing is sent twice.

Each process talks to the emulator through its own bridge (tests/e2e/bridge.py), so the test
knows which process made which Bot API call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from factcheck_testing import load_e2e
from sqlalchemy import func, select

from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.tickets import TicketService
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Ticket
from bot.texts import t

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

REPO = Path(__file__).resolve().parent.parent.parent
E2E_DIR = REPO / "tests" / "e2e"
#: A cold start loads the models and embeds the knowledge before the bot talks to Telegram.
STARTUP_TIMEOUT = 180
CHECKER = 777
CLAIM = "Is it true that soldiers swapped the ballot boxes in Songkhla overnight?"
CLAIM_2 = "Ballot papers printed in Hat Yai were shipped to the wrong province on purpose"
MARK_1 = "MP-CHECKED-ONE"
MARK_2 = "MP-CHECKED-TWO"
#: Voters who ask through Telegram, and voters seeded as waiting on the same ticket.
TELEGRAM_VOTERS = 4
SEEDED_VOTERS = 200
SEEDED_VOTERS_2 = 150


harness = load_e2e("harness")
bridge_module = load_e2e("bridge")


@dataclass
class BotRun:
    """One `factcheck run` process with its own bridge to the shared emulator."""

    role: str
    bridge: Any
    process: subprocess.Popen[str]
    log: Any
    health_port: int

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def bad_lines(self) -> list[str]:
        return [line for line in self.log.snapshot() if harness.BAD_LOG_LINE.search(line)]

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.snapshot()[-lines:])

    def health(self) -> tuple[int, dict[str, Any]]:
        response = httpx.get(f"{self.health_url}/healthz", timeout=10)
        return response.status_code, response.json()

    def metric(self, name: str, **labels: str) -> float:
        """One sample of this process's /metrics (0 when absent)."""
        text = httpx.get(f"{self.health_url}/metrics", timeout=10).text
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        head = f"{name}{{{wanted}}} " if labels else f"{name} "
        for line in text.splitlines():
            if line.startswith(head):
                return float(line[len(head):])
        return 0.0

    def sent_texts(self, mark: str) -> list[int]:
        """Chats this process sent a message containing `mark` to, one entry per message."""
        return [
            int(call.params["chat_id"])
            for call in self.bridge.calls_of("sendMessage")
            if call.ok and mark in str(call.params.get("text", ""))
        ]


def start_bot(
    role: str,
    emulator_url: str,
    workdir: Path,
    database_url: str,
    knowledge_dir: Path,
    cache_dir: Path,
) -> BotRun:
    """`factcheck run` (the command the compose file runs), configured only by environment."""
    bridge = bridge_module.Bridge(emulator_url).start()
    health_port = harness.free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("TELEGRAM_", "WEBHOOK_", "DATABASE_", "RASA_", "CHECKER", "HEALTH_", "BOT_ROLE",
             "OUTBOX_")
        )
    }
    env.update(
        {
            "TELEGRAM_TOKEN": harness.TOKEN,
            "TELEGRAM_API_URL": bridge.api_url,
            "DATABASE_URL": database_url,
            "CACHE_DIR": str(cache_dir),
            "KNOWLEDGE_DIR": str(knowledge_dir),
            "CHECKERS_CHAT_ID": str(harness.CHECKERS_CHAT_ID),
            "CHECKER_IDS": str(CHECKER),
            "BOT_ROLE": role,
            "HEALTH_PORT": str(health_port),
            "HEALTH_LISTEN": "127.0.0.1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        harness.bot_command(),
        cwd=workdir,  # not the repository: its .env must not change the settings
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=harness.DIE_WITH_PARENT,
    )
    log = harness.LogTail(process.stdout, f"bot-log-{role}", workdir / "bot.log")
    return BotRun(role, bridge, process, log, health_port)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Stack:
    emulator: Any
    receiver: BotRun
    notifier: BotRun
    database: Database
    database_url: str
    workdir: Path
    voters: list[Any] = field(default_factory=list)

    def processes(self) -> list[BotRun]:
        return [self.receiver, self.notifier]

    def logs(self) -> str:
        return "\n\n".join(f"--- {bot.role} ---\n{bot.tail()}" for bot in self.processes())

    def delivered_by_emulator(self, mark: str) -> Counter[int]:
        """Messages containing `mark` per chat, as the emulator stored them: what voters got."""
        response = httpx.post(
            f"{self.emulator.url}/getUpdatesHistory", json={"token": harness.TOKEN}, timeout=30
        )
        response.raise_for_status()
        counts: Counter[int] = Counter()
        for stored in response.json().get("result") or []:
            message = stored.get("message") or {}
            if "chat_id" in message and mark in str(message.get("text", "")):
                counts[int(message["chat_id"])] += 1
        return counts

    def outbox(self, ticket_id: int) -> Counter[str]:
        with self.database.session() as session:
            rows = session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.ticket_id == ticket_id)
                .group_by(OutboxMessage.status)
            ).all()
        return Counter({status: int(count) for status, count in rows})

    def answer(self, ticket_id: int, explanation: str) -> None:
        """`factcheck tickets answer`, the fact-checkers' command line, as a third process."""
        command = shutil.which("factcheck", path=str(Path(sys.executable).parent))
        argv = [command] if command else [sys.executable, "-c", "from bot.cli import main; main()"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CHECKER"))}
        env.update({"DATABASE_URL": self.database_url, "CHECKER_IDS": str(CHECKER)})
        result = subprocess.run(
            [*argv, "tickets", "answer", str(ticket_id), "--verdict", "false",
             "--explanation-en", explanation, "--source", "https://example.org/mp/answer",
             "--as", str(CHECKER)],
            env=env, cwd=self.workdir,  # not the repository: its .env must not apply
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode == 0, f"tickets answer failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def stack(
    pg_schema: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    reason = harness.ensure_emulator_installed()
    if reason:
        pytest.skip(reason)
    knowledge_dir = tmp_path / "kb"
    shutil.copytree(E2E_DIR / "kb", knowledge_dir)
    emulator = harness.Emulator(tmp_path / "emulator.log")
    started: list[BotRun] = []
    running: Stack | None = None
    database = Database(pg_schema)
    try:
        # Both at once, on an empty schema: both migrate at start, one waits for the other.
        cache = tmp_path / "cache"
        for role in ("all", "notifier"):
            started.append(
                start_bot(role, emulator.url, tmp_path / role, pg_schema, knowledge_dir, cache)
            )
        receiver, notifier = started
        running = Stack(emulator, receiver, notifier, database, pg_schema, tmp_path)
        request.node.mp_stack = running  # for the failure report (conftest)
        try:
            receiver.bridge.wait_for_call("getUpdates", STARTUP_TIMEOUT)
            wait_until(
                lambda: any("notifier for @" in line for line in notifier.log.snapshot())
                or not notifier.alive(),
                STARTUP_TIMEOUT, "the notifier to start",
            )
        except (TimeoutError, AssertionError) as exc:
            pytest.fail(f"the bots did not start: {exc}\n{running.logs()}")
        for bot in started:
            assert bot.alive(), f"the {bot.role} process exited at start:\n{bot.tail()}"
        yield running
    finally:
        for voter in running.voters if running is not None else []:
            voter.close()
        for bot in started:
            harness.stop_process(bot.process, timeout=20)
            bot.bridge.stop()
        emulator.stop()
        database.dispose()
    # Both stop cleanly on SIGTERM and logged no error (including the concurrent migration).
    for bot in started:
        assert bot.process.returncode == 0, f"{bot.role} exited {bot.process.returncode}"
        assert bot.bad_lines() == [], f"{bot.role} logged errors:\n" + "\n".join(bot.bad_lines())


def seed_waiting_voters(database: Database, claim: str, first_id: int, count: int) -> int:
    """`count` voters waiting on the ticket of `claim`, through the ticket service (the same
    call the conversation makes); returns the ticket id."""
    service = TicketService(database, registry=CheckerRegistry(database, [CHECKER]))
    ticket_ids = {
        service.escalate_or_join(user_id, user_id, claim, "en").ticket_id
        for user_id in range(first_id, first_id + count)
    }
    assert len(ticket_ids) == 1, ticket_ids
    return ticket_ids.pop()


def test_two_processes_share_one_database_each_voter_told_once(stack: Stack) -> None:
    receiver, notifier = stack.receiver, stack.notifier
    for bot, role in ((receiver, "all"), (notifier, "notifier")):
        status, body = bot.health()
        assert status == 200 and body["role"] == role and body["database"]["ok"], body

    # -- updates: each handled once, by the receiver ---------------------------------------------
    voters = [
        harness.Voter(stack.emulator.url, 70_000 + n, language_code="en")
        for n in range(TELEGRAM_VOTERS)
    ]
    stack.voters.extend(voters)
    for n, voter in enumerate(voters):
        voter.say(CLAIM)
        replies = voter.replies(1, timeout=60, settle=1.0)
        expected = (
            t("en", "escalated_new") if n == 0 else t("en", "escalated_joined", askers=n + 1)
        )
        assert [r.text for r in replies] == [harness.plain(expected)]
    received = [
        update["update_id"]
        for call in receiver.bridge.calls_of("getUpdates")
        for update in (call.result or [])
    ]
    assert len(received) == len(set(received)) == TELEGRAM_VOTERS
    for method in ("getUpdates", "setWebhook", "deleteWebhook"):
        assert notifier.bridge.calls_of(method) == [], f"the notifier called {method}"
    assert receiver.metric("factcheck_questions_total", language="en", decision="escalate") == 4
    assert receiver.metric("factcheck_escalations_total", outcome="new") == 1
    assert receiver.metric("factcheck_escalations_total", outcome="joined") == 3

    # -- a fan-out to 204 voters, delivered by both processes ------------------------------------
    with stack.database.session() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.claim_text == CLAIM))
    assert ticket_id is not None
    assert seed_waiting_voters(stack.database, CLAIM, 100_000, SEEDED_VOTERS) == ticket_id
    everyone = {v.chat_id for v in voters} | set(range(100_000, 100_000 + SEEDED_VOTERS))
    assert receiver.health()[1]["tickets_open"] == 1
    stack.answer(ticket_id, f"{MARK_1} The boxes were sealed and watched all night.")

    wait_until(
        lambda: stack.outbox(ticket_id)["sent"] == len(everyone), 120,
        f"{len(everyone)} notifications sent (now {dict(stack.outbox(ticket_id))})",
    )
    assert stack.outbox(ticket_id) == Counter({"sent": len(everyone)})
    by_receiver, by_notifier = receiver.sent_texts(MARK_1), notifier.sent_texts(MARK_1)
    sent = Counter(by_receiver + by_notifier)
    assert set(sent) == everyone and max(sent.values()) == 1  # none lost, none twice
    assert by_receiver and by_notifier, (len(by_receiver), len(by_notifier))  # both delivered
    got = stack.delivered_by_emulator(MARK_1)
    assert set(got) == everyone and set(got.values()) == {1}
    for voter in voters:  # the voters who asked on Telegram read it in their chat
        (answer,) = voter.replies(1, timeout=30)
        assert MARK_1 in answer.text
    # Each process counts what it delivered; together, every voter once.
    counted = [bot.metric("factcheck_notifications_total", outcome="sent") for bot in (
        receiver, notifier)]
    assert counted == [len(by_receiver), len(by_notifier)]
    for bot in (receiver, notifier):
        status, body = bot.health()
        assert status == 200 and body["outbox"]["backlog"] == 0 and body["tickets_open"] == 0

    # -- the notifier stops in the middle of a fan-out (a deploy): nothing lost, nothing twice --
    ticket_2 = seed_waiting_voters(stack.database, CLAIM_2, 200_000, SEEDED_VOTERS_2)
    stack.answer(ticket_2, f"{MARK_2} They went to the right province.")
    wait_until(lambda: len(notifier.sent_texts(MARK_2)) >= 10, 60, "the notifier to start")
    harness.stop_process(notifier.process, timeout=20)
    assert notifier.process.returncode == 0, notifier.tail()
    stopped_after = len(notifier.sent_texts(MARK_2))
    assert stopped_after < SEEDED_VOTERS_2, "the notifier had finished before it was stopped"
    wait_until(
        lambda: stack.outbox(ticket_2)["sent"] == SEEDED_VOTERS_2, 120,
        f"the receiver to finish the fan-out (now {dict(stack.outbox(ticket_2))})",
    )
    waiting_2 = set(range(200_000, 200_000 + SEEDED_VOTERS_2))
    sent_2 = Counter(receiver.sent_texts(MARK_2) + notifier.sent_texts(MARK_2))
    assert set(sent_2) == waiting_2 and max(sent_2.values()) == 1
    got_2 = stack.delivered_by_emulator(MARK_2)
    assert set(got_2) == waiting_2 and set(got_2.values()) == {1}
    assert "notifier stopped" in "\n".join(notifier.log.snapshot())
    print(json.dumps({  # shown with -s: how the work was shared
        "fan_out_1": {"receiver": len(by_receiver), "notifier": len(by_notifier)},
        "fan_out_2": {"notifier_before_stop": stopped_after,
                      "receiver": len(receiver.sent_texts(MARK_2))},
    }))

"""Two real `factcheck run` webhook workers (WEB_CONCURRENCY=2) behind one bot, sharing one
PostgreSQL and one Telegram emulator (README, *Several workers, one bot*).

The test plays Telegram, or the reverse proxy in front of the workers: it posts every update
over HTTP to one of the two workers, alternating, so each voter's messages reach both; it posts
some updates a second time to the other worker (Telegram retrying a delivery); chats are
interleaved. Then it checks what voters received through the emulator:

1. every update was handled exactly once: one answer per message, none for a retried copy;
2. each chat's answers came in the order its messages were sent;
3. each chat was served by one worker (the conversation's short-lived state stays in one
   process), and both workers served chats;
4. a worker stopped (SIGTERM, a deploy) leaves its chats' updates waiting in the inbox, the
   other worker keeps accepting them, and the restarted worker handles them, in order.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import webhook_workers as ww

from bot.storage.database import Database
from bot.storage.inbox import Inbox

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

E2E_KB = Path(__file__).resolve().parent.parent / "e2e" / "kb"
#: Questions the e2e knowledge answers, each with the marker its answer carries.
QUESTIONS = {
    "What time do polling stations open and close on election day?": "E2E-HOURS",
    "You can vote twice if you wash the ink off your finger": "E2E-INK",
    "When is advance voting held?": "E2E-ADVANCE-DATE",
    "How do I register for advance voting?": "E2E-ADVANCE-REGISTER",
}
MARKERS = tuple(QUESTIONS.values())
CHATS = [91_000 + n for n in range(6)]
PER_CHAT = 8


def markers_in(text: str) -> list[str]:
    return [marker for marker in MARKERS if f"{marker} " in text or text.endswith(marker)]


class Pair:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.knowledge = tmp_path / "kb"
        shutil.copytree(E2E_KB, self.knowledge)
        self.emulator = ww.harness.Emulator(tmp_path / "emulator.log")
        self.workers: list[ww.Worker] = []
        self.stopped: list[ww.Worker] = []
        self.http = httpx.Client(timeout=30)

    def start(self, name: str) -> ww.Worker:
        worker = ww.start_worker(
            name, self.emulator.url, self.tmp_path / name,
            database_url=self.database_url, knowledge_dir=self.knowledge,
            cache_dir=self.tmp_path / "cache", workers=2,
            extra_env={"MESSAGE_BATCH_SECONDS": "0", "RATE_LIMIT_PER_MINUTE": "1000"},
        )
        self.workers.append(worker)
        return worker

    def post(self, worker: ww.Worker, update: dict[str, object]) -> None:
        response = self.http.post(worker.webhook_url, json=update, headers=ww.post_headers())
        assert response.status_code == 200, (response.status_code, response.text)

    def answers(self, chat_id: int) -> list[tuple[str, str]]:
        """(worker, marker) of each answer chat `chat_id` got, in the order they were sent."""
        sent = [
            (at, worker.name, marker)
            for worker in self.workers
            for chat, text, at in worker.sent()
            if chat == chat_id
            for marker in markers_in(text)
        ]
        return [(name, marker) for _, name, marker in sorted(sent)]

    def total_answers(self) -> int:
        return sum(len(self.answers(chat)) for chat in CHATS)

    def close(self) -> None:
        for worker in self.workers:
            ww.stop_worker(worker)
        self.emulator.stop()
        self.http.close()


@pytest.fixture
def pair(pg_schema: str, tmp_path: Path) -> Iterator[Pair]:
    reason = ww.harness.ensure_emulator_installed()
    if reason:
        pytest.skip(reason)
    running = Pair(tmp_path, pg_schema)
    try:
        yield running
    finally:
        running.close()
    for worker in running.workers:
        assert worker.process.returncode == 0, f"{worker.name} exited {worker.process.returncode}"
        assert worker.bad_lines() == [], f"{worker.name} logged errors:\n{worker.tail()}"
        assert worker.bridge.problems == [], worker.bridge.problems


def test_two_workers_handle_each_update_once_and_each_chat_in_order(pair: Pair) -> None:
    a, b = pair.start("a"), pair.start("b")  # at once, on an empty schema
    for worker in (a, b):
        ww.wait_started(worker)
    assert sorted([a.slot(), b.slot()]) == [0, 1]  # type: ignore[type-var]

    questions = list(QUESTIONS)
    expected: dict[int, list[str]] = {chat: [] for chat in CHATS}
    update_id, retried = 500_000, 0
    for k in range(PER_CHAT):  # interleaved: every chat's k-th message, then the next
        for n, chat in enumerate(CHATS):
            update_id += 1
            question = questions[(k + n) % len(questions)]
            update = ww.text_update(update_id, chat, question)
            first, other = (a, b) if (k + n) % 2 == 0 else (b, a)
            pair.post(first, update)
            if update_id % 3 == 0:  # Telegram retries the delivery, to the other worker
                pair.post(other, update)
                retried += 1
            expected[chat].append(QUESTIONS[question])
    total = len(CHATS) * PER_CHAT
    ww.wait_until(lambda: pair.total_answers() >= total, 120, f"{total} answers")
    ww.time.sleep(2.0)  # anything extra (a retried copy handled twice) would arrive by now

    for chat in CHATS:
        got = pair.answers(chat)
        assert [marker for _, marker in got] == expected[chat], chat  # once each, in order
        assert len({name for name, _ in got}) == 1, (chat, got)  # one worker per chat
    served = Counter(pair.answers(chat)[0][0] for chat in CHATS)
    assert set(served) == {"a", "b"}, served
    duplicates = sum(w.metric("factcheck_inbox_updates_total", outcome="duplicate")
                     for w in (a, b))
    stored = sum(w.metric("factcheck_inbox_updates_total", outcome="stored") for w in (a, b))
    handled = sum(w.metric("factcheck_inbox_handled_total") for w in (a, b))
    assert (stored, duplicates, handled) == (total, retried, total)

    # -- a worker stops: its chats wait in the inbox, and are handled when it is back --------
    b_slot = b.slot()
    b_chats = [chat for chat in CHATS if chat % 2 == b_slot]
    ww.stop_worker(b)
    assert b.process.returncode == 0, b.tail()
    later: dict[int, list[str]] = {chat: [] for chat in b_chats}
    for k in range(3):
        for chat in b_chats:
            update_id += 1
            question = questions[k]
            pair.post(a, ww.text_update(update_id, chat, question))  # a accepts for b
            later[chat].append(QUESTIONS[question])
    database = Database(pair.database_url)
    try:
        ww.wait_until(lambda: Inbox(database, 2).backlog() == len(b_chats) * 3, 10,
                      "the stopped worker's updates to wait in the inbox")
        ww.time.sleep(1.5)
        assert Inbox(database, 2).backlog() == len(b_chats) * 3  # a did not take b's chats
        # The operator sees it: /healthz and /metrics of the worker still running.
        assert a.health()["inbox_backlog"] == len(b_chats) * 3
        assert a.metric("factcheck_inbox_backlog") == len(b_chats) * 3
        c = pair.start("c")  # b again, after a deploy
        ww.wait_started(c)
        assert c.slot() == b_slot
        ww.wait_until(lambda: Inbox(database, 2).backlog() == 0, 120, "the backlog handled")
    finally:
        database.dispose()
    ww.wait_until(
        lambda: all(len(pair.answers(chat)) == PER_CHAT + 3 for chat in b_chats), 60,
        "the restarted worker's answers",
    )
    for chat in b_chats:
        got = pair.answers(chat)
        assert [marker for _, marker in got] == expected[chat] + later[chat]
        assert {name for name, _ in got[PER_CHAT:]} == {"c"}

"""The daily digest and the hook that schedules it."""

from __future__ import annotations

from datetime import time, timedelta, timezone
from typing import Any

import pytest
from reports_seed import OPEN_CLAIM, PRIVATE_TEXT, SPIKE_TH, WITHHELD_CLAIM, FakeKnowledge, Seeded

from bot.reports.digest import (
    DIGEST_JOB_NAME,
    Digest,
    build_daily_digest,
    schedule_daily_digest,
    telegram_sender,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_digest_lists_open_tickets_and_what_rose(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    digest = build_daily_digest(seeded.database, knowledge, seeded.now)
    assert digest.chart_png.startswith(PNG)
    text = digest.text
    # The last 24 h: the Thai spike (6), 2 answered th-claim questions and the private one.
    assert "Questions: 9" in text
    assert f"#1 [en] 5 askers: {OPEN_CLAIM}" in text  # nobody joined in the last 24 h
    assert "1 asker, +1 today: (text withheld" in text
    assert WITHHELD_CLAIM not in text and PRIVATE_TEXT not in text
    assert "“[th] บัตรเลือกตั้ง”" in text  # rose since yesterday
    assert SPIKE_TH in text  # asked by 6 voters and escalated: shown verbatim
    assert len(text) < 4096


def test_digest_of_an_empty_day(database, knowledge: FakeKnowledge) -> None:  # type: ignore[no-untyped-def]
    from reports_seed import NOW

    digest = build_daily_digest(database, knowledge, NOW)
    assert "Questions: 0" in digest.text and "• nothing" in digest.text
    assert digest.chart_png.startswith(PNG)


class FakeJobQueue:
    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []

    def run_daily(self, callback, time, name):  # type: ignore[no-untyped-def]
        self.jobs.append({"callback": callback, "time": time, "name": name})
        return name


class FakeBot:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append(("message", chat_id, text))

    async def send_photo(self, chat_id: int, photo: bytes) -> None:
        self.sent.append(("photo", chat_id, photo))


async def test_scheduled_digest_runs_and_sends(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    queue = FakeJobQueue()
    bot = FakeBot()
    bangkok = timezone(timedelta(hours=7))
    schedule_daily_digest(
        queue,
        hour=8,
        database=seeded.database,
        knowledge=lambda: knowledge,
        send=telegram_sender(bot, -100123),
        timezone=bangkok,
    )
    (job,) = queue.jobs
    assert job["name"] == DIGEST_JOB_NAME
    assert job["time"] == time(8, 0, tzinfo=bangkok)
    await job["callback"](None)
    kinds = [(kind, chat) for kind, chat, _ in bot.sent]
    assert kinds == [("message", -100123), ("photo", -100123)]
    assert bot.sent[0][2].startswith("Daily digest") and bot.sent[1][2].startswith(PNG)


async def test_a_failing_digest_does_not_raise(caplog) -> None:  # type: ignore[no-untyped-def]
    queue = FakeJobQueue()
    sent: list[Digest] = []

    async def send(digest: Digest) -> None:
        sent.append(digest)

    def broken() -> Any:
        raise RuntimeError("knowledge unavailable")

    schedule_daily_digest(queue, hour=6, database=None, knowledge=broken, send=send)  # type: ignore[arg-type]
    await queue.jobs[0]["callback"](None)
    assert sent == [] and "daily digest failed" in caplog.text


def test_schedule_rejects_a_bad_hour() -> None:
    with pytest.raises(ValueError):
        schedule_daily_digest(
            FakeJobQueue(),
            hour=24,
            database=None,
            knowledge=lambda: None,
            send=None,  # type: ignore[arg-type]
        )


def test_schedules_on_a_real_job_queue() -> None:
    """The hook against python-telegram-bot's own JobQueue (no network: never started)."""
    from telegram.ext import Application

    application = Application.builder().token("123456:TEST").build()
    job = schedule_daily_digest(
        application.job_queue,
        hour=7,
        database=None,
        knowledge=lambda: None,  # type: ignore[arg-type]
        send=telegram_sender(application.bot, -1001),
    )
    assert job.name == DIGEST_JOB_NAME
    assert application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME) == (job,)

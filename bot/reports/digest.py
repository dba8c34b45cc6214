"""The daily digest for the fact-checkers' group: what rose since yesterday and which open
tickets most voters wait on, as a short text and one chart.

`build_daily_digest` is plain and synchronous (it queries the database); `schedule_daily_digest`
is the hook the Telegram layer calls once at start to run it every day at a configured hour on
python-telegram-bot's JobQueue. Neither imports telegram: the job queue and the bot are passed in,
so the digest is testable without a network and the report package stays free of the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from bot.reports import charts, queries
from bot.reports.period import Period, utc
from bot.reports.privacy import WITHHELD
from bot.reports.trends import build_trends
from bot.reports.trends_format import change, short
from bot.storage.database import Database

log = logging.getLogger(__name__)

DIGEST_JOB_NAME = "daily-digest"
#: Telegram's limit for one message is 4096 characters; stay under it with room to spare.
MAX_TEXT = 3800
TOP = 5


@dataclass(frozen=True)
class Digest:
    text: str
    chart_png: bytes


def build_daily_digest(database: Database, knowledge: Any, now: datetime) -> Digest:
    """The digest of the 24 hours up to `now` compared with the 24 hours before.

    `knowledge` is a KnowledgeBase (or None: entries are then shown by id).
    """
    now = utc(now)
    report = build_trends(database, knowledge, span=timedelta(days=1), now=now, limit=TOP)
    rate = report.answer_rate
    lines = [
        f"Daily digest, 24 h to {now:%Y-%m-%d %H:%M} UTC",
        f"Questions: {report.total} ({change(report.total, report.previous_total)} vs the day "
        f"before) · answered {rate['answered']:.0%} · clarified {rate['clarified']:.0%} · "
        f"escalated {rate['escalated']:.0%}",
        f"Open tickets: {report.open_tickets_count} ({report.new_tickets} new)",
        "",
        "Open tickets most voters wait on:",
    ]
    for t in report.open_tickets:
        claim = short(t.claim, 120) if t.claim else WITHHELD
        joined = f", +{t.new_askers} today" if t.new_askers else ""
        askers = f"{t.askers} asker" + ("" if t.askers == 1 else "s")
        lines.append(f"• #{t.id} [{t.language}] {askers}{joined}: {claim}")
    if not report.open_tickets:
        lines.append("• none")
    lines += ["", "Rose since yesterday:"]
    for e in report.rising_entries:
        lines.append(f"• {e.entry_id} {e.previous} → {e.current}: {short(e.text, 90)}")
    keyword_rows = report.rising_keyword_rows()
    for term, current, previous in keyword_rows[:TOP]:
        lines.append(f"• “{term}” {previous} → {current}")
    if not report.rising_entries and not keyword_rows:
        lines.append("• nothing")
    if report.unanswered:
        lines += ["", "Asked most, not answered outright:"]
        for u in report.unanswered[:3]:
            lines.append(f"• {u.askers} askers: {short(u.text, 120)}")
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"

    week = Period.ending(now, timedelta(days=7))
    days = [d.isoformat() for d in week.days()]
    index = {d: i for i, d in enumerate(days)}
    per_language: dict[str, list[int]] = {}
    for row in queries.daily_counts(database, week, None):
        if row.day in index:
            per_language.setdefault(row.language, [0] * len(days))[index[row.day]] += row.questions
    rising = [(e.entry_id, e.current, e.previous) for e in report.rising_entries]
    rising += keyword_rows
    rising.sort(key=lambda r: (-(r[1] - r[2]), -r[1], r[0]))
    chart = charts.digest_chart(days, dict(sorted(per_language.items())), rising)
    return Digest(text, chart)


Send = Callable[[Digest], Awaitable[None]]


def telegram_sender(bot: Any, chat_id: int) -> Send:
    """A `send` for schedule_daily_digest that posts the text, then the chart, to `chat_id`
    (separately: a photo caption is limited to 1024 characters). `bot` is a telegram.Bot."""

    async def send(digest: Digest) -> None:
        await bot.send_message(chat_id=chat_id, text=digest.text)
        await bot.send_photo(chat_id=chat_id, photo=digest.chart_png)

    return send


def schedule_daily_digest(
    job_queue: Any,
    *,
    hour: int,
    database: Database,
    knowledge: Callable[[], Any],
    send: Send,
    timezone: tzinfo = UTC,
    minute: int = 0,
    once: Callable[[], bool] | None = None,
) -> Any:
    """Run the digest every day at `hour`:`minute` in `timezone` on a PTB JobQueue; returns
    the Job. `knowledge` is called at each run (e.g. `lambda: store.current`) so the digest
    sees hot-reloaded knowledge. The database work runs in a thread: the bot keeps answering.
    A failed digest is logged and skipped; tomorrow's still runs. `once` (a ProcessLock's
    `held`), when given, is asked first: only the process it says yes to posts, so several
    processes on one database post one digest."""
    if not 0 <= hour <= 23 or not 0 <= minute <= 59:
        raise ValueError(f"digest time {hour}:{minute:02d} is not a time of day")

    async def run(_context: Any) -> None:
        try:
            if once is not None and not await asyncio.to_thread(once):
                return
            digest = await asyncio.to_thread(
                build_daily_digest, database, knowledge(), datetime.now(UTC)
            )
            await send(digest)
        except Exception:  # noqa: BLE001 - a digest failing must never stop the bot
            log.exception("daily digest failed")

    return job_queue.run_daily(run, time=time(hour, minute, tzinfo=timezone), name=DIGEST_JOB_NAME)

"""Load test over HTTP: N `factcheck run` webhook workers (WEB_CONCURRENCY) sharing one
PostgreSQL, driven through the Telegram emulator at a rising rate (issue #17, part 4).

What is real: the workers (the `factcheck run` command, each a process of its own, in webhook
mode with the shared inbox), PostgreSQL, the Telegram Bot API emulator (tests/e2e, node) and a
bridge per worker (tests/e2e/bridge.py) that carries every reply to the emulator and records when
it was sent. This script plays Telegram's side of the webhook, or the reverse proxy in front of
the workers: each update is posted to the next worker in turn; a share of them is posted a
second time to another worker (Telegram retrying a delivery). A voter's messages are posted one
after the other, as Telegram delivers one chat's updates; voters post concurrently.

The messages: the e2e knowledge's questions and claims (tests/e2e/kb), their variants and light
edits, greetings and commands, in Thai, Malay and English, each voter in one language. Before
the load, each distinct message is sent once by a fresh voter to learn what it is answered with
(its replies' "signature"); messages answered differently a second time are left out, so the
expected replies of every voter are known.

Printed per burst (a burst sends its messages at a steady rate, the next burst faster): the
rate, replies delivered, duplicates, losses, per-chat order violations, p50/p95/p99 from the
post to the last reply of a message; then the first rate whose p95 passes 1 s.

    PYTHONPATH=. .venv/bin/python benchmarks/load_http.py --workers 1,2,4          # full
    PYTHONPATH=. .venv/bin/python benchmarks/load_http.py --workers 2 --voters 100 \\
        --messages 600 --rates 10,20,40                                            # quick

PostgreSQL: DATABASE_URL, else DATABASE_TEST_URL, else postgresql+psycopg://postgres@127.0.0.1/
test; each run uses a schema of its own, dropped at the end. MESSAGE_BATCH_SECONDS is 0 for the
workers (a voter's burst of text is not joined: every message gets its reply, and the reply
does not wait the 1.5 s quiet period that production adds to text messages).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

import webhook_workers as ww  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from knowledge.loader import load_directory  # noqa: E402

E2E_KB = ROOT / "tests" / "e2e" / "kb"
LANGUAGES = ("th", "ms", "en")
GREETINGS = {"th": ["สวัสดีครับ", "สวัสดีค่ะ"], "ms": ["Selamat pagi", "Hai"],
             "en": ["Hello", "hi there"]}
COMMANDS = ["/help", "/tips", "/about", "/privacy"]
#: Share of messages that are copies or edits of the knowledge's claims and questions (viral).
VIRAL_SHARE = 0.8


def signature(text: str) -> str:
    """What identifies a reply: the knowledge marker it carries, else its opening."""
    for word in text.split():
        if word.startswith("E2E-"):
            return word.strip(".,:")
    return " ".join(ww.harness.plain(text).split())[:40]


def messages_by_language() -> dict[str, list[str]]:
    """Every distinct message of the mix, per language: the knowledge's texts and variants,
    light edits of them (case, punctuation, a forwarding prefix), greetings and commands."""
    base = load_directory(E2E_KB)
    out: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        texts: list[str] = []
        for entry in base.entries:
            if lang in entry.text:
                texts.append(entry.text[lang])
            texts.extend(entry.variants.get(lang, ()))
        edits = [f"{t}??" for t in texts] + [t.lower() for t in texts if t.lower() != t]
        edits += [f"Fwd: {t}" for t in texts[:4]]
        out[lang] = sorted(set(texts + edits)) + GREETINGS[lang] + COMMANDS
    return out


@dataclass
class Posted:
    update_id: int
    chat_id: int
    text: str
    burst: int
    at: float = 0.0


@dataclass
class Burst:
    rate: float
    posted: list[Posted] = field(default_factory=list)
    started: float = 0.0
    sent_in: float = 0.0


class Driver:
    def __init__(self, workers: list[ww.Worker], seed: int, retry_share: float) -> None:
        self.workers = workers
        self.random = random.Random(seed)
        self.retry_share = retry_share
        self.retries = 0
        self.next_update = 1_000_000
        self.turn = 0
        self.chat_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.http = httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=200, max_keepalive_connections=200)
        )
        self.failed_posts = 0

    async def post(self, chat_id: int, text: str, language: str, burst: int = -1) -> Posted:
        """Post one message (after the chat's previous one was accepted)."""
        self.next_update += 1
        item = Posted(self.next_update, chat_id, text, burst)
        update = ww.text_update(item.update_id, chat_id, text, language)
        async with self.chat_locks[chat_id]:
            worker = self.workers[self.turn % len(self.workers)]
            self.turn += 1
            item.at = time.monotonic()
            for attempt in range(5):
                try:
                    response = await self.http.post(
                        worker.webhook_url, json=update, headers=ww.post_headers()
                    )
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                self.failed_posts += 1  # Telegram would retry: so do we
                await asyncio.sleep(0.5 * (attempt + 1))
            if len(self.workers) > 1 and self.random.random() < self.retry_share:
                other = self.workers[(self.turn) % len(self.workers)]
                await self.http.post(other.webhook_url, json=update, headers=ww.post_headers())
                self.retries += 1
        return item

    def replies(self) -> dict[int, list[tuple[float, str]]]:
        """Per chat, (time, signature) of every reply, in the order they were sent."""
        out: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for worker in self.workers:
            for chat, text, at in worker.sent():
                out[chat].append((at, signature(text)))
        for chat in out:
            out[chat].sort()
        return out


async def wait_quiet(driver: Driver, expected: int, timeout: float, quiet: float = 2.0) -> None:
    """Until `expected` replies arrived and nothing more came for `quiet` s, or `timeout`."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(len(v) for v in driver.replies().values())
        if count != last:
            last, since = count, time.monotonic()
        elif count >= expected and time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.25)


Signatures = dict[str, dict[str, tuple[str, ...]]]


async def calibrate(driver: Driver, mix: dict[str, list[str]]) -> Signatures:
    """Each message sent twice by a fresh voter: its replies' signatures, when both agree."""
    chat = 50_000_000
    jobs: list[tuple[str, str, int]] = []
    for lang, texts in mix.items():
        for text in texts:
            chat += 1
            jobs.append((lang, text, chat))
    got: dict[int, list[list[str]]] = {}
    for round_ in range(2):
        before = {c: len(v) for c, v in driver.replies().items()}
        await asyncio.gather(*(driver.post(c, text, lang) for lang, text, c in jobs))
        await wait_quiet(driver, sum(before.values()) + len(jobs), 90, quiet=3.0)
        now = driver.replies()
        for _, _, c in jobs:
            got.setdefault(c, []).append([s for _, s in now.get(c, [])[before.get(c, 0):]])
        del round_
    stable: Signatures = {lang: {} for lang in mix}
    for lang, text, c in jobs:
        first, second = got[c]
        if first and first == second:
            stable[lang][text] = tuple(first)
    return stable


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def analyse(
    bursts: list[Burst], expected: Signatures,
    language_of: dict[int, str], replies: dict[int, list[tuple[float, str]]],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per burst: latencies; over all: delivered, duplicates, losses, order violations."""
    per_chat: dict[int, list[Posted]] = defaultdict(list)
    for burst in bursts:
        for item in burst.posted:
            per_chat[item.chat_id].append(item)
    latencies: dict[int, list[float]] = defaultdict(list)
    totals = Counter[str]()
    for key in ("expected", "delivered", "duplicates", "losses", "order_violations",
                "chats_out_of_order"):
        totals[key] = 0
    for chat, items in per_chat.items():
        items.sort(key=lambda p: p.update_id)
        want = [s for p in items for s in expected[language_of[chat]][p.text]]
        got = replies.get(chat, [])
        got_sigs = [s for _, s in got]
        have, need = Counter(got_sigs), Counter(want)
        totals["expected"] += len(want)
        totals["delivered"] += sum((have & need).values())
        totals["duplicates"] += sum((have - need).values())
        totals["losses"] += sum((need - have).values())
        if have == need and got_sigs != want:
            totals["order_violations"] += sum(1 for a, b in zip(got_sigs, want, strict=True)
                                              if a != b)
            totals["chats_out_of_order"] += 1
        if got_sigs[: len(want)] == want:  # aligned: each message's last reply is known
            position = 0
            for item in items:
                size = len(expected[language_of[chat]][item.text])
                position += size
                latencies[item.burst].append(got[position - 1][0] - item.at)
    rows = []
    for index, burst in enumerate(bursts):
        values = latencies.get(index, [])
        rows.append({
            "rate": burst.rate, "messages": len(burst.posted),
            "sent_per_s": round(len(burst.posted) / burst.sent_in, 1) if burst.sent_in else None,
            "measured": len(values),
            "p50_s": round(percentile(values, 0.5), 3), "p95_s": round(percentile(values, 0.95), 3),
            "p99_s": round(percentile(values, 0.99), 3),
        })
    return rows, dict(totals)


def schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def admin(base: str, sql: str) -> None:
    url = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


async def run_level(n_workers: int, args: argparse.Namespace, base_url: str) -> dict[str, Any]:
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin(base_url, f'CREATE SCHEMA "{schema}"')
    workdir = Path(tempfile.mkdtemp(prefix="load-http-"))
    knowledge = workdir / "kb"
    shutil.copytree(E2E_KB, knowledge)
    emulator = ww.harness.Emulator(workdir / "emulator.log")
    workers: list[ww.Worker] = []
    try:
        for n in range(n_workers):
            workers.append(ww.start_worker(
                f"w{n}", emulator.url, workdir / f"w{n}",
                database_url=schema_url(base_url, schema), knowledge_dir=knowledge,
                cache_dir=args.cache_dir, workers=n_workers,
                extra_env={"MESSAGE_BATCH_SECONDS": "0", "RATE_LIMIT_PER_MINUTE": "100000",
                           "RATE_LIMIT_PER_DAY": "100000",
                           "DATABASE_TIMEOUT_SECONDS": str(args.database_timeout),
                           "TELEGRAM_RATE_PER_SECOND": str(args.telegram_rate)},
            ))
        for worker in workers:
            ww.wait_started(worker)
        driver = Driver(workers, args.seed, args.retry_share)
        mix = messages_by_language()
        expected = await calibrate(driver, mix)
        usable = {lang: list(texts) for lang, texts in expected.items()}
        dropped = sum(len(mix[lang]) - len(usable[lang]) for lang in mix)
        viral = {lang: [t for t in texts if any(s.startswith("E2E-") for s in expected[lang][t])]
                 for lang, texts in usable.items()}
        other = {lang: [t for t in texts if t not in viral[lang]] for lang, texts in usable.items()}
        voters = [60_000_000 + v for v in range(args.voters)]
        language_of = {chat: LANGUAGES[i % 3] for i, chat in enumerate(voters)}
        calibrated = sum(len(v) for v in driver.replies().values())

        rates = [float(r) for r in args.rates.split(",")]
        per_burst = args.messages // len(rates)
        bursts: list[Burst] = []
        pending: list[asyncio.Task[Posted]] = []
        for index, rate in enumerate(rates):
            burst = Burst(rate)
            bursts.append(burst)
            burst.started = time.monotonic()
            for j in range(per_burst):
                due = burst.started + j / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                chat = driver.random.choice(voters)
                lang = language_of[chat]
                pool = viral[lang] if driver.random.random() < VIRAL_SHARE else other[lang]
                text = driver.random.choice(pool or usable[lang])
                pending.append(asyncio.create_task(driver.post(chat, text, lang, index)))
            done = await asyncio.gather(*pending)
            pending.clear()
            burst.posted.extend(done)
            burst.sent_in = time.monotonic() - burst.started
            want = calibrated + sum(
                len(expected[language_of[p.chat_id]][p.text]) for b in bursts for p in b.posted
            )
            await wait_quiet(driver, want, args.drain_timeout)
        replies = driver.replies()
        for chat in list(replies):
            if chat < 60_000_000:
                replies.pop(chat)  # the calibration's
        rows, totals = analyse(bursts, expected, language_of, replies)
        breaking = next((row["rate"] for row in rows if row["p95_s"] > 1.0), None)
        metrics = {
            "stored": sum(w.metric("factcheck_inbox_updates_total", outcome="stored")
                          for w in workers),
            "duplicate_posts_refused": sum(
                w.metric("factcheck_inbox_updates_total", outcome="duplicate") for w in workers),
            "handled": sum(w.metric("factcheck_inbox_handled_total") for w in workers),
        }
        problems = [p for w in workers for p in w.bridge.problems][:5]
        errors = [line for w in workers for line in w.bad_lines()][:5]
        await driver.http.aclose()
        return {
            "workers": n_workers, "voters": args.voters, "messages": per_burst * len(rates),
            "distinct_messages": sum(len(v) for v in usable.values()),
            "unstable_messages_left_out": dropped, "retried_deliveries": driver.retries,
            "failed_posts_retried": driver.failed_posts, "bursts": rows, **totals,
            "p95_passes_1s_at_rate": breaking, "inbox": metrics,
            "bridge_problems": problems, "worker_errors": errors,
        }
    finally:
        for worker in workers:
            ww.stop_worker(worker)
        emulator.stop()
        admin(base_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts to try, e.g. 1,2,4")
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rates", default="10,20,40,80,160",
                        help="messages per second of each burst, rising")
    parser.add_argument("--retry-share", type=float, default=0.02,
                        help="share of updates posted again to another worker")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--database-timeout", type=float, default=1.5)
    parser.add_argument("--telegram-rate", type=float, default=1000,
                        help="each worker's TELEGRAM_RATE_PER_SECOND (default: high, to measure "
                        "the workers, not Telegram's limit of about 30 per bot)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "var" / "cache")
    args = parser.parse_args()
    # SIGTERM ends the run through `finally`: workers stopped, the schema dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    reason = ww.harness.ensure_emulator_installed()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    base = (os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_TEST_URL")
            or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    results = []
    for n in (int(x) for x in args.workers.split(",")):
        result = asyncio.run(run_level(n, args, base))
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    print(f"\n{'workers':>7} {'rate/s':>7} {'sent/s':>7} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7}")
    for result in results:
        for row in result["bursts"]:
            print(f"{result['workers']:>7} {row['rate']:>7g} {row['sent_per_s'] or 0:>7} "
                  f"{row['p50_s']:>7} {row['p95_s']:>7} {row['p99_s']:>7}")
        print(f"workers={result['workers']}: delivered {result.get('delivered', 0)} of "
              f"{result.get('expected', 0)}, duplicates {result.get('duplicates', 0)}, losses "
              f"{result.get('losses', 0)}, order violations {result.get('order_violations', 0)}, "
              f"p95 passes 1 s at {result['p95_passes_1s_at_rate']} msg/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

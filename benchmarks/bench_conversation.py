"""The whole conversation core in process, one core: messages/s, latency, and where the time goes.

What is real: `build_services` exactly as the bot runs it (bot/services.py) over the bundled
knowledge (knowledge/base), the real matcher (embeddings, lexical index, calibration), the
embedded intent classifier and language identifier, the escalation wiring (open-ticket index,
ticket routing, answered knowledge) and real storage: a fresh SQLite file, or a fresh database
of its own on the PostgreSQL server (created and dropped by this script). Nothing is sent to
Telegram: the figure is the core's own (`Conversation.handle`), one message after another.

The mix is generated deterministically (--seed) and is meant to look like an election evening:
most messages are copies or light edits (case, punctuation, emoji, a word added, "Forwarded")
of a few viral claims, some the knowledge answers and some it does not (those escalate once and
then pile onto the same ticket); the rest are questions the knowledge answers (its own variants,
lightly edited), claims nobody has checked (each a ticket of its own), greetings and commands;
Thai, Malay and English; many voters.

Where the time goes is measured by wrapping the calls (wall time, exclusive: a matcher call made
inside the open-ticket index counts as matcher, not index): NLU (intent classifier and language
identification), matcher (verdict matching and the ticket index's own matching), ticket index
(its database query of the open tickets), index rebuild (Matcher.updated/with_entries when the
open tickets changed), storage (repository calls) and the rest (the core itself,
thread hand-offs, the event loop). The intent classifier and the matcher run side by side in two
threads, so their shares can overlap a little.

    taskset -c 1 .venv/bin/python benchmarks/bench_conversation.py              # both engines
    .venv/bin/python benchmarks/bench_conversation.py --storage postgres --messages 1000
    .venv/bin/python benchmarks/bench_conversation.py --storage sqlite --profile  # + cProfile
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import io
import logging
import os
import pstats
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.services import Services, build_services  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# -- the mix ------------------------------------------------------------------------------------
#: Viral claims the bundled knowledge answers (its own claim texts) and ones it does not.
VIRAL_KNOWN = [
    ("th", "ผลคะแนนที่ออกมาคืนวันเลือกตั้ง คือผลอย่างเป็นทางการและเปลี่ยนไม่ได้แล้ว"),
    ("ms", "Mengundi adalah wajib dan anda akan didenda jika tidak mengundi."),
    ("en", "The results announced on election night are official and final."),
]
VIRAL_UNKNOWN = [
    ("en", "BREAKING: the election commission will close every polling station at noon "
           "because of a computer virus in the counting machines"),
    ("th", "ด่วน กกต. สั่งให้หน่วยเลือกตั้งในภาคอีสานปิดตอนเที่ยงเพราะบัตรเลือกตั้งหมด"),
    ("ms", "Tular: SPR akan membatalkan undi semua pengundi yang memakai baju merah ke "
           "pusat mengundi"),
]
ADDED = {"th": ["จริงไหม", "ช่วยเช็คหน่อย", "แชร์ต่อด่วน"],
         "ms": ["betul ke", "tolong semak", "sebarkan"],
         "en": ["is this true", "please check", "share now"]}
EMOJI = ["‼️", "😱", "🙏", "⚠️", "🔥"]
GREETINGS = {"th": ["สวัสดีครับ", "สวัสดีค่ะ", "ขอบคุณครับ"],
             "ms": ["hai", "selamat pagi", "terima kasih"],
             "en": ["hi", "hello there", "thanks!"]}
COMMANDS = ["/start", "/help", "/privacy", "/tips", "/about"]
UNKNOWN = {
    "en": "Candidate {n} of district {d} was arrested for hiding {k} ballot boxes",
    "th": "ผู้สมัครเบอร์ {n} เขต {d} ถูกจับเพราะซ่อนหีบบัตร {k} ใบ",
    "ms": "Calon nombor {n} di kawasan {d} ditangkap kerana menyorok {k} peti undi",
}
LANGUAGE_CODES = {"th": "th", "ms": "ms", "en": "en"}


def light_edit(rng: random.Random, text: str, lang: str) -> str:
    """A copy as people forward it: the same words, a little changed (or not at all)."""
    roll = rng.random()
    if roll < 0.35:
        return text
    if roll < 0.5:
        return text.upper() if lang != "th" else text + "!!!"
    if roll < 0.65:
        return text.rstrip(".!") + rng.choice(["!!", "?", "!!!", " ..."])
    if roll < 0.8:
        return f"{rng.choice(EMOJI)} {text} {rng.choice(EMOJI)}"
    if roll < 0.9:
        return f"{text} {rng.choice(ADDED[lang])}"
    return text.lower()


def knowledge_questions(
    services: Services, rng: random.Random, count: int
) -> list[tuple[str, str]]:
    """Questions the knowledge answers: its own variants (what voters write), per language."""
    kb, _ = services.knowledge.snapshot()
    pool = [
        (lang, variant)
        for entry in kb.published()
        for lang, variants in entry.variants.items()
        for variant in variants
        if not entry.id.startswith("ticket-")
    ]
    pool.sort()
    return [rng.choice(pool) for _ in range(count)]


def make_mix(services: Services, messages: int, voters: int, seed: int) -> list[Incoming]:
    """`messages` incoming messages from `voters` voters, shuffled deterministically."""
    rng = random.Random(seed)
    langs = ["th"] * 5 + ["ms"] * 3 + ["en"] * 2
    voter_lang = {1_000_000 + v: rng.choice(langs) for v in range(voters)}
    voter_ids = sorted(voter_lang)
    n_viral = int(messages * 0.65)
    n_known = int(messages * 0.15)
    n_unknown = int(messages * 0.08)
    n_greet = int(messages * 0.07)
    n_cmd = messages - n_viral - n_known - n_unknown - n_greet
    items: list[tuple[str, str | None, bool]] = []  # (text, language, forwarded)
    virals = VIRAL_KNOWN + VIRAL_UNKNOWN
    weights = [5, 3, 2, 4, 3, 2]  # some rumours spread more than others
    for _ in range(n_viral):
        lang, text = rng.choices(virals, weights)[0]
        items.append((light_edit(rng, text, lang), lang, rng.random() < 0.5))
    for lang, text in knowledge_questions(services, rng, n_known):
        items.append((light_edit(rng, text, lang), lang, False))
    for i in range(n_unknown):
        lang = rng.choice(langs)
        items.append((UNKNOWN[lang].format(n=i + 1, d=rng.randint(1, 400),
                                           k=rng.randint(2, 90)), lang, False))
    for _ in range(n_greet):
        lang = rng.choice(langs)
        items.append((rng.choice(GREETINGS[lang]), lang, False))
    for _ in range(n_cmd):
        items.append((rng.choice(COMMANDS), None, False))
    rng.shuffle(items)
    out = []
    for text, lang, forwarded in items:
        if lang is None:
            user = rng.choice(voter_ids)
        else:  # a voter who writes in that language
            same = [v for v in voter_ids if voter_lang[v] == lang] or voter_ids
            user = rng.choice(same)
        out.append(Incoming.from_text(
            user, user, text, language_code=LANGUAGE_CODES[voter_lang[user]],
            forwarded=forwarded,
        ))
    return out


# -- where the time goes ------------------------------------------------------------------------
class Timers:
    """Exclusive wall time per category, per thread (a nested call's time is its own)."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, category: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = self._local.__dict__.setdefault("stack", [])
            start = time.perf_counter()
            stack.append(0.0)  # time spent in nested timed calls
            try:
                return fn(*args, **kwargs)
            finally:
                nested = stack.pop()
                elapsed = time.perf_counter() - start
                if stack:
                    stack[-1] += elapsed
                with self._lock:
                    self.totals[category] += elapsed - nested
                    self.calls[category] += 1

        return timed

    def reset(self) -> None:
        self.totals.clear()
        self.calls.clear()


def instrument_classes(timers: Timers) -> None:
    """Wrap the calls whose time is reported, on the classes the services use (once)."""
    import bot.core.conversation as conversation_module
    import nlu.langid as langid
    from bot.escalation.ticket_index import OpenTicketIndex
    from knowledge.matcher import Matcher
    from nlu.intent_service import IntentService

    IntentService._embedded = timers.wrap("nlu", IntentService._embedded)  # type: ignore[method-assign]
    detect = timers.wrap("nlu", langid.detect_language)
    langid.detect_language = detect  # type: ignore[assignment]
    conversation_module.detect_language = detect  # type: ignore[attr-defined]
    for name in ("match", "features", "decide", "next_candidates"):
        setattr(Matcher, name, timers.wrap("matcher", getattr(Matcher, name)))
    for name in ("updated", "with_entries"):
        setattr(Matcher, name, timers.wrap("index rebuild", getattr(Matcher, name)))
    OpenTicketIndex._snapshot = timers.wrap("ticket index", OpenTicketIndex._snapshot)  # type: ignore[method-assign]


def instrument_repository(timers: Timers, services: Services) -> None:
    """Wrap this run's repository calls (storage)."""
    repository = services.repository
    if repository is not None:
        for name in ("get_voter", "set_last_language", "set_chosen_language", "record_question",
                     "recall_question", "record_feedback", "escalate", "choose_ticket"):
            method = getattr(repository, name, None)
            if method is not None:
                setattr(repository, name, timers.wrap("storage", method))


# -- running ------------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A database of this run's own on the server, dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_conversation_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


async def run(services: Services, mix: list[Incoming], timers: Timers,
              profile: bool) -> dict[str, Any]:
    conversation = services.conversation
    # Warm-up (not measured): the models' first calls, one of each kind of turn.
    for text in ("hi", "/help", "The results announced on election night are official."):
        await conversation.handle(Incoming.from_text(999, 999, text, language_code="en"))
    timers.reset()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    for incoming in mix:
        t0 = time.perf_counter()
        replies = await conversation.handle(incoming)
        latencies.append(time.perf_counter() - t0)
        outcomes[outcome(replies)] += 1
    wall = time.perf_counter() - started
    if profiler:
        profiler.disable()
    await conversation.aclose()
    latencies.sort()
    cache = getattr(services.conversation.deps, "match_cache", None)
    result = {
        "messages": len(mix), "wall": wall, "rate": len(mix) / wall,
        "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99), "max": latencies[-1],
        "times": dict(timers.totals), "calls": dict(timers.calls), "outcomes": outcomes,
        "spooled": len(services.spool),
        "cache": (getattr(cache, "hits", 0), getattr(cache, "misses", 0)),
    }
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        result["profile"] = out.getvalue()
    return result


def outcome(replies: list[Any]) -> str:
    """A coarse label of what the voter got, to show the mix did what it should."""
    if not replies:
        return "nothing"
    first = replies[0]
    data = [b.data or "" for r in replies for b in r.all_buttons()]
    if first.text.startswith("<b>"):
        return "verdict card"
    if any(d.startswith("p:") for d in data):
        return "did you mean"
    if any(d.startswith(("j:", "k:")) for d in data):
        return "ticket offer"
    return "other reply"


def build(database_url: str, tmp: Path) -> Services:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=REPO / "knowledge" / "base",
        database_url=database_url,
        cache_dir=REPO / "var" / "cache",
        rate_limit_per_minute=1000,
        rate_limit_per_day=100_000,
    )
    services = build_services(settings, spool_path=tmp / "spool.jsonl")
    services.intents.warm_up()
    return services


def report(storage: str, result: dict[str, Any]) -> None:
    times = result["times"]
    wall = result["wall"]
    measured = sum(times.values())
    ms = 1000.0
    print(f"\n== {storage}: {result['messages']} messages in {wall:.2f} s ==")
    print(f"messages/s {result['rate']:.1f}   p50 {result['p50'] * ms:.1f} ms   "
          f"p95 {result['p95'] * ms:.1f} ms   p99 {result['p99'] * ms:.1f} ms   "
          f"max {result['max'] * ms:.1f} ms")
    print("where the time goes (exclusive wall time; per message; share of the run):")
    for category in ("nlu", "matcher", "ticket index", "index rebuild", "storage"):
        spent = times.get(category, 0.0)
        print(f"  {category:<13} {spent / result['messages'] * ms:7.2f} ms  {spent / wall:6.1%}"
              f"   ({result['calls'].get(category, 0)} calls)")
    rest = wall - measured
    print(f"  {'rest':<13} {rest / result['messages'] * ms:7.2f} ms  {rest / wall:6.1%}")
    print("what voters got: " + ", ".join(f"{k} {v}" for k, v in result["outcomes"].most_common()))
    print(f"spooled escalations: {result['spooled']}; match cache hits/misses: "
          f"{result['cache'][0]}/{result['cache'][1]}")
    if "profile" in result:
        print(result["profile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PG_URL", PG_URL),
                        help="PostgreSQL server to create a throwaway database on")
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cpu", type=int, default=1, help="pin to this core (-1: do not pin)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    print(f"bench_conversation {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; cores "
          f"{sorted(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f}; "
          f"{args.messages} messages, {args.voters} voters, seed {args.seed}")
    timers = Timers()
    instrument_classes(timers)
    engines = ["sqlite", "postgres"] if args.storage == "both" else [args.storage]
    for storage in engines:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            with contextlib.ExitStack() as stack:
                if storage == "sqlite":
                    url = f"sqlite:///{tmp / 'bot.db'}"
                else:
                    url = stack.enter_context(postgres_database(args.database_url))
                services = build(url, tmp)
                try:
                    instrument_repository(timers, services)
                    mix = make_mix(services, args.messages, args.voters, args.seed)
                    result = asyncio.run(run(services, mix, timers, args.profile))
                finally:
                    if services.database is not None:
                        services.database.dispose()
                report(storage, result)


if __name__ == "__main__":
    main()

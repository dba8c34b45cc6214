"""How long voters wait for a reply while the database hangs (README, "When the database fails").

What is real: a PostgreSQL server of this script's own (initdb into a temporary directory,
tests/support/throwaway_postgres.py), frozen with SIGSTOP after a warm-up, so connections are
accepted and never answered; the bot's services (conversation, matcher, intent classifier,
storage, spool) as `factcheck run` builds them, over tests/data/kb-small. N new voters write at
once, half asking what the knowledge answers, half claims for fact-checkers. Printed: each
reply's wait (median, slowest), how many were answered from the knowledge and how many spooled,
then how long the spool took to drain once the server runs again.

    .venv/bin/python benchmarks/bench_hung_database.py                    # 10 voters, 1.5 s
    .venv/bin/python benchmarks/bench_hung_database.py --voters 40 --timeout 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from throwaway_postgres import ThrowawayPostgres, find_bin_dir  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core import Incoming  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.texts import t  # noqa: E402

KNOWN = [
    "You can vote by SMS or online",
    "The pens at polling stations use erasable ink, so bring your own pen",
    "Malaysians aged 18 are registered as voters automatically",
    "What time do polling stations open and close in Malaysia?",
    "How do I apply for a postal vote in Malaysia?",
]
UNKNOWN = "Soldiers will guard ballot box number {n} in Kedah and arrest opposition voters"


async def measure(server: ThrowawayPostgres, voters: int, timeout: float, work: Path) -> dict:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        knowledge_dir=ROOT / "tests" / "data" / "kb-small",
        database_url=server.url, cache_dir=work / "cache", database_timeout_seconds=timeout,
        rate_limit_per_minute=1000, rate_limit_per_day=10000,
    )
    services = build_services(settings, spool_path=work / "spool.jsonl")
    await services.start(watch=False)
    try:
        conversation = services.conversation
        await conversation.handle(Incoming.from_text(1, 1, KNOWN[0]))  # warm: pool, models
        texts = [
            KNOWN[n % len(KNOWN)] if n % 2 == 0 else UNKNOWN.format(n=n) for n in range(voters)
        ]
        server.freeze()

        async def ask(user_id: int, text: str) -> tuple[str, float]:
            started = time.perf_counter()
            replies = await conversation.handle(Incoming.from_text(user_id, user_id, text))
            first = replies[0]
            offers = any((b.data or "").startswith("p:") for row in first.buttons for b in row)
            # A card or a "which one do you mean?" list: both come from the knowledge.
            return ("<b>" if offers else first.text), time.perf_counter() - started

        results = await asyncio.gather(
            *(ask(100 + n, text) for n, text in enumerate(texts))
        )
        waits = [seconds for _, seconds in results]
        answered = sum(text.startswith("<b>") for text, _ in results)
        spooled = sum(text == t("en", "escalated_spooled") for text, _ in results)
        server.thaw()
        thawed = time.perf_counter()
        while len(services.spool) and time.perf_counter() - thawed < 60:
            await asyncio.sleep(0.5)
            await services.retry_spool()
        return {
            "voters": voters,
            "database_timeout_s": timeout,
            "reply_median_s": round(statistics.median(waits), 2),
            "reply_max_s": round(max(waits), 2),
            "answered_from_knowledge": answered,
            "spooled": spooled,
            "other_replies": voters - answered - spooled,
            "spool_left_after_thaw": len(services.spool),
            "spool_drained_s": round(time.perf_counter() - thawed, 1),
        }
    finally:
        server.thaw()
        await services.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1.5, help="DATABASE_TIMEOUT_SECONDS")
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("no PostgreSQL server binaries (initdb, pg_ctl) on this machine", file=sys.stderr)
        return 2
    server = ThrowawayPostgres(bin_dir)
    try:
        server.start()
        with tempfile.TemporaryDirectory() as work:
            figures = asyncio.run(measure(server, args.voters, args.timeout, Path(work)))
    finally:
        server.cleanup()
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

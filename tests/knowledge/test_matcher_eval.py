"""The matcher on knowledge bases shaped like real ones, each held out in turn (issue #14).

benchmarks/eval_matcher.py fits the weights and thresholds on all realistic bases but one and
scores that one; this test runs the same evaluation for the shipped configuration and holds it to
the safety targets on every base, and to floors a little under the figures in BENCHMARKS.md so a
change that loses ground fails here. Run the script itself for the tables and the ablation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factcheck_testing import load_path

ROOT = Path(__file__).resolve().parent.parent.parent
KINDS = {
    "paraphrase", "chatty", "typo", "no-tone-marks", "short", "sms-malay", "code-mixed",
    "long-forward", "cross-lingual", "near-miss", "unrelated", "non-claim",
}


@pytest.fixture(scope="module")
def evaluation():  # type: ignore[no-untyped-def]
    return load_path("eval_matcher", ROOT / "benchmarks" / "eval_matcher.py")


@pytest.mark.parametrize("base", ["election-thmy", "rumours-my"])
def test_new_bases_are_shaped_like_real_collections(evaluation, base: str) -> None:  # type: ignore[no-untyped-def]
    entries, queries = evaluation.load_base(base)
    assert len(entries) >= 30
    single = sum(len(e.text) == 1 for e in entries)
    assert single >= 0.4 * len(entries)
    assert sum(len(v) for e in entries for v in e.variants.values()) <= 12
    assert {e.region for e in entries} == {"TH", "MY"}
    assert len(queries) >= 180
    assert len({q.id for q in queries}) == len(queries)
    assert {q.kind for q in queries} >= KINDS
    ids = {e.id for e in entries}
    for q in queries:
        assert q.expected <= ids, q.id
    known = sum(q.known for q in queries)
    assert 0.5 * len(queries) <= known <= 0.8 * len(queries)


def test_one_language_base_keeps_one_language_and_no_variants(evaluation) -> None:  # type: ignore[no-untyped-def]
    entries, queries = evaluation.load_base("bundled-1lang")
    assert entries and queries
    for e in entries:
        assert len(e.text) == 1 and not e.variants and len(e.answer) == 1
    languages = [next(iter(e.text)) for e in entries]
    assert {"th", "ms", "en"} == set(languages)


@pytest.fixture(scope="module")
def held_out(evaluation):  # type: ignore[no-untyped-def]
    scored, matchers = evaluation.featurise(evaluation.REALISTIC_BASES, evaluation.DEFAULT_MODE)
    assert set(scored) == set(evaluation.REALISTIC_BASES)
    result = evaluation.held_out(scored, matchers, evaluation.DEFAULT_MODE)
    print(evaluation.format_table(
        {f"base={b}": g["all"] for b, g in result.per_base.items()}, "held-out base"))
    return evaluation, result


def test_wrong_answers_stay_rare_on_every_base_held_out(held_out) -> None:  # type: ignore[no-untyped-def]
    evaluation, result = held_out
    met = evaluation.targets(result)
    assert met["known WRONG <= 1% on every base"][0], met
    pooled = result.pooled()["all"].rates()
    assert pooled["unknown_wrong"] <= 0.01, pooled
    # The worst base answers one of its 75 unknown queries (1.3%): a floor, not the target.
    assert result.worst("unknown_wrong", lowest=False)[1] <= 0.015, met


@pytest.mark.xfail(
    strict=True,
    reason="not reached yet: rumours-my held out answers 1 of its 75 unknown queries (a one-word "
    "near-miss), 1.3% (BENCHMARKS.md, Matching)",
)
def test_unknown_wrong_answers_under_one_percent_on_every_base(held_out) -> None:  # type: ignore[no-untyped-def]
    evaluation, result = held_out
    met = evaluation.targets(result)
    assert met["unknown WRONG <= 1% on every base"][0], met


def test_held_out_accuracy_does_not_regress(held_out) -> None:  # type: ignore[no-untyped-def]
    """Floors a little under BENCHMARKS.md (found 82.4% pooled, 71.5% on the worst base,
    unknown escalated 67.9%, answered 11.9%), while the found targets (88% / 75%) and the
    answered one (20%) are not reached yet."""
    _evaluation, result = held_out
    pooled = result.pooled()["all"].rates()
    assert pooled["found"] >= 0.80, pooled
    assert result.worst("found")[1] >= 0.68, result.worst("found")
    assert pooled["escalated"] >= 0.62, pooled
    assert pooled["answered"] >= 0.08, pooled


def _table(evaluation, known_p1: list[float], unknown_p1: list[float]):  # type: ignore[no-untyped-def]
    """A calibration table whose known queries all rank the right entry first, far ahead."""
    n_known = len(known_p1)
    p1 = np.asarray(known_p1 + unknown_p1)
    n = len(p1)
    known = np.arange(n) < n_known
    probs = np.zeros((n, 3))
    probs[:, 0] = p1
    return evaluation.Table(
        known=known,
        probs=probs,
        regions=np.zeros((n, 3), int),
        query_region=np.zeros(n, bool),
        best_right=known.copy(),
        best_near=np.zeros(n, bool),
        right_rank=np.where(known, 0, 99),
        right_p=np.where(known, p1, 0.0),
        cover=np.ones(n),
        null={q: np.zeros(n) for q in evaluation.NULL_QUANTILES},
        ceiling=np.zeros(n),
    )


def test_calibration_allows_no_wrong_answer_unless_told(evaluation) -> None:  # type: ignore[no-untyped-def]
    """One unknown query that scores like a right answer holds the answer bar above it by
    default; allowed 1% wrong (one in these 150 unknown queries), the bar drops under it and
    answers the known queries between the two."""
    known = [0.95] * 50 + [0.85] * 100
    unknown = [0.91] + [0.05] * 149
    strict = evaluation.search_thresholds(_table(evaluation, known, unknown), near=False)
    assert strict[0] > 0.91
    loose = evaluation.search_thresholds(
        _table(evaluation, known, unknown), near=False, wrong_max=0.01
    )
    assert loose[0] <= 0.85

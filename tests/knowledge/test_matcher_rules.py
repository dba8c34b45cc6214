"""The matcher's rules that do not depend on a calibration: the country rule, how much of a message
it reads, the claim-sized parts of a long forward, and the election glossary.

Real embedding models (shipped inside their wheels) are used; vectors are cached per module.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from knowledge.glossary import Glossary, GlossaryError, load_glossary
from knowledge.matcher import MAX_QUERY_CHARS, Matcher, build_matcher, claim_parts
from knowledge.model import Entry, Source
from knowledge.thresholds import FEATURES

SRC = (Source("https://example.org/check"),)


def claim(entry_id: str, region: str, text: dict[str, str], answer: str) -> Entry:
    return Entry(
        id=entry_id,
        kind="claim",
        verdict="false",
        region=region,
        text=MappingProxyType(text),
        answer=MappingProxyType({lang: answer for lang in text}),
        sources=SRC,
    )


# The same rumour checked in both countries, each in its own language only, as real collections
# hold them.
TH_FINE = claim(
    "th-fine-for-not-voting",
    "TH",
    {"th": "ไม่ไปเลือกตั้งจะถูกปรับเงิน 5,000 บาท"},
    "ไม่จริง ผู้ไม่ไปเลือกตั้งไม่ถูกปรับ แต่เสียสิทธิบางอย่าง",
)
MY_FINE = claim(
    "my-fine-for-not-voting",
    "MY",
    {"ms": "Pengundi yang tidak keluar mengundi akan disaman oleh SPR."},
    "Palsu. Mengundi tidak wajib di Malaysia dan tiada saman.",
)
MY_INK = claim(
    "my-ink-washes-off",
    "MY",
    {"en": "The indelible ink can be washed off with bleach so people vote twice."},
    "False. The ink lasts for days and every voter is marked on the roll.",
)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    return build_matcher(
        [TH_FINE, MY_FINE, MY_INK], cache_dir=tmp_path_factory.mktemp("embedding-cache")
    )


def test_a_question_both_countries_answer_is_never_answered_without_a_country(
    matcher: Matcher,
) -> None:
    feats = matcher.features("if I don't vote will I be fined?")
    ids = feats.entry_ids
    assert {"th-fine-for-not-voting", "my-fine-for-not-voting"} <= set(ids)
    # Make both plausible and the Thai one far ahead: without a country named, still no answer.
    matrix = feats.matrix.copy()
    use = FEATURES.index("use")
    for i, entry_id in enumerate(ids):
        matrix[i, :] = 0.0
        matrix[i, use] = {"th-fine-for-not-voting": 3.0, "my-fine-for-not-voting": 0.2}.get(
            entry_id, -5.0
        )
    feats.matrix = matrix
    feats.near_miss = np.zeros(len(ids), bool)
    cal = matcher.calibration.__class__(
        tuple(1.0 if f == "use" else 0.0 for f in FEATURES), 0.0, 0.9, 0.05, 0.3, 0.3
    )
    result = matcher.decide(feats, cal)
    assert result.decision == "clarify"
    assert result.regions_differ
    shown = {c.entry_id: c.region for c in result.candidates}
    assert shown["th-fine-for-not-voting"] == "TH" and shown["my-fine-for-not-voting"] == "MY"

    # The same message naming Thailand is free to be answered with the Thai entry.
    named = matcher.features("if I don't vote in Thailand will I be fined?")
    assert named.query_regions == frozenset({"TH"})
    named.matrix = np.asarray(
        [
            [
                {"th-fine-for-not-voting": 3.0, "my-fine-for-not-voting": 0.2}.get(e, -5.0)
                if f == "use"
                else 0.0
                for f in FEATURES
            ]
            for e in named.entry_ids
        ]
    )
    named.near_miss = np.zeros(len(named.entry_ids), bool)
    answered = matcher.decide(named, cal)
    assert (answered.decision, answered.entry_id) == ("answer", "th-fine-for-not-voting")


def test_only_the_first_characters_of_a_huge_message_are_read(matcher: Matcher) -> None:
    head = "The indelible ink can be washed off with bleach, people are voting twice! "
    huge = head + "x" * (1_000_000 - len(head))
    feats = matcher.features(huge)
    same = matcher.features(huge[:MAX_QUERY_CHARS])
    assert feats.truncated and not same.truncated
    assert feats.entry_ids == same.entry_ids
    assert np.allclose(feats.matrix, same.matrix, atol=1e-3)
    result = matcher.match(huge)
    assert result.truncated
    assert result.candidates and result.candidates[0].entry_id == "my-ink-washes-off"


def test_a_long_forward_is_cut_into_claim_sized_parts() -> None:
    forward = (
        "🚨🚨 SHARE NOW!! Good morning everyone, hope your family is well. "
        "Breaking: the indelible ink can be washed off with bleach so people vote twice. "
        "My cousin's neighbour saw it himself at the school yesterday.\n"
        "Forward to 10 groups before it gets deleted!!! 🙏🙏"
    )
    parts = claim_parts(forward)
    assert 2 <= len(parts) <= 6
    assert any("washed off with bleach" in p and "Good morning" not in p for p in parts)
    assert claim_parts("is the ink washable?") == []


def test_glossary_terms_are_one_concept_in_every_language() -> None:
    g = load_glossary()
    assert "≡advance-voting" in g.concepts("bila undi awal PRU?")
    assert "≡advance-voting" in g.concepts("เลือกตั้งล่วงหน้าวันไหน")
    assert "≡advance-voting" in g.concepts("When is EARLY  voting?")
    assert "≡fine" in g.concepts("ไม่ไปเลือกตั้งโดนปรับไหม")
    # Whole words only in Latin script: "pos" in "postpone" is not the postal vote.
    assert g.concepts("the election was postponed") == g.concepts("the election was delayed")


def test_a_maintainers_glossary_is_read_and_a_broken_one_names_its_file(tmp_path: Path) -> None:
    own = tmp_path / "glossary.yml"
    own.write_text("concepts:\n  recount: [recount, kira semula, นับใหม่]\n", encoding="utf-8")
    g = Glossary.load(own)
    assert g.concepts("Was there a recount?") == frozenset({"≡recount"})
    assert g.concepts("kira semula undi") == frozenset({"≡recount"})
    broken = tmp_path / "broken.yml"
    broken.write_text("concepts: [just, a, list]\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="broken.yml"):
        Glossary.load(broken)

"""Behaviour of the matcher that matters to voters, on a small knowledge base built here.

The real embedding models are used (both ship inside their wheels); vectors are cached in a
per-session directory, so only the first build pays for embedding.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import MappingProxyType

import pytest

from knowledge.embeddings import EmbeddingCache
from knowledge.loader import load_directory
from knowledge.matcher import MAX_CANDIDATES, Matcher, build_matcher
from knowledge.model import Entry, Source

SRC = (Source("https://example.org/check"),)


def entry(
    entry_id: str,
    text: dict[str, str],
    answer: str = "See the official source.",
    *,
    kind: str = "fact",
    status: str = "published",
    variants: dict[str, tuple[str, ...]] | None = None,
) -> Entry:
    return Entry(
        id=entry_id,
        kind=kind,
        verdict="false" if kind == "claim" else None,
        text=MappingProxyType(text),
        answer=MappingProxyType({lang: answer for lang in text}),
        variants=MappingProxyType(variants or {}),
        sources=SRC if kind == "claim" else (),
        status=status,
    )


ENTRIES = [
    entry(
        "advance-voting-date",
        {
            "en": "When is advance voting?",
            "th": "เลือกตั้งล่วงหน้าวันไหน",
            "ms": "Bilakah undi awal diadakan?",
        },
        "Advance voting is on Sunday 7 May 2023, 08:00-17:00.",
    ),
    entry(
        "polling-hours",
        {
            "en": "What time do polling stations open and close?",
            "th": "หน่วยเลือกตั้งเปิดกี่โมงปิดกี่โมง",
            "ms": "Pusat mengundi dibuka dan ditutup pukul berapa?",
        },
        "Polling stations are open from 08:00 to 17:00.",
    ),
    entry(
        "claim-ink-washes-off",
        {
            "en": "The ink on your finger washes off, so people can vote twice.",
            "ms": "Dakwat di jari boleh dibasuh, jadi orang boleh mengundi dua kali.",
        },
        "Misleading: every voter is on one list only.",
        kind="claim",
    ),
    entry(
        "claim-vote-online",
        {
            "en": "You can vote online through an app.",
            "th": "ลงคะแนนเลือกตั้งออนไลน์ผ่านแอปได้",
            "ms": "Boleh mengundi dalam talian melalui aplikasi.",
        },
        "False: you vote in person.",
        kind="claim",
    ),
    entry(
        "monks-cannot-vote",
        {
            "en": "Buddhist monks are not allowed to vote in Thai elections.",
            "th": "พระสงฆ์ไม่มีสิทธิเลือกตั้ง",
        },
        "True.",
        kind="claim",
    ),
    entry(
        "draft-postal-vote",
        {"en": "Everyone can vote by post this year."},
        kind="claim",
        status="draft",
    ),
    entry(
        "retracted-ballot-selfie",
        {"en": "You may post a selfie with your marked ballot."},
        kind="claim",
        status="retracted",
    ),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def matcher(cache_dir: Path) -> Matcher:
    return build_matcher(ENTRIES, cache_dir=cache_dir)


def test_paraphrase_is_answered_with_its_entry(matcher: Matcher) -> None:
    for text in ("When is the advance vote?", "bila undi awal?", "เลือกตั้งล่วงหน้าวันไหนคะ"):
        result = matcher.match(text)
        assert (result.decision, result.entry_id) == ("answer", "advance-voting-date"), text
        assert result.candidates[0].entry_id == "advance-voting-date"


def test_a_question_with_more_in_it_is_at_least_offered(matcher: Matcher) -> None:
    # "date" and "this year" are not in the entry: the matcher may ask, but must offer it first.
    result = matcher.match("what date is advance voting this year?")
    assert result.decision in ("answer", "clarify")
    assert result.entry_id in (None, "advance-voting-date")
    assert result.candidates[0].entry_id == "advance-voting-date"


def test_thai_without_spaces_and_tone_marks_finds_its_entry(matcher: Matcher) -> None:
    result = matcher.match("หนวยเลือกตั้งเปิดกีโมงปิดกีโมงคะ")
    assert "polling-hours" in [c.entry_id for c in result.candidates]
    assert result.entry_id in (None, "polling-hours")


def test_near_miss_is_never_answered_with_the_neighbouring_entry(matcher: Matcher) -> None:
    # Same topic as "When is advance voting?", but a different claim.
    for text in (
        "was advance voting cancelled?",
        "undi awal dibatalkan ke?",
        "เลือกตั้งล่วงหน้าถูกยกเลิกแล้วเหรอ",
        "advance voting has been postponed to 14 June",
    ):
        result = matcher.match(text)
        assert not (result.decision == "answer" and result.entry_id == "advance-voting-date"), text


def test_unrelated_message_escalates(matcher: Matcher) -> None:
    result = matcher.match("my aunt says drinking lemon water cures cancer, is it true?")
    assert result.decision == "escalate"
    assert result.entry_id is None


def test_cross_lingual_thai_question_finds_an_entry_without_thai_text(matcher: Matcher) -> None:
    # The ink entry has English and Malay text only.
    result = matcher.match("หมึกที่นิ้วล้างออกได้ แล้วไปเลือกตั้งซ้ำได้จริงไหม")
    ids = [c.entry_id for c in result.candidates]
    assert ids and ids[0] == "claim-ink-washes-off"
    assert result.decision in ("answer", "clarify")


def test_clarify_offers_at_most_three_candidates(cache_dir: Path) -> None:
    # The real AFNC fact-checks hold the same "OR sells IPO shares" scam many times over, with
    # different amounts: a vague question about it must ask which one, never pick one.
    afnc = load_directory(Path(__file__).parent.parent / "data" / "afnc-kb").published()
    m = build_matcher(afnc, cache_dir=cache_dir)
    for text in ("OR ขายหุ้น IPO จริงไหม", "หุ้น OR IPO ลงทุน 1,000 บาท ได้ปันผลทุกวัน จริงไหม"):
        result = m.match(text)
        assert result.decision == "clarify", text
        assert result.entry_id is None
        assert 1 <= len(result.candidates) <= MAX_CANDIDATES
        scores = [c.score for c in result.candidates]
        assert scores == sorted(scores, reverse=True)


def test_drafts_and_retracted_entries_are_never_matched(matcher: Matcher) -> None:
    assert "draft-postal-vote" not in matcher.entries
    assert "retracted-ballot-selfie" not in matcher.entries
    for text in (
        "Everyone can vote by post this year.",
        "You may post a selfie with your marked ballot.",
    ):
        result = matcher.match(text)
        ids = {c.entry_id for c in result.candidates} | {result.entry_id}
        assert not ids & {"draft-postal-vote", "retracted-ballot-selfie"}


def test_next_candidates_skip_what_was_already_shown(matcher: Matcher) -> None:
    text = "Can I vote online with an app?"
    first = matcher.match(text)
    assert first.entry_id == "claim-vote-online"
    following = matcher.next_candidates(text, {"claim-vote-online"})
    assert len(following) <= MAX_CANDIDATES
    assert "claim-vote-online" not in {c.entry_id for c in following}
    everything = set(matcher.entries)
    assert matcher.next_candidates(text, everything) == ()


def test_empty_input_and_empty_knowledge_escalate(matcher: Matcher, cache_dir: Path) -> None:
    assert matcher.match("   ").decision == "escalate"
    empty = build_matcher([], cache_dir=cache_dir)
    result = empty.match("when is advance voting?")
    assert (result.decision, result.entry_id, result.candidates) == ("escalate", None, ())


def test_second_build_from_the_cache_embeds_nothing(matcher: Matcher, cache_dir: Path) -> None:
    again = build_matcher(ENTRIES, cache_dir=cache_dir)
    assert again.embedded_count == 0
    text = "When is the advance vote?"
    assert again.match(text) == matcher.match(text)


def test_reload_and_added_entries_embed_only_new_texts(matcher: Matcher) -> None:
    before = matcher.embedded_count
    edited = [e for e in ENTRIES if e.id != "polling-hours"] + [
        entry("polling-hours", {"en": "When do polling stations close on election day?"})
    ]
    reloaded = matcher.updated(edited)
    models = len(reloaded._embedders)
    # Matchers built from one another share the embedder, hence one running count.
    after_reload = reloaded.embedded_count
    # The edited entry brings two new texts: its question and its answer (answers are indexed).
    assert after_reload - before == 2 * models

    ticket = entry(
        "ticket-42", {"en": "Is the polling station at the school moving to the temple?"}
    )
    grown = reloaded.with_entries([ticket])
    # Only its question is new: its answer is the edited entry's, already embedded.
    assert grown.embedded_count - after_reload == 1 * models
    assert "ticket-42" in grown.entries and "advance-voting-date" in grown.entries
    assert "ticket-42" not in reloaded.entries  # matchers are immutable


def test_corrupt_cache_is_rebuilt_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / EmbeddingCache.FILENAME
    path.write_bytes(b"this is not a sqlite database" * 100)
    m = build_matcher(ENTRIES[:2], cache_dir=tmp_path)
    assert m.embedded_count > 0
    assert m.match("When is the advance vote?").entry_id == "advance-voting-date"
    # The damaged file was set aside and a working cache written in its place.
    assert (tmp_path / "embeddings.corrupt").exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM vec").fetchone()[0] > 0
    assert build_matcher(ENTRIES[:2], cache_dir=tmp_path).embedded_count == 0


def test_truncated_cache_rows_are_ignored(tmp_path: Path) -> None:
    build_matcher(ENTRIES[:1], cache_dir=tmp_path)
    with sqlite3.connect(tmp_path / EmbeddingCache.FILENAME) as conn:
        conn.execute("UPDATE vec SET v = x'0000'")
    m = build_matcher(ENTRIES[:1], cache_dir=tmp_path)
    assert m.embedded_count > 0  # re-embedded instead of using broken vectors

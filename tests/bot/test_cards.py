"""The verdict card and the "did you mean" list, rendered from real knowledge entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import MappingProxyType

from bot.core import CALLBACK_DATA_LIMIT, callbacks
from bot.core.callbacks import EntryIndex, entry_hash
from bot.core.cards import card_reply, clarify_reply, render_card
from knowledge.loader import load_directory
from knowledge.model import Entry, Source


def entry(**fields) -> Entry:
    values = {
        "id": "x", "kind": "claim", "verdict": "false",
        "text": MappingProxyType({"en": "A claim"}), "answer": MappingProxyType({"en": "No."}),
        "sources": (Source("https://example.org/"),),
    }
    values.update(fields)
    return Entry(**values)


def test_knowledge_text_is_escaped_everywhere():
    hostile = entry(
        text=MappingProxyType({"en": "Ballots marked with <b>pencil</b> & pen are void"}),
        answer=MappingProxyType({"en": "False <script>. Pencil & pen both count."}),
        sources=(Source('https://example.org/?a=1&b="2"', title="A <i>source</i>"),),
        published=date(2024, 1, 2),
    )
    card = render_card(hostile, "en")
    assert "&lt;b&gt;pencil&lt;/b&gt; &amp; pen" in card
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in card
    assert "A &lt;i&gt;source&lt;/i&gt;" in card
    listing = clarify_reply([hostile], "en", "1").text
    assert "<b>pencil</b>" not in listing


def test_callback_data_fits_telegram_even_for_long_ids():
    long_id = "th-2023-" + "very-long-entry-identifier-" * 5 + "x"
    long_entry = entry(id=long_id)
    replies = [
        card_reply(long_entry, "th", "zzzzzz"),
        clarify_reply([long_entry] * 3, "ms", "zzzzzz"),
    ]
    data = [b.data for r in replies for b in r.all_buttons()]
    assert len(long_id) > CALLBACK_DATA_LIMIT
    assert data and all(d is not None and len(d.encode()) <= CALLBACK_DATA_LIMIT for d in data)


def test_hashes_resolve_against_the_served_knowledge():
    kb = load_directory("tests/data/kb-small")
    index = EntryIndex()
    for e in kb.published():
        assert index.resolve(kb, entry_hash(e.id)) is e
    draft = kb.get("small-draft-entry")
    assert draft is not None and index.resolve(kb, entry_hash(draft.id)) is None
    assert len({entry_hash(e.id) for e in kb.entries}) == len(kb.entries)


def test_callback_parsing_rejects_what_it_did_not_make():
    assert callbacks.parse("p:1:abc").action == "p"
    for junk in ("", "p", "p:1", "zz:1:2", "l", "x:1:2:3"):
        assert callbacks.parse(junk) is None


def test_candidate_labels_are_short_numbered_and_show_no_verdict():
    long_text = "Ballot papers " + "that are very long " * 10
    reply = clarify_reply([entry(text=MappingProxyType({"en": long_text}))], "en", "1")
    label = reply.all_buttons()[0].label
    assert label.startswith("1. ") and label.endswith("…") and len(label) <= 60
    # A candidate is not yet the voter's claim: no verdict beside it, in the button or text.
    for marker in ("✅", "❌", "⚠️", "🌓", "❓"):
        assert marker not in label and marker not in reply.text
    assert long_text.strip() in reply.text  # the full text is in the message itself


def test_each_option_says_its_country_and_whether_it_is_a_checked_claim() -> None:
    th = entry(text=MappingProxyType({"en": "Do I get fined for not voting?"}))
    th = replace(th, id="th-fine", region="TH", kind="claim", verdict="false")
    my = replace(th, id="my-fine", region="MY", kind="fact", verdict=None)
    listing = clarify_reply([th, my], "en", "1").text
    assert "🇹🇭 Thailand · checked claim" in listing
    assert "🇲🇾 Malaysia · election information" in listing
    thai = clarify_reply([th, my], "th", "1").text
    assert "🇹🇭 ไทย · ข้อกล่าวอ้างที่ตรวจสอบแล้ว" in thai
    assert "🇲🇾 มาเลเซีย · ข้อมูลการเลือกตั้ง" in thai

"""Whatever a voter sends gets a sensible reply: nothing, noise, a bare link, 50 kB of text."""

from __future__ import annotations

import pytest

from bot.core.inputs import MATCH_CHARS, STORE_CHARS, prepare
from bot.core.split import TELEGRAM_LIMIT, utf16_len
from bot.storage.models import Question, Ticket
from bot.texts import t


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n", "\u200b\u200b\ufeff", "\x00\x07\x1b"])
async def test_empty_messages(chat, db, text):
    replies = await chat.say(text)
    assert [r.text for r in replies] == [t("en", "empty")]
    assert db.count(Question) == 0


@pytest.mark.parametrize("text", ["😀😀😀", "🗳️", "?!?!", "...", "❤️🇹🇭🇲🇾"])
async def test_only_emoji_or_punctuation(chat, db, text):
    replies = await chat.say(text)
    assert len(replies) == 1 and replies[0].text
    assert db.count(Ticket) == 0 and db.count(Question) == 0


@pytest.mark.parametrize("text", ["https://example.com/news?id=1", "www.example.org/a  http://x.y"])
async def test_only_a_link(chat, db, text):
    replies = await chat.say(text)
    assert [r.text for r in replies] == [t("en", "url_only")]
    assert db.count(Ticket) == 0


async def test_control_characters_are_ignored(chat):
    card = await chat.card("\x00Can I vote\x07 by\u200b SMS or\x1b online?\x7f", "SMS")
    assert card.text.startswith("<b>❌ FALSE</b>")


async def test_fifty_kilobytes_are_cut_for_matching_and_the_voter_is_told(chat, db):
    text = "Soldiers will guard every ballot box and arrest opposition voters. " * 760
    assert len(text.encode()) > 50_000
    replies = await chat.say(text)
    assert replies[0].text == t("en", "truncated", chars=MATCH_CHARS)
    assert all(utf16_len(r.text) <= TELEGRAM_LIMIT for r in replies)
    assert len(replies) >= 2
    (question,) = db.rows(Question)
    assert len(question.text) <= STORE_CHARS


async def test_one_huge_word(chat):
    replies = await chat.say("ก" * 60_000)
    assert replies and all(utf16_len(r.text) <= TELEGRAM_LIMIT for r in replies)


def test_prepare_classifies():
    assert prepare(None).kind == "empty"
    assert prepare("555").kind == "no_text"
    assert prepare("https://a.b/c").kind == "url_only"
    assert prepare("see https://a.b/c about voting").kind == "text"
    long = prepare("คำ " * 2000)
    assert long.truncated and len(long.match_text) <= MATCH_CHARS
    assert not long.match_text.endswith(" ")

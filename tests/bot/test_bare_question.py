""" "Is this true?" with nothing to check (issue #15): never a ticket; the bot asks which claim and
reads the voter's next message as that claim. Through the conversation core, real matcher,
real intent classifier, SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.bare_question import is_bare_question
from bot.storage.models import Question, Ticket
from bot.texts import t

#: Out of scope on its own (no election word, not forwarded), a rumour once asked about.
WATER = "The water supply in Yala will be cut off for a week"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("hey is it true", "en"), ("is this true?", "en"), ("Is it real or fake??", "en"),
        ("betul ke ni?", "ms"), ("Adakah ini benar?", "ms"), ("hoax ke ni", "ms"),
        ("จริงไหม", "th"), ("ข่าวนี้จริงไหม", "th"), ("เรื่องนี้จริงหรือเปล่าครับ", "th"),
    ],
)
async def test_a_bare_question_asks_which_claim_and_is_never_a_ticket(new_chat, db, text, lang):
    chat = new_chat(language_code=lang)
    replies = await chat.say(text)
    assert [r.text for r in replies] == [t(lang, "bare_question")]
    assert db.count(Ticket) == 0
    assert db.count(Question) == 0


@pytest.mark.parametrize(
    "text",
    [
        "is it true the polls close at noon", "จริงไหมที่บอกว่าเลือกตั้งออนไลน์ได้แล้ว",
        "betul ke undi boleh guna SMS?", "true", "thanks", "ok",
    ],
)
def test_a_question_with_content_is_not_bare(text):
    assert not is_bare_question(text)


async def test_the_next_message_is_the_claim_and_is_matched(chat, db):
    await chat.say("is this true?")
    card = await chat.card("Can I vote by SMS or online?", "SMS")
    assert card.text.startswith("<b>❌ FALSE</b>")
    assert [q.text for q in db.rows(Question)] == ["Can I vote by SMS or online?"]
    assert db.count(Ticket) == 0


async def test_a_forwarded_rumour_after_the_question_is_matched(new_chat, db):
    chat = new_chat(language_code="th")
    await chat.say("ข่าวนี้จริงไหม")
    replies = await chat.say("ส่ง SMS เพื่อเลือกตั้งได้ไหม", forwarded=True)
    assert replies[0].text.startswith("<b>❌ ไม่จริง</b>") or chat.is_clarify()
    assert db.count(Ticket) == 0


async def test_an_unknown_claim_after_the_question_is_escalated_without_it(chat, db):
    # On its own this is "I only check elections"...
    assert (await chat.say(WATER))[0].text == t("en", "out_of_scope")
    # ... but the voter asked whether it is true: it goes to the checkers, as sent.
    await chat.say("hey is it true")
    replies = await chat.say(WATER)
    assert replies[0].text == t("en", "escalated_new")
    (ticket,) = db.rows(Ticket)
    assert ticket.claim_text == WATER


async def test_after_a_few_minutes_the_next_message_stands_alone(chat, db):
    start = datetime.now(UTC)
    await chat.say("is this true?", timestamp=start)
    replies = await chat.say(WATER, timestamp=start + timedelta(minutes=6))
    assert replies[0].text == t("en", "out_of_scope")
    assert db.count(Ticket) == 0


async def test_only_the_next_message_is_read_with_it(chat, db):
    await chat.say("is this true?")
    await chat.say("thanks")
    assert (await chat.say(WATER))[0].text == t("en", "out_of_scope")
    assert db.count(Ticket) == 0


async def test_in_a_group_a_bare_question_says_how_to_ask(new_chat, db):
    member = new_chat(user_id=21, chat_id=-700, chat_type="group")
    replies = await member.say("is this true?", addressed=True)
    assert [r.text for r in replies] == [t("en", "group_hint")]
    # Under a rumour (a reply), the rumour is what is checked, as before.
    replies = await member.say(
        "is this true?", addressed=True, quoted_text="Can I vote by SMS or online?"
    )
    assert replies[0].text != t("en", "group_hint")
    assert db.count(Ticket) == 0

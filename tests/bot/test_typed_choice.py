"""Typed choices after a "did you mean" list (issue #15): "1.", "the first one", "yang pertama",
"อันแรก", a reply to the list, through the conversation core with the real matcher.

Which entries a list holds, and in which order, is the matcher's business (calibrated elsewhere);
these tests compare a typed choice with the button it names: the card a typed "2" shows must be
the entry of the list's second button.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.callbacks import parse
from bot.core.messages import Button
from bot.core.typed_choice import LAST, parse_choice
from bot.storage.models import Question
from bot.texts import t

LISTS = {
    "en": "Where do I have to vote?",
    "ms": "di mana saya perlu mengundi?",
    "th": "ไปเลือกตั้งที่ไหน",
}


def picks(buttons: list[Button]) -> list[Button]:
    return [b for b in buttons if b.data and b.data.startswith("p:")]


def entry_hash_of(button: Button) -> str:
    parsed = parse(button.data or "")
    assert parsed is not None and parsed.value
    return parsed.value


def card_entry_hash(chat) -> str:
    """The entry hash a card's feedback buttons carry (the card shown)."""
    (card,) = chat.last
    assert card.text.startswith("<b>"), card.text
    helpful = card.all_buttons()[0]
    assert helpful.data and helpful.data.startswith("h:"), helpful
    return entry_hash_of(helpful)


async def open_list(chat, lang: str) -> list[Button]:
    await chat.say(LISTS[lang])
    assert chat.is_clarify(), chat.text()
    offered = picks(chat.buttons())
    assert len(offered) >= 2
    return offered


# -- the parser's table ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1), ("1.", 1), ("2)", 2), ("#3", 3), ("(2)", 2), ("1️⃣", 1), ("๑", 1), ("๒.", 2),
        ("the first one", 1), ("2nd", 2), ("the 3rd", 3), ("number two", 2),
        ("Option 3 please", 3), ("no, the second one", 2), ("the last one", LAST),
        ("yang pertama", 1), ("nombor 2", 2), ("yang ke-2", 2), ("kedua", 2), ("pilihan 3", 3),
        ("yang terakhir", LAST),
        ("อันแรก", 1), ("ข้อ 2", 2), ("ข้อที่ ๒ ครับ", 2), ("อันที่สองค่ะ", 2),
        ("เอาอันแรกครับ", 1), ("เบอร์ 3", 3), ("ข้อสุดท้าย", LAST),
    ],
)
def test_typed_choices_are_read_in_three_languages(text, number):
    assert parse_choice(text) == number


@pytest.mark.parametrize(
    "text",
    ["2nd round of voting", "first-time voters", "1 or 2", "1.5", "555", "2023", "none",
     "no one", "hello", "is this true?", "", "👍", "ok", "ไม่มี", "undi awal"],
)
def test_other_messages_are_not_choices(text):
    assert parse_choice(text) is None


# -- typed after a list -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "typed", "index"),
    [
        ("en", "1.", 0), ("en", "the first one", 0), ("en", "2nd", 1), ("en", "2", 1),
        ("ms", "yang pertama", 0), ("ms", "nombor 2", 1),
        ("th", "อันแรก", 0), ("th", "ข้อ 2", 1), ("th", "๑", 0),
    ],
)
async def test_a_typed_choice_shows_the_card_of_that_button(new_chat, db, lang, typed, index):
    chat = new_chat()
    offered = await open_list(chat, lang)
    await chat.say(typed)
    assert card_entry_hash(chat) == entry_hash_of(offered[index])
    assert chat.text().startswith("<b>")
    # Replies stay in the voter's language (a digit says nothing about the language).
    if lang == "th":
        assert "ข้อมูลการเลือกตั้ง" in chat.text()
    # The choice is not a question of its own.
    assert [q.text for q in db.rows(Question)] == [LISTS[lang]]


async def test_the_last_one_is_the_last_entry(chat):
    offered = await open_list(chat, "en")
    await chat.say("the last one")
    assert card_entry_hash(chat) == entry_hash_of(offered[-1])


async def test_a_number_the_list_does_not_have_names_the_valid_ones(chat):
    offered = await open_list(chat, "en")
    count = len(offered)
    replies = await chat.say(str(count + 2))
    numbers = ", ".join(str(n) for n in range(1, count)) + f" or {count}"
    assert replies[0].text == t(
        "en", "choice_out_of_range", number=count + 2, choices=numbers
    )
    # Nothing is lost: the list is still open.
    await chat.say("1")
    assert card_entry_hash(chat) == entry_hash_of(offered[0])


async def test_out_of_range_in_thai(new_chat):
    chat = new_chat()
    offered = await open_list(chat, "th")
    replies = await chat.say("ข้อ 9")
    assert "ไม่มีข้อ 9" in replies[0].text
    assert f" หรือ {len(offered)}" in replies[0].text


async def test_the_button_still_works_after_a_typed_choice_card(chat):
    await open_list(chat, "en")
    await chat.say("the first one")
    replies = await chat.press(t("en", "button_not_what_i_asked"))
    assert replies[0].text == t("en", "feedback_why")


async def test_without_a_list_such_text_is_read_as_before(chat):
    assert (await chat.say("1."))[0].text == t("en", "no_text")
    assert (await chat.say("the first one"))[0].text == t("en", "out_of_scope")


async def test_a_list_is_closed_by_a_choice(chat):
    await open_list(chat, "en")
    await chat.say("1")
    assert chat.text().startswith("<b>")
    assert (await chat.say("2"))[0].text == t("en", "no_text")


async def test_a_list_is_closed_after_the_window(chat):
    start = datetime.now(UTC)
    await chat.say(LISTS["en"], timestamp=start)
    assert chat.is_clarify()
    replies = await chat.say("1.", timestamp=start + timedelta(minutes=31))
    assert replies[0].text == t("en", "no_text")


async def test_a_list_stays_open_within_the_window(chat):
    start = datetime.now(UTC)
    offered = await open_list(chat, "en")
    await chat.say("2", timestamp=start + timedelta(minutes=25))
    assert card_entry_hash(chat) == entry_hash_of(offered[1])


async def test_a_new_question_closes_the_list(chat):
    await open_list(chat, "en")
    await chat.say("Can I vote by SMS or online?")  # answered or listed: either way, new
    if chat.is_clarify():
        return  # a new list: "1" now picks from it, as the next test shows for replies
    assert (await chat.say("1"))[0].text == t("en", "no_text")


# -- a reply to a list --------------------------------------------------------------------------
async def test_a_reply_to_a_list_picks_from_that_list(chat):
    first = await open_list(chat, "en")
    first_data = tuple(b.data or "" for b in chat.buttons())
    second = await open_list(chat, "ms")  # another list, shown later
    if entry_hash_of(first[1]) == entry_hash_of(second[1]):
        pytest.skip("both lists have the same second entry: nothing to tell apart")
    await chat.say("2", replied_buttons=first_data)
    assert card_entry_hash(chat) == entry_hash_of(first[1])


async def test_a_reply_to_a_list_works_after_the_window_and_after_a_new_question(chat):
    start = datetime.now(UTC)
    await chat.say(LISTS["en"], timestamp=start)
    first = picks(chat.buttons())
    data = tuple(b.data or "" for b in chat.buttons())
    await chat.say("Can I vote by SMS or online?", timestamp=start + timedelta(minutes=1))
    await chat.say(
        "the first one", replied_buttons=data, timestamp=start + timedelta(hours=2)
    )
    assert card_entry_hash(chat) == entry_hash_of(first[0])


async def test_a_reply_with_a_number_the_list_lacks(chat):
    await open_list(chat, "en")
    data = tuple(b.data or "" for b in chat.buttons())
    count = len(picks(chat.buttons()))
    replies = await chat.say("7", replied_buttons=data)
    assert replies[0].text.startswith(t("en", "choice_out_of_range", number=7, choices="X")[:20])
    assert f" or {count}" in replies[0].text


async def test_a_reply_to_a_card_is_not_a_list(chat):
    """A reply to a message without a list falls back to the open list, if any."""
    await chat.say("Can I vote by SMS or online?")
    if chat.is_clarify():
        await chat.press(chat.buttons()[0])
    card_data = tuple(b.data or "" for b in chat.buttons())
    replies = await chat.say("1", replied_buttons=card_data)
    assert replies[0].text == t("en", "no_text")


# -- groups ---------------------------------------------------------------------------------------
async def test_in_a_group_only_a_reply_picks(new_chat):
    alice = new_chat(user_id=11, chat_id=-500, chat_type="group")
    bob = new_chat(user_id=12, chat_id=-500, chat_type="group")
    await alice.say("@FactBot " + LISTS["en"], addressed=True)
    assert alice.is_clarify()
    first = picks(alice.buttons())
    data = tuple(b.data or "" for b in alice.buttons())
    # Bob's "2" in the group, not a reply: not a pick from Alice's list.
    replies = await bob.say("2", addressed=True)
    assert not replies or not replies[0].text.startswith("<b>")
    await bob.say("2", addressed=True, replied_buttons=data)
    assert card_entry_hash(bob) == entry_hash_of(first[1])

"""/language can go back to automatic (issue #15): `/language auto` or the menu's button, in
three languages; afterwards each message is answered in its own language again."""

from __future__ import annotations

import pytest

from bot.core import Incoming
from bot.storage.models import Voter
from bot.texts import t

SMS = {
    "en": ("Can I vote by SMS or online?", "False. Votes are cast"),
    "th": ("ส่ง SMS เพื่อเลือกตั้งได้ไหม", "ไม่จริง การลงคะแนน"),
    "ms": ("boleh undi guna sms ke?", "Palsu. Undian hanya"),
}


@pytest.mark.parametrize(
    ("chosen", "arg", "written"),
    [("th", "auto", "en"), ("ms", "อัตโนมัติ", "th"), ("en", "automatik", "ms")],
)
async def test_language_auto_undoes_a_choice(chat, db, chosen, arg, written):
    await chat.say(f"/language {chosen}")
    question, answer = SMS[written]
    # Chosen beats detection ...
    card = await chat.card(question, "SMS")
    assert SMS[chosen][1] in card.text
    replies = await chat.say(f"/language {arg}")
    # ... said in the language the voter last wrote in ...
    assert [r.text for r in replies] == [t(written, "language_auto_set")]
    (voter,) = db.rows(Voter)
    assert voter.chosen_language is None
    # ... and from now on each message is answered in its own language.
    card = await chat.card(question, "SMS")
    assert answer in card.text


@pytest.mark.parametrize("lang", ["en", "th", "ms"])
async def test_the_language_menu_has_an_automatic_button(new_chat, db, lang):
    chat = new_chat(language_code=lang)
    await chat.say("/language")
    labels = [b.label for b in chat.buttons()]
    assert labels == ["ไทย", "Bahasa Melayu", "English", "✓ " + t(lang, "button_language_auto")]
    await chat.press("Bahasa Melayu")
    await chat.say("/language")
    labels = [b.label for b in chat.buttons()]
    assert labels == ["ไทย", "✓ Bahasa Melayu", "English", t("ms", "button_language_auto")]
    replies = await chat.press(t("ms", "button_language_auto"))
    assert [r.text for r in replies] == [t(lang, "language_auto_set")]
    (voter,) = db.rows(Voter)
    assert voter.chosen_language is None


async def test_automatic_survives_a_restart(make_services, new_chat):
    chat = new_chat()
    await chat.say("/language th")
    await chat.say("/language auto")
    restarted = make_services()  # same database, fresh memory
    replies = await restarted.conversation.handle(
        Incoming.from_text(1001, 1001, "boleh undi guna sms ke?")
    )
    assert "Palsu" in "\n".join(r.text for r in replies)


async def test_the_start_menu_stays_three_languages(chat):
    await chat.say("/start")
    assert len(chat.buttons()) == 3

"""What a voter sees, end to end: the real bot over real HTTP against the Bot API emulator.

Every test runs twice, with the bot long-polling and with it behind a webhook (the `stack`
fixture's params). Expected wording comes from the bot's own text catalog (bot/texts), and
expected answers from the fixture knowledge in tests/e2e/kb (each answer carries an E2E-... marker),
so the tests check behaviour, not phrasing. The `e2e` fixture also fails a test when the bot
logged an error, the bridge or the emulator saw a problem, or a process died.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# Each knowledge entry's own question: what any calibration of the matcher must answer.
QUESTIONS = {
    "en": "What time do polling stations open and close on election day?",
    "th": "หน่วยเลือกตั้งเปิดกี่โมงและปิดกี่โมง",
    "ms": "Pukul berapa pusat mengundi dibuka dan ditutup pada hari mengundi?",
}
INK_CLAIMS = {
    "en": "You can vote twice if you wash the ink off your finger",
    "th": "ล้างหมึกที่นิ้วออกแล้วไปเลือกตั้งซ้ำได้อีกครั้ง",
    "ms": "Anda boleh mengundi dua kali jika dakwat di jari dibasuh",
}
INK_CLAIM = INK_CLAIMS["en"]
INK_ANSWER = {
    "en": "No. Each voter is crossed off the register",
    "th": "ไม่จริง ผู้มีสิทธิ์ทุกคนถูกขีดชื่อออกจากบัญชี",
    "ms": "Tidak. Nama setiap pengundi dipotong daripada daftar",
}
HOURS_ANSWER = {
    "en": "Polling stations are open from 08:00 to 17:00",
    "th": "หน่วยเลือกตั้งเปิดตั้งแต่ 08:00 ถึง 17:00",
    "ms": "Pusat mengundi dibuka dari 08:00 hingga 17:00",
}


def assert_card(e2e, message, lang: str, label_key: str, marker: str) -> None:
    """A verdict card: label first, the checked answer, and the two feedback buttons."""
    assert message.parse_mode == "HTML"
    first_line = message.text.splitlines()[0]
    assert first_line == e2e.expected(lang, label_key), message.text
    assert marker in message.text, message.text
    assert message.button_labels == [
        e2e.expected(lang, "button_helpful"),
        e2e.expected(lang, "button_not_what_i_asked"),
    ]


def test_start_greets_and_offers_languages(e2e) -> None:
    voter = e2e.voter("en")
    voter.command("start")
    (welcome,) = voter.replies(1)

    assert e2e.expected("en", "welcome") in welcome.text
    assert e2e.expected("en", "choose_language") in welcome.text
    assert welcome.button_labels == ["ไทย", "Bahasa Melayu", "✓ English"]
    # The bot showed it was working, and filled Telegram's command menu at start.
    assert e2e.bridge.calls_of("sendChatAction", chat_id=voter.chat_id)
    menus = e2e.bridge.calls_of("setMyCommands")
    assert {c.params.get("language_code") for c in menus} >= {None, "th", "ms"}
    names = [command["command"] for command in menus[0].params["commands"]]
    assert names == ["start", "help", "language", "about", "privacy", "tips", "forget"]


@pytest.mark.parametrize("lang", ["en", "th", "ms"])
def test_forwarded_claim_gets_a_verdict_card_in_its_language(e2e, lang: str) -> None:
    voter = e2e.voter(lang)
    voter.say(INK_CLAIMS[lang], forwarded=True)
    (card,) = voter.replies(1)

    assert_card(e2e, card, lang, "verdict_false", "E2E-INK")
    assert INK_ANSWER[lang] in card.text
    assert e2e.expected(lang, "card_claim", text=INK_CLAIMS[lang]) in card.text
    assert "E2E: one voter, one vote" in card.text  # the source, as a link
    assert 'href="https://example.org/e2e/ink"' in card.html


# (Thai: see test_language_change_applies_to_later_answers, which ends with a Thai card.)
@pytest.mark.parametrize("lang", ["en", "ms"])
def test_question_gets_an_information_card_in_its_language(e2e, lang: str) -> None:
    voter = e2e.voter(lang)
    voter.say(QUESTIONS[lang])
    (card,) = voter.replies(1)

    assert_card(e2e, card, lang, "info_label", "E2E-HOURS")
    assert HOURS_ANSWER[lang] in card.text
    assert 'href="https://example.org/e2e/polling-hours"' in card.html


def test_clarify_then_pick_shows_the_chosen_card(e2e) -> None:
    voter = e2e.voter("en")
    voter.say("advance voting")
    (menu,) = voter.replies(1)

    assert menu.text.startswith(e2e.expected("en", "clarify_prompt"))
    # Both candidates are listed and offered as buttons (with at most one more: the best three
    # are offered), then "none of these".
    assert "When is advance voting held?" in menu.text
    assert "How do I register for advance voting?" in menu.text
    labels = menu.button_labels
    assert len(labels) in (3, 4), labels
    assert "How do I register for advance voting?" in " ".join(labels)
    assert "When is advance voting held?" in " ".join(labels)
    assert labels[-1] == e2e.expected("en", "button_none")

    voter.press(menu, "register")
    (card,) = voter.replies(1)
    assert_card(e2e, card, "en", "info_label", "E2E-ADVANCE-REGISTER")
    # The pressed menu lost its buttons (edited), so it cannot be answered twice.
    assert voter.current(menu.message_id).buttons == []
    assert e2e.bridge.calls_of("answerCallbackQuery")


LIST_QUESTIONS = {"en": "advance voting", "th": "ลงคะแนนล่วงหน้า", "ms": "undi awal"}


@pytest.mark.parametrize(
    ("lang", "typed", "index"), [("en", "2.", 1), ("th", "อันแรก", 0), ("ms", "nombor 2", 1)]
)
def test_a_typed_choice_and_a_reply_pick_from_the_list(e2e, lang: str, typed: str, index: int):
    voter = e2e.voter(lang)
    voter.say(LIST_QUESTIONS[lang])
    (menu,) = voter.replies(1)
    assert menu.text.startswith(e2e.expected(lang, "clarify_prompt"))
    chosen = menu.button_labels[index].split(". ", 1)[1]

    voter.say(typed)
    (card,) = voter.replies(1)
    assert card.text.splitlines()[0] in (
        e2e.expected(lang, "info_label"), e2e.expected(lang, "verdict_false")
    ), card.text
    assert chosen in card.text

    # A reply to a list picks from that list, by the list's own buttons, even after another
    # list was shown.
    voter.say(LIST_QUESTIONS[lang])
    (older,) = voter.replies(1)
    voter.say("Where do I vote?" if lang == "en" else LIST_QUESTIONS[lang] + "?")
    voter.replies(1)
    voter.say("the first one" if lang == "en" else typed, reply_to=older)
    (picked,) = voter.replies(1)
    first = older.button_labels[0 if lang == "en" else index].split(". ", 1)[1]
    assert first in picked.text, picked.text
    assert picked.button_labels == [
        e2e.expected(lang, "button_helpful"), e2e.expected(lang, "button_not_what_i_asked")
    ]


@pytest.mark.parametrize(
    ("lang", "bare"), [("en", "is this true?"), ("th", "จริงไหม"), ("ms", "betul ke ni?")]
)
def test_is_this_true_then_the_rumour_checks_the_rumour(e2e, lang: str, bare: str) -> None:
    voter = e2e.voter(lang)
    voter.say(bare)
    (ask,) = voter.replies(1)
    assert ask.text == e2e.expected(lang, "bare_question")
    assert ask.buttons == []
    voter.say(INK_CLAIMS[lang], forwarded=True)
    (card,) = voter.replies(1)
    assert_card(e2e, card, lang, "verdict_false", "E2E-INK")


def test_clarify_none_of_these_escalates(e2e) -> None:
    voter = e2e.voter("en")
    # Not "advance voting": two voters of the tests above picked the same entry for it, and the
    # bot has learned it (issue #15), so it answers without a list.
    voter.say("about advance voting")
    (menu,) = voter.replies(1)
    voter.press(menu, e2e.expected("en", "button_none"))
    (consent,) = voter.replies(1)
    assert consent.text == e2e.expected("en", "escalate_consent")
    voter.press(consent, e2e.expected("en", "button_consent_yes"))
    (receipt,) = voter.replies(1)
    assert receipt.text == e2e.expected("en", "escalated_new")


def test_unknown_claim_is_escalated_to_fact_checkers(e2e) -> None:
    voter = e2e.voter("en")
    # Nothing in tests/e2e/kb is about this (matcher score near 0).
    voter.say("Is it true that a party leader was arrested for taking bribes from a casino owner?")
    (receipt,) = voter.replies(1)
    assert receipt.text == e2e.expected("en", "escalated_new")
    assert receipt.buttons == []


def test_language_change_applies_to_later_answers(e2e) -> None:
    voter = e2e.voter("en")
    voter.command("language")
    (menu,) = voter.replies(1)
    assert menu.text == e2e.expected("en", "choose_language")

    voter.press(menu, "ไทย")
    (confirmation,) = voter.replies(1)
    assert confirmation.text == e2e.expected("th", "language_set")
    assert voter.current(menu.message_id).buttons == []

    # Chosen beats detected: an English question is now answered in Thai.
    voter.say(QUESTIONS["en"])
    (card,) = voter.replies(1)
    assert_card(e2e, card, "th", "info_label", "E2E-HOURS")
    assert HOURS_ANSWER["th"] in card.text


@pytest.mark.parametrize("lang", ["en", "th", "ms"])
def test_language_back_to_automatic(e2e, lang: str) -> None:
    voter = e2e.voter(lang)
    other = "ms" if lang == "th" else "th"
    voter.command("language", other)
    (confirmation,) = voter.replies(1)
    assert confirmation.text == e2e.expected(other, "language_set")

    voter.command("language")
    (menu,) = voter.replies(1)
    auto = e2e.expected(other, "button_language_auto")
    assert menu.button_labels[-1] == auto
    voter.press(menu, auto)
    (done,) = voter.replies(1)
    assert done.text == e2e.expected(lang, "language_auto_set")

    # Each message in its own language again: the English question gets an English card.
    voter.say(QUESTIONS["en"])
    (card,) = voter.replies(1)
    assert_card(e2e, card, "en", "info_label", "E2E-HOURS")


def test_feedback_buttons(e2e) -> None:
    voter = e2e.voter("en")
    voter.say(QUESTIONS["en"])
    (card,) = voter.replies(1)

    voter.press(card, e2e.expected("en", "button_helpful"))
    (thanks,) = voter.replies(1)
    assert thanks.text == e2e.expected("en", "feedback_thanks")
    assert voter.current(card.message_id).buttons == []

    voter.say(INK_CLAIM)
    (claim_card,) = voter.replies(1)
    voter.press(claim_card, e2e.expected("en", "button_not_what_i_asked"))
    (why,) = voter.replies(1)
    assert why.text == e2e.expected("en", "feedback_why")
    voter.press(why, e2e.expected("en", "button_reason_outdated"))
    (follow_up,) = voter.replies(1)
    # Either other checks are offered or the voter is asked before it goes to fact-checkers.
    assert follow_up.text.startswith(e2e.expected("en", "clarify_more")) or (
        follow_up.text == e2e.expected("en", "escalate_consent")
    ), follow_up.text


def test_group_is_silent_unless_the_bot_is_addressed(e2e) -> None:
    group = e2e.new_group_id()
    member = e2e.group_member(group, "en")

    member.say(QUESTIONS["en"])
    assert member.silence(2.5) == []
    # No typing indicator either: the bot was not asked.
    assert e2e.bridge.calls_of("sendChatAction", chat_id=group) == []

    member.mention(QUESTIONS["en"])
    (card,) = member.replies(1)
    assert card.chat_id == group
    assert_card(e2e, card, "en", "info_label", "E2E-HOURS")

    # Replying to the bot's message addresses it too.
    member.say(INK_CLAIM, reply_to=card)
    (claim_card,) = member.replies(1)
    assert_card(e2e, claim_card, "en", "verdict_false", "E2E-INK")


def test_group_command_for_the_bot(e2e) -> None:
    member = e2e.group_member(e2e.new_group_id(), "en")
    member.command("start")
    (welcome,) = member.replies(1)
    assert welcome.text == e2e.expected("en", "welcome_group")


#: Lists of two entries of one country (tests/e2e/kb), asked by no other test: what voters teach
#: here cannot change another test's list.
TAUGHT = {"en": "advance voting info", "th": "เรื่องลงคะแนนล่วงหน้า", "ms": "undi awal macam mana"}


@pytest.mark.parametrize("lang", ["en", "th", "ms"])
def test_two_voters_pick_the_same_entry_and_the_third_gets_it_directly(e2e, lang: str) -> None:
    """Learning from voters (issue #15): two voters pick the same entry from the list their
    message got; a third voter sending it (with an emoji) gets that card at once."""
    chosen = None
    for _ in range(2):
        voter = e2e.voter(lang)
        voter.say(TAUGHT[lang])
        (menu,) = voter.replies(1)
        assert menu.text.startswith(e2e.expected(lang, "clarify_prompt")), menu.text
        label = menu.button_labels[0]
        chosen = chosen or label.split(". ", 1)[1]
        assert chosen in label
        voter.press(menu, chosen)
        (card,) = voter.replies(1)
        assert chosen in card.text
    third = e2e.voter(lang)
    third.say(TAUGHT[lang] + " 🤔")
    (card,) = third.replies(1)
    assert not card.text.startswith(e2e.expected(lang, "clarify_prompt")), card.text
    assert chosen is not None and chosen in card.text, card.text
    assert card.button_labels == [
        e2e.expected(lang, "button_helpful"), e2e.expected(lang, "button_not_what_i_asked")
    ]

"""The conversation core end to end: real matcher, real intent classifier, real SQLite.

Each test is one voter's story, driven through `Conversation.handle` exactly as the Telegram layer
and the terminal chat drive it. Where the matcher may either answer or ask "did you mean" (its
thresholds are calibrated elsewhere), `chat.card()` accepts both routes to the same card.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Incoming
from bot.core.callbacks import EntryIndex
from bot.storage.models import Feedback, Question, Ticket, TicketSubscriber, Voter
from bot.texts import t

THAI = re.compile("[\u0e00-\u0e7f]")
#: An election claim that nothing in tests/data/kb-small is about.
UNKNOWN_CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"


def has_thai(text: str) -> bool:
    return bool(THAI.search(text))


# -- /start --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "lang", "marker"),
    [("th", "th", "สวัสดี"), ("ms", "ms", "Hai!"), ("en", "en", "Hello!"), ("id", "ms", "Hai!"),
     (None, "en", "Hello!"), ("fr", "en", "Hello!")],
)
async def test_start_greets_in_the_voters_language_with_menu_and_privacy_note(
    new_chat, code, lang, marker
):
    chat = new_chat(language_code=code)
    replies = await chat.say("/start")
    assert len(replies) == 1
    text = replies[0].text
    assert marker in text
    assert t(lang, "privacy_short") in text
    labels = [b.label for b in chat.buttons()]
    assert [label.removeprefix("✓ ") for label in labels] == ["ไทย", "Bahasa Melayu", "English"]
    assert sum(label.startswith("✓ ") for label in labels) == 1


# -- answers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "candidate", "label", "claim", "answer_start", "source", "date"),
    [
        ("Can I vote by SMS or online?", "SMS", "❌ FALSE", "You can vote by SMS or online",
         "False. Votes are cast", "SPR (Election Commission of Malaysia)", "20 April 2023"),
        ("ส่ง SMS เพื่อเลือกตั้งได้ไหม", "SMS", "❌ ไม่จริง", "สามารถลงคะแนนเลือกตั้งผ่าน SMS",
         "ไม่จริง การลงคะแนน", "https://www.ect.go.th/", "20 เม.ย. 2566"),
        ("boleh undi guna sms ke?", "SMS", "❌ PALSU", "Anda boleh mengundi melalui SMS",
         "Palsu. Undian hanya", "https://www.spr.gov.my/", "20 April 2023"),
    ],
)
async def test_a_claim_gets_a_verdict_card_in_the_voters_language(
    chat, db, text, candidate, label, claim, answer_start, source, date
):
    card = (await chat.card(text, candidate)).text
    assert card.startswith(f"<b>{label}</b>")
    assert claim in card
    assert answer_start in card
    assert source in card and '<a href="https://www.spr.gov.my/">' in card
    assert date in card
    helpful, wrong = chat.buttons()
    assert helpful.label.startswith("👍") and wrong.label.startswith("🤔")
    question = db.rows(Question)[-1]
    assert question.text == text
    assert question.decision in ("answer", "clarify")


async def test_a_close_question_is_answered_directly_and_recorded(chat, db):
    replies = await chat.say("ส่ง SMS เพื่อเลือกตั้งได้ไหม")  # a variant of the entry, word for word
    assert len(replies) == 1 and replies[0].text.startswith("<b>❌ ไม่จริง</b>")
    question = db.rows(Question)[-1]
    assert (question.decision, question.entry_id) == ("answer", "small-claim-vote-by-sms")
    assert question.score is not None and question.language == "th"


@pytest.mark.parametrize(
    ("text", "candidate", "first_line"),
    [
        ("Pen di pusat mengundi boleh padam, bawa pen sendiri", "Pen di pusat",
         "<b>⚠️ MENGELIRUKAN</b>"),
        ("Are election results announced on the night of the election?", "announced",
         "<b>🌓 PARTLY TRUE</b>"),
        ("What time do polling stations open and close in Malaysia?", "What time",
         "<b>ℹ️ ELECTION INFORMATION</b>"),
        ("Malaysians aged 18 are registered as voters automatically", "aged 18",
         "<b>✅ TRUE</b>"),
        ("ถ่ายรูปบัตรเลือกตั้งแล้วบัตรเสีย", "ถ่ายรูป", "<b>❓ ยังพิสูจน์ไม่ได้</b>"),
    ],
)
async def test_each_verdict_has_its_marker_and_facts_get_an_info_card(
    chat, text, candidate, first_line
):
    card = await chat.card(text, candidate)
    assert card.text.split("\n", 1)[0] == first_line


async def test_an_answer_missing_in_the_voters_language_says_so(chat):
    card = (await chat.card("ถ่ายรูปบัตรเลือกตั้งแล้วบัตรเสีย", "ถ่ายรูป")).text
    assert "ถ่ายรูปบัตรเลือกตั้งของตัวเอง" in card  # the claim, in Thai
    assert "Unproven. We found no rule" in card  # the English answer ...
    assert "(คำตอบนี้มีเฉพาะภาษาอังกฤษ)" in card  # ... with a note saying so


# -- did you mean --------------------------------------------------------------------------------
async def test_clarify_then_pick_shows_that_card(chat, db):
    replies = await chat.say("Where do I have to vote?")
    assert chat.is_clarify()
    assert "Which one do you mean?" in replies[0].text
    labels = [b.label for b in chat.buttons()]
    assert labels[-1] == "None of these"
    # The same question for two countries: the buttons say which is which.
    assert any(label.endswith(". Where do I have to vote? (Malaysia)") for label in labels)
    assert any(label.endswith(". Where do I have to vote? (Thailand)") for label in labels)
    assert db.rows(Question)[-1].decision == "clarify"
    replies = await chat.press("(Malaysia)")
    assert replies[0].text.startswith("<b>ℹ️ ELECTION INFORMATION</b>")
    assert "MySPR Semak" in replies[0].text


async def test_clarify_labels_are_in_the_voters_language(chat):
    replies = await chat.say("Di mana saya perlu mengundi?")
    assert chat.is_clarify()
    assert replies[0].text.startswith(t("ms", "clarify_prompt"))
    labels = [b.label for b in chat.buttons()]
    assert any(label.endswith("Di mana saya perlu mengundi? (Thailand)") for label in labels)
    assert labels[-1] == "Tiada yang sesuai"


async def test_clarify_buttons_for_postal_votes(chat):
    """A vaguer question near two different checks (not the same text) also works."""
    await chat.say("postal vote")
    if chat.is_clarify():
        labels = [b.label for b in chat.buttons()]
        assert any("Who can vote by post" in label for label in labels)
        replies = await chat.press("Who can vote by post")
    else:
        replies = chat.last
    assert replies[0].text.startswith("<b>ℹ️")


async def test_none_of_these_asks_before_escalating_the_original_question(chat, db, services):
    await chat.say("where do i have to vote??")
    offered = shown_entry_ids(chat, services)
    none_button = chat.button("None of these")
    replies = await chat.press(none_button)
    # Consent first (a person will read the voter's words): nothing is sent yet.
    assert replies[0].text == t("en", "escalate_consent")
    assert db.count(Ticket) == 0
    # The rejection is recorded for every entry offered, with its reason (checkers see it).
    assert {(f.entry_id, f.helpful, f.reason) for f in db.rows(Feedback)} == {
        (entry_id, False, "none_of_these") for entry_id in offered
    }
    yes = chat.button("Yes, send it")
    replies = await chat.press(yes)
    assert replies[0].text == t("en", "escalated_new")
    assert [ticket.claim_text for ticket in db.rows(Ticket)] == ["where do i have to vote??"]
    assert db.count(TicketSubscriber) == 1
    # A second tap on either button does not escalate twice.
    assert await chat.press(yes) == []
    assert await chat.press(none_button) == []
    assert db.count(Ticket) == 1


async def test_no_to_sending_keeps_the_question_from_the_checkers(chat, db):
    await chat.say("where do i have to vote??")
    await chat.press("None of these")
    replies = await chat.press("No, thanks")
    assert replies[0].text == t("en", "escalate_declined")
    assert db.count(Ticket) == 0
    # The voter may still change their mind on the same question.
    await chat.say("where do i have to vote??")
    await chat.press("None of these")
    replies = await chat.press("Yes, send it")
    assert replies[0].text == t("en", "escalated_new")
    assert db.count(Ticket) == 1


async def test_none_of_these_after_a_restart_escalates_the_question_it_was_shown_for(
    chat, make_services, chat_on, db
):
    """A deploy between the "did you mean" list and the tap: the button still finds the
    voter's question (it is read back from the database), and never another one."""
    await chat.say("where do i have to vote??")
    none_button = chat.button("None of these")
    restarted = chat_on(make_services())  # same database, fresh memory
    # A new question after the restart must not take over the old button.
    await restarted.say("Can I vote by SMS?")
    await restarted.press(none_button)
    replies = await restarted.press("Yes, send it")
    assert replies[0].text == t("en", "escalated_new")
    assert [ticket.claim_text for ticket in db.rows(Ticket)] == ["where do i have to vote??"]


async def test_a_question_button_acts_only_for_the_voter_who_asked(chat, new_chat, db):
    await chat.say("where do i have to vote??")
    none_button = chat.button("None of these")
    stranger = new_chat(user_id=2002)  # e.g. the button forwarded into another chat
    replies = await stranger.press(none_button)
    assert replies[0].text == t("en", "button_expired")
    assert db.count(Ticket) == 0


def shown_entry_ids(chat, services) -> set[str]:
    """The entries behind the buttons the voter can see (card or candidates)."""
    kb, _ = services.knowledge.snapshot()
    index = EntryIndex()
    ids = set()
    for button in chat.buttons():
        parts = (button.data or "").split(":")
        if parts[0] in ("p", "h", "w"):
            ids.add(index.resolve(kb, parts[2]).id)
    return ids


@pytest.mark.parametrize(
    "question",
    [
        "apply for postal ballot malaysia",
        "Where do I have to vote?",
        "Can I vote by SMS or online?",
    ],
)
async def test_not_what_i_asked_offers_the_matchers_next_candidates(chat, db, services, question):
    """Whatever the matcher's thresholds, the voter is offered exactly the next candidates the
    matcher proposes, none of them shown before, or the question goes to fact-checkers."""
    await chat.say(question)
    shown = shown_entry_ids(chat, services)
    if chat.is_clarify():
        await chat.press(chat.buttons()[0])
    (answered,) = shown_entry_ids(chat, services)
    shown.add(answered)
    _, matcher = services.knowledge.snapshot()
    expected = {c.entry_id for c in matcher.next_candidates(question, shown, "en")}

    replies = await chat.press("Not what I asked")
    assert [(f.entry_id, f.helpful) for f in db.rows(Feedback)] == [(answered, False)]
    assert replies[0].text == t("en", "feedback_why")
    replies = await chat.press("different claim")
    # The reason updates the same feedback row.
    assert [(f.entry_id, f.helpful, f.reason) for f in db.rows(Feedback)] == [
        (answered, False, "other_claim")
    ]
    if expected:
        assert "other checks" in replies[0].text
        assert chat.buttons()[-1].label == "None of these"
        assert shown_entry_ids(chat, services) == expected
        assert not expected & shown
        replies = await chat.press(chat.buttons()[0])
        assert replies[0].text.startswith("<b>")
    else:
        assert replies[0].text == t("en", "escalate_consent")
        replies = await chat.press("Yes, send it")
        assert replies[0].text == t("en", "escalated_new")
        assert [ticket.claim_text for ticket in db.rows(Ticket)] == [question]


async def test_not_what_i_asked_escalates_when_nothing_else_fits(chat, db):
    await chat.card("ส่ง SMS เพื่อเลือกตั้งได้ไหม", "SMS")
    replies = await chat.press("ไม่ใช่เรื่องที่ถาม")
    assert replies[0].text == t("th", "feedback_why")
    replies = await chat.press(t("th", "button_reason_wrong_country"))
    while chat.is_clarify():  # the matcher offers more: decline those too
        replies = await chat.press("ไม่ใช่ทั้งหมด")
    assert replies[0].text == t("th", "escalate_consent")
    assert db.count(Ticket) == 0
    replies = await chat.press(t("th", "button_consent_yes"))
    assert replies[0].text == t("th", "escalated_new")
    assert [ticket.claim_text for ticket in db.rows(Ticket)] == ["ส่ง SMS เพื่อเลือกตั้งได้ไหม"]


async def test_helpful_is_recorded(chat, db):
    await chat.card("boleh undi guna sms ke?", "SMS")
    replies = await chat.press("Membantu")
    assert replies[0].text == t("ms", "feedback_thanks")
    (feedback,) = db.rows(Feedback)
    assert (feedback.entry_id, feedback.helpful) == ("small-claim-vote-by-sms", True)
    assert feedback.question_id == db.rows(Question)[-1].id


# -- escalation ----------------------------------------------------------------------------------
async def test_an_unknown_election_claim_goes_to_fact_checkers(chat, db, new_chat):
    replies = await chat.say(UNKNOWN_CLAIM)
    assert replies[0].text == t("en", "escalated_new")
    (ticket,) = db.rows(Ticket)
    assert ticket.claim_text == UNKNOWN_CLAIM
    assert db.rows(Question)[-1].decision == "escalate"
    other = new_chat(user_id=2002)
    replies = await other.say(UNKNOWN_CLAIM.upper() + "!!")
    assert replies[0].text == t("en", "escalated_joined", askers=2)
    assert db.count(Ticket) == 1 and db.count(TicketSubscriber) == 2


async def test_talk_to_human_asks_for_the_claim_then_escalates_it(chat, db):
    replies = await chat.say("I want to talk to a human")
    assert replies[0].text == t("en", "human_ask")
    assert db.count(Ticket) == 0
    replies = await chat.say(UNKNOWN_CLAIM)
    assert t("en", "human_intro") in replies[0].text
    assert db.count(Ticket) == 1


# -- intents that are not questions --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key"),
    [("hi", "greet"), ("สวัสดีครับ", "greet"), ("thanks", "thanks"), ("terima kasih", "thanks"),
     ("are you a bot?", "bot_challenge"), ("bye", "goodbye")],
)
async def test_small_talk_is_answered_and_never_escalated(chat, db, text, key):
    replies = await chat.say(text)
    assert len(replies) == 1
    assert any(replies[0].text == t(lang, key) for lang in ("th", "ms", "en"))
    assert db.count(Ticket) == 0 and db.count(Question) == 0


async def test_chit_chat_is_out_of_scope_not_escalated(chat, db):
    replies = await chat.say("I love pizza with pineapple very much")
    assert replies[0].text == t("en", "out_of_scope")
    assert "/help" in replies[0].text
    assert db.count(Ticket) == 0


async def test_a_question_with_a_greeting_is_still_a_question(chat, db):
    await chat.say("hello, can I vote by SMS or online?")
    assert chat.is_clarify() or chat.last[0].text.startswith("<b>❌")
    assert db.rows(Question)[-1].decision in ("answer", "clarify")


# -- language ------------------------------------------------------------------------------------
async def test_short_messages_do_not_flip_a_thai_conversation(chat):
    await chat.say("ส่ง SMS เพื่อเลือกตั้งได้ไหม")
    for text in ("ok", "555", "👍", "Ok!", "555+"):
        replies = await chat.say(text)
        assert replies, text
        assert all(has_thai(r.text) for r in replies), (text, replies[0].text)


async def test_language_menu_button_changes_and_keeps_the_language(chat, db):
    await chat.say("/start")
    replies = await chat.press("Bahasa Melayu")
    assert replies[0].text == t("ms", "language_set")
    # A chosen language beats detection: an English question is answered in Malay.
    card = await chat.card("Can I vote by SMS or online?", "SMS")
    assert "Palsu. Undian hanya" in card.text
    (voter,) = db.rows(Voter)
    assert voter.chosen_language == "ms"


@pytest.mark.parametrize(
    ("arg", "lang"), [("th", "th"), ("ไทย", "th"), ("malay", "ms"), ("EN", "en")]
)
async def test_language_command_with_argument(chat, arg, lang):
    replies = await chat.say(f"/language {arg}")
    assert replies[0].text == t(lang, "language_set")


async def test_language_command_without_or_with_a_bad_argument_shows_the_menu(chat):
    await chat.say("/language")
    assert len(chat.buttons()) == 4  # three languages and "automatic"
    replies = await chat.say("/language klingon")
    assert replies[0].text == t("en", "language_unknown")
    assert len(chat.buttons()) == 4


async def test_detected_language_is_remembered_in_the_database(chat, db):
    await chat.say("boleh undi guna sms ke?")
    (voter,) = db.rows(Voter)
    assert voter.last_language == "ms" and voter.chosen_language is None


async def test_stored_language_survives_a_restart(make_services, new_chat):
    first = new_chat()
    await first.say("/language th")
    restarted = make_services()  # same database, fresh memory
    replies = await restarted.conversation.handle(Incoming.from_text(1001, 1001, "/help"))
    assert replies[0].text == t("th", "help")


# -- commands ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["help", "about", "privacy"])
@pytest.mark.parametrize("lang", ["th", "ms", "en"])
async def test_info_commands(new_chat, command, lang):
    chat = new_chat(language_code=lang)
    replies = await chat.say(f"/{command}")
    expected = t(lang, command, days=180) if command == "privacy" else t(lang, command)
    assert replies[0].text == expected


async def test_unknown_command(chat):
    replies = await chat.say("/frobnicate")
    assert replies[0].text == t("en", "unknown_command")


async def test_forget_deletes_everything_after_confirmation(chat, db):
    await chat.card("Can I vote by SMS or online?", "SMS")
    await chat.press("Helpful")
    await chat.say(UNKNOWN_CLAIM)
    assert db.count(Voter) == 1 and db.count(Question) == 2 and db.count(Feedback) == 1
    await chat.say("/forget")
    assert db.count(Voter) == 1  # nothing happens before the confirmation
    replies = await chat.press("Yes, delete my data")
    assert replies[0].text.startswith("🗑️")
    assert db.count(Voter) == 0 and db.count(Question) == 0 and db.count(Feedback) == 0
    assert db.count(TicketSubscriber) == 0
    assert db.count(Ticket) == 1  # the claim itself stays for the checkers; it names nobody


async def test_forget_can_be_cancelled(chat, db):
    await chat.say("Can I vote by SMS or online?")
    await chat.say("/forget")
    replies = await chat.press("Cancel")
    assert replies[0].text == t("en", "forget_cancelled")
    assert db.count(Voter) == 1


async def test_old_or_foreign_buttons_are_answered_politely(chat):
    for data in ("x:zz", "p:1:AAAAAAAA", "w:99:AAAAAAAA", "q:what", "", "l:xx", "h:1"):
        replies = await chat.send(Incoming(1001, 1001, callback_data=data))
        assert replies and replies[0].text, data


# -- groups --------------------------------------------------------------------------------------
async def test_groups_are_silent_unless_addressed(new_chat, db):
    group = new_chat(chat_id=-100, chat_type="group")
    for text in ("Can I vote by SMS or online?", "hi", UNKNOWN_CLAIM, "/start"):
        assert await group.say(text, addressed=False) == []
    assert db.count(Question) == 0 and db.count(Ticket) == 0


async def test_groups_answer_known_claims_when_addressed(new_chat):
    group = new_chat(chat_id=-100, chat_type="group")
    card = await group.card("@FactBot ส่ง SMS เพื่อเลือกตั้งได้ไหม", "SMS")
    assert card.text.startswith("<b>❌")


async def test_groups_check_the_replied_to_message(new_chat):
    group = new_chat(chat_id=-100, chat_type="group")
    await group.say(
        "@FactBot is this true?", addressed=True,
        quoted_text="Pen di pusat mengundi boleh padam, bawa pen sendiri",
    )
    if group.is_clarify():
        await group.press("pens at polling stations")
    # The Malay rumour is checked; the voter, who wrote English, reads English.
    assert group.last[0].text.startswith("<b>⚠️ MISLEADING</b>")


async def test_groups_never_escalate_or_small_talk(new_chat, db):
    group = new_chat(chat_id=-100, chat_type="group")
    replies = await group.say(UNKNOWN_CLAIM, addressed=True)
    assert replies[0].text == t("en", "group_unknown")
    replies = await group.say("hi", addressed=True)
    assert replies[0].text == t("en", "group_hint")
    await group.say("Where do I have to vote?", addressed=True)
    replies = await group.press("None of these")
    assert replies[0].text == t("en", "group_unknown")
    replies = await group.say("I want to talk to a human", addressed=True)
    assert replies[0].text == t("en", "group_hint")
    assert db.count(Ticket) == 0
    replies = await group.say("/forget")
    assert replies[0].text == t("en", "group_private_only")


async def test_not_what_i_asked_after_did_you_mean_offers_the_rest(
    tmp_path, make_services, chat_on
):
    """Five checks with the same question text: never answerable outright, so the voter sees
    three, picks one, says it is not what they asked, and is offered the remaining two."""
    kb = tmp_path / "kb"
    kb.mkdir()
    groups = ["voters abroad", "police officers", "soldiers", "election staff", "journalists"]
    (kb / "postal.yml").write_text(
        "entries:\n" + "".join(
            f"  - id: postal-{i}\n    kind: fact\n    text: {{en: 'Who can use a postal vote?'}}\n"
            f"    answer: {{en: 'The postal vote is open to {group}.'}}\n"
            for i, group in enumerate(groups)
        ),
        encoding="utf-8",
    )
    services = make_services(knowledge_dir=kb)
    chat = chat_on(services)
    await chat.say("Who can use a postal vote?")
    first = shown_entry_ids(chat, services)
    assert chat.is_clarify() and len(first) == 3
    await chat.press(chat.buttons()[1])
    await chat.press("Not what I asked")
    replies = await chat.press("Something else")
    assert "other checks" in replies[0].text
    second = shown_entry_ids(chat, services)
    assert len(second) == 2 and not second & first
    assert first | second == {f"postal-{i}" for i in range(5)}
    await chat.press("None of these")
    replies = await chat.press("Yes, send it")
    assert replies[0].text == t("en", "escalated_new")


async def test_start_deep_link_sets_the_language(chat, db):
    replies = await chat.say("/start lang_th")
    assert replies[0].text.startswith(t("th", "welcome"))
    assert "✓ ไทย" in [b.label for b in chat.buttons()]
    (voter,) = db.rows(Voter)
    assert voter.chosen_language == "th"
    replies = await chat.say("/start whatever")  # an unknown payload changes nothing
    assert replies[0].text.startswith(t("th", "welcome"))


@pytest.mark.parametrize("lang", ["th", "ms", "en"])
async def test_tips_command_gives_advice_in_the_chosen_language(chat, db, lang):
    await chat.say(f"/language {lang}")
    replies = await chat.say("/tips")
    assert [r.text for r in replies] == [t(lang, "tips")]
    assert db.count(Ticket) == 0

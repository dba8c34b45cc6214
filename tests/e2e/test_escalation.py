"""The whole escalation loop over Telegram: a voter's unknown claim reaches the fact-checkers'
group, a checker answers it there with the guided /answer flow, and the voter gets the answer;
the same claim asked in another language joins that ticket (the voter is asked when the matcher
is unsure), both voters are answered in their languages, and the next voter gets the answer at
once. Voters other than the one who sent a claim see it only in the checker's words (issue #15).

This crosses every part of the bot: the conversation escalates (bot/core), the ticket is stored
(bot/escalation, SQLite here), the checkers' desk runs in the group given by CHECKERS_CHAT_ID for
the checker in CHECKER_IDS, and the outbox dispatcher sends the answer back through Telegram.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

# Unlike anything in tests/e2e/kb, and unlike the other tests' escalations (no joined ticket).
CLAIM = "Is it true that soldiers swapped the ballot boxes in Songkhla overnight?"
EXPLANATION = "E2E-CHECKED The boxes were sealed and watched by observers all night."
WORDING = "Troops replaced Songkhla's ballot boxes during the night"


def test_checker_answer_reaches_the_voter(e2e) -> None:
    checker = e2e.checker()
    voter = e2e.voter("en")
    voter.say(CLAIM)
    (receipt,) = voter.replies(1)
    assert receipt.text == e2e.expected("en", "escalated_new")

    # The new ticket is announced in the checkers' group, with its buttons.
    card = checker.wait_for_message(CLAIM, timeout=20)
    number = int(re.search(r"Ticket #(\d+)", card.text).group(1))
    assert "asked by 1" in card.text
    assert any("Answer" in label for label in card.button_labels), card.button_labels

    assert _answer_false(
        checker, card, en=EXPLANATION, th=None, voters=1,
        source="https://example.org/e2e/ballot-boxes", preview_has="E2E-CHECKED",
        wording=WORDING, region="TH",
    ) == number

    # The voter who asked is told, in their chat, by the outbox dispatcher, quoting their words.
    (answer,) = voter.replies(1, timeout=30)
    assert "E2E-CHECKED" in answer.text and CLAIM in answer.text
    # The voters' conversation never saw the checkers' group.
    assert e2e.bridge.calls_of("sendChatAction", chat_id=checker.chat_id) == []


# Unlike anything in tests/e2e/kb and unlike CLAIM (answered above, so served as knowledge).
PEN_TH = "บัตรเลือกตั้งที่กาด้วยปากกาสีแดงจะถือเป็นบัตรเสีย"
PEN_EN = "Ballots marked with a red pen will be counted as spoiled"
#: The claim as a checker words it: what voters other than its sender see of it.
PEN_WORDING = "A red-ink mark spoils the ballot paper"


def _answer_false(  # type: ignore[no-untyped-def]
    checker, card, *, en: str, th: str | None, voters: int,
    source: str = "https://example.org/e2e/red-pen", preview_has: str | None = None,
    wording: str | None = None, region: str | None = None,
) -> int:
    """The guided answer in the checkers' group: verdict false, the claim in the checker's words
    unless `wording` is None (skipped: kept from earlier), the region unless None (skipped), an
    English explanation, a Thai one unless `th` is None (skipped), no Malay, one source; returns
    the ticket number."""
    number = int(re.search(r"Ticket #(\d+)", card.text).group(1))
    checker.press(card, "Answer")
    verdicts = checker.wait_for_message("What is the verdict?")
    checker.press(verdicts, "false")
    (ask_wording,) = checker.replies(1)
    assert "your own words" in ask_wording.text
    if wording is None:
        checker.command("skip")
    else:
        checker.say(wording)
    (ask_region,) = checker.replies(1)
    assert "Which country" in ask_region.text
    if region is None:
        checker.command("skip")
    else:
        checker.press(ask_region, region)
    (ask_en,) = checker.replies(1)
    assert "English" in ask_en.text
    checker.say(en)
    (ask_th,) = checker.replies(1)
    assert "Thai" in ask_th.text
    if th is None:
        checker.command("skip")
    else:
        checker.say(th)
    (ask_ms,) = checker.replies(1)
    assert "Malay" in ask_ms.text
    checker.command("skip")
    (ask_sources,) = checker.replies(1)
    assert "source" in ask_sources.text.lower()
    checker.say(source)
    checker.replies(1)
    checker.command("done")
    (preview,) = checker.replies(1)
    if preview_has is not None:
        assert preview_has in preview.text
    # The preview's button names how many voters wait on the ticket: proof of who joined it.
    checker.press(preview, f"Send to {voters} voter")
    (done,) = checker.replies(1)
    assert f"Ticket #{number} answered" in done.text
    return number


def test_the_same_claim_in_another_language_joins_the_ticket_and_everyone_is_answered(
    e2e,
) -> None:
    checker = e2e.checker()
    thai = e2e.voter("th")
    thai.say(PEN_TH)
    (receipt,) = thai.replies(1)
    assert receipt.text == e2e.expected("th", "escalated_new")
    card = checker.wait_for_message(PEN_TH, timeout=20)
    number = int(re.search(r"Ticket #(\d+)", card.text).group(1))
    # A checker words the claim, so it may be offered to voters asking the same.
    checker.command("word", str(number), PEN_WORDING)
    worded = checker.wait_for_message(f"Ticket #{number} is shown to other voters")
    assert PEN_WORDING in worded.text

    # The same claim in English: the matcher either joins it outright, or (unsure, as it often
    # is across languages) asks the voter whether it is the claim being checked. Never a second
    # ticket without asking.
    english = e2e.voter("en")
    english.say(PEN_EN)
    (reply,) = english.replies(1)
    own: int | None = None
    if reply.buttons:
        # In the checker's words, never the Thai voter's.
        assert PEN_WORDING in reply.text and PEN_TH not in reply.text
        assert e2e.expected("en", "ticket_offer_footer") in reply.text
        yes = reply.button("Yes, this one") if len(reply.buttons) == 2 else reply.button(
            PEN_WORDING[:20]
        )
        _, own_text, target = yes["callback_data"].split(":")
        assert int(target) == number
        own = int(own_text)
        english.press(reply, yes["text"])
        (reply,) = english.replies(1)
    assert reply.text == e2e.expected("en", "escalated_joined", askers=2)
    if own is not None:
        # The English voter's question had been saved as its own ticket while they were asked;
        # their "yes" merged it into the Thai one, so checkers have one ticket to answer.
        checker.command("show", str(own))
        merged = checker.wait_for_message(f"Ticket #{own}")
        assert "Status: duplicate" in merged.text and f"Duplicate of #{number}" in merged.text

    _answer_false(
        checker, card, voters=2,
        en="E2E-PEN-EN Any pen is fine; a ballot is spoiled only if the choice is unclear.",
        th="E2E-PEN-TH ใช้ปากกาสีใดก็ได้ บัตรจะเสียเมื่อเจตนาไม่ชัดเจนเท่านั้น",
    )

    # Both are told, each in their own language.
    (to_thai,) = thai.replies(1, timeout=30)
    assert "E2E-PEN-TH" in to_thai.text and "❌ ไม่จริง" in to_thai.text
    assert PEN_TH in to_thai.text and PEN_EN not in to_thai.text  # their own words only
    (to_english,) = english.replies(1, timeout=30)
    assert "E2E-PEN-EN" in to_english.text and "❌ FALSE" in to_english.text
    # What they asked, next to the claim that was checked in the checker's words.
    assert PEN_EN in to_english.text and PEN_WORDING in to_english.text
    assert PEN_TH not in to_english.text
    # The same feedback buttons as under an answer from the knowledge, and they work.
    for lang, message in (("th", to_thai), ("en", to_english)):
        assert message.button_labels == [
            e2e.expected(lang, "button_helpful"), e2e.expected(lang, "button_not_what_i_asked")
        ]
    english.press(to_english, e2e.expected("en", "button_helpful"))
    (thanks,) = english.replies(1)
    assert thanks.text == e2e.expected("en", "feedback_thanks")

    # The next voter who asks gets the checkers' answer at once, from the bot itself.
    third = e2e.voter("en")
    third.say(PEN_EN)
    (answer,) = third.replies(1)
    if answer.buttons and not answer.text.startswith("❌"):  # "did you mean": pick the claim
        third.press(answer, PEN_WORDING[:20])
        (answer,) = third.replies(1)
    assert answer.text.startswith("❌") and "E2E-PEN-EN" in answer.text
    assert PEN_WORDING in answer.text and PEN_TH not in answer.text

    # The Thai voter deletes their data: their words leave the ticket too. The checkers now see
    # the English voter's words (still kept), and the wording stays.
    thai.command("forget")
    (confirm,) = thai.replies(1)
    thai.press(confirm, e2e.expected("th", "button_forget_yes"))
    (deleted,) = thai.replies(1)
    assert deleted.text.startswith(e2e.expected("th", "forget_done", count=0).split("0")[0])
    checker.command("show", str(number))
    shown = checker.wait_for_message(f"Ticket #{number}")
    assert PEN_TH not in shown.text and PEN_WORDING in shown.text


# Unlike anything in tests/e2e/kb and unlike the other tests' claims (a ticket of its own).
INK_REWORDED = "Someone said a bit of bleach lets you cast a second ballot in Narathiwat"


def test_a_checker_answers_with_a_knowledge_entry_by_linking_it(e2e) -> None:
    """Issue #15: no retyping. /link N ENTRY_ID in the checkers' group answers the ticket with
    the entry; the voter gets its answer in their language, with the cards' verdict label and
    feedback buttons, through the outbox, as for a typed answer."""
    checker = e2e.checker()
    voter = e2e.voter("en")
    voter.say(INK_REWORDED)
    (reply,) = voter.replies(1)
    none = e2e.expected("en", "button_none")
    if any(none in label for label in reply.button_labels):
        # A "did you mean" list: the voter says none of these and sends it on.
        voter.press(reply, none)
        (consent,) = voter.replies(1)
        voter.press(consent, e2e.plain(e2e.expected("en", "button_consent_yes")))
        voter.replies(1)
    card = checker.wait_for_message(INK_REWORDED, timeout=20)
    number = int(re.search(r"Ticket #(\d+)", card.text).group(1))
    checker.command("link", str(number), "e2e-ink-vote-twice")
    done = checker.wait_for_message(f"Ticket #{number} answered with", timeout=20)
    assert "1 voter(s)" in done.text

    (answer,) = voter.replies(1, timeout=30)
    assert "E2E-INK No." in answer.text  # the entry's answer, in the voter's language
    assert INK_REWORDED in answer.text  # quoting the voter's own words to them
    assert e2e.plain(e2e.expected("en", "verdict_false")) in answer.text
    assert len(answer.button_labels) == 2  # helpful / not what I asked, as on a card

"""The whole escalation loop over Telegram: a voter's unknown claim reaches the fact-checkers'
group, a checker answers it there with the guided /answer flow, and the voter gets the answer.

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

    checker.press(card, "Answer")
    verdicts = checker.wait_for_message("What is the verdict?")
    checker.press(verdicts, "false")

    (ask_en,) = checker.replies(1)
    assert "English" in ask_en.text
    checker.say(EXPLANATION)
    (ask_th,) = checker.replies(1)
    assert "Thai" in ask_th.text
    checker.command("skip")
    (ask_ms,) = checker.replies(1)
    assert "Malay" in ask_ms.text
    checker.command("skip")
    (ask_sources,) = checker.replies(1)
    assert "source" in ask_sources.text.lower()
    checker.say("https://example.org/e2e/ballot-boxes")
    checker.replies(1)
    checker.command("done")
    (preview,) = checker.replies(1)
    assert "E2E-CHECKED" in preview.text
    checker.press(preview, "Send to 1 voter")
    (done,) = checker.replies(1)
    assert f"Ticket #{number} answered" in done.text

    # The voter who asked is told, in their chat, by the outbox dispatcher.
    (answer,) = voter.replies(1, timeout=30)
    assert "E2E-CHECKED" in answer.text
    # The voters' conversation never saw the checkers' group.
    assert e2e.bridge.calls_of("sendChatAction", chat_id=checker.chat_id) == []

"""How intent and matcher combine (bot/core/policy.py), case by case."""

from __future__ import annotations

import pytest

from bot.core.inputs import prepare
from bot.core.policy import decide
from nlu.intents import IntentResult

CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"


def action(text: str, intent: str | None, confidence: float, match: str, **kwargs) -> str:
    result = IntentResult(intent, confidence) if intent else None
    return decide(intent=result, match_decision=match, prepared=prepare(text), **kwargs).action


@pytest.mark.parametrize("match", ["answer", "clarify", "escalate"])
@pytest.mark.parametrize("text", ["hi", "ok", "thanks!", "สวัสดีครับ", "555 ok"])
def test_short_social_messages_never_reach_fact_checkers(text, match):
    for intent, confidence in [("greet", 0.95), ("thanks", 0.6), ("out_of_scope", 0.2),
                               ("check_claim", 0.9), (None, 0.0)]:
        assert action(text, intent, confidence, match) != "escalate", (intent, match)


def test_a_strong_answer_beats_a_weak_small_talk_intent():
    text = "hello, can I vote by SMS or online?"
    assert action(text, "greet", 0.55, "answer") == "answer"
    assert action(text, "greet", 0.95, "answer") == "answer"  # long: a question, not a greeting


def test_a_confident_greeting_wins_on_a_short_message():
    assert action("hello there", "greet", 0.95, "answer") == "smalltalk"


def test_unknown_claims_escalate_only_when_they_look_like_election_claims():
    assert action(CLAIM, "check_claim", 0.6, "escalate") == "escalate"
    assert action(CLAIM, None, 0.0, "escalate") == "escalate"  # classifier down: keep it
    assert action(CLAIM, "out_of_scope", 0.3, "escalate") == "escalate"  # election words
    assert action("I love pizza with pineapple very much", "out_of_scope", 0.3, "escalate") == (
        "out_of_scope"
    )
    assert action("I love pizza with pineapple very much", "out_of_scope", 0.3, "escalate",
                  forwarded=True) == "escalate"  # forwarded: likely a rumour


def test_talk_to_human_and_clarify():
    assert action("I want to talk to a real person please", "talk_to_human", 0.9, "escalate") == (
        "human"
    )
    assert action("postal vote", "ask_election_info", 0.8, "clarify") == "clarify"
    assert action("vote", "ask_election_info", 0.8, "escalate") == "too_short"

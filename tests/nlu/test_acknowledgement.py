"""A whole message that only acknowledges is `thanks`, decided before either engine, and only a
whole message: "ok bye" and "ok but is it true?" are still the classifiers' to read."""

from __future__ import annotations

import json

import pytest

from nlu.acknowledgement import is_acknowledgement
from nlu.intent_service import IntentService


@pytest.mark.parametrize(
    "text",
    ["ok", "OK!", "okkkk", "Okay 👍", "noted.", "k", "oke", "baiklah", "ok faham", "โอเค",
     "โอเคค่ะ", "โอเคคคค", "รับทราบครับ", "ได้เลยนะครับ", "เข้าใจแล้วค่ะ"],
)
def test_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    ["", "👍", "ครับ", "ok bye", "ok bye then", "ok but is it true?", "okay thanks",
     "ได้ไหม", "ok " + "a" * 60, "is it ok to vote twice?", "baik ke tak undi pos?"],
)
def test_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


def _rasa_answer(intent: str, confidence: float) -> bytes:
    return json.dumps({"text": "x", "intent": {"name": intent, "confidence": confidence}}).encode()


async def test_rule_answers_before_rasa_and_counts(classifier, fake_rasa) -> None:
    """Rasa is not asked about "ok" (it would say what its training data pulls it to); it is
    asked about the next message as before."""
    fake = fake_rasa(lambda body: (200, _rasa_answer("goodbye", 0.9)))
    service = IntentService(fake.url, classifier=classifier)
    result = await service.parse("ok!")
    assert (result.intent, result.engine, result.confidence) == ("thanks", "rule", 1.0)
    assert fake.requests == []
    assert service.stats.rule == 1 and service.stats.as_dict()["rule"] == 1
    other = service.parse_sync("ok bye then")
    assert other.engine == "rasa" and fake.requests == [{"text": "ok bye then"}]
    await service.aclose()

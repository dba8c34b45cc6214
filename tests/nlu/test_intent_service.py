"""IntentService against real HTTP servers on 127.0.0.1: Rasa answering, refusing, hanging and
answering garbage. No mocks of httpx: the fallback has to work on real sockets."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import pytest

from nlu.intent_classifier import IntentClassifier
from nlu.intent_service import IntentService
from nlu.intents import INTENTS


def _rasa_answer(intent: str = "greet", confidence: object = 0.97, **extra: object) -> bytes:
    body = {
        "text": "x",
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": "country", "value": "malaysia", "start": 0, "end": 8}],
        **extra,
    }
    return json.dumps(body).encode()


def _refused_url() -> str:
    """A port nothing listens on: bound, then closed, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_without_rasa_uses_embedded(classifier: IntentClassifier) -> None:
    service = IntentService(None, classifier=classifier)
    result = await service.parse("is it true that voting is online this year?")
    assert result.engine == "embedded"
    assert result.intent == "check_claim"
    assert service.stats.embedded == 1
    assert not service.stats.fallbacks


async def test_rasa_answer_is_used(classifier: IntentClassifier, fake_rasa) -> None:
    fake = fake_rasa(lambda body: (200, _rasa_answer("ask_election_info", 0.91)))
    service = IntentService(fake.url, classifier=classifier)
    result = await service.parse("  bila PRU16  ")
    assert result.engine == "rasa"
    assert result.intent == "ask_election_info"
    assert result.confidence == pytest.approx(0.91)
    assert result.entities[0]["entity"] == "country"
    assert fake.requests == [{"text": "bila PRU16"}]  # cleaned before sending
    assert service.stats.rasa_ok == 1
    await service.aclose()


async def test_low_rasa_confidence_becomes_out_of_scope(classifier, fake_rasa) -> None:
    fake = fake_rasa(lambda body: (200, _rasa_answer("greet", 0.05)))
    service = IntentService(fake.url, classifier=classifier)
    result = await service.parse("qwzx")
    assert (result.intent, result.engine) == ("out_of_scope", "rasa")


async def test_connection_refused_falls_back(classifier: IntentClassifier) -> None:
    service = IntentService(_refused_url(), classifier=classifier)
    result = await service.parse("thank you so much")
    assert result.engine == "embedded"
    assert result.intent == "thanks"
    assert service.stats.fallbacks["connect"] == 1
    assert service.stats.rasa_ok == 0


async def test_slow_rasa_times_out_and_falls_back(classifier, fake_rasa) -> None:
    fake = fake_rasa(lambda body: (200, _rasa_answer()), delay=3.0)
    service = IntentService(fake.url, timeout=0.3, classifier=classifier)
    started = time.monotonic()
    result = await service.parse("ขอบคุณมากครับ")
    elapsed = time.monotonic() - started
    assert result.engine == "embedded"
    assert result.intent == "thanks"
    assert service.stats.fallbacks["timeout"] == 1
    assert elapsed < 1.5, f"timeout not enforced: {elapsed:.2f}s"
    assert len(fake.requests) == 1  # Rasa really was asked


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (200, b"<html>502 Bad Gateway</html>", "not_json"),
        (200, b"[1, 2, 3]", "bad_payload"),
        (200, b'{"text": "x", "entities": []}', "bad_payload"),
        (200, b'{"intent": {"name": null, "confidence": 0.9}}', "bad_payload"),
        (200, _rasa_answer("order_pizza", 0.99), "unknown_intent"),
        (200, _rasa_answer("greet", "high"), "bad_confidence"),
        (200, _rasa_answer("greet", None), "bad_confidence"),
        (200, b'{"intent": {"name": "greet", "confidence": NaN}}', "bad_confidence"),
        (200, _rasa_answer("greet", 7.5), "bad_confidence"),
        (500, b'{"error": "model not loaded"}', "http_status"),
    ],
)
async def test_garbage_from_rasa_falls_back(classifier, fake_rasa, status, payload, reason) -> None:
    fake = fake_rasa(lambda body: (status, payload))
    service = IntentService(fake.url, classifier=classifier)
    result = await service.parse("terima kasih banyak")
    assert result.engine == "embedded"
    assert result.intent == "thanks"
    assert service.stats.fallbacks == {reason: 1}


async def test_circuit_breaker_skips_dead_rasa_then_probes(classifier, fake_rasa) -> None:
    answer: list[tuple[int, bytes]] = [(500, b"down")]
    fake = fake_rasa(lambda body: answer[0])
    now = [1000.0]
    service = IntentService(
        fake.url, classifier=classifier, failure_threshold=2, cooldown=30.0, clock=lambda: now[0]
    )
    for _ in range(2):
        assert (await service.parse("hello")).engine == "embedded"
    assert len(fake.requests) == 2
    assert service.circuit_open and service.stats.circuit_opened == 1

    for _ in range(5):  # open: Rasa is not even asked
        assert (await service.parse("hello")).engine == "embedded"
    assert len(fake.requests) == 2
    assert service.stats.fallbacks["circuit_open"] == 5

    now[0] += 31  # half-open: one probe, still failing -> open again
    await service.parse("hello")
    assert len(fake.requests) == 3
    await service.parse("hello")
    assert len(fake.requests) == 3

    answer[0] = (200, _rasa_answer("greet", 0.99))  # Rasa is back
    now[0] += 31
    assert (await service.parse("hello")).engine == "rasa"
    assert not service.circuit_open
    assert (await service.parse("hello")).engine == "rasa"
    assert len(fake.requests) == 5


async def test_dead_rasa_warnings_are_rate_limited(classifier, caplog) -> None:
    service = IntentService(
        _refused_url(), classifier=classifier, failure_threshold=1000, log_interval=60.0
    )
    with caplog.at_level(logging.WARNING, logger="nlu.intent_service"):
        for _ in range(20):
            await service.parse("hello")
    warnings = [r for r in caplog.records if r.name == "nlu.intent_service"]
    assert service.stats.fallbacks["connect"] == 20
    assert len(warnings) == 1


async def test_never_raises_on_odd_input(classifier: IntentClassifier) -> None:
    service = IntentService(_refused_url(), classifier=classifier)
    for text in ["", "   ", "\u200b", "🗳️", "x" * 20000, "ก" * 5000]:
        result = await service.parse(text)
        assert result.intent in INTENTS


def test_parse_sync_falls_back_and_uses_rasa(classifier, fake_rasa) -> None:
    dead = IntentService(_refused_url(), classifier=classifier)
    assert dead.parse_sync("goodbye").engine == "embedded"
    assert dead.stats.fallbacks["connect"] == 1

    fake = fake_rasa(lambda body: (200, _rasa_answer("goodbye", 0.88)))
    live = IntentService(fake.url, classifier=classifier)
    result = live.parse_sync("bye")
    assert (result.engine, result.intent) == ("rasa", "goodbye")


def test_classifier_model_cached_between_instances(classifier: IntentClassifier) -> None:
    again = IntentClassifier(cache_dir=classifier.cache_dir)
    again.warm_up()
    assert again.loaded_from == "cache"
    assert isinstance(classifier.cache_dir, Path)

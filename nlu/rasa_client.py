"""HTTP client for a Rasa server's ``POST /model/parse``, strict about what it accepts.

Rasa runs as its own service (Python 3.10, see scripts/rasa.sh); the bot never imports it. This
module turns one Rasa answer into an :class:`~nlu.intents.IntentResult` or raises
:class:`RasaError` with a short machine-readable ``reason``. It does not fall back by itself:
:class:`nlu.intent_service.IntentService` decides what to do about a failure (fallback, counting,
circuit breaking), which keeps this part easy to test against a real server.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from nlu.intents import FALLBACK_INTENT, INTENTS, IntentResult

__all__ = ["RasaClient", "RasaError", "result_from_payload"]

# Rasa's own name for "below the FallbackClassifier threshold"; ours is out_of_scope.
_RASA_FALLBACK_NAMES = frozenset({"nlu_fallback"})


class RasaError(Exception):
    """Rasa did not give a usable answer. ``reason`` is one of: ``connect``, ``timeout``,
    ``http``, ``http_status``, ``not_json``, ``bad_payload``, ``unknown_intent``,
    ``bad_confidence`` (used as counter and log keys)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def result_from_payload(payload: Any) -> IntentResult:
    """Validate a ``/model/parse`` JSON body and convert it; raise :class:`RasaError` otherwise.

    A Rasa model trained from stale data could name an intent the bot no longer knows; that is
    treated as garbage (``unknown_intent``) rather than passed to the conversation.
    """
    if not isinstance(payload, dict):
        raise RasaError("bad_payload", f"expected an object, got {type(payload).__name__}")
    intent = payload.get("intent")
    if not isinstance(intent, dict):
        raise RasaError("bad_payload", "no intent object")
    name = intent.get("name")
    if not isinstance(name, str) or not name:
        raise RasaError("bad_payload", "intent without a name")
    if name in _RASA_FALLBACK_NAMES:
        name = FALLBACK_INTENT
    if name not in INTENTS:
        raise RasaError("unknown_intent", name[:80])
    confidence = intent.get("confidence")
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0.0 <= confidence <= 1.0
    ):
        raise RasaError("bad_confidence", repr(confidence)[:80])
    return IntentResult(name, float(confidence), _entities(payload.get("entities")), "rasa")


def _entities(raw: Any) -> tuple[dict[str, Any], ...]:
    """Rasa's entity list, keeping only well-formed items and the keys the bot uses."""
    if not isinstance(raw, list):
        return ()
    keep = ("entity", "value", "start", "end", "confidence_entity", "extractor")
    out = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("entity"), str) and "value" in item:
            out.append({k: item[k] for k in keep if k in item})
    return tuple(out)


class RasaClient:
    """Talks to one Rasa server. ``timeout`` bounds each request as a whole, not per phase."""

    def __init__(self, url: str, timeout: float = 1.5) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._async: httpx.AsyncClient | None = None
        self._async_loop: object | None = None
        self._sync: httpx.Client | None = None

    @property
    def parse_url(self) -> str:
        return f"{self.url}/model/parse"

    async def parse(self, text: str) -> IntentResult:
        import asyncio

        client = self._async_client(asyncio.get_running_loop())
        with self._transport_errors():
            # wait_for bounds the total: httpx's timeout is per read, so a server dripping bytes
            # could otherwise hold a voter's message for much longer than `timeout`.
            response = await asyncio.wait_for(
                client.post(self.parse_url, json={"text": text}), timeout=self.timeout
            )
        return _decode(response)

    def parse_sync(self, text: str) -> IntentResult:
        if self._sync is None:
            self._sync = httpx.Client(timeout=self.timeout)
        with self._transport_errors():
            response = self._sync.post(self.parse_url, json={"text": text})
        return _decode(response)

    @contextmanager
    def _transport_errors(self) -> Iterator[None]:
        """Turn a failed request into the RasaError reason the fallback is counted by."""
        try:
            yield
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise RasaError("timeout", f"no answer within {self.timeout}s") from exc
        except httpx.ConnectError as exc:
            raise RasaError("connect", str(exc)[:200]) from exc
        except httpx.HTTPError as exc:
            raise RasaError("http", f"{type(exc).__name__}: {exc}"[:200]) from exc

    def _async_client(self, loop: object) -> httpx.AsyncClient:
        # An AsyncClient's pool belongs to the event loop that opened it; tests and CLI commands
        # may run several loops in one process, so a new loop gets a new client.
        if self._async is None or self._async_loop is not loop:
            self._async = httpx.AsyncClient(timeout=self.timeout)
            self._async_loop = loop
        return self._async

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None
        self.close()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None


def _decode(response: httpx.Response) -> IntentResult:
    if response.status_code != 200:
        raise RasaError("http_status", str(response.status_code))
    try:
        payload = response.json()
    except ValueError as exc:
        raise RasaError("not_json", response.text[:80]) from exc
    return result_from_payload(payload)

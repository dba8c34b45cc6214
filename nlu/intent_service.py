"""The one entry point the bot uses to get a message's intent.

Rasa (when configured) is asked first; whenever it is down, slow, or answers garbage, the embedded
classifier (:mod:`nlu.intent_classifier`, trained from the same data) answers instead, so a voter
always gets a reply and never an exception. Three things keep a dead Rasa cheap:

* a short timeout (default 1.5 s) per request;
* a circuit breaker: after ``failure_threshold`` consecutive failures Rasa is skipped for
  ``cooldown`` seconds, then one probe request decides whether to close it again;
* rate-limited warnings: one line per reason per ``log_interval`` seconds, with a count of what
  was suppressed, so a dead Rasa does not flood the logs.

A message that only acknowledges ("ok", "โอเค", "baik") is answered by rule before either engine
(:mod:`nlu.acknowledgement`; engine ``"rule"``).

``service.stats`` counts what happened (``rasa_ok``, ``embedded``, ``rule`` and ``fallbacks`` by
reason) for the health command and the benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nlu.acknowledgement import ACKNOWLEDGEMENT_INTENT, is_acknowledgement
from nlu.intent_classifier import CONFIDENCE_THRESHOLD, IntentClassifier
from nlu.intents import FALLBACK_INTENT, IntentResult
from nlu.normalize import clean
from nlu.rasa_client import RasaClient, RasaError

__all__ = ["IntentService", "IntentStats", "MAX_CHARS"]

log = logging.getLogger(__name__)

#: Intent depends on the first few sentences; a pasted 5,000-character rumour would only slow
#: both engines down (Rasa's featurizers are linear in length) without changing the answer.
MAX_CHARS = 1000


@dataclass
class IntentStats:
    """Counters since start-up. ``rasa_ok``: answered by Rasa; ``embedded``: answered by the
    embedded engine because no Rasa is configured; ``rule``: acknowledgements answered before
    either engine; ``fallbacks``: answered by the embedded engine although Rasa is configured,
    keyed by reason (``RasaError.reason``, ``circuit_open`` for requests that skipped Rasa,
    ``error`` for anything unexpected)."""

    rasa_ok: int = 0
    embedded: int = 0
    rule: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    circuit_opened: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "rasa_ok": self.rasa_ok,
            "embedded": self.embedded,
            "rule": self.rule,
            "fallbacks": dict(self.fallbacks),
            "circuit_opened": self.circuit_opened,
        }


class IntentService:
    """Rasa first when ``rasa_url`` is set, the embedded classifier otherwise or on failure.

    ``cache_dir`` is where the embedded model is cached (default: ``$CACHE_DIR/intents`` or the
    repository's ``var/cache/intents``); ``classifier`` replaces the embedded engine entirely.
    """

    def __init__(
        self,
        rasa_url: str | None,
        timeout: float = 1.5,
        *,
        classifier: IntentClassifier | None = None,
        cache_dir: Path | str | None = None,
        failure_threshold: int = 3,
        cooldown: float = 30.0,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rasa_url = rasa_url or None
        self.timeout = timeout
        self.classifier = classifier or IntentClassifier(cache_dir=cache_dir)
        self.rasa = RasaClient(rasa_url, timeout) if rasa_url else None
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.log_interval = log_interval
        self.stats = IntentStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._open_until = 0.0
        self._probing = False
        self._last_logged: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    # public API

    async def parse(self, text: str) -> IntentResult:
        """The intent of ``text``; never raises."""
        text, settled = self._before_engines(text)
        if settled is not None:
            return settled
        if self.rasa is not None and self._may_call_rasa():
            try:
                result = await self.rasa.parse(text)
            except RasaError as exc:
                self._record_failure(exc.reason, exc.detail)
            except Exception as exc:  # never let a client bug reach the voter
                self._record_failure("error", f"{type(exc).__name__}: {exc}")
            else:
                self._record_success()
                return _apply_threshold(result)
        return await asyncio.to_thread(self._embedded, text)

    def parse_sync(self, text: str) -> IntentResult:
        """The same as :meth:`parse` for the CLI and scripts, which have no event loop."""
        text, settled = self._before_engines(text)
        if settled is not None:
            return settled
        if self.rasa is not None and self._may_call_rasa():
            try:
                result = self.rasa.parse_sync(text)
            except RasaError as exc:
                self._record_failure(exc.reason, exc.detail)
            except Exception as exc:
                self._record_failure("error", f"{type(exc).__name__}: {exc}")
            else:
                self._record_success()
                return _apply_threshold(result)
        return self._embedded(text)

    def warm_up(self) -> None:
        """Load or train the embedded model now rather than on the first voter's message."""
        self.classifier.warm_up()

    @property
    def circuit_open(self) -> bool:
        with self._lock:
            return self._clock() < self._open_until

    async def aclose(self) -> None:
        if self.rasa is not None:
            await self.rasa.aclose()

    # internals

    def _before_engines(self, text: str) -> tuple[str, IntentResult | None]:
        """The text as the engines get it, and the answer when no engine is needed: nothing left
        after cleaning, or a message that only acknowledges."""
        text = _prepare(text)
        if not text:
            return text, IntentResult(FALLBACK_INTENT, 0.0, (), "embedded")
        if not is_acknowledgement(text):
            return text, None
        with self._lock:
            self.stats.rule += 1
        return text, IntentResult(ACKNOWLEDGEMENT_INTENT, 1.0, (), "rule")

    def _embedded(self, text: str) -> IntentResult:
        if self.rasa is None:
            self.stats.embedded += 1
        try:
            return self.classifier.predict(text)
        except Exception:  # a broken model must not take the conversation down
            log.exception("embedded intent classifier failed")
            return IntentResult(FALLBACK_INTENT, 0.0, (), "embedded")

    def _may_call_rasa(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._consecutive_failures < self.failure_threshold:
                return True
            if now < self._open_until or self._probing:
                reason = "circuit_open"
            else:
                self._probing = True  # half-open: this one request tests Rasa
                return True
        self.stats.fallbacks[reason] += 1
        return False

    def _record_success(self) -> None:
        with self._lock:
            reopened = self._consecutive_failures >= self.failure_threshold
            self._consecutive_failures = 0
            self._open_until = 0.0
            self._probing = False
        self.stats.rasa_ok += 1
        if reopened:
            log.warning("Rasa at %s answers again; circuit closed", self.rasa_url)

    def _record_failure(self, reason: str, detail: str) -> None:
        opened = False
        with self._lock:
            self._consecutive_failures += 1
            was_probing = self._probing
            self._probing = False
            if self._consecutive_failures >= self.failure_threshold:
                self._open_until = self._clock() + self.cooldown
                opened = not was_probing and self._consecutive_failures == self.failure_threshold
        self.stats.fallbacks[reason] += 1
        if opened:
            self.stats.circuit_opened += 1
        self._warn(
            reason,
            "Rasa at %s failed (%s%s); using the embedded classifier%s",
            self.rasa_url,
            reason,
            f": {detail}" if detail else "",
            f"; skipping Rasa for {self.cooldown:g}s" if opened else "",
        )

    def _warn(self, key: str, message: str, *args: object) -> None:
        """Log at most once per ``log_interval`` per key; say how many were held back."""
        now = self._clock()
        with self._lock:
            last = self._last_logged.get(key)
            if last is not None and now - last < self.log_interval:
                self._suppressed[key] += 1
                return
            self._last_logged[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += f" ({suppressed} similar warnings suppressed)"
        log.warning(message, *args)


def _prepare(text: str) -> str:
    return clean(text or "")[:MAX_CHARS]


def _apply_threshold(result: IntentResult) -> IntentResult:
    """Rasa's answer under the same confidence rule as the embedded engine's, so the
    conversation sees one meaning of ``out_of_scope`` whichever engine answered."""
    if result.intent != FALLBACK_INTENT and result.confidence < CONFIDENCE_THRESHOLD:
        return IntentResult(FALLBACK_INTENT, result.confidence, (), result.engine)
    return result

"""The process's own metrics, in the Prometheus text exposition format (version 0.0.4).

Why not prometheus_client: the bot needs three counters and one histogram, and a dependency for
that would be a second metrics registry to keep consistent with the health checks. This module
is small, thread-safe (the conversation counts on the event loop, the outbox records outcomes in
worker threads) and cheap: counting is a dict update under a lock, nothing is computed until a
scrape asks for it.

Metrics are per process, as Prometheus expects: each bot process is its own scrape target and
the `instance` label tells them apart; sums across processes are the monitoring system's job.

The instruments the bot records (module-level, so the conversation core can count without
knowing who serves the numbers):

* ``factcheck_questions_total{language,decision}`` - questions the core decided on: answered,
  clarified (a "did you mean" list) or escalated, by the language the voter was answered in;
* ``factcheck_escalations_total{outcome}`` - hand-overs to fact-checkers: a new ticket, joined
  an open one, got an existing answer at once, spooled (database down) or lost;
* ``factcheck_reply_seconds{kind}`` - how long the conversation took to produce the replies to
  one message, command or button press (the bot's own time, not Telegram's).
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

#: The Content-Type of the text exposition format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Reply latency buckets (seconds): a cached answer takes milliseconds, a cold matcher or a slow
#: Rasa seconds; beyond 10 s a voter has given up.
REPLY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sample:
    """One line of the exposition: a name (with its suffix), labels and a value."""

    name: str
    labels: Labels
    value: float


@dataclass
class Family:
    """One metric family: its `# HELP` and `# TYPE` lines and its samples."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> Family:
        self.samples.append(Sample(self.name + suffix, tuple(labels.items()), float(value)))
        return self


def _check_labels(metric: str, names: Sequence[str], values: Sequence[str]) -> Labels:
    if len(values) != len(names):
        raise ValueError(f"{metric} takes labels {tuple(names)}, got {tuple(values)}")
    return tuple(zip(names, (str(v) for v in values), strict=True))


class Counter:
    """A monotonically increasing count per label set (reset only by a process restart)."""

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(labels)
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, *label_values: str, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = _check_labels(self.name, self.label_names, label_values)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, *label_values: str) -> float:
        key = _check_labels(self.name, self.label_names, label_values)
        with self._lock:
            return self._values.get(key, 0.0)

    def total(self) -> float:
        with self._lock:
            return sum(self._values.values())

    def collect(self) -> Family:
        with self._lock:
            items = sorted(self._values.items())
        family = Family(self.name, "counter", self.help)
        family.samples.extend(Sample(self.name, labels, value) for labels, value in items)
        return family


@dataclass
class _Series:
    buckets: list[int]
    total: float = 0.0
    count: int = 0


class Histogram:
    """Observations counted into cumulative `le` buckets, with their sum and count, so a
    dashboard can compute any quantile over any set of processes (a summary could not)."""

    def __init__(
        self,
        name: str,
        help: str,
        buckets: Sequence[float] = REPLY_BUCKETS,
        labels: Sequence[str] = (),
    ) -> None:
        bounds = sorted(float(b) for b in buckets)
        if not bounds or any(math.isinf(b) for b in bounds):
            raise ValueError("give finite bucket bounds; +Inf is always added")
        self.name = name
        self.help = help
        self.bounds = tuple(bounds)
        self.label_names = tuple(labels)
        self._series: dict[Labels, _Series] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *label_values: str) -> None:
        key = _check_labels(self.name, self.label_names, label_values)
        index = bisect_left(self.bounds, value)  # the first bound >= value ("le" semantics)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series([0] * (len(self.bounds) + 1))
            series.buckets[index] += 1
            series.total += value
            series.count += 1

    @contextmanager
    def time(self, *label_values: str) -> Iterator[None]:
        """Observe how long the `with` block took (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe(time.perf_counter() - started, *label_values)

    def count(self, *label_values: str) -> int:
        key = _check_labels(self.name, self.label_names, label_values)
        with self._lock:
            series = self._series.get(key)
            return series.count if series else 0

    def collect(self) -> Family:
        with self._lock:
            items = [
                (labels, list(s.buckets), s.total, s.count)
                for labels, s in sorted(self._series.items())
            ]
        family = Family(self.name, "histogram", self.help)
        for labels, buckets, total, count in items:
            running = 0
            for bound, n in zip((*self.bounds, math.inf), buckets, strict=True):
                running += n
                le = "+Inf" if math.isinf(bound) else _number(bound)
                family.samples.append(Sample(f"{self.name}_bucket", (*labels, ("le", le)), running))
            family.samples.append(Sample(f"{self.name}_sum", labels, total))
            family.samples.append(Sample(f"{self.name}_count", labels, count))
        return family


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def render(families: Iterable[Family]) -> str:
    """The text exposition of `families`, in the order given."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            if sample.labels:
                inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels)
                lines.append(f"{sample.name}{{{inner}}} {_number(sample.value)}")
            else:
                lines.append(f"{sample.name} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


# -- the bot's instruments -------------------------------------------------------------------

QUESTIONS = Counter(
    "factcheck_questions_total",
    "Questions the bot decided on, by reply language and decision (answer, clarify, escalate).",
    ("language", "decision"),
)
ESCALATIONS = Counter(
    "factcheck_escalations_total",
    "Questions handed to fact-checkers, by outcome (new, joined, answered, spooled, lost).",
    ("outcome",),
)
TICKET_CHOICES = Counter(
    "factcheck_ticket_choices_total",
    "Voters' answers to 'is your question one of the claims being checked?', by outcome "
    "(joined, kept, answered, target_closed, closed, already); a high 'kept' share means the "
    "offers are often wrong (knowledge/thresholds.py TICKET_OFFER_MIN).",
    ("outcome",),
)
REPLY_SECONDS = Histogram(
    "factcheck_reply_seconds",
    "Seconds the conversation took to produce its replies to one update, by kind "
    "(message, command, button).",
    REPLY_BUCKETS,
    ("kind",),
)
DATABASE_TIMEOUTS = Counter(
    "factcheck_database_timeouts_total",
    "Database calls of the conversation given up because the database did not answer in time "
    "(DATABASE_TIMEOUT_SECONDS); the voter was answered without it.",
)
SPOOL_SET_ASIDE = Counter(
    "factcheck_spool_set_aside_total",
    "Spooled escalations that could not be stored for a reason other than the database being "
    "down, set aside (spool file .rejected) so that the rest of the spool drains.",
)
INBOX_UPDATES = Counter(
    "factcheck_inbox_updates_total",
    "Webhook updates this worker accepted into the shared inbox (WEB_CONCURRENCY), by outcome: "
    "stored (new) or duplicate (a delivery Telegram retried; not handled again).",
    ("outcome",),
)
INBOX_HANDLED = Counter(
    "factcheck_inbox_handled_total",
    "Inbox updates this worker handled for the chats of its slot.",
)
LEARNED_ANSWERS = Counter(
    "factcheck_learned_answers_total",
    "Questions answered directly by a phrasing voters or a checker taught the bot (issue #15), "
    "where the matcher alone would have shown a 'did you mean' list.",
)
#: When this process started (Unix time), so a dashboard sees restarts and counter resets.
STARTED_AT = time.time()


def record_question(language: str, decision: str) -> None:
    """Count one question the core decided on (called where the core records it)."""
    QUESTIONS.inc(language or "und", decision)


def record_escalation(outcome: str) -> None:
    """Count one hand-over to fact-checkers (called by the core's escalate())."""
    ESCALATIONS.inc(outcome)


def record_ticket_choice(outcome: str) -> None:
    """Count one voter's answer to a ticket offer (called by the core's ticket_choice)."""
    TICKET_CHOICES.inc(outcome)


def instruments() -> list[Family]:
    """The current values of the instruments above, ready for `render`."""
    return [
        QUESTIONS.collect(),
        ESCALATIONS.collect(),
        TICKET_CHOICES.collect(),
        REPLY_SECONDS.collect(),
        DATABASE_TIMEOUTS.collect(),
        SPOOL_SET_ASIDE.collect(),
        INBOX_UPDATES.collect(),
        INBOX_HANDLED.collect(),
    ]

"""`build_trends`: the whole trends report as one plain data object, ready for any renderer.

The figures come from queries.py (SQL aggregates) and keywords.py (a bounded sample); this module
only joins them with the knowledge base (entry texts) and applies the privacy rule to every piece
of voter wording before it is stored in the report, so no renderer can leak it by mistake.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.reports import queries
from bot.reports.keywords import (
    RISE_RATIO,
    SAMPLE_SIZE,
    RisingTerm,
    Sample,
    count_terms,
    rising_terms,
)
from bot.reports.period import Period, utc
from bot.reports.privacy import MIN_COUNT, shown_text
from bot.storage.database import Database
from nlu.languages import LANGUAGES

DECISIONS = ("answer", "clarify", "escalate")
#: How many rows each ranked list keeps.
TOP = 10
#: Queries run at once (the bot's pool holds 5 connections, plus 10 overflow).
QUERY_THREADS = 4


@dataclass(frozen=True)
class EntryTrend:
    entry_id: str
    text: str | None  # the entry's text from the knowledge base; None if it is gone
    kind: str | None
    verdict: str | None
    current: int
    previous: int

    @property
    def increase(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class TicketTrend:
    id: int
    language: str
    status: str
    askers: int
    new_askers: int
    claim: str | None  # None: fewer than MIN_COUNT askers, text withheld
    opened: str  # YYYY-MM-DD


@dataclass(frozen=True)
class FeedbackTrend:
    entry_id: str
    text: str | None
    helpful: int
    not_helpful: int

    @property
    def not_helpful_share(self) -> float:
        total = self.helpful + self.not_helpful
        return self.not_helpful / total if total else 0.0


@dataclass(frozen=True)
class LanguageKeywords:
    language: str
    questions: int
    previous_questions: int
    sampled: int  # questions of this period the keywords were counted over
    words: list[RisingTerm]
    phrases: list[RisingTerm]


@dataclass
class TrendsReport:
    generated_at: datetime
    start: datetime
    end: datetime
    previous_start: datetime
    language: str | None
    days: list[str]
    per_day_language: dict[str, list[int]]
    per_day_decision: dict[str, list[int]]
    total: int
    previous_total: int
    decisions: dict[str, int]
    open_tickets_count: int
    new_tickets: int
    top_entries: list[EntryTrend] = field(default_factory=list)
    rising_entries: list[EntryTrend] = field(default_factory=list)
    open_tickets: list[TicketTrend] = field(default_factory=list)
    unanswered: list[queries.Unanswered] = field(default_factory=list)
    feedback: list[FeedbackTrend] = field(default_factory=list)
    keywords: list[LanguageKeywords] = field(default_factory=list)
    min_count: int = MIN_COUNT

    @property
    def answer_rate(self) -> dict[str, float]:
        """Share of the period's questions answered, clarified (a choice offered) and escalated."""
        names = {"answer": "answered", "clarify": "clarified", "escalate": "escalated"}
        return {
            names[d]: (self.decisions.get(d, 0) / self.total if self.total else 0.0)
            for d in DECISIONS
        }

    def rising_keyword_rows(self, limit: int = 10) -> list[tuple[str, int, int]]:
        """(label, current, previous) of the rising words and phrases of every language,
        biggest increase first, labelled "[lang] term" (for charts and the digest)."""
        rows = [
            (f"[{k.language}] {t.term}", t.current, t.previous)
            for k in self.keywords
            for t in (*k.phrases, *k.words)
        ]
        rows.sort(key=lambda r: (-(r[1] - r[2]), -r[1], r[0]))
        return rows[:limit]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (datetimes as ISO text)."""

        def terms(items: list[RisingTerm]) -> list[dict[str, Any]]:
            return [
                {"term": t.term, "current": t.current, "previous": t.previous, "ratio": t.ratio}
                for t in items
            ]

        return {
            "generated_at": self.generated_at.isoformat(),
            "period": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "previous_start": self.previous_start.isoformat(),
            },
            "language": self.language,
            "min_count": self.min_count,
            "questions": {"total": self.total, "previous_total": self.previous_total},
            "decisions": dict(self.decisions),
            "answer_rate": {k: round(v, 4) for k, v in self.answer_rate.items()},
            "per_day": {
                "days": self.days,
                "by_language": self.per_day_language,
                "by_decision": self.per_day_decision,
            },
            "tickets": {"open": self.open_tickets_count, "opened_in_period": self.new_tickets},
            "top_entries": [_entry_dict(e) for e in self.top_entries],
            "rising_entries": [_entry_dict(e) for e in self.rising_entries],
            "open_tickets": [
                {
                    "id": t.id,
                    "language": t.language,
                    "status": t.status,
                    "askers": t.askers,
                    "new_askers": t.new_askers,
                    "claim": t.claim,
                    "opened": t.opened,
                }
                for t in self.open_tickets
            ],
            "unanswered": [
                {"text": u.text, "questions": u.questions, "askers": u.askers}
                for u in self.unanswered
            ],
            "feedback": [
                {
                    "entry_id": f.entry_id,
                    "text": f.text,
                    "helpful": f.helpful,
                    "not_helpful": f.not_helpful,
                    "not_helpful_share": round(f.not_helpful_share, 4),
                }
                for f in self.feedback
            ],
            "keywords": [
                {
                    "language": k.language,
                    "questions": k.questions,
                    "previous_questions": k.previous_questions,
                    "sampled": k.sampled,
                    "words": terms(k.words),
                    "phrases": terms(k.phrases),
                }
                for k in self.keywords
            ],
        }


def _entry_dict(entry: EntryTrend) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "text": entry.text,
        "kind": entry.kind,
        "verdict": entry.verdict,
        "current": entry.current,
        "previous": entry.previous,
    }


def _entry_info(
    knowledge: Any, entry_id: str, language: str
) -> tuple[str | None, str | None, str | None]:
    entry = knowledge.get(entry_id) if knowledge is not None else None
    if entry is None:
        return None, None, None
    return entry.text_in(language), entry.kind, entry.verdict


def build_trends(
    database: Database,
    knowledge: Any,
    *,
    span: timedelta = timedelta(days=7),
    language: str | None = None,
    now: datetime | None = None,
    sample_size: int = SAMPLE_SIZE,
    limit: int = TOP,
) -> TrendsReport:
    """The trends of the `span` up to `now`, compared with the `span` before.

    `knowledge` is a KnowledgeBase (anything with `.get(entry_id)`), or None to show bare ids.
    Entry texts are shown in the filtered language, else in English (the coalition's shared one).
    """
    now = utc(now or datetime.now(UTC))
    period = Period.ending(now, span)
    text_language = language or "en"
    languages = [language] if language else list(LANGUAGES)

    # The aggregates run on the database while this thread segments the keyword samples: on a
    # million questions both take seconds, and they need different processes' CPU.
    with ThreadPoolExecutor(max_workers=QUERY_THREADS, thread_name_prefix="report") as pool:
        samples = {
            (lang, which): pool.submit(
                queries.recent_questions, database, start, end, lang, sample_size
            )
            for lang in languages
            for which, start, end in (
                ("current", period.start, period.end),
                ("previous", period.previous_start, period.start),
            )
        }
        daily_f = pool.submit(queries.daily_counts, database, period, language)
        previous_f = pool.submit(
            queries.totals_by_language, database, period.previous_start, period.start, language
        )
        entries_f = pool.submit(queries.entry_counts, database, period, language)
        tickets_f = pool.submit(queries.open_tickets, database, period, language, limit)
        ticket_totals_f = pool.submit(queries.ticket_totals, database, period, language)
        unanswered_f = pool.submit(queries.unanswered_questions, database, period, language, limit)
        feedback_f = pool.submit(queries.feedback_by_entry, database, period, language)
        term_counts = {key: count_terms(f.result(), key[0]) for key, f in samples.items()}
        daily, previous_totals = daily_f.result(), previous_f.result()
        entry_rows, ticket_rows = entries_f.result(), tickets_f.result()
        (open_count, new_tickets), unanswered = ticket_totals_f.result(), unanswered_f.result()
        feedback_rows = feedback_f.result()

    days = [d.isoformat() for d in period.days()]
    index = {d: i for i, d in enumerate(days)}
    per_language: dict[str, list[int]] = {}
    per_decision: dict[str, list[int]] = {d: [0] * len(days) for d in DECISIONS}
    decisions: dict[str, int] = dict.fromkeys(DECISIONS, 0)
    current_totals: dict[str, int] = {}
    for row in daily:
        slot = index.get(row.day)
        if slot is None:
            continue  # a timestamp stored in another zone falling outside: never in UTC data
        per_language.setdefault(row.language, [0] * len(days))[slot] += row.questions
        per_decision.setdefault(row.decision, [0] * len(days))[slot] += row.questions
        decisions[row.decision] = decisions.get(row.decision, 0) + row.questions
        current_totals[row.language] = current_totals.get(row.language, 0) + row.questions

    entries = []
    for entry_id, current, previous in entry_rows:
        text, kind, verdict = _entry_info(knowledge, entry_id, text_language)
        entries.append(EntryTrend(entry_id, text, kind, verdict, current, previous))
    top = sorted((e for e in entries if e.current), key=lambda e: (-e.current, e.entry_id))
    # Rising rumours: checked claims only. A rise in "where do I vote?" is the calendar, not a
    # rumour spreading.
    rising = sorted(
        (
            e for e in entries
            if e.kind == "claim"
            and e.current > e.previous and e.current >= RISE_RATIO * e.previous
        ),
        key=lambda e: (-e.increase, -e.current, e.entry_id),
    )

    tickets = [
        TicketTrend(
            t.id,
            t.language,
            t.status,
            t.askers,
            t.new_askers,
            shown_text(t.claim_text, t.askers),
            utc(t.created_at).date().isoformat(),
        )
        for t in ticket_rows
    ]

    feedback = []
    for entry_id, helpful, unhelpful in feedback_rows:
        text, _, _ = _entry_info(knowledge, entry_id, text_language)
        feedback.append(FeedbackTrend(entry_id, text, helpful, unhelpful))
    feedback.sort(key=lambda f: (-f.not_helpful, -f.not_helpful_share, f.entry_id))

    keywords = []
    for lang in languages:
        current_counts = term_counts[(lang, "current")]
        words, phrases = rising_terms(
            Sample(current_counts, current_totals.get(lang, 0)),
            Sample(term_counts[(lang, "previous")], previous_totals.get(lang, 0)),
            limit=limit,
        )
        keywords.append(
            LanguageKeywords(
                lang,
                current_totals.get(lang, 0),
                previous_totals.get(lang, 0),
                current_counts.sampled,
                words,
                phrases,
            )
        )

    return TrendsReport(
        generated_at=now,
        start=period.start,
        end=period.end,
        previous_start=period.previous_start,
        language=language,
        days=days,
        per_day_language=dict(sorted(per_language.items())),
        per_day_decision=per_decision,
        total=sum(current_totals.values()),
        previous_total=sum(previous_totals.values()),
        decisions=decisions,
        open_tickets_count=open_count,
        new_tickets=new_tickets,
        top_entries=top[:limit],
        rising_entries=rising[:limit],
        open_tickets=tickets,
        unanswered=unanswered,
        feedback=feedback[:limit],
        keywords=keywords,
    )

"""Every figure of the trends report, computed by the database with GROUP BY.

With a million stored questions, loading rows into Python would take longer than the report is
worth; each function here returns a handful of aggregated rows. The one exception is
`recent_questions`, which returns a bounded sample (LIMIT) for keyword counting.

Days are UTC calendar days as 'YYYY-MM-DD' text, computed per dialect: SQLite stores timestamps
as UTC text, PostgreSQL as timestamptz (converted to UTC before truncating, whatever the session's
time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select

from bot.core.ports import QuestionDecision
from bot.reports.period import Period
from bot.reports.privacy import MIN_COUNT
from bot.storage.database import Database
from bot.storage.models import Feedback, Question, Ticket, TicketSubscriber

#: Ticket statuses that still wait for fact-checkers (as bot.storage.repository.OPEN_STATUSES).
OPEN_STATUSES = ("open", "taken")


def day_of(
    database: Database, column: ColumnElement[datetime] | InstrumentedAttribute[datetime]
) -> ColumnElement[str]:
    """The UTC day of a timestamp column, as 'YYYY-MM-DD' text, on either database."""
    if database.is_sqlite:
        return func.strftime("%Y-%m-%d", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _questions_in(query: Select, start: datetime, end: datetime, language: str | None) -> Select:
    query = query.where(Question.created_at >= start, Question.created_at < end)
    if language:
        query = query.where(Question.language == language)
    return query


@dataclass(frozen=True)
class DailyCount:
    day: str
    language: str
    decision: str
    questions: int


def daily_counts(database: Database, period: Period, language: str | None) -> list[DailyCount]:
    """Questions per day, language and decision in the period (one scan serves both the
    per-language and the per-decision series, and the totals)."""
    day = day_of(database, Question.created_at).label("day")
    query = _questions_in(
        select(day, Question.language, Question.decision, func.count()),
        period.start,
        period.end,
        language,
    ).group_by(day, Question.language, Question.decision)
    with database.session() as session:
        return [DailyCount(*row) for row in session.execute(query)]


def totals_by_language(
    database: Database, start: datetime, end: datetime, language: str | None
) -> dict[str, int]:
    """Questions per language in [start, end)."""
    query = _questions_in(select(Question.language, func.count()), start, end, language).group_by(
        Question.language
    )
    with database.session() as session:
        return {lang: count for lang, count in session.execute(query)}


def entry_counts(
    database: Database, period: Period, language: str | None
) -> list[tuple[str, int, int]]:
    """(entry_id, questions this period, questions the period before) for every entry asked
    about in either; bounded by the size of the knowledge base, not by the questions."""
    current = func.sum(case((Question.created_at >= period.start, 1), else_=0))
    previous = func.sum(case((Question.created_at < period.start, 1), else_=0))
    query = (
        _questions_in(
            select(Question.entry_id, current, previous),
            period.previous_start,
            period.end,
            language,
        )
        .where(Question.entry_id.is_not(None))
        .group_by(Question.entry_id)
    )
    with database.session() as session:
        return [
            (entry, int(now or 0), int(before or 0))
            for entry, now, before in session.execute(query)
        ]


@dataclass(frozen=True)
class OpenTicket:
    id: int
    language: str
    status: str
    askers: int
    new_askers: int  # askers who joined during the period
    claim_text: str
    created_at: datetime


def open_tickets(
    database: Database, period: Period, language: str | None, limit: int = 10
) -> list[OpenTicket]:
    """The open tickets with the most askers, with how many joined during the period."""
    joined = (
        select(TicketSubscriber.ticket_id, func.count().label("joined"))
        .where(
            TicketSubscriber.created_at >= period.start, TicketSubscriber.created_at < period.end
        )
        .group_by(TicketSubscriber.ticket_id)
        .subquery()
    )
    query = (
        select(
            Ticket.id,
            Ticket.language,
            Ticket.status,
            Ticket.askers,
            func.coalesce(joined.c.joined, 0),
            Ticket.claim_text,
            Ticket.created_at,
        )
        .outerjoin(joined, joined.c.ticket_id == Ticket.id)
        .where(Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.askers.desc(), Ticket.id)
        .limit(limit)
    )
    if language:
        query = query.where(Ticket.language == language)
    with database.session() as session:
        return [OpenTicket(*row) for row in session.execute(query)]


def ticket_totals(database: Database, period: Period, language: str | None) -> tuple[int, int]:
    """(open tickets now, tickets opened during the period)."""
    in_period = and_(Ticket.created_at >= period.start, Ticket.created_at < period.end)
    opened = func.sum(case((in_period, 1), else_=0))
    still_open = func.sum(case((Ticket.status.in_(OPEN_STATUSES), 1), else_=0))
    query = select(still_open, opened)
    if language:
        query = query.where(Ticket.language == language)
    with database.session() as session:
        now_open, new = session.execute(query).one()
    return int(now_open or 0), int(new or 0)


@dataclass(frozen=True)
class Unanswered:
    text: str
    questions: int
    askers: int


def unanswered_questions(
    database: Database, period: Period, language: str | None, limit: int = 10
) -> list[Unanswered]:
    """The most repeated questions the bot could not answer outright (clarified or escalated),
    grouped case-insensitively; only those at least MIN_COUNT distinct voters asked (HAVING), so
    a question one voter wrote never leaves the database."""
    askers = func.count(distinct(Question.voter_id))
    key = func.lower(Question.text)
    query = (
        _questions_in(
            select(func.min(Question.text), func.count(), askers),
            period.start,
            period.end,
            language,
        )
        .where(Question.decision.in_((QuestionDecision.CLARIFY, QuestionDecision.ESCALATE)))
        .group_by(key)
        .having(askers >= MIN_COUNT)
        .order_by(func.count().desc(), func.min(Question.text))
        .limit(limit)
    )
    with database.session() as session:
        return [Unanswered(*row) for row in session.execute(query)]


def feedback_by_entry(
    database: Database, period: Period, language: str | None
) -> list[tuple[str, int, int]]:
    """(entry_id, helpful, not what I asked) per entry for feedback given during the period.
    With a language filter, feedback counts through the question it was given on."""
    helpful = func.sum(case((Feedback.helpful.is_(True), 1), else_=0))
    unhelpful = func.sum(case((Feedback.helpful.is_(False), 1), else_=0))
    query = (
        select(Feedback.entry_id, helpful, unhelpful)
        .where(Feedback.created_at >= period.start, Feedback.created_at < period.end)
        .group_by(Feedback.entry_id)
    )
    if language:
        query = query.join(Question, Question.id == Feedback.question_id).where(
            Question.language == language
        )
    with database.session() as session:
        return [(entry, int(yes or 0), int(no or 0)) for entry, yes, no in session.execute(query)]


def recent_questions(
    database: Database, start: datetime, end: datetime, language: str, limit: int
) -> list[tuple[str, object]]:
    """The `limit` most recent (text, voter key) pairs of one language in [start, end): the
    bounded sample keywords are counted over. The voter key only tells askers apart."""
    query = (
        select(Question.text, Question.voter_id)
        .where(
            Question.language == language,
            Question.created_at >= start,
            Question.created_at < end,
        )
        .order_by(Question.created_at.desc())
        .limit(limit)
    )
    with database.session() as session:
        return [(text, voter) for text, voter in session.execute(query)]

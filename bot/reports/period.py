"""The reporting window: `--since 7d` means the 7 days up to now, compared with the 7 days before.

Days are UTC calendar days. Every timestamp is converted to UTC before it reaches a query, because
SQLite stores timestamps as naive text and compares them as text: a +07:00 value would be off by
seven hours there while PostgreSQL (timestamptz) would be right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_SPAN = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
#: Longer windows would outlive the stored questions (QUESTION_RETENTION_DAYS, 180 by default).
MAX_SPAN = timedelta(days=366)


def parse_span(value: str) -> timedelta:
    """'7d', '24h', '2w' -> timedelta; ValueError with the accepted forms otherwise."""
    match = _SPAN.match(value)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{value!r}: use a number and a unit, e.g. 24h, 7d or 2w")
    span = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if span > MAX_SPAN:
        raise ValueError(f"{value!r}: at most {MAX_SPAN.days} days")
    return span


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """[start, end) and the window of the same length just before it, [previous_start, start)."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, span: timedelta) -> Period:
        end = utc(end)
        return cls(end - span, end)

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    @property
    def previous_start(self) -> datetime:
        return self.start - self.span

    def days(self) -> list[date]:
        """Every UTC day the window touches, oldest first (for zero-filled daily series)."""
        first = self.start.date()
        last = (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

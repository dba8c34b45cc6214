"""A matcher for ticket tests that is never sure: every open ticket is plausible, none is an
answer. The open-ticket index then always offers tickets, which is what those tests exercise;
the real matcher's scores would make them depend on embeddings."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import Entry


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Unsure:
    decision: str = "clarify"
    entry_id: str | None = None
    candidates: tuple[Candidate, ...] = ()


class NeverSure:
    """Every open ticket is plausible, none is sure (the Matcher interface the index uses)."""

    def __init__(self, entries: list[Entry] | None = None) -> None:
        self.entries = {e.id: e for e in entries or []}

    def match(self, text: str, language: str | None = None) -> Unsure:
        return Unsure(candidates=self.next_candidates(text, set(), language))

    def next_candidates(self, text: str, exclude: set[str], language: str | None = None
                        ) -> tuple[Candidate, ...]:
        return tuple(Candidate(e, 0.5) for e in self.entries if e not in exclude)[:3]

    def updated(self, entries: list[Entry]) -> NeverSure:
        return NeverSure(list(entries))

    def with_entries(self, extra: list[Entry]) -> NeverSure:
        return NeverSure([*self.entries.values(), *extra])

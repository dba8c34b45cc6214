"""The open-ticket index's own logic (rebuild when tickets change, join only on a confident
ticket answer, never on a curated entry), with a small deterministic word-overlap matcher in
place of the real one: the real matcher's calibration is another team's and moves; what is
tested here is what this package does with a matcher's decision. The real matcher is used in
test_loop.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.escalation.ticket_index import OpenTicketIndex
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database
from knowledge.model import Entry


@dataclass(frozen=True)
class Decision:
    decision: str
    entry_id: str | None


class WordOverlapMatcher:
    """Answers with the entry sharing >= 60% of words (Jaccard) with the text; the documented
    Matcher interface: entries, match, updated, with_entries."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = {e.id: e for e in entries}
        self.builds = 1

    @staticmethod
    def _words(text: str) -> set[str]:
        return {w.strip("?!.,").casefold() for w in text.split()} - {""}

    def match(self, text: str, language: str | None) -> Decision:
        words = self._words(text)
        best, score = None, 0.0
        for entry in self.entries.values():
            for passage in [*entry.text.values(), *(v for vs in entry.variants.values()
                                                   for v in vs)]:
                other = self._words(passage)
                jaccard = len(words & other) / len(words | other)
                if jaccard > score:
                    best, score = entry.id, jaccard
        return Decision("answer", best) if score >= 0.6 else Decision("escalate", None)

    def updated(self, entries: list[Entry]) -> WordOverlapMatcher:
        return WordOverlapMatcher(list(entries))

    def with_entries(self, extra: list[Entry]) -> WordOverlapMatcher:
        return WordOverlapMatcher([*self.entries.values(), *extra])


CURATED = Entry(id="curated-polling-hours", kind="fact", text={"en": "When do polls close"},
                answer={"en": "At 5pm."})


def test_reworded_claims_join_open_tickets_and_closed_ones_stop_matching(
    database: Database,
) -> None:
    base = WordOverlapMatcher([CURATED])
    index = OpenTicketIndex(database, base=lambda: base)
    service = TicketService(database, ticket_index=index)
    first = service.escalate_or_join(1, 10, "The army will count the ballots this year", "en")
    assert first.via == "new"
    second = service.escalate_or_join(2, 20, "is it true the army will count ballots this year?",
                                      "th")
    assert (second.ticket_id, second.via, second.askers) == (first.ticket_id, "matcher", 2)
    rebuilds = index.rebuilds
    assert index.find("nothing like it", None) is None
    assert index.rebuilds == rebuilds  # the open tickets did not change: no rebuild
    # A question about curated knowledge that reached escalation never joins a ticket through it.
    other = service.escalate_or_join(3, 30, "when do polls close", "en")
    assert other.via == "new"
    # The index follows the database: a ticket closed (here by another process) stops matching.
    from bot.escalation.checker_registry import CheckerRegistry

    TicketService(database, registry=CheckerRegistry(database, [1])).reject(
        first.ticket_id, 1, reason="test"
    )
    third = service.escalate_or_join(4, 40, "the army will count the ballots this year?", "en")
    assert third.via == "new" and third.ticket_id not in (first.ticket_id, other.ticket_id)


def test_merged_claims_lead_to_the_ticket_they_were_merged_into(database: Database) -> None:
    index = OpenTicketIndex(database, factory=WordOverlapMatcher)
    service = TicketService(database, ticket_index=index)
    repo = PlainTicketStore(database)
    target = repo.escalate(user_id=1, chat_id=1, text="Polls close at noon", language="en")
    dup = repo.escalate(user_id=2, chat_id=2, text="Voting stations shut at midday",
                        language="en")
    from bot.escalation.checker_registry import CheckerRegistry

    TicketService(database, registry=CheckerRegistry(database, [1])).mark_duplicate(
        dup.ticket_id, target.ticket_id, 1
    )
    joined = service.escalate_or_join(3, 3, "voting stations shut at midday?", "ms")
    assert (joined.ticket_id, joined.via) in (
        (target.ticket_id, "key"), (target.ticket_id, "matcher")
    )
    reworded = service.escalate_or_join(4, 4, "do voting stations shut at midday", "ms")
    assert (reworded.ticket_id, reworded.via) == (target.ticket_id, "matcher")


def test_a_failing_matcher_never_loses_the_escalation(database: Database) -> None:
    def broken(entries: list[Entry]) -> WordOverlapMatcher:
        raise RuntimeError("model file missing")

    service = TicketService(database, ticket_index=OpenTicketIndex(database, factory=broken))
    service.escalate_or_join(1, 1, "first claim here", "en")
    receipt = service.escalate_or_join(2, 2, "a second, different claim", "en")
    assert receipt.via == "new"

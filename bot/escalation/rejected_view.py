"""What the knowledge already offered a ticket's askers, and they rejected: for the checkers.

A voter who said "None of these" to a did-you-mean list, or "Not what I asked" on an answer card
(and why), and then sent the question to the checkers, has told them something: those entries
are not (or do not look like) the answer. The rows are already stored: each rejection is a
`feedback` row (helpful false, the reason since migration 0006) on the voter's question, and the
ticket's waiting list names each asker's question. This reads them together, so the ticket card
in the checkers' group and `factcheck tickets show` list the entries with the reasons given, and
the desk can offer to link one of them (a checker may judge that the voter was wrong).

Read only; no voter's words are in it (entry ids and reason codes), so it is safe on any screen
the checkers use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Ticket, TicketSubscriber
from bot.storage.repository import Repository

#: A rejection stored without a reason: "not what I asked" tapped, and "why?" not answered.
NO_REASON = "unsaid"


@dataclass(frozen=True)
class RejectedEntry:
    """An entry offered to the ticket's askers and rejected: by how many of them, and why."""

    entry_id: str
    voters: int
    reasons: Mapping[str, int]  # FeedbackReason value (or NO_REASON) -> how many said it


def rejected_for_ticket(repository: Repository, ticket_id: int) -> list[RejectedEntry]:
    """The entries the askers of ticket `ticket_id` (and of tickets merged into it) rejected
    before it was escalated, the most rejected first (then the first rejected)."""
    question_ids = _asked(repository.db, ticket_id)
    rows = repository.rejected_entries(question_ids)
    voters: dict[str, set[int]] = {}
    reasons: dict[str, Counter[str]] = {}
    for question_id, entry_id, reason in rows:
        voters.setdefault(entry_id, set()).add(question_id)
        reasons.setdefault(entry_id, Counter())[reason or NO_REASON] += 1
    order = list(voters)  # first rejected first (rows come in feedback order)
    order.sort(key=lambda e: -len(voters[e]))
    return [RejectedEntry(e, len(voters[e]), dict(reasons[e])) for e in order]


def _asked(database: Database, ticket_id: int) -> list[int]:
    """The questions (still kept) of everyone waiting on the ticket or on one merged into it.
    A merge moves the waiting voters to the target, so its own list holds them already; the
    merged tickets' lists are read too, for a voter who waited on both (counted once there)."""
    with database.session() as session:
        merged = session.scalars(select(Ticket.id).where(Ticket.duplicate_of == ticket_id)).all()
        ids = session.scalars(
            select(TicketSubscriber.question_id).where(
                TicketSubscriber.ticket_id.in_([ticket_id, *merged]),
                TicketSubscriber.question_id.is_not(None),
            )
        ).all()
    return sorted({int(i) for i in ids if i is not None})


def reasons_text(entry: RejectedEntry, label: Callable[[str], str]) -> str:
    """"none of these ×2, the other country" with `label(reason)` naming each reason."""
    return ", ".join(
        label(reason) + (f" ×{count}" if count > 1 else "")
        for reason, count in sorted(entry.reasons.items(), key=lambda rc: -rc[1])
    )


__all__ = ["NO_REASON", "RejectedEntry", "reasons_text", "rejected_for_ticket"]

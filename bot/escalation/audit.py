"""The audit trail of checker actions, written in the same transaction as the action itself.

Writing the audit row inside the action's transaction means an action without its record (or a
record of an action that was rolled back) cannot exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.storage.models import AuditLog

#: actor_id of actions taken at the command line by whoever operates the database.
OPERATOR = 0
#: actor_id of a voter's own choice (their question is an open ticket's claim, so their ticket
#: was merged into it). Never the voter's id: audit rows never name voters.
VOTER = -1


def record(
    session: Session,
    actor_id: int,
    action: str,
    ticket_id: int | None = None,
    **details: Any,
) -> None:
    """Add one audit row. `details` must never hold anything that identifies a voter."""
    session.add(AuditLog(actor_id=actor_id, action=action, ticket_id=ticket_id, details=details))

"""Who may act on tickets: the ids in CHECKER_IDS plus the `checkers` table.

Configured ids cannot be removed at run time (they are the bootstrap: the first checkers, who
exist before anyone could add anyone); the table is what `factcheck checkers add|remove` manages,
so a newsroom can add a volunteer during an election night without a redeploy.

Every refusal is audited too: a stranger pressing "answer" in the checkers' group is worth knowing
about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from bot.escalation import audit
from bot.escalation.errors import InvalidAction, NotAuthorised
from bot.storage.database import Database
from bot.storage.models import Checker, Ticket
from bot.storage.repository import affected


@dataclass(frozen=True)
class CheckerInfo:
    telegram_id: int
    name: str | None
    source: str  # "config" (CHECKER_IDS) or "database"
    added_at: datetime | None = None


class CheckerRegistry:
    def __init__(self, database: Database, configured_ids: Iterable[int] = ()) -> None:
        self.db = database
        self.configured = frozenset(int(x) for x in configured_ids)

    @classmethod
    def from_settings(cls, database: Database) -> CheckerRegistry:
        from bot.config import get_settings

        return cls(database, get_settings().checker_id_set())

    def is_checker(self, user_id: int) -> bool:
        if user_id in self.configured:
            return True
        with self.db.session() as session:
            found = session.scalar(select(Checker.id).where(Checker.telegram_id == user_id))
            return found is not None

    def require(self, user_id: int, action: str, ticket_id: int | None = None) -> None:
        """Raise NotAuthorised (after auditing the attempt) unless `user_id` is a checker."""
        if self.is_checker(user_id):
            return
        with self.db.session() as session:
            exists = ticket_id is not None and session.get(Ticket, ticket_id) is not None
            audit.record(
                session, user_id, "refused", ticket_id if exists else None,
                attempted=action, ticket=ticket_id,
            )
        raise NotAuthorised(user_id, action)

    def list(self) -> list[CheckerInfo]:
        with self.db.session() as session:
            rows = session.scalars(select(Checker).order_by(Checker.telegram_id)).all()
            stored = {
                r.telegram_id: CheckerInfo(r.telegram_id, r.name, "database", r.created_at)
                for r in rows
            }
        merged = {uid: CheckerInfo(uid, None, "config") for uid in self.configured}
        for uid, info in stored.items():
            merged.setdefault(uid, info)
        return [merged[uid] for uid in sorted(merged)]

    def add(self, user_id: int, *, name: str | None = None, actor_id: int = audit.OPERATOR) -> bool:
        """Add a checker; False when they already were one (nothing changes)."""
        if user_id <= 0:
            raise InvalidAction(f"{user_id} is not a Telegram user id")
        with self.db.session() as session:
            if session.scalar(select(Checker.id).where(Checker.telegram_id == user_id)):
                return False
            session.add(Checker(telegram_id=user_id, name=name, added_by=actor_id))
            audit.record(session, actor_id, "checker_added", None, checker=user_id, name=name)
            return True

    def remove(self, user_id: int, *, actor_id: int = audit.OPERATOR) -> bool:
        """Remove a checker added at run time; False when there was none to remove."""
        if user_id in self.configured:
            raise InvalidAction(
                f"{user_id} is in CHECKER_IDS (configuration); remove them there and restart"
            )
        with self.db.session() as session:
            result = session.execute(delete(Checker).where(Checker.telegram_id == user_id))
            if not affected(result):
                return False
            audit.record(session, actor_id, "checker_removed", None, checker=user_id)
            return True

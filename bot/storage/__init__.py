"""Storage: SQLAlchemy models, the database connection and the repository the core calls."""

from bot.storage.database import Database
from bot.storage.repository import EscalationReceipt, Repository, VoterRecord

__all__ = ["Database", "EscalationReceipt", "Repository", "VoterRecord"]

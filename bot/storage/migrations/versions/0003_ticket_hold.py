"""ticket hold: a new ticket waits while its voter says whether it is an open ticket's claim

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00

When a voter's question is plausibly, but not surely, the claim of an open ticket, the bot opens
the voter's own ticket at once (so nothing is lost if they never answer, or the bot restarts) and
asks them whether their question is that claim. `tickets.held_until` keeps such a ticket out of
the checkers' queue for a few minutes: a "yes" merges it into the open ticket before any checker
saw it; a "no", or no answer by then, puts it in the queue.

Existing tickets get NULL: nothing held. Batch mode as in 0002 (SQLite rebuilds the table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("held_until")

"""feedback reason: why a voter said an answer or a list was not what they asked

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:00:00

Issue #15: "none of these" and "not what I asked" record why (bot.core.callbacks.FeedbackReason),
so checkers see which entries the knowledge already offered a ticket's askers and curators see
which answers miss and how. Existing rows keep NULL (no reason was asked). Plain ADD COLUMN.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feedback", sa.Column("reason", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("feedback", "reason")

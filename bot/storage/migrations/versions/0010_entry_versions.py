"""entry versions: what each published knowledge entry said, to send corrections once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:12:00

Issue #15: when a published entry's verdict or answer changes, or it is retracted, every voter
shown it in the last 30 days gets a correction (bot.escalation.corrections). To know that an
entry changed across restarts, and to let exactly one of several processes sharing the database
send the correction, each version an entry went through is a row: (entry_id, seq) is unique, so
the process whose insert of the next version wins enqueues the corrections in the same
transaction, and the others' inserts fail and change nothing. The row holds the knowledge's
words (its claim and answer), never a voter's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("entry_id", "seq", name="uq_entry_versions_entry_seq"),
    )


def downgrade() -> None:
    op.drop_table("entry_versions")

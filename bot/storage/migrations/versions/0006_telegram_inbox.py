"""telegram_inbox: webhook updates shared by several workers (WEB_CONCURRENCY)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 05:40:00

One row per Telegram update a webhook worker accepted (issue #17): keyed by Telegram's update_id
so a retried delivery is stored once, with the chat that decides which worker handles it, the
update itself until it is handled, and when it was received and handled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_inbox",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_telegram_inbox_waiting", "telegram_inbox", ["update_id"],
        postgresql_where=sa.text("handled_at IS NULL"),
        sqlite_where=sa.text("handled_at IS NULL"),
    )
    op.create_index("ix_telegram_inbox_received_at", "telegram_inbox", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_telegram_inbox_received_at", table_name="telegram_inbox")
    op.drop_index("ix_telegram_inbox_waiting", table_name="telegram_inbox")
    op.drop_table("telegram_inbox")

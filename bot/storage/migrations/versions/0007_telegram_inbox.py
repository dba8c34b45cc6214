"""telegram_inbox: webhook updates shared by several workers (WEB_CONCURRENCY)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:40:00

One row per Telegram update a webhook worker accepted (issue #17): keyed by Telegram's update_id
so a retried delivery is stored once, with the chat that decides which worker handles it, the
update itself until it is handled, and when it was received and handled. Chained after 0006
(feedback reason), which reached main first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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

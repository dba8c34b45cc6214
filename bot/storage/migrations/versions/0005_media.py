"""media: images and links voters sent that went to fact-checkers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:30:00

One row per image or link a voter sent that was escalated (issue #19): the voter it belongs to
(deleted with them, and after the retention period), the ticket it went to, its perceptual hash
or canonical URL (so the same image or page joins that ticket again) and what was read from it.
Chained after 0004 (claim wording), which reached main first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "voter_id", sa.Integer(), sa.ForeignKey("voters.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "question_id", sa.Integer(), sa.ForeignKey("questions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("image_hash", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("canonical_url", sa.String(2000), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("read_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_media_ticket", "media", ["ticket_id"])
    op.create_index("ix_media_canonical_url", "media", ["canonical_url"])
    op.create_index("ix_media_created_at", "media", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_media_created_at", table_name="media")
    op.drop_index("ix_media_canonical_url", table_name="media")
    op.drop_index("ix_media_ticket", table_name="media")
    op.drop_table("media")

"""learned phrasings: what voters confirmed a message means (issue #15, learning from voters)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 13:30:00

`learned_phrasings` holds a normalised message and the entry voters picked for it from a "did
you mean" list, with a checker's confirmation or rejection; `phrasing_votes` one row per voter
and phrasing (agrees, or said "not what I asked"), deleted with the voter. Two new tables, no
change to existing ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_phrasings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phrase_key", sa.String(64), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("rejected_by", sa.BigInteger(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("phrase_key", "entry_id"),
    )
    op.create_index("ix_learned_phrasings_entry", "learned_phrasings", ["entry_id"])
    op.create_table(
        "phrasing_votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "phrasing_id", sa.Integer(),
            sa.ForeignKey("learned_phrasings.id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column(
            "voter_id", sa.Integer(), sa.ForeignKey("voters.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "question_id", sa.Integer(), sa.ForeignKey("questions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("phrasing_id", "voter_id"),
    )
    op.create_index("ix_phrasing_votes_voter_id", "phrasing_votes", ["voter_id"])


def downgrade() -> None:
    op.drop_index("ix_phrasing_votes_voter_id", table_name="phrasing_votes")
    op.drop_table("phrasing_votes")
    op.drop_index("ix_learned_phrasings_entry", table_name="learned_phrasings")
    op.drop_table("learned_phrasings")

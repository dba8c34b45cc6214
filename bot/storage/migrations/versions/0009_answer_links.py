"""answer links: a checker answers with a knowledge entry, or a fact without a verdict

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05 13:10:00

Issue #15 ("checkers reusing what is known"): `answers.entry_id` names the knowledge entry a
checker linked instead of retyping it (its verdict, answer and sources are copied into the row
at that moment, so a notification renders exactly as for a typed answer, and the entry's later
corrections reach the voters notified with it); `answers.verdict` becomes nullable, for the
answer to a question of fact, which has none. Existing rows keep their verdict and a NULL
entry_id. (Chained after 0007; another branch adds 0008, and the lead rechains at merge.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.alter_column("verdict", existing_type=sa.String(16), nullable=True)
        batch.add_column(sa.Column("entry_id", sa.String(200), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE answers SET verdict = 'unproven' WHERE verdict IS NULL")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("entry_id")
        batch.alter_column("verdict", existing_type=sa.String(16), nullable=False)

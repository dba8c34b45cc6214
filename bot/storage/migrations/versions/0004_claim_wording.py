"""claim wording: a ticket's claim in a checker's words; whose words the voter's text is

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 17:00:00

A voter's words are seen by that voter and by the checkers, nobody else (issue #15). Other voters
see a ticket's claim only as `tickets.claim_wording`, written by a checker when taking or
answering it; `tickets.region` is the country it is about (exported with the answer);
`tickets.opened_by` names the voter whose words `claim_text` holds, so /forget can remove them
(Repository.forget_voter clears it with the words). It is indexed but has no foreign key: adding
one makes SQLite rebuild the table, and dropping the old `tickets` then fires the ON DELETE
actions of the tables that reference it (subscribers and merges would be lost).

Existing tickets get NULL everywhere: no wording (so they are not offered to other voters, and
their answers are not served as knowledge until a checker words them) and no known author (/forget
then finds a voter's tickets by the claim key of their questions). Plain ADD COLUMN on both
databases: nothing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("claim_wording", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("region", sa.String(2), nullable=True))
    op.add_column("tickets", sa.Column("opened_by", sa.Integer(), nullable=True))
    op.create_index("ix_tickets_opened_by", "tickets", ["opened_by"])


def downgrade() -> None:
    op.drop_index("ix_tickets_opened_by", table_name="tickets")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("opened_by")
        batch_op.drop_column("region")
        batch_op.drop_column("claim_wording")

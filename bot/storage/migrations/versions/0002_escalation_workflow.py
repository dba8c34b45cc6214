"""escalation workflow: checkers, ticket resolution, outbox claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:50:00

What the fact-checker workflow needs on top of the initial schema:
- `checkers`: checkers added at run time (`factcheck checkers add`), next to CHECKER_IDS;
- `tickets.resolution` / `resolved_at`: why and when a ticket was closed;
- `ticket_subscribers.question_id`: the voter's own wording, quoted back in the answer;
- `outbox.kind`, `ticket_id`, `claimed_by`, `claimed_at`: which dispatcher holds a row and since
  when, so rows of a dispatcher that died are reclaimed after a lease, and per-ticket progress;
- a partial unique index: at most one open ticket per claim_key, so a rumour arriving from many
  voters at once opens one ticket. Open tickets that already share a key are merged into the
  oldest first (waiting voters moved, each counted once), as `tickets dup` would.

Batch mode because SQLite cannot add a foreign key to an existing table (the table is rebuilt);
PostgreSQL gets plain ALTER TABLE statements.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("telegram_id"),
    )
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("ticket_subscribers") as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_ticket_subscribers_question_id", "questions", ["question_id"], ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="notice")
        )
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_outbox_ticket_id", "tickets", ["ticket_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_outbox_ticket_status", ["ticket_id", "status"], unique=False)
    _merge_open_duplicates()
    op.create_index(
        "uq_tickets_open_claim_key", "tickets", ["claim_key"], unique=True,
        postgresql_where=sa.text("status IN ('open', 'taken')"),
        sqlite_where=sa.text("status IN ('open', 'taken')"),
    )


def _merge_open_duplicates() -> None:
    bind = op.get_bind()
    groups = bind.execute(sa.text(
        "SELECT claim_key, MIN(id) FROM tickets WHERE status IN ('open', 'taken') "
        "GROUP BY claim_key HAVING COUNT(*) > 1"
    )).all()
    for key, root in groups:
        others = [r[0] for r in bind.execute(sa.text(
            "SELECT id FROM tickets WHERE claim_key = :k AND status IN ('open', 'taken') "
            "AND id <> :root"
        ), {"k": key, "root": root}).all()]
        for other in others:
            bind.execute(sa.text(
                "DELETE FROM ticket_subscribers WHERE ticket_id = :o AND voter_id IN "
                "(SELECT voter_id FROM ticket_subscribers WHERE ticket_id = :root)"
            ), {"o": other, "root": root})
            bind.execute(sa.text(
                "UPDATE ticket_subscribers SET ticket_id = :root WHERE ticket_id = :o"
            ), {"o": other, "root": root})
            bind.execute(sa.text(
                "UPDATE tickets SET status = 'duplicate', duplicate_of = :root WHERE id = :o"
            ), {"o": other, "root": root})
        bind.execute(sa.text(
            "UPDATE tickets SET askers = (SELECT COUNT(*) FROM ticket_subscribers "
            "WHERE ticket_id = :root) WHERE id = :root AND askers < (SELECT COUNT(*) FROM "
            "ticket_subscribers WHERE ticket_id = :root)"
        ), {"root": root})


def downgrade() -> None:
    op.drop_index("uq_tickets_open_claim_key", table_name="tickets")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_ticket_status")
        batch_op.drop_constraint("fk_outbox_ticket_id", type_="foreignkey")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("ticket_subscribers") as batch_op:
        batch_op.drop_constraint("fk_ticket_subscribers_question_id", type_="foreignkey")
        batch_op.drop_column("question_id")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolution")
    op.drop_table("checkers")

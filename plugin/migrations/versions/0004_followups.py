"""Follow-ups: per-ticket follow-up work and memory, agents' corrections, the export cursor.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("state", sa.JSON, nullable=True),
        sa.Column("handled_delivery_id", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.Text, nullable=True),
        sa.Column("last_update", sa.JSON, nullable=True),
        sa.Column("writes", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_followups_status", "followups", ["status"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("error", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.BigInteger, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.UniqueConstraint("delivery_id", "error", "kind", name="uq_corrections_change"),
    )
    op.create_index("ix_corrections_ticket_id", "corrections", ["ticket_id"])
    op.create_index("ix_corrections_error", "corrections", ["error"])
    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_index("ix_corrections_error", "corrections")
    op.drop_index("ix_corrections_ticket_id", "corrections")
    op.drop_table("corrections")
    op.drop_index("ix_followups_status", "followups")
    op.drop_table("followups")

"""JSON columns (typed deliveries and decisions), decisions.errors renamed to matched, decisions.timed_out added.

SQLite stores JSON as text either way, so there only the rename and the new column are needed (no
table rebuild); PostgreSQL converts the text columns in place.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_COLUMNS = (("deliveries", "payload", False), ("decisions", "errors", False), ("decisions", "evidence", False),
                ("decisions", "update_json", True))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, nullable in JSON_COLUMNS:
            op.alter_column(table, column, type_=sa.JSON, existing_type=sa.Text, existing_nullable=nullable,
                            postgresql_using=f"{column}::json")
    op.execute("ALTER TABLE decisions RENAME COLUMN errors TO matched")
    op.add_column("decisions", sa.Column("timed_out", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("decisions", "timed_out")
    op.execute("ALTER TABLE decisions RENAME COLUMN matched TO errors")
    if op.get_bind().dialect.name == "postgresql":
        for table, column, nullable in JSON_COLUMNS:
            op.alter_column(table, column, type_=sa.Text, existing_type=sa.JSON, existing_nullable=nullable,
                            postgresql_using=f"{column}::text")

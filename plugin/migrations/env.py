"""Alembic environment: runs on the connection plugin.migrate hands over (it holds the start-up lock)."""

from __future__ import annotations

from alembic import context

from plugin.store import make_engine, metadata

config = context.config

if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run `amazon-triage db upgrade`")

connection = config.attributes.get("connection")
if connection is None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()

"""Bring a database's schema to the newest Alembic revision, safely when several processes start at once.

Every process (web workers, the queue worker, CLI commands) calls ``upgrade`` on start-up: the
first one migrates while the others wait on a lock (a PostgreSQL advisory lock, or a lock file
next to a SQLite database), then find the schema at head and go on. A database created by the
releases before migrations (``metadata.create_all``) has the tables but no ``alembic_version``:
it is stamped at the first revision, which describes exactly those tables, and upgraded from there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: the in-process lock still applies
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
"""The revision that describes the tables the pre-migration releases created."""
LEGACY_TABLE = "decisions"
ADVISORY_LOCK_KEY = 0x616D7A74  # "amzt": any fixed number shared by every process of this service
_local_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision shipped with this package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or BASELINE


def steps(start: str | None, end: str | None) -> list[tuple[str, str]]:
    """The revisions after ``start`` up to ``end``, oldest first, each with its message's first line."""
    if end is None or start == end:
        return []
    script = ScriptDirectory.from_config(alembic_config())
    try:
        revisions = list(script.iterate_revisions(end, start or "base"))
    except Exception:  # not an upgrade path (a --revision below the current one): nothing to list
        return []
    return [(r.revision, (r.doc or "").strip().splitlines()[0] if r.doc else "") for r in reversed(revisions)]


def current(engine: Engine) -> str | None:
    """The database's revision; None for an empty database (or a pre-migration one, until upgraded)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _exclusive(engine: Engine, conn: Connection) -> Iterator[None]:
    """Hold the schema lock: one migrating process (and thread) at a time."""
    with _local_lock:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
        elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:") and fcntl:
            with open(f"{engine.url.database}.migrate-lock", "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        else:
            yield


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate to ``revision`` (stamping a pre-migration database first); returns the revision reached."""
    if revision == "head" and current(engine) == head():
        return head()  # the common case on start-up: no lock, no migration scripts run
    with engine.connect() as conn, _exclusive(engine, conn):
        tables = set(sa.inspect(conn).get_table_names())
        if "alembic_version" not in tables and LEGACY_TABLE in tables:
            command.stamp(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), revision)
        conn.commit()
        return MigrationContext.configure(conn).get_current_revision()

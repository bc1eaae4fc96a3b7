"""Schema migrations on real SQLite and PostgreSQL: fresh databases, databases from the pre-Alembic
releases (stamped, then upgraded with their rows intact), several processes starting at once, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from plugin.cli import main
from plugin.core.delivery import Delivery, TicketFacts
from plugin.migrate import current, head, upgrade
from plugin.store import DONE, Store, make_engine

from .test_store import empty_postgres

POSTGRES = os.environ.get("TEST_POSTGRES_URL")


def legacy_metadata() -> sa.MetaData:
    """The tables exactly as the releases before migrations declared them (created with create_all)."""
    md = sa.MetaData()
    sa.Table("deliveries", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
             sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
             sa.Column("source", sa.String(20), nullable=False),
             sa.Column("payload", sa.Text, nullable=False),
             sa.Column("received_at", sa.DateTime(timezone=True), nullable=False))
    sa.Table("decisions", md,
             sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
             sa.Column("delivery_id", sa.Integer, nullable=False),
             sa.Column("status", sa.String(20), nullable=False, index=True),
             sa.Column("errors", sa.Text, nullable=False, default="[]"),
             sa.Column("evidence", sa.Text, nullable=False, default="[]"),
             sa.Column("update_json", sa.Text, nullable=True),
             sa.Column("attempts", sa.Integer, nullable=False, default=0),
             sa.Column("last_error", sa.Text, nullable=True),
             sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
             sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
             sa.Column("patterns", sa.String(40), nullable=True),
             sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True))
    sa.Table("dead_letters", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
             sa.Column("error", sa.Text, nullable=False),
             sa.Column("attempts", sa.Integer, nullable=False),
             sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True))
    return md


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'triage.db'}"
        return
    if not POSTGRES:
        pytest.skip("PostgreSQL not available: set TEST_POSTGRES_URL (.ci/run sets it)")
    empty_postgres(POSTGRES)
    yield POSTGRES
    empty_postgres(POSTGRES)


def test_fresh_database_is_migrated_to_head(url: str) -> None:
    engine = make_engine(url)
    assert current(engine) is None
    assert upgrade(engine) == head() == current(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("decisions")}
    assert {"matched", "timed_out"} <= columns and "errors" not in columns
    engine.dispose()


def test_database_from_the_create_all_releases_is_stamped_and_upgraded_with_its_rows(url: str) -> None:
    engine = make_engine(url)
    legacy_metadata().create_all(engine)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    old_payload = {"ticket": {"subject": "Amazon", "requester_first_name": "Jo", "tags": ["vip"]}, "actor_ids": [7]}
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO deliveries (dedupe_key, ticket_id, source, payload, received_at) "
                             "VALUES ('k1', 1, 'trigger', :p, :now)"), {"p": json.dumps(old_payload), "now": now})
        conn.execute(sa.text("INSERT INTO decisions (ticket_id, delivery_id, status, errors, evidence, update_json, attempts, "
                             "created_at, updated_at) VALUES (1, 1, 'done', '[\"generic_error\"]', '[]', '{\"tags\": [\"a\"]}', "
                             "1, :now, :now)"), {"now": now})
    engine.dispose()
    store = Store.from_url(url)
    assert current(store.engine) == head()
    row = store.decision(1)
    assert row.status == DONE and row.matched == ["generic_error"] and row.update == {"tags": ["a"]} and row.timed_out == []
    assert store.delivery(1) == Delivery(1, "trigger", "k1", TicketFacts(subject="Amazon", requester_first_name="Jo",
                                                                         tags=("vip",)), actor_ids=(7,))
    assert [d.ticket_id for d in store.decisions(error="generic_error")] == [1]
    assert store.record_delivery(Delivery(2, "event", "k2")).enqueue  # the unique key and defaults survived
    assert store.record_delivery(Delivery(2, "event", "k2")).duplicate
    store.close()


def test_many_processes_upgrade_one_database_at_once(url: str) -> None:
    code = f"from plugin.store import Store; Store.from_url({url!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(6)]
    errors = [p.communicate(timeout=90)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, "\n".join(errors)
    engine = make_engine(url)
    assert current(engine) == head()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_cli_upgrade_then_current(url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current"], catch_exceptions=False)
    assert before.exit_code == 0 and "current: none" in before.output and "needs `amazon-triage db upgrade`" in before.output
    done = runner.invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert done.exit_code == 0 and f"revision {head()} (was none" in done.output
    assert done.output.startswith("applied 0001: The tables as the first releases created them")
    assert f"applied {head()}: " in done.output
    again = runner.invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert again.output == f"database schema at revision {head()} (already there)\n"
    after = runner.invoke(main, ["db", "current"], catch_exceptions=False)
    assert f"current: {head()}" in after.output and "up to date" in after.output


def test_cli_names_an_unreachable_database_without_a_traceback(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/file.db/not-a-dir/x.db")
    (tmp_path / "file.db").write_text("not a directory")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("database error (") and "DATABASE_URL" in result.output


@pytest.mark.parametrize("bad", ["notaurl", "foo://host/db"])
def test_cli_names_a_malformed_database_url(monkeypatch, bad: str) -> None:
    monkeypatch.setenv("DATABASE_URL", bad)
    result = CliRunner().invoke(main, ["db", "current"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "check DATABASE_URL" in result.output


def test_head_has_the_admin_sessions_table(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("admin_sessions")}
    assert columns == {"id_hash", "token_tag", "created_at", "expires_at"}
    engine.dispose()

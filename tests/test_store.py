"""The store on real databases: SQLite always, PostgreSQL when TEST_POSTGRES_URL names one (CI does)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from plugin.core.delivery import Delivery, TicketFacts
from plugin.store import DEAD, DONE, PROCESSING, QUEUED, RETRY, Store, metadata, utcnow

POSTGRES = os.environ.get("TEST_POSTGRES_URL")


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    elif not POSTGRES:
        pytest.skip("PostgreSQL not available: set TEST_POSTGRES_URL (.ci/run sets it)")
    else:
        url = POSTGRES
        empty_postgres(url)
    store = Store.from_url(url)
    yield store
    store.close()


def test_delivery_opens_one_decision_per_ticket(store: Store) -> None:
    sent = Delivery(1, "trigger", "inv-1", TicketFacts(subject="s", tags=("a",)), actor_ids=(5,))
    first = store.record_delivery(sent)
    assert first.enqueue and not first.duplicate
    assert store.record_delivery(Delivery(1, "trigger", "inv-1")).duplicate
    second = store.record_delivery(Delivery(1, "event", "inv-2"))
    assert second.duplicate and not second.enqueue and second.delivery_id is not None
    decision = store.decision(1)
    assert decision.status == QUEUED and decision.delivery_id == first.delivery_id
    assert store.delivery(first.delivery_id) == sent


def test_concurrent_duplicate_deliveries_open_exactly_one(store: Store) -> None:
    results = []

    def deliver() -> None:
        results.append(store.record_delivery(Delivery(7, "trigger", "same")))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.enqueue for r in results) == 1


def test_a_batch_stores_new_keys_once_and_opens_each_ticket_once(store: Store) -> None:
    assert store.record_delivery(Delivery(3, "trigger", "old")).enqueue
    got = store.record_deliveries([
        Delivery(1, "trigger", "a", TicketFacts(subject="first")), Delivery(1, "event", "b"),  # same ticket, two keys
        Delivery(2, "trigger", "a"),  # a key repeated inside the batch
        Delivery(3, "trigger", "c"),  # a ticket whose decision exists
        Delivery(4, "trigger", "old"),  # a key stored before
        Delivery(5, "event", "d"),
    ])
    assert [(r.duplicate, r.enqueue) for r in got] == [(False, True), (True, False), (True, False), (True, False),
                                                       (True, False), (False, True)]
    assert got[2].delivery_id is None and got[4].delivery_id is None
    assert store.decision(1).delivery_id == got[0].delivery_id and store.decision(5).delivery_id == got[5].delivery_id
    assert store.delivery(got[0].delivery_id).ticket.subject == "first" and store.delivery(got[1].delivery_id).source == "event"
    assert store.decision(2) is None and store.decision(4) is None
    assert store.counts() == {QUEUED: 3}


def test_concurrent_deliveries_each_get_their_own_answer(store: Store) -> None:
    results: dict[int, object] = {}

    def deliver(i: int) -> None:
        results[i] = store.record_delivery(Delivery(100 + i % 10, "trigger", f"key-{i}"))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opened = [i for i, r in results.items() if r.enqueue]
    assert len(results) == 60 and sorted(100 + i % 10 for i in opened) == list(range(100, 110))
    for ticket in range(100, 110):
        assert store.decision(ticket).delivery_id in {results[i].delivery_id for i in opened}


def test_sqlite_intake_waits_for_another_process_write_lock_then_stores(tmp_path: Path) -> None:
    """The worker's transaction holds SQLite's write lock: the intake asks again until it is free."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.from_url(url)
    other = sqlite3.connect(tmp_path / "store.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as a worker's claim would, from another connection
    threading.Timer(0.3, other.execute, ("COMMIT",)).start()
    started = time.monotonic()
    received = store.record_delivery(Delivery(11, "trigger", "held"))
    assert received.enqueue and time.monotonic() - started >= 0.25
    assert store.decision(11).status == QUEUED
    other.close()
    store.close()


def test_sqlite_intake_gives_up_after_its_patience_and_stores_nothing(tmp_path: Path) -> None:
    from plugin.store import _begin_write

    path = tmp_path / "store.db"
    Store.from_url(f"sqlite:///{path}").close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    mine = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _begin_write(mine, patience=0.05)
    assert not mine.in_transaction
    other.execute("COMMIT")
    _begin_write(mine, patience=0.05)  # free again: taken at once
    assert mine.in_transaction
    mine.rollback()


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL not available: set TEST_POSTGRES_URL (.ci/run sets it)")
def test_intake_survives_its_postgres_connection_being_killed(tmp_path: Path) -> None:
    empty_postgres(POSTGRES)
    store = Store.from_url(POSTGRES)
    try:
        assert store.record_delivery(Delivery(1, "trigger", "k1")).enqueue
        with store.engine.connect() as conn:
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        assert killed >= 1
        again = store.record_delivery(Delivery(2, "trigger", "k2"))  # on a new connection, no error
        assert again.enqueue and store.decision(2) is not None
    finally:
        store.close()


def test_claim_is_exclusive_and_counts_attempts(store: Store) -> None:
    store.record_delivery(Delivery(2, "trigger", "k2"))
    claims = []
    threads = [threading.Thread(target=lambda: claims.append(store.claim(2, 60))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].row.status == PROCESSING and won[0].row.attempts == 1
    assert won[0].delivery == Delivery(2, "trigger", "k2")
    store.finish(2, DONE, matched=["x"], evidence=[{"error": "x"}], update={"tags": ["a"]}, timed_out=["slow"])
    assert store.claim(2, 60) is None
    row = store.decision(2)
    assert row.status == DONE and row.matched == ["x"] and row.update == {"tags": ["a"]} and row.timed_out == ["slow"]


def test_expired_lease_can_be_claimed_again_and_is_due(store: Store) -> None:
    store.record_delivery(Delivery(3, "trigger", "k3"))
    assert store.claim(3, lease_seconds=-1) is not None
    assert (3, store.decision(3).delivery_id) in store.due()
    again = store.claim(3, 60)
    assert again is not None and again.row.attempts == 2
    assert [t for t, _ in store.leased()] == [3]


def test_retry_later_is_due_only_when_its_time_comes(store: Store) -> None:
    store.record_delivery(Delivery(4, "trigger", "k4"))
    store.claim(4, 60)
    store.retry_later(4, utcnow() + timedelta(hours=1), "429")
    assert store.decision(4).status == RETRY and store.due() == []
    store.retry_later(4, utcnow() - timedelta(seconds=1), "429")
    assert [t for t, _ in store.due()] == [4]


def test_a_ticket_the_sweep_queued_again_waits_as_long_again_before_the_next(store: Store) -> None:
    """A backlog the worker has not reached is not queued again on every sweep (stale duplicates)."""
    from plugin.store import decisions

    for ticket_id in (6, 16, 26):
        store.record_delivery(Delivery(ticket_id, "trigger", f"k{ticket_id}"))
    with store.engine.begin() as conn:  # tickets 6 and 26 have waited ten minutes in a long queue
        conn.execute(decisions.update().where(decisions.c.ticket_id.in_([6, 26])).values(
            created_at=utcnow() - timedelta(minutes=10), next_attempt_at=utcnow() - timedelta(minutes=10)))
    assert sorted(t for t, _ in store.take_due(grace_seconds=60)) == [6, 26]
    assert store.take_due(grace_seconds=60) == [] and store.due(grace_seconds=60) == []
    put_off = store.decision(6).next_attempt_at - utcnow()
    assert timedelta(minutes=9) < put_off <= timedelta(minutes=10)
    # A fresh ticket (startup sweep: no grace) is put off by at least the grace, never into the past.
    assert [t for t, _ in store.take_due(grace_seconds=0)] == [16]
    assert store.decision(16).next_attempt_at >= utcnow() - timedelta(seconds=5)
    assert store.claim(6, 60) is not None, "putting the next look off never blocks the worker's claim"


def test_dead_letter_and_retry_from_it(store: Store) -> None:
    store.record_delivery(Delivery(5, "trigger", "k5"))
    store.claim(5, 60)
    store.dead_letter(5, "Zendesk answered 500", 6)
    [dead] = store.dead()
    assert store.decision(5).status == DEAD and dead["attempts"] == 6
    assert store.requeue_dead(dead["id"]) == 5
    assert store.requeue_dead(dead["id"]) is None
    assert store.decision(5).status == QUEUED and store.decision(5).attempts == 0
    assert store.dead() == [] and len(store.dead(include_retried=True)) == 1


def test_listing_and_counts(store: Store) -> None:
    for t in (10, 11, 12):
        store.record_delivery(Delivery(t, "trigger", f"k{t}"))
    store.claim(10, 60)
    store.finish(10, DONE, matched=["generic_error"])
    assert [d.ticket_id for d in store.decisions(error="generic_error")] == [10]
    assert {d.ticket_id for d in store.decisions(status=QUEUED)} == {11, 12}
    assert store.counts() == {DONE: 1, QUEUED: 2}


def test_many_processes_can_create_the_schema_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    for round_ in range(3):  # the race is timing-dependent: give it several chances to show
        url = f"sqlite:///{tmp_path / f'race{round_}.db'}"
        code = f"from plugin.store import Store; Store.from_url({url!r}).close()"
        procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(8)]
        errors = [p.communicate(timeout=60)[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0] * 8, "\n".join(errors)

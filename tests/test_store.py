"""The store on real databases: SQLite always, PostgreSQL when TEST_POSTGRES_URL names one (CI does)."""

from __future__ import annotations

import os
import threading
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

"""Production mode only: two web instances and two workers on PostgreSQL + Redis, with faults injected.

No ticket lost and no second reply, asserted on the fake Zendesk's recorded updates. Runs with
E2E_MODE=production (see tests/production.py; .ci/run runs the end-to-end tests in both modes).
"""

from __future__ import annotations

import threading

import pytest

from plugin.store import DONE, Store

from . import production
from .conftest import free_port, signed_headers, trigger_body, wait_for
from .fake_zendesk import FakeZendesk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not production.production(), reason="production-mode test: run with E2E_MODE=production (.ci/run does)"),
]

TEXT = "Linking my Amazon store shows: Couldn't connect, contact Amazon."


@pytest.fixture(scope="module", autouse=True)
def drop_schemas_afterwards():
    """Each production-mode test made its own schema; drop them all once this module is done."""
    yield
    if not production.missing_services():
        production.cleanup_schemas()


@pytest.fixture
def config(service_config):
    if reason := production.missing_services():
        pytest.fail(reason)
    return production.production_config(service_config)


@pytest.fixture
def cluster(config, spawn, fake_zendesk):
    return production.Cluster(config, spawn, free_port).start(webs=2, workers=2)


@pytest.fixture
def store(config):
    store = Store.from_url(config["DATABASE_URL"])
    yield store
    store.close()


def all_done(store: Store, ids: list[int]) -> bool:
    return all((d := store.decision(t)) is not None and d.status == DONE for t in ids)


def assert_one_reply_each(fake: FakeZendesk, ids: list[int]) -> None:
    for tid in ids:
        assert len(fake.writes(tid)) == 1, (tid, fake.writes(tid))
        assert len(fake.tickets[tid]["comments"]) == 2, tid
        assert fake.tickets[tid]["tags"].count("amazon_triage_done") == 1, tid


def test_same_deliveries_sent_to_both_instances_yield_one_reply_each(cluster, store, fake_zendesk: FakeZendesk) -> None:
    ids = list(range(1000, 1020))
    statuses: dict[int, list[int]] = {tid: [] for tid in ids}

    def send(base: str, tid: int, invocation: str) -> None:
        statuses[tid].append(production.post_until_accepted(
            base, trigger_body(tid), lambda b, inv=invocation: signed_headers(b, invocation=inv)))

    for tid in ids:
        fake_zendesk.add_ticket(tid, "Amazon", TEXT)
    threads = [threading.Thread(target=send, args=(base, tid, f"inv-{tid}")) for tid in ids for base in cluster.bases]
    # A second webhook (another invocation) for half the tickets, as a trigger and an event webhook would send.
    threads += [threading.Thread(target=send, args=(cluster.bases[1], tid, f"event-{tid}")) for tid in ids[::2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for tid in ids:
        assert statuses[tid].count(202) == 1, (tid, statuses[tid])  # one instance opened the ticket's work
    wait_for(lambda: all_done(store, ids), timeout=60)
    assert_one_reply_each(fake_zendesk, ids)


def test_faults_mid_run_lose_nothing_and_reply_once(cluster, config, store, fake_zendesk: FakeZendesk) -> None:
    """A worker killed mid-queue, Redis connections dropped, its queue wiped, PostgreSQL connections killed."""
    ids = list(range(2000, 2060))
    for tid in ids:
        fake_zendesk.add_ticket(tid, "Amazon", TEXT)
        fake_zendesk.inject("GET", rf"/tickets/{tid}\.json", delay=0.15)  # keeps a backlog in the queue

    def post(tid: int) -> None:
        base = cluster.bases[tid % 2]
        assert production.post_until_accepted(base, trigger_body(tid), lambda b: signed_headers(b, invocation=f"i{tid}")) in (200, 202)

    for tid in ids[:30]:
        post(tid)
    wait_for(lambda: sum(store.decision(t).status == DONE for t in ids[:30]) >= 4, timeout=60)
    cluster.kill_worker(0)  # mid-queue, most likely mid-ticket: its lease must expire and the sweep re-queue it
    assert sum(store.decision(t).status == DONE for t in ids[:30]) < 30, "the backlog was gone before the kill"
    assert production.drop_redis_connections(config) >= 1
    for tid in ids[30:40]:
        post(tid)
    production.flush_redis_queue(config)  # a Redis restart with nothing on disk: every queued entry lost
    assert production.kill_postgres_connections(config) >= 1
    for tid in ids[40:50]:
        post(tid)
    cluster.start_worker()
    assert production.kill_postgres_connections(config) >= 1
    assert production.drop_redis_connections(config) >= 1
    for tid in ids[50:]:
        post(tid)
    wait_for(lambda: all_done(store, ids), timeout=120)
    assert_one_reply_each(fake_zendesk, ids)


def test_deliveries_taken_while_redis_is_unreachable_are_queued_by_the_sweep(cluster, config, store, start_server,
                                                                              fake_zendesk: FakeZendesk) -> None:
    """A web instance that cannot reach Redis still stores and acknowledges; the workers' sweep queues the tickets."""
    import requests

    cut_off, base = start_server({**config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, command="web",
                                 probe="/healthz", timeout=60)
    assert requests.get(f"{base}/readyz", timeout=5).status_code == 503  # the load balancer would take it out
    ids = list(range(3000, 3005))
    for tid in ids:
        fake_zendesk.add_ticket(tid, "Amazon", TEXT)
        assert production.post_until_accepted(base, trigger_body(tid), signed_headers) == 202
    wait_for(lambda: all_done(store, ids), timeout=60)
    assert_one_reply_each(fake_zendesk, ids)
    assert "stored but not queued" in cut_off.output()

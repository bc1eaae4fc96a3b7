"""The queue adapter on its two backends (SQLite always, Redis when TEST_REDIS_URL names one), and the sweep."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin.config import Settings
from plugin.core.delivery import Delivery
from plugin.queue import TaskQueue
from plugin.runtime import Runtime

from .conftest import wait_for

REDIS = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture(params=["sqlite", "redis"])
def redis_url(request) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    if not REDIS:
        pytest.skip("Redis not available: set TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15 (.ci/run does)")
    import redis

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    yield REDIS
    client.flushdb()
    client.close()


@pytest.fixture
def runtime(tmp_path: Path, redis_url: str) -> Iterator[Runtime]:
    settings = Settings.load({"instance_path": str(tmp_path), "redis_url": redis_url, "sweep_seconds": "60",
                              "patterns_dir": str(Path(__file__).resolve().parent.parent / "patterns")}, environ={})
    rt = Runtime.for_worker(settings)
    yield rt
    rt.store.close()


def test_enqueued_ticket_is_dequeued_with_its_id(tmp_path: Path, redis_url: str) -> None:
    seen: list[int] = []
    queue = TaskQueue(str(tmp_path / "q.db"), run=seen.append, redis_url=redis_url)
    queue.huey.flush()
    queue.enqueue(42)
    queue.enqueue(43, delay=30)
    assert queue.pending() == 2
    queue.huey.execute(queue.huey.dequeue())
    assert seen == [42]


def test_sweep_finds_again_a_ticket_whose_queue_entry_was_lost(runtime: Runtime) -> None:
    runtime.queue.huey.flush()
    assert runtime.store.record_delivery(Delivery(7, "trigger", "inv-7")).enqueue
    assert runtime.store.record_delivery(Delivery(8, "trigger", "inv-8")).enqueue
    # The web process would enqueue now; say those entries were lost (Redis restarted, enqueue failed).
    assert runtime.queue.pending() == 0
    assert runtime.sweep() == 0, "a fresh ticket is left alone until it has waited a sweep interval"
    assert runtime.sweep(startup=True) == 2
    assert sorted(runtime.queue.huey.dequeue().args for _ in range(2)) == [(7,), (8,)]
    assert runtime.sweep() == 0, "queued again: not again until it has waited a sweep interval more"


def test_the_store_tells_which_new_deliveries_opened_a_ticket_still_waiting(runtime: Runtime) -> None:
    store = runtime.store
    assert store.opened_after(0) == [] and store.last_delivery_id() == 0
    first = store.record_delivery(Delivery(7, "trigger", "inv-7")).delivery_id
    again = store.record_delivery(Delivery(7, "event", "inv-7b")).delivery_id  # the same ticket: a duplicate
    eight = store.record_delivery(Delivery(8, "trigger", "inv-8")).delivery_id
    assert again is not None and store.last_delivery_id() == eight
    assert store.opened_after(0) == [(7, first), (8, eight)]
    assert store.opened_after(first) == [(8, eight)], "only after the mark"
    assert store.claim(7, lease_seconds=60) is not None
    assert store.opened_after(0) == [(8, eight)], "a ticket a worker took is no longer waiting"
    assert store.waiting() == 1


def test_embedded_worker_feeds_itself_from_the_store(runtime: Runtime) -> None:
    """Embedded, the web process only stores a delivery; the worker's feed queues it (once)."""
    if not runtime.settings.feed_from_store:
        assert runtime.start_feed(threading.Event()) is None, "with Redis the web process queues"
        return
    runtime.queue.huey.flush()
    runtime.store.record_delivery(Delivery(5, "trigger", "inv-5"))  # before the worker started: the sweep's
    stop = threading.Event()
    thread = runtime.start_feed(stop)
    try:
        runtime.store.record_delivery(Delivery(7, "trigger", "inv-7"))
        runtime.store.record_delivery(Delivery(7, "event", "inv-7b"))
        runtime.store.record_delivery(Delivery(8, "trigger", "inv-8"))
        wait_for(lambda: runtime.queue.pending() == 2, timeout=10, interval=0.01)
        runtime.store.record_delivery(Delivery(9, "trigger", "inv-9"))
        wait_for(lambda: runtime.queue.pending() == 3, timeout=10, interval=0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert [runtime.queue.huey.dequeue().args for _ in range(3)] == [(7,), (8,), (9,)]
    assert runtime.queue.pending() == 0, "each new ticket queued once; ticket 5 is left to the start-up sweep"


def test_feeder_goes_on_after_a_failing_poll(tmp_path: Path) -> None:
    queue = TaskQueue(str(tmp_path / "q.db"))
    polls: list[int] = []

    def poll(mark: int) -> list[tuple[int, int]]:
        polls.append(mark)
        if len(polls) == 1:
            raise ConnectionError("the store is away")
        return [(40 + mark, mark + 1)] if mark < 2 else []

    stop = threading.Event()
    thread = queue.run_feeder(poll, 0, stop, fastest=0.001, slowest=0.01)
    wait_for(lambda: len(polls) >= 4, timeout=10, interval=0.01)
    stop.set()
    thread.join(timeout=5)
    assert polls[:4] == [0, 0, 1, 2], "tried again from the same mark, then each found ticket moves it"
    assert [queue.huey.dequeue().args for _ in range(2)] == [(40,), (41,)]


def test_sweeper_thread_runs_until_stopped(tmp_path: Path) -> None:
    queue = TaskQueue(str(tmp_path / "q.db"))
    calls = threading.Semaphore(0)
    stop = threading.Event()

    def sweep() -> int:
        calls.release()
        raise ConnectionError("the store is away")  # a failing sweep is retried next round

    thread = queue.run_sweeper(sweep, 0.05, stop)
    assert calls.acquire(timeout=5) and calls.acquire(timeout=5)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_many_tickets_queued_in_one_write_come_out_in_order(tmp_path: Path, redis_url: str) -> None:
    """Concurrent requests share one queue write; the worker still sees every ticket, oldest first."""
    seen: list[int] = []
    queue = TaskQueue(str(tmp_path / "q.db"), run=seen.append, redis_url=redis_url)
    queue.huey.flush()
    queue.enqueue_many([11, 12, 13])
    assert queue.pending() == 3
    for _ in range(3):
        queue.huey.execute(queue.huey.dequeue())
    assert seen == [11, 12, 13]


def test_enqueues_from_many_threads_all_arrive_once(tmp_path: Path, redis_url: str) -> None:
    seen: list[int] = []
    queue = TaskQueue(str(tmp_path / "q.db"), run=seen.append, redis_url=redis_url)
    queue.huey.flush()
    threads = [threading.Thread(target=queue.enqueue, args=(100 + i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert queue.pending() == 40
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
    assert sorted(seen) == list(range(100, 140))


def test_queued_message_is_hueys_own_for_that_ticket(tmp_path: Path) -> None:
    """enqueue_many writes huey's message bytes without huey's task object: the worker must read the same task."""
    queue = TaskQueue(str(tmp_path / "q.db"))
    ours = queue.huey.deserialize_task(queue.message(77))
    hueys = queue.huey.deserialize_task(queue.huey.serialize_task(queue._task.s(77)))
    differing = {k for k, v in vars(ours).items() if v != vars(hueys)[k]}
    assert type(ours) is type(hueys) and ours.args == (77,) and differing == {"id", "revoke_id"}
    ids = {queue.huey.deserialize_task(queue.message(1)).id for _ in range(1000)}
    assert len(ids) == 1000, "every message gets its own id"
    other = TaskQueue(str(tmp_path / "q.db"))  # another process's queue: its own id prefix
    assert queue.huey.deserialize_task(queue.message(1)).id != other.huey.deserialize_task(other.message(1)).id


@pytest.mark.skipif(not REDIS, reason="Redis not available: set TEST_REDIS_URL (.ci/run sets it)")
def test_redis_push_survives_its_connection_being_killed(tmp_path: Path) -> None:
    """The web's push has a connection of its own; one Redis dropped (a restart, CLIENT KILL) is replaced."""
    import redis

    from plugin.queue import REDIS_CLIENT_NAME

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    queue = TaskQueue(str(tmp_path / "q.db"), redis_url=REDIS)
    try:
        queue.enqueue_many([1])
        db = client.connection_pool.connection_kwargs.get("db", 0)
        mine = [c for c in client.client_list() if c["name"] == REDIS_CLIENT_NAME and int(c["db"]) == db]
        assert mine, "the push's connection carries the service's client name"
        for c in mine:
            client.client_kill_filter(_id=c["id"])
        queue.enqueue_many([2, 3])  # no error: reconnected and pushed
        assert queue.pending() == 3
        assert [queue.huey.dequeue().args for _ in range(3)] == [(1,), (2,), (3,)]
    finally:
        client.flushdb()
        client.close()

"""The intake use case on the real store and queue: store first, queue only a new decision."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from plugin.core.delivery import Delivery, TicketFacts
from plugin.intake import BatchedIntake, receive

from .conftest import wait_for


class BrokenQueue:
    def enqueue(self, ticket_id: int, delay: float | None = None) -> None:
        raise OSError("queue is down")


def test_new_duplicate_and_queue_failure(app) -> None:
    rt = app.extensions["amazon_triage"]
    first = receive(Delivery(1, "trigger", "k1", TicketFacts(subject="s")), rt.store, rt.queue)
    assert (first.status, rt.queue.pending()) == ("accepted", 1)
    again = receive(Delivery(1, "event", "k2"), rt.store, rt.queue)
    assert again.status == "duplicate" and rt.queue.pending() == 1
    stored = receive(Delivery(2, "trigger", "k3"), rt.store, BrokenQueue())
    assert stored.status == "accepted" and rt.store.decision(2) is not None  # the sweep will queue it


class CountingQueue:
    """The real queue, counting its writes."""

    def __init__(self, queue) -> None:
        self.queue, self.writes = queue, []

    def enqueue(self, ticket_id: int, delay: float | None = None) -> None:
        self.writes.append([ticket_id])
        self.queue.enqueue(ticket_id, delay)

    def enqueue_many(self, ticket_ids) -> None:
        self.writes.append(list(ticket_ids))
        self.queue.enqueue_many(ticket_ids)


class BrokenBatchQueue(BrokenQueue):
    def enqueue_many(self, ticket_ids) -> None:
        raise OSError("queue is down")


def test_batched_intake_answers_as_receive_does(app) -> None:
    rt = app.extensions["amazon_triage"]
    intake = BatchedIntake(rt.store, rt.queue)
    assert intake.receive(Delivery(11, "trigger", "b1")).status == "accepted"
    assert intake.receive(Delivery(11, "event", "b2")).status == "duplicate"
    assert intake.receive(Delivery(11, "trigger", "b1")).status == "duplicate"
    assert rt.queue.pending() == 1


def test_deliveries_arriving_together_share_one_store_and_one_queue_write(app) -> None:
    rt = app.extensions["amazon_triage"]
    queue = CountingQueue(rt.queue)
    intake = BatchedIntake(rt.store, queue)
    gate = threading.Event()
    original = rt.store.record_deliveries
    batches = []

    def slow_first_write(batch):
        batches.append(len(batch))
        gate.wait(5)  # the first batch holds the turn until every other request is waiting
        return original(batch)

    rt.store.record_deliveries = slow_first_write
    with ThreadPoolExecutor(9) as pool:
        futures = [pool.submit(intake.receive, Delivery(100 + i, "trigger", f"t{i}")) for i in range(9)]
        wait_for(lambda: len(intake._batch._waiting) == 8, timeout=10)
        gate.set()
        outcomes = [f.result() for f in futures]
    assert [o.status for o in outcomes] == ["accepted"] * 9
    assert batches == [1, 8] and [len(w) for w in queue.writes] == [1, 8]
    assert rt.queue.pending() == 9


def test_a_queue_failure_leaves_the_batch_stored_and_answered(app, caplog) -> None:
    rt = app.extensions["amazon_triage"]
    intake = BatchedIntake(rt.store, BrokenBatchQueue())
    outcome = intake.receive(Delivery(21, "trigger", "q1", TicketFacts(description="secret words")))
    assert outcome.status == "accepted" and rt.store.decision(21) is not None  # the sweep will queue it
    assert "stored but not queued" in caplog.text and "secret words" not in caplog.text

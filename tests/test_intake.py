"""The intake use case on the real store and queue: store first, queue only a new decision."""

from __future__ import annotations

from plugin.core.delivery import Delivery, TicketFacts
from plugin.intake import receive


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

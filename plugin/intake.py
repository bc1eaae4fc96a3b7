"""The intake use case: store a delivery, queue its ticket when it opened a decision. No Flask.

Storing comes first and is what counts: a delivery that is stored but not queued is found again by
the worker's recovery sweep, so a queue failure never loses a ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .core.delivery import Delivery
from .group_commit import GroupCommit

log = logging.getLogger(__name__)


class _Store(Protocol):
    def record_delivery(self, delivery: Delivery) -> Any: ...

    def record_deliveries(self, batch: Sequence[Delivery]) -> Sequence[Any]: ...


class QueuePort(Protocol):
    def enqueue(self, ticket_id: int, delay: float | None = None) -> Any: ...


class BatchQueuePort(QueuePort, Protocol):
    def enqueue_many(self, ticket_ids: Sequence[int]) -> Any: ...


@dataclass(frozen=True)
class Intake:
    ticket_id: int
    duplicate: bool

    @property
    def status(self) -> str:
        return "duplicate" if self.duplicate else "accepted"


def queue_stored(ticket_id: int, queue: QueuePort, what: str = "") -> None:
    """Queue a ticket whose delivery is stored; a failure is logged, never raised (the sweep finds it)."""
    try:
        queue.enqueue(ticket_id)
    except Exception as exc:  # stored already: the worker's recovery sweep will find it
        log.error("ticket %s %sstored but not queued (%s); the recovery sweep will pick it up",
                  ticket_id, what, type(exc).__name__)


def receive(delivery: Delivery, store: _Store, queue: QueuePort) -> Intake:
    received = store.record_delivery(delivery)
    if received.enqueue:
        queue_stored(delivery.ticket_id, queue)
    outcome = Intake(delivery.ticket_id, duplicate=received.duplicate)
    # The access log's line for this call carries the status and the ticket id: one line per delivery.
    log.debug("webhook %s ticket %s (%s)", outcome.status, delivery.ticket_id, delivery.source)
    return outcome


class BatchedIntake:
    """The web process's intake: deliveries that arrive together are stored in one transaction and
    their new tickets queued in one write, both in the same turn.

    Why one turn for both: with a group commit each, a request waits for two turns in a row (the
    store's, then the queue's), and on PostgreSQL + Redis each turn is a round trip that the others
    queue behind. The answer is the same as ``receive``'s: stored first; a queue failure is logged
    and left to the recovery sweep.
    """

    def __init__(self, store: _Store, queue: BatchQueuePort | None, max_batch: int = 100) -> None:
        """``queue`` None: store only (the embedded worker feeds itself from the store, Runtime.start_feed)."""
        self.store = store
        self.queue = queue
        self._batch: GroupCommit[Delivery, Intake] = GroupCommit(self._write, max_batch)

    def receive(self, delivery: Delivery) -> Intake:
        outcome = self._batch.submit(delivery)
        log.debug("webhook %s ticket %s (%s)", outcome.status, delivery.ticket_id, delivery.source)
        return outcome

    def _write(self, batch: Sequence[Delivery]) -> list[Intake]:
        received = self.store.record_deliveries(batch)
        opened = [d.ticket_id for d, r in zip(batch, received, strict=True) if r.enqueue]
        if opened and self.queue is not None:
            try:
                self.queue.enqueue_many(opened)
            except Exception as exc:  # stored already: the worker's recovery sweep will find them
                log.error("%d ticket(s) stored but not queued (%s), ids %s; the recovery sweep will pick them up",
                          len(opened), type(exc).__name__, ", ".join(map(str, opened[:20])))
        return [Intake(d.ticket_id, duplicate=r.duplicate) for d, r in zip(batch, received, strict=True)]

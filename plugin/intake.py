"""The intake use case: store a delivery, queue its ticket when it opened a decision. No Flask.

Storing comes first and is what counts: a delivery that is stored but not queued is found again by
the worker's recovery sweep, so a queue failure never loses a ticket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from .core.delivery import Delivery

log = logging.getLogger(__name__)


class _Store(Protocol):
    def record_delivery(self, delivery: Delivery) -> Any: ...


class QueuePort(Protocol):
    def enqueue(self, ticket_id: int, delay: float | None = None) -> Any: ...


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
    log.info("webhook %s ticket %s (%s)", outcome.status, delivery.ticket_id, delivery.source)
    return outcome

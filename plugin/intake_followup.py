"""The follow-up intake: store a comment or tag change once, queue its ticket when it woke it. No Flask.

Like the creation intake, storing is what counts: a change stored but not queued is found again by
the recovery sweep. The dedupe key (the comment's id, the event's id) makes a Zendesk retry or a
replayed delivery a duplicate that does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from .core.changes import TicketChange
from .followup_store import FollowupStore

log = logging.getLogger(__name__)


class _Queue(Protocol):
    def enqueue(self, ticket_id: int, delay: float | None = None) -> Any: ...


@dataclass(frozen=True)
class ChangeIntake:
    ticket_id: int
    duplicate: bool

    @property
    def status(self) -> str:
        return "duplicate" if self.duplicate else "accepted"


def receive_change(change: TicketChange, dedupe_key: str, fstore: FollowupStore, queue: _Queue) -> ChangeIntake:
    delivery_id, enqueue = fstore.record(change, dedupe_key)
    if enqueue:
        try:
            queue.enqueue(change.ticket_id)
        except Exception as exc:  # stored already: the recovery sweep will find it
            log.error("ticket %s follow-up stored but not queued (%s); the recovery sweep will pick it up",
                      change.ticket_id, type(exc).__name__)
    outcome = ChangeIntake(change.ticket_id, duplicate=delivery_id is None)
    log.info("webhook %s ticket %s (%s change)", outcome.status, change.ticket_id, change.kind)
    return outcome

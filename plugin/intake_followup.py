"""The follow-up intake: store a comment or tag change once, queue its ticket when it woke it. No Flask.

Like the creation intake (and with its outcome and queueing), storing is what counts: a change stored
but not queued is found again by the recovery sweep. The dedupe key (the comment's id, the event's id)
makes a Zendesk retry or a replayed delivery a duplicate that does nothing.
"""

from __future__ import annotations

import logging

from .core.changes import TicketChange
from .followup_store import FollowupStore
from .intake import Intake, QueuePort, queue_stored

log = logging.getLogger(__name__)


def receive_change(change: TicketChange, dedupe_key: str, fstore: FollowupStore, queue: QueuePort) -> Intake:
    delivery_id, enqueue = fstore.record(change, dedupe_key)
    if enqueue:
        queue_stored(change.ticket_id, queue, "follow-up ")
    outcome = Intake(change.ticket_id, duplicate=delivery_id is None)
    log.info("webhook %s ticket %s (%s change)", outcome.status, change.ticket_id, change.kind)
    return outcome

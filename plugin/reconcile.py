"""No ticket missed: the incremental export finds tickets created while no delivery reached us.

Zendesk fires a trigger once; tickets created while the service was down, or while Zendesk's circuit
breaker paused the webhook, would never be triaged. Each reconciliation tick reads the cursor-based
incremental ticket export from the cursor kept in the store and queues every ticket created since
the watch began that has neither our marker nor a decision, through the same intake as a webhook
delivery (a decision row opened once per ticket), so nothing is triaged twice. A tick with nothing new
costs one request; a 429 ends the tick (the next one starts where this one stopped), it never sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .core.delivery import Delivery, TicketFacts
from .core.tickets import parse_when
from .followup_store import FollowupStore
from .store import Store, utcnow
from .zendesk import RateLimited, TicketState
from .zendesk_followup import FollowupReader

log = logging.getLogger(__name__)
RECONCILE = "reconcile"
# Zendesk wants an export's start_time at least a minute in the past.
START_MARGIN = timedelta(minutes=1)


@dataclass
class TickReport:
    requests: int = 0
    seen: int = 0
    queued: list[int] = field(default_factory=list)
    rate_limited: float | None = None
    """Seconds Zendesk asked us to wait (the tick stopped there), or None."""


class Reconciler:
    def __init__(self, store: Store, fstore: FollowupStore, reader: FollowupReader, enqueue: Callable[[int], None],
                 marker: str = "amazon_triage_done", max_pages: int = 20) -> None:
        self.store, self.fstore, self.reader, self.enqueue = store, fstore, reader, enqueue
        self.marker, self.max_pages = marker, max_pages

    def tick(self, now: datetime | None = None) -> TickReport:
        """Read the export from the stored cursor to its end (or the page limit) and queue what was missed."""
        now = now or utcnow()
        saved = self.fstore.cursor(RECONCILE)
        since = saved.since if saved and saved.since else now - START_MARGIN
        report = self._run(RECONCILE, saved.cursor if saved else None, since)
        if report.queued:
            log.info("reconciliation queued %d ticket(s) no delivery brought: %s", len(report.queued),
                     " ".join(map(str, report.queued[:20])))
        return report

    def backfill(self, since: datetime) -> TickReport:
        """Every ticket created since ``since`` without our marker or a decision, queued once."""
        return self._run(None, None, since, unlimited=True)

    def _run(self, name: str | None, cursor: str | None, since: datetime, unlimited: bool = False) -> TickReport:
        report = TickReport()
        pages = 0
        while unlimited or pages < self.max_pages:
            try:
                page = (self.reader.export_page(cursor=cursor) if cursor
                        else self.reader.export_page(start_time=int(since.timestamp())))
            except RateLimited as exc:
                report.rate_limited = exc.retry_after if exc.retry_after is not None else 60.0
                log.warning("reconciliation: rate limited by Zendesk; going on in %.0f s from the saved cursor",
                            report.rate_limited)
                break
            pages += 1
            report.requests += 1
            for ticket in page.tickets:
                report.seen += 1
                self._consider(ticket, since, report)
            cursor = page.after_cursor
            if name is not None:
                self.fstore.save_cursor(name, cursor, since)
            if page.end_of_stream or not page.tickets:
                break
        return report

    def _consider(self, ticket: TicketState, since: datetime, report: TickReport) -> None:
        created = parse_when(ticket.created_at)
        if ticket.status == "deleted" or self.marker in ticket.tags or created is None or created < since:
            return
        if self.store.decision(ticket.id) is not None:
            return
        facts = TicketFacts(subject=ticket.subject, description=ticket.description, created_at=ticket.created_at,
                            tags=ticket.tags)
        received = self.store.record_delivery(Delivery(ticket.id, "reconcile", f"reconcile:{ticket.id}", facts))
        if received.enqueue:
            self.enqueue(ticket.id)
            report.queued.append(ticket.id)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``--since``: an ISO-8601 time (UTC when no zone is given) or a duration back from now: 90m, 24h, 7d."""
    now = now or utcnow()
    text = value.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[:-1].isdigit() and text[-1:] in units:
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {value!r}: expected an ISO-8601 time such as 2026-11-26T09:00Z, or 90m, 24h, 7d") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment > now:
        raise ValueError(f"--since {value!r} is in the future")
    return moment

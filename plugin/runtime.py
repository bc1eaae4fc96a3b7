"""Wiring: build the adapters from Settings in one place, for the web app, the worker and the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .queue import TaskQueue
from .registry import PatternRegistry
from .store import Store, utcnow
from .triage import Triage
from .zendesk import ZendeskClient

log = logging.getLogger(__name__)


def _registry(settings: Settings) -> PatternRegistry:
    registry = PatternRegistry(Path(settings.patterns_dir), check_interval=settings.patterns_check_seconds,
                               last_good=Path(settings.instance_path) / "patterns.last-good")
    registry.reload(force=True)
    return registry


@dataclass
class Runtime:
    settings: Settings
    store: Store
    registry: PatternRegistry
    queue: TaskQueue
    zendesk: ZendeskClient | None = None
    triage: Triage | None = None
    example_status: dict[str, Any] = field(default_factory=dict)
    """Example results per pattern fingerprint, for the admin page."""

    def zendesk_client(self) -> ZendeskClient | None:
        if self.zendesk is None and self.settings.has_credentials:
            self.zendesk = ZendeskClient(self.settings)
        return self.zendesk

    @classmethod
    def for_web(cls, settings: Settings) -> Runtime:
        return cls(settings, Store.from_url(settings.database_url), _registry(settings), TaskQueue(settings.queue_path))

    @classmethod
    def for_worker(cls, settings: Settings) -> Runtime:
        store = Store.from_url(settings.database_url)
        registry = _registry(settings)
        zendesk = ZendeskClient(settings) if settings.has_credentials else None
        rt = cls(settings, store, registry, None, zendesk)  # type: ignore[arg-type]
        rt.queue = TaskQueue(settings.queue_path, run=lambda tid: rt.triage.run(tid), sweep=rt.sweep)  # type: ignore[union-attr]
        rt.triage = Triage(settings, store, registry, zendesk, schedule=lambda tid, delay: rt.queue.enqueue(tid, delay),
                           decision=settings.decision_settings())
        return rt

    def sweep(self, startup: bool = False) -> int:
        """Queue again every ticket whose work is due or whose worker died; duplicates are harmless.

        At start-up, tickets still leased by a worker that died are queued for when the lease ends.
        """
        due = self.store.due()
        for ticket_id, _ in due:
            self.queue.enqueue(ticket_id)
        if startup:
            now = utcnow()
            for ticket_id, until in self.store.leased():
                self.queue.enqueue(ticket_id, delay=max(0.0, (until - now).total_seconds()) + 0.5)
        if due:
            log.info("recovery sweep queued %d ticket(s)", len(due))
        return len(due)

"""Wiring: build the adapters from Settings in one place, for the web app, the worker and the CLI."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import logs, metrics
from .config import Settings
from .core.warmup import warm_up
from .followup_store import FollowupStore
from .followups import FollowUp
from .intake import BatchedIntake
from .pattern_cache import PatternCache
from .queue import TaskQueue
from .reconcile import RECONCILE, Reconciler
from .registry import PatternRegistry
from .store import Store, utcnow
from .triage import Triage
from .zendesk import ZendeskClient, ZendeskError
from .zendesk_followup import FollowupReader

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _private_files(settings: Settings) -> Iterator[None]:
    """Ticket text lives in the instance files: the folder is 0700, the files 0600 (owner only).

    The umask covers files the libraries create (SQLite, huey); the chmod covers files made before.
    """
    instance = Path(settings.instance_path)
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)
    files = [Path(settings.queue_path), settings.secret_file, instance / "session_key"]
    if settings.database_url.startswith("sqlite:///"):
        files.append(Path(settings.database_url.removeprefix("sqlite:///")))
    for path in [instance, *files, *(f.with_name(f.name + s) for f in files for s in ("-wal", "-shm", "-journal"))]:
        try:
            if path.exists():
                path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError as exc:
            log.warning("could not make %s private: %s", path, exc)


def _registry(settings: Settings) -> PatternRegistry:
    """Web and worker alike warm what they build: the cache then holds warm sets, whichever process saved them."""
    cache = None if settings.pattern_cache_dir == "off" else PatternCache(Path(settings.pattern_cache_dir))
    registry = PatternRegistry(Path(settings.patterns_dir), check_interval=settings.patterns_check_seconds,
                               last_good=Path(settings.instance_path) / "patterns.last-good", warm=warm_up, cache=cache)
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
    followups: FollowUp | None = None
    reconciler: Reconciler | None = None
    example_status: dict[str, Any] = field(default_factory=dict)
    """Example results per pattern fingerprint, for the admin page."""

    def zendesk_client(self) -> ZendeskClient | None:
        if self.zendesk is None and self.settings.has_credentials:
            self.zendesk = ZendeskClient(self.settings)
        return self.zendesk

    @property
    def fstore(self) -> FollowupStore:
        """Follow-up state, on the same engine (and the same write lock) as the store."""
        if "_fstore" not in self.__dict__:
            self.__dict__["_fstore"] = FollowupStore(self.store.engine, self.store._write_lock)
        return self.__dict__["_fstore"]

    @property
    def intake(self) -> BatchedIntake:
        """The webhook's intake: stores and queues deliveries arriving together in one turn."""
        if "_intake" not in self.__dict__:
            # Embedded: the worker feeds itself from the store (Settings.feed_from_store), nothing to queue here.
            queue = None if self.settings.feed_from_store else self.queue
            self.__dict__["_intake"] = BatchedIntake(self.store, queue)
        return self.__dict__["_intake"]

    @classmethod
    def for_web(cls, settings: Settings) -> Runtime:
        with _private_files(settings):
            store, queue = Store.from_url(settings.database_url), TaskQueue(settings.queue_path, redis_url=settings.redis_url)
            if not settings.redis_url:
                queue.ping()  # creates the queue's file now, under the umask (Redis may be away: the store is the record)
        return cls(settings, store, _registry(settings), queue)

    @classmethod
    def for_worker(cls, settings: Settings) -> Runtime:
        registry = _registry(settings)
        zendesk = ZendeskClient(settings) if settings.has_credentials else None
        with _private_files(settings):
            store = Store.from_url(settings.database_url)
            rt = cls(settings, store, registry, None, zendesk)  # type: ignore[arg-type]
            # Metrics count the first triage's outcome; the follow-ups run after it in the same task.
            triage_run = metrics.observed_run(lambda tid: rt.triage.run(tid), store)  # type: ignore[union-attr]
            run = logs.bound_run(lambda tid: rt.work(tid, triage_run))
            rt.queue = TaskQueue(settings.queue_path, run=run, redis_url=settings.redis_url)
            if not settings.redis_url:
                rt.queue.ping()
        schedule = lambda tid, delay: rt.queue.enqueue(tid, delay)  # noqa: E731
        decision = settings.decision_settings
        rt.triage = Triage(settings, store, registry, zendesk, schedule=schedule, decision=decision)
        rt.followups = FollowUp(settings, store, rt.fstore, registry, zendesk, schedule=schedule, decision=decision)
        if zendesk is not None and settings.reconcile_seconds > 0:
            rt.reconciler = Reconciler(store, rt.fstore, FollowupReader(zendesk), rt.queue.enqueue)
        return rt

    def work(self, ticket_id: int, triage_run: Any = None) -> Any:
        """One queued ticket: its first triage, then its follow-ups; each claims its own row, so whichever
        has nothing due costs one UPDATE. Returns the triage's outcome (for metrics)."""
        outcome = (triage_run or self.triage.run)(ticket_id)  # type: ignore[union-attr]
        self.followups.run(ticket_id)  # type: ignore[union-attr]
        return outcome

    def reconcile(self, force: bool = False) -> None:
        """A reconciliation tick when it is this process's turn (one per RECONCILE_SECONDS across workers)."""
        if self.reconciler is None:
            return
        if not force and not self.fstore.take_turn(RECONCILE, self.settings.reconcile_seconds):
            return
        try:
            report = self.reconciler.tick()
        except ZendeskError as exc:  # the next tick starts again from the saved cursor
            log.warning("reconciliation tick failed: %s", exc)
            return
        except Exception:
            log.exception("reconciliation tick failed")
            return
        if report.rate_limited:
            self.fstore.defer(RECONCILE, report.rate_limited)

    def queue_depth(self) -> int:
        """Tickets waiting for a worker: the queue's length, or embedded, the store's count (new tickets
        are not in the queue until the worker's feed takes them)."""
        return self.store.waiting() if self.settings.feed_from_store else self.queue.pending()

    def start_feed(self, stop: threading.Event) -> threading.Thread | None:
        """Embedded mode: queue new tickets straight from the store (the web process does not queue them).

        The mark is read before the start-up sweep queues everything due, so no ticket falls between
        the two (one opened meanwhile is queued by both: a no-op claim)."""
        if not self.settings.feed_from_store:
            return None
        return self.queue.run_feeder(self.store.opened_after, self.store.last_delivery_id(), stop)

    def sweep(self, startup: bool = False) -> int:
        """Queue again every ticket whose work is due or whose worker died; duplicates are harmless.

        At start-up, tickets still leased by a worker that died are queued for when the lease ends.
        """
        # At start-up everything due is queued; later, only what has waited a whole sweep interval
        # (its queue entry was most likely lost: a Redis restart, a failed enqueue), then after as long again
        # as it has waited (store.take_due), so a long backlog is not queued twice over. Follow-ups too.
        due = [*self.store.take_due(grace_seconds=0.0 if startup else self.settings.sweep_seconds),
               *((t, 0) for t in self.fstore.due())]
        for ticket_id, _ in due:
            self.queue.enqueue(ticket_id)
        if startup:
            now = utcnow()
            for ticket_id, until in self.store.leased():
                self.queue.enqueue(ticket_id, delay=max(0.0, (until - now).total_seconds()) + 0.5)
        if due:
            log.info("recovery sweep queued %d ticket(s)", len(due))
        self.reconcile(force=startup)
        return len(due)

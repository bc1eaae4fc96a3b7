"""The huey adapter: a durable SQLite queue between the webhook and the worker.

The web process only enqueues; the worker process registers the same task name with a function
that runs the triage use case. Attempts and due times live in the store, so a lost queue entry is
found again by the recovery sweep (at worker start and every minute).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import SqliteHuey, crontab

log = logging.getLogger(__name__)
TASK_NAME = "triage_ticket"


class TaskQueue:
    def __init__(self, path: str, run: Callable[[int], Any] | None = None,
                 sweep: Callable[[], int] | None = None, immediate: bool = False) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # No fsync: the store holds every delivery durably, and the recovery sweep re-queues any
        # ticket whose queue entry was lost, so the queue only has to be fast.
        self.huey = SqliteHuey(name="amazon-triage", filename=path, utc=True, immediate=immediate, results=False,
                               fsync=False)
        self._run = run

        def triage_ticket(ticket_id: int) -> None:
            if self._run is None:
                raise RuntimeError("this process only enqueues; run `amazon-triage worker`")
            self._run(ticket_id)

        self._task = self.huey.task(name=TASK_NAME)(triage_ticket)
        if sweep is not None:
            self.huey.periodic_task(crontab(minute="*"), name="recovery_sweep")(sweep)

    def enqueue(self, ticket_id: int, delay: float | None = None) -> None:
        if delay:
            self._task.schedule(args=(ticket_id,), delay=delay)
        else:
            self._task(ticket_id)

    def pending(self) -> int:
        return self.huey.pending_count() + self.huey.scheduled_count()

    def ping(self) -> None:
        self.huey.pending_count()

    def consumer(self, workers: int) -> Any:
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                         initial_delay=0.05, max_delay=0.5, check_worker_health=True)

"""The huey adapter: a durable queue between the webhook and the worker, on SQLite or Redis.

The web process only enqueues; the worker process registers the same task name with a function
that runs the triage use case. Attempts and due times live in the store, so a lost queue entry
(a Redis restart, a dropped connection, an enqueue that failed) is found again by the recovery
sweep (at worker start and every ``SWEEP_SECONDS``).

Backends: SQLite (one file, one host: the embedded default) or Redis when ``REDIS_URL`` is set, so
web and worker processes on several hosts share one queue. huey already speaks both, with the same
task API, so the choice is one constructor.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey

from .group_commit import GroupCommit
from .store import SQLITE_MMAP_BYTES

log = logging.getLogger(__name__)
TASK_NAME = "triage_ticket"
QUEUE_NAME = "amazon-triage"
REDIS_CLIENT_NAME = "amazon-triage"


def make_huey(queue_path: str, redis_url: str = "", immediate: bool = False) -> Any:
    """huey on Redis when a URL is given, else on a local SQLite file."""
    if redis_url:
        from redis import ConnectionPool

        # Named connections (operators can find them in CLIENT LIST); health checks and time-outs so
        # a dropped or half-open connection is replaced instead of hanging a worker or a request.
        pool = ConnectionPool.from_url(redis_url, client_name=REDIS_CLIENT_NAME, health_check_interval=10,
                                       socket_timeout=5, socket_connect_timeout=5, socket_keepalive=True)
        return RedisHuey(name=QUEUE_NAME, connection_pool=pool, utc=True, immediate=immediate, results=False,
                         blocking=True, read_timeout=1)
    Path(queue_path).parent.mkdir(parents=True, exist_ok=True)
    # No fsync: the store holds every delivery durably, and the recovery sweep re-queues any
    # ticket whose queue entry was lost, so the queue only has to be fast.
    huey = SqliteHuey(name=QUEUE_NAME, filename=queue_path, utc=True, immediate=immediate, results=False, fsync=False)
    huey.storage.conn.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")  # as the store's (see store.SQLITE_MMAP_BYTES)
    return huey


class _RedisPusher:
    """The web process's LPUSH on a connection of its own, made by huey's pool (same URL, client name,
    time-outs and keep-alive), used without the client's per-call pool checkout, retry and health-check
    wrappers: those cost about half of a push's CPU in the web process (measured: 45 against 18 us).

    A connection found dropped (Redis restarted, the connection killed) is replaced and the push sent
    once more; if that fails too the error is raised (the caller logs it; the recovery sweep re-queues).
    A push whose reply was lost may then be written twice: a duplicate entry costs the worker a no-op
    claim, never a second reply.
    """

    def __init__(self, storage: Any) -> None:
        self.pool = storage.pool
        self.key = storage.queue_key
        self.lock = threading.Lock()  # GroupCommit already writes one batch at a time; this keeps it so
        self.conn: Any = None

    def lpush(self, data: Sequence[bytes]) -> None:
        from redis.exceptions import ConnectionError, TimeoutError

        with self.lock:
            for attempt in (1, 2):
                if self.conn is None:
                    self.conn = self.pool.make_connection()
                conn = self.conn
                try:
                    conn.send_packed_command(conn.pack_command("LPUSH", self.key, *data), check_health=attempt == 1)
                    conn.read_response()
                    return
                except (ConnectionError, TimeoutError, OSError):
                    self.conn = None
                    conn.disconnect()
                    if attempt == 2:
                        raise

    def close(self) -> None:
        with self.lock:
            if self.conn is not None:
                self.conn.disconnect()
                self.conn = None


class TaskQueue:
    def __init__(self, path: str, run: Callable[[int], Any] | None = None, immediate: bool = False,
                 redis_url: str = "") -> None:
        self.huey = make_huey(path, redis_url, immediate)
        self.backend = "redis" if redis_url else "sqlite"
        self._run = run

        def triage_ticket(ticket_id: int) -> None:
            if self._run is None:
                raise RuntimeError("this process only enqueues; run `amazon-triage worker`")
            self._run(ticket_id)

        self._task = self.huey.task(name=TASK_NAME)(triage_ticket)
        # huey's own message for one ticket, made once; each enqueue changes only its id and argument.
        self._message = self.huey._registry.create_message(self._task.s(0))
        # Message ids: a random prefix per process and a counter (uuid4 per message read the OS's random source).
        self._ids = map(f"{uuid.uuid4().hex[:20]}{{:012x}}".format, itertools.count())
        self._pusher = _RedisPusher(self.huey.storage) if self.backend == "redis" else None
        # Tickets queued by concurrent requests share one queue write (see enqueue_many).
        self._batch: GroupCommit[int, None] = GroupCommit(self.enqueue_many)

    def message(self, ticket_id: int) -> bytes:
        """The bytes huey's ``enqueue`` would write for this ticket (``serialize_task``), without its
        task object: the same message with a new id, serialized by huey's own serializer."""
        return self.huey.serializer.serialize(self._message._replace(id=next(self._ids), args=(ticket_id,)))

    def enqueue(self, ticket_id: int, delay: float | None = None) -> None:
        if delay:
            self._task.schedule(args=(ticket_id,), delay=delay)
        else:
            self._batch.submit(ticket_id)

    def enqueue_many(self, ticket_ids: Sequence[int]) -> list[None]:
        """Queue several tickets with one write: one SQLite transaction, or one LPUSH on Redis.

        Under load the webhook's requests arrive together; a write each would cost every request a
        commit or a network round trip. huey has no batch call, so this writes the same messages
        huey's own ``enqueue`` would (``serialize_task``) with its storage's own connection, one
        ticket too (huey's ``enqueue`` costs the web process more for the same row).
        """
        if self.huey.immediate:
            for ticket_id in ticket_ids:
                self._task(ticket_id)
            return [None] * len(ticket_ids)
        data = [self.message(ticket_id) for ticket_id in ticket_ids]
        if self._pusher is not None:
            self._pusher.lpush(data)  # the consumer pops from the right: FIFO kept
        else:
            storage = self.huey.storage
            with storage.db(commit=True) as cursor:
                cursor.executemany("insert into task (queue, data, priority) values (?, ?, 0)",
                                   [(storage.name, storage.to_blob(item)) for item in data])
        return [None] * len(ticket_ids)

    def pending(self) -> int:
        return self.huey.pending_count() + self.huey.scheduled_count()

    def ping(self) -> None:
        self.huey.pending_count()

    def consumer(self, workers: int) -> Any:
        # periodic=False: the recovery sweep runs on its own timer (see run_sweeper), not huey's crontab,
        # whose one-minute granularity is too coarse for tests and small deployments.
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                         initial_delay=0.05, max_delay=0.5, check_worker_health=True)

    def run_sweeper(self, sweep: Callable[[], int], every: float, stop: threading.Event) -> threading.Thread:
        """Run ``sweep`` every ``every`` seconds (with jitter) in a daemon thread.

        Safe with many workers on many hosts without a lock: the sweep only queues ticket ids, and
        the store's claim (one conditional UPDATE) lets exactly one worker take each ticket, so
        duplicate entries cost a no-op claim. (A lock would need a time-out: a worker killed while
        holding it would stop every sweep.) A failed sweep (store or Redis away) is logged and tried
        again next round.
        """
        def step() -> float:
            try:
                sweep()
            except Exception as exc:
                log.warning("recovery sweep failed (%s); trying again in about %.0f s", type(exc).__name__, every)
            return every * random.uniform(0.8, 1.2)

        return _daemon("recovery-sweep", step, every * random.uniform(0.8, 1.2), stop)

    def run_feeder(self, poll: Callable[[int], Sequence[tuple[int, int]]], after: int, stop: threading.Event,
                   fastest: float = 0.005, slowest: float = 0.1) -> threading.Thread:
        """Queue the tickets ``poll(mark)`` finds, (ticket, mark) pairs oldest first, in a daemon thread.

        The embedded worker's intake (Settings.feed_from_store): the web process only stores; this
        polls the store every ``fastest`` seconds while it finds work, backing off to ``slowest`` when
        idle (a new ticket waits about that much longer for its triage, never for its answer). A
        failing poll is logged and tried again; a ticket queued twice costs a no-op claim.
        """
        mark, wait = after, fastest

        def step() -> float:
            nonlocal mark, wait
            try:
                found = poll(mark)
                if found:
                    self.enqueue_many([ticket_id for ticket_id, _ in found])
                    mark = found[-1][1]
            except Exception as exc:
                log.warning("feeding the queue from the store failed (%s); trying again", type(exc).__name__)
                wait = 1.0
                return wait
            wait = fastest if found else min(slowest, wait * 2)
            return wait

        return _daemon("store-feed", step, fastest, stop)


def _daemon(name: str, step: Callable[[], float], first: float, stop: threading.Event) -> threading.Thread:
    """A daemon thread running ``step`` until ``stop`` is set, waiting what each step returns between them."""
    def loop() -> None:
        wait = first
        while not stop.wait(wait):
            wait = step()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread

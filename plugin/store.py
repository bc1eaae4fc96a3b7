"""Durable state: deliveries received, one decision per ticket, dead letters.

The decision row is the lock that makes work happen once per ticket: a worker must claim it (an
atomic UPDATE) before it may talk to Zendesk, and a claim expires so a killed worker's ticket is
picked up again.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .core.delivery import Delivery
from .core.plan import DEAD, DONE, DRY_RUN, FINAL, NO_MATCH, PROCESSING, QUEUED, RETRY, SKIPPED
from .group_commit import GroupCommit

__all__ = ["DEAD", "DONE", "DRY_RUN", "FINAL", "NO_MATCH", "PROCESSING", "QUEUED", "RETRY", "SKIPPED",
           "Claim", "DecisionRow", "Received", "Store", "make_engine", "metadata", "utcnow"]

metadata = sa.MetaData()

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # Delivery.to_json(); read back with Delivery.from_json
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

decisions = sa.Table(
    "decisions", metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("delivery_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("matched", sa.JSON, nullable=False, default=list),  # ids of the errors the ticket matched
    sa.Column("evidence", sa.JSON, nullable=False, default=list),
    sa.Column("update_json", sa.JSON, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("patterns", sa.String(40), nullable=True),
    sa.Column("timed_out", sa.JSON, nullable=True),  # patterns that overran their time limit: matches may be missing
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
)

admin_sessions = sa.Table(
    # The admin pages' server-side sessions (plugin/web/sessions.py); declared here so that the
    # schema, its migrations (0003) and the tests' wipes see every table in one metadata.
    "admin_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("token_tag", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)



# PostgreSQL intake in one statement, so one round trip per batch (autocommit: no BEGIN, no COMMIT):
# store the deliveries whose key is new, open a decision for each ticket that has none (its first new
# delivery in the batch), and say which did. The batch is one JSON array parameter, so the statement is
# the same for any batch size (arrays of values cost the driver a regex escape per quote of every payload),
# and psycopg prepares it after a few uses (the server then skips parsing and planning it).
# Run with psycopg's own placeholders on the driver's connection (see Store._insert_new).
_PG_INTAKE = """
WITH batch AS (
    SELECT e->>'k' AS dedupe_key, CAST(e->>'t' AS bigint) AS ticket_id, e->>'s' AS source, e->'p' AS payload, n
    FROM json_array_elements(CAST(%(batch)s AS json)) WITH ORDINALITY AS b(e, n)
), stored AS (
    INSERT INTO deliveries (dedupe_key, ticket_id, source, payload, received_at)
    SELECT dedupe_key, ticket_id, source, payload, %(now)s FROM batch ORDER BY n
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, dedupe_key, ticket_id
), opened AS (
    INSERT INTO decisions (ticket_id, delivery_id, status, matched, evidence, attempts, created_at, updated_at,
                           next_attempt_at)
    SELECT DISTINCT ON (ticket_id) ticket_id, id, %(queued)s, '[]', '[]', 0, %(now)s, %(now)s, %(now)s
    FROM stored ORDER BY ticket_id, id
    ON CONFLICT (ticket_id) DO NOTHING
    RETURNING delivery_id
)
SELECT s.id, s.dedupe_key, o.delivery_id IS NOT NULL AS opened FROM stored s LEFT JOIN opened o ON o.delivery_id = s.id
"""


# SQLite intake: one multi-row statement per table for the whole batch (statement text per batch size,
# kept in the driver's statement cache), so a batch costs two statements whatever its size.
_SQLITE_NEW_DELIVERIES = ("INSERT INTO deliveries (dedupe_key, ticket_id, source, payload, received_at) VALUES {} "
                          "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key")
_SQLITE_NEW_DECISIONS = ("INSERT INTO decisions (ticket_id, delivery_id, status, matched, evidence, attempts, created_at, "
                         "updated_at, next_attempt_at) VALUES {} ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id")


def _sqlite_rows(template: str, row: str, n: int) -> str:
    return template.format(", ".join([row] * n))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; every time we store is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


@dataclass(frozen=True)
class DecisionRow:
    ticket_id: int
    delivery_id: int
    status: str
    matched: list[str]
    evidence: list[dict[str, Any]]
    update: dict[str, Any] | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    patterns: str | None = None
    timed_out: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> DecisionRow:
        m = row._mapping
        return cls(
            ticket_id=m["ticket_id"], delivery_id=m["delivery_id"], status=m["status"],
            matched=list(m["matched"] or []), evidence=list(m["evidence"] or []), update=m["update_json"] or None,
            attempts=m["attempts"], last_error=m["last_error"], next_attempt_at=_aware(m["next_attempt_at"]),
            created_at=_aware(m["created_at"]), updated_at=_aware(m["updated_at"]), patterns=m["patterns"],
            timed_out=list(m["timed_out"] or []),
        )


def _delivery(m: Any) -> Delivery:
    """A stored delivery, typed; the columns win over the payload (older rows hold only ticket and actors)."""
    return Delivery.from_json({**(m["payload"] or {}), "ticket_id": m["ticket_id"], "source": m["source"],
                               "dedupe_key": m["dedupe_key"]})


@dataclass(frozen=True)
class Claim:
    """A claimed decision and the delivery that opened it: all a worker's attempt reads from the store."""

    row: DecisionRow
    delivery: Delivery | None


@dataclass(frozen=True)
class Received:
    delivery_id: int | None
    duplicate: bool
    enqueue: bool
    """True when this delivery created the ticket's decision: only then is work queued."""


SQLITE_MMAP_BYTES = 256 * 1024 * 1024
"""How much of a SQLite file is read through a memory map (address space only; writes still go through the WAL)."""


def _wal(cur: Any) -> None:
    """Switch the file to WAL. The switch takes the lock at once, without the busy handler, so
    processes opening a new file together see "database is locked": wait and ask again."""
    _while_locked(lambda: cur.execute("PRAGMA journal_mode=WAL"), patience=5.0, delay=0.05, longest=0.05)


def _while_locked(run: Callable[[], object], patience: float, delay: float, longest: float) -> None:
    """Run a statement that takes SQLite's lock at once, asking again while another connection holds it:
    every ``delay`` seconds, doubling up to ``longest``, for ``patience`` seconds at most (then raise)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            run()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, longest)


def _begin_write(raw: sqlite3.Connection, patience: float = 30.0) -> None:
    """Take SQLite's write lock for an intake batch, asking again every 0.1-2 ms while another
    connection (the worker's) holds it.

    Why not SQLite's busy handler: it sleeps 1, 2, 5, 10, 15... ms between tries, while the worker
    holds the lock for a fraction of a millisecond; every request in the batch, and every one queued
    behind it, waited out the whole sleep (benchmarks/intake_cost.py counted 20-100 of them a second
    at saturation, in the web process).
    """
    _while_locked(lambda: raw.execute("BEGIN IMMEDIATE"), patience, delay=0.0001, longest=0.002)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            _wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # Pages read through a memory map, not a pread() each: the worker's writes make every
            # other connection re-read the pages it changed (5 preads per delivery in the web process).
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite allows one writer; waiting here is cheap, while SQLite's own busy handler sleeps
        # in steps of up to 100 ms. Other processes still meet the busy handler. PostgreSQL takes
        # concurrent writers (row locks): serialising them would cap a process at one commit at a time.
        # (Intake is the exception on both: one batch at a time per process, see record_delivery.)
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())
        b = sa.bindparam
        dialect = engine.dialect  # intake's statements are fixed SQL; these convert its values as the columns do
        self._sqlite_time = deliveries.c.received_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        self._sqlite_json = deliveries.c.payload.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        self._intake_conn: Connection | None = None
        self._intake: GroupCommit[Delivery, Received] = GroupCommit(self.record_deliveries)

        d = deliveries
        self._claimed = (
            sa.select(decisions, d.c.id.label("d_id"), d.c.payload.label("d_payload"), d.c.source.label("d_source"),
                      d.c.dedupe_key.label("d_dedupe_key"))
            .select_from(decisions.outerjoin(d, d.c.id == decisions.c.delivery_id))
            .where(decisions.c.ticket_id == b("ticket_id"))
        )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; one writer per process at a time (see the lock above)."""
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @classmethod
    def from_url(cls, url: str) -> Store:
        store = cls(make_engine(url))
        store.create_schema()
        return store

    def close(self) -> None:
        if self._intake_conn is not None:
            with contextlib.suppress(Exception):
                self._intake_conn.close()
            self._intake_conn = None
        self.engine.dispose()

    def create_schema(self) -> None:
        """Bring the schema to the newest migration; safe when several processes start at once (see migrate)."""
        from .migrate import upgrade  # Alembic's env imports this module's metadata

        upgrade(self.engine)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # --- intake -------------------------------------------------------------------------

    def record_delivery(self, delivery: Delivery) -> Received:
        """Store a delivery and open its ticket's decision; returns once that is committed.

        Deliveries arriving meanwhile from other threads share the transaction (group commit).
        """
        return self._intake.submit(delivery)

    def record_deliveries(self, batch: Sequence[Delivery]) -> list[Received]:
        """Store deliveries and open their tickets' decisions, in one transaction; one answer each, in order.

        A dedupe key already stored, or repeated in the batch, is a duplicate; the first new delivery
        of a ticket without a decision opens it (enqueue), later ones are stored as duplicates.
        """
        firsts: dict[str, Delivery] = {}
        for d in batch:
            firsts.setdefault(d.dedupe_key, d)
        unique = list(firsts.values())
        stored = self._write_new(unique) if unique else {}
        out, answered = [], set()
        for d in batch:
            hit = None if d.dedupe_key in answered else stored.get(d.dedupe_key)
            answered.add(d.dedupe_key)
            if hit is None:
                out.append(Received(None, duplicate=True, enqueue=False))
            else:
                out.append(Received(hit[0], duplicate=not hit[1], enqueue=hit[1]))
        return out

    def _write_new(self, batch: list[Delivery]) -> dict[str, tuple[int, bool]]:
        """One transaction: the deliveries whose key is new, by key: (delivery id, opened its ticket's decision).

        Run on the driver's connection (sqlite3, psycopg) of a connection kept for intake: SQLAlchemy's
        execute and transaction bookkeeping cost more CPU than the statements themselves on this path.
        """
        for attempt in (1, 2):
            conn = self._intake_connection()
            raw = conn.connection.driver_connection
            try:
                with self._write_lock:
                    if self.engine.dialect.name == "postgresql":
                        return self._insert_new_pg(raw, batch, utcnow())  # autocommit: one statement, committed
                    try:
                        _begin_write(raw)
                        stored = self._insert_new_sqlite(raw, batch, utcnow())
                        raw.commit()
                        return stored
                    except BaseException:
                        raw.rollback()
                        raise
            except Exception:
                # A connection the server dropped (a restart, pg_terminate_backend): once more on a new one.
                # The statement is atomic, so it either committed (then the retry finds every key stored:
                # duplicates, and the recovery sweep queues the tickets) or left nothing behind.
                if not getattr(raw, "broken", False):
                    raise
                self._intake_conn = None
                with contextlib.suppress(Exception):
                    conn.invalidate()
                with contextlib.suppress(Exception):
                    conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _intake_connection(self) -> Connection:
        """A connection kept for intake: no pool checkout and no pre-ping round trip per batch."""
        if self._intake_conn is None:
            conn = self.engine.connect()
            if self.engine.dialect.name == "postgresql":
                # One statement per batch, committed on its own: no BEGIN or COMMIT round trips.
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            else:
                conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")  # _begin_write waits instead
            self._intake_conn = conn
        return self._intake_conn

    def _insert_new_pg(self, raw: Any, batch: list[Delivery], now: datetime) -> dict[str, tuple[int, bool]]:
        rows = raw.execute(_PG_INTAKE, {
            "batch": json.dumps([{"k": d.dedupe_key, "t": d.ticket_id, "s": d.source, "p": d.to_json()} for d in batch]),
            "now": now, "queued": QUEUED}).fetchall()
        return {key: (delivery_id, opened) for delivery_id, key, opened in rows}

    def _insert_new_sqlite(self, raw: Any, batch: list[Delivery], now: datetime) -> dict[str, tuple[int, bool]]:
        # The JSON and time columns converted as SQLAlchemy would (its own bind processors).
        moment, to_json = self._sqlite_time(now), self._sqlite_json
        values: list[Any] = []
        for d in batch:
            values += (d.dedupe_key, d.ticket_id, d.source, to_json(d.to_json()), moment)
        stored = dict((key, delivery_id) for delivery_id, key in raw.execute(
            _sqlite_rows(_SQLITE_NEW_DELIVERIES, "(?, ?, ?, ?, ?)", len(batch)), values).fetchall())
        firsts: dict[int, int] = {}
        for d in batch:  # in batch order: the first new delivery of a ticket opens its decision
            if d.dedupe_key in stored:
                firsts.setdefault(d.ticket_id, stored[d.dedupe_key])
        opened: set[int] = set()
        if firsts:
            params: list[Any] = []
            for ticket_id, delivery_id in firsts.items():
                params += (ticket_id, delivery_id, QUEUED, moment, moment, moment)
            opened = {t for (t,) in raw.execute(
                _sqlite_rows(_SQLITE_NEW_DECISIONS, "(?, ?, ?, '[]', '[]', 0, ?, ?, ?)", len(firsts)), params).fetchall()}
        tickets = {d.dedupe_key: d.ticket_id for d in batch}
        return {k: (i, tickets[k] in opened and firsts[tickets[k]] == i) for k, i in stored.items()}

    def delivery(self, delivery_id: int) -> Delivery | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return _delivery(row._mapping) if row is not None else None

    # --- work ---------------------------------------------------------------------------

    def claim(self, ticket_id: int, lease_seconds: int) -> Claim | None:
        """Take the ticket for this worker, with its delivery; None when it is final or another worker holds it."""
        now = utcnow()
        stmt = (
            decisions.update()
            .where(decisions.c.ticket_id == ticket_id)
            .where(sa.or_(
                decisions.c.status.in_([QUEUED, RETRY]),
                sa.and_(decisions.c.status == PROCESSING, decisions.c.lease_until < now),
            ))
            .values(status=PROCESSING, lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=decisions.c.attempts + 1, updated_at=now)
        )
        with self._writing() as conn:
            if conn.execute(stmt).rowcount != 1:
                return None
        # Read after the commit: the claim's lease keeps the row ours, and on SQLite the write lock is
        # then held for the UPDATE alone (the web process's intake waits for it).
        with self.engine.connect() as conn:
            row = conn.execute(self._claimed, {"ticket_id": ticket_id}).first()
        m = row._mapping
        found = m["d_id"] is not None
        return Claim(DecisionRow.from_row(row), _delivery({
            "payload": m["d_payload"], "ticket_id": ticket_id, "source": m["d_source"], "dedupe_key": m["d_dedupe_key"],
        }) if found else None)

    def finish(self, ticket_id: int, status: str, *, matched: list[str] | None = None,
               evidence: list[dict[str, Any]] | None = None, update: dict[str, Any] | None = None,
               last_error: str | None = None, patterns: str | None = None,
               timed_out: list[str] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "lease_until": None, "updated_at": utcnow(),
                                  "next_attempt_at": None, "last_error": last_error}
        if matched is not None:
            values["matched"] = matched
        if evidence is not None:
            values["evidence"] = evidence
        if update is not None:
            values["update_json"] = update
        if patterns is not None:
            values["patterns"] = patterns
        if timed_out is not None:
            values["timed_out"] = timed_out
        with self._writing() as conn:
            conn.execute(decisions.update().where(decisions.c.ticket_id == ticket_id).values(**values))

    def retry_later(self, ticket_id: int, when: datetime, error: str) -> None:
        with self._writing() as conn:
            conn.execute(decisions.update().where(decisions.c.ticket_id == ticket_id).values(
                status=RETRY, lease_until=None, next_attempt_at=when, last_error=error, updated_at=utcnow()))

    def dead_letter(self, ticket_id: int, error: str, attempts: int) -> None:
        now = utcnow()
        with self._writing() as conn:
            conn.execute(decisions.update().where(decisions.c.ticket_id == ticket_id).values(
                status=DEAD, lease_until=None, next_attempt_at=None, last_error=error, updated_at=now))
            conn.execute(dead_letters.insert().values(ticket_id=ticket_id, error=error, attempts=attempts, created_at=now))

    def due(self, limit: int = 500, grace_seconds: float = 0.0) -> list[tuple[int, int]]:
        """(ticket, delivery) pairs whose work is due or whose worker died: the recovery sweep.

        ``grace_seconds``: a queued or retrying ticket counts only once it is that overdue, so a
        backlog whose queue entries are still there is not queued again on every sweep.
        """
        return [(r.ticket_id, r.delivery_id) for r in self._due(utcnow(), limit, grace_seconds)]

    def take_due(self, limit: int = 500, grace_seconds: float = 0.0) -> list[tuple[int, int]]:
        """``due()`` for a sweep that queues them: each queued or retrying ticket's next look is put off
        by its age (at least the grace), so a ticket still waiting in a long backlog is queued again
        after 1, 2, 4... intervals instead of on every sweep. Every stale duplicate is a no-op claim
        that a new ticket queues behind (measured: a new ticket waited 46 s after a 60,000 backlog).
        Two workers sweeping at once may both queue a ticket: harmless, the claim takes it once.
        """
        now = utcnow()
        rows = self._due(now, limit, grace_seconds)
        grace = timedelta(seconds=grace_seconds)
        later = [{"t_id": r.ticket_id, "next_at": now + max(grace, now - (_aware(r.created_at) or now))}
                 for r in rows if r.status in (QUEUED, RETRY)]
        if later:
            with self._writing() as conn:
                conn.execute(decisions.update()
                             .where(decisions.c.ticket_id == sa.bindparam("t_id"))
                             # Not in_(): an expanding parameter can't go with executemany.
                             .where(sa.or_(decisions.c.status == QUEUED, decisions.c.status == RETRY))
                             .values(next_attempt_at=sa.bindparam("next_at")), later)
        return [(r.ticket_id, r.delivery_id) for r in rows]

    def _due(self, now: datetime, limit: int, grace_seconds: float) -> list[Any]:
        overdue = now - timedelta(seconds=grace_seconds)
        stmt = (
            sa.select(decisions.c.ticket_id, decisions.c.delivery_id, decisions.c.status, decisions.c.created_at)
            .where(sa.or_(
                sa.and_(decisions.c.status.in_([QUEUED, RETRY]),
                        sa.or_(decisions.c.next_attempt_at.is_(None), decisions.c.next_attempt_at <= overdue)),
                sa.and_(decisions.c.status == PROCESSING, decisions.c.lease_until < now),
            ))
            .order_by(decisions.c.updated_at).limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt))

    def waiting(self) -> int:
        """Tickets waiting for a worker (queued, or to be tried again): the embedded queue depth."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(decisions)
                                .where(decisions.c.status.in_([QUEUED, RETRY]))).scalar() or 0

    def last_delivery_id(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(deliveries.c.id))).scalar() or 0

    def opened_after(self, delivery_id: int, limit: int = 500) -> list[tuple[int, int]]:
        """(ticket, delivery) for each decision a delivery after ``delivery_id`` opened and no worker has
        taken yet, oldest first: the embedded worker's feed (Runtime.feed).

        Read through the deliveries' primary key, so a poll costs the new deliveries only, whatever the
        backlog. On SQLite ids are given in commit order (one writer), so a mark never skips a row.
        """
        d, c = deliveries, decisions
        stmt = (sa.select(d.c.ticket_id, d.c.id)
                .join(c, sa.and_(c.c.ticket_id == d.c.ticket_id, c.c.delivery_id == d.c.id))
                .where(d.c.id > delivery_id, c.c.status == QUEUED)
                .order_by(d.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(stmt)]

    def leased(self) -> list[tuple[int, datetime]]:
        """Tickets a worker holds now: (ticket, lease end). After a crash, these are the orphans."""
        stmt = sa.select(decisions.c.ticket_id, decisions.c.lease_until).where(
            decisions.c.status == PROCESSING, decisions.c.lease_until >= utcnow())
        with self.engine.connect() as conn:
            return [(r.ticket_id, _aware(r.lease_until)) for r in conn.execute(stmt)]

    def requeue_dead(self, dead_letter_id: int) -> int | None:
        """Put a dead ticket back in the queue (admin "retry"); returns its ticket id."""
        now = utcnow()
        with self._writing() as conn:
            row = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == dead_letter_id)).first()
            if row is None or row.retried_at is not None:
                return None
            conn.execute(dead_letters.update().where(dead_letters.c.id == dead_letter_id).values(retried_at=now))
            conn.execute(decisions.update().where(decisions.c.ticket_id == row.ticket_id).values(
                status=QUEUED, attempts=0, next_attempt_at=now, lease_until=None, updated_at=now))
        return int(row.ticket_id)

    # --- reading ------------------------------------------------------------------------

    def decision(self, ticket_id: int) -> DecisionRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(decisions).where(decisions.c.ticket_id == ticket_id)).first()
        return DecisionRow.from_row(row) if row else None

    def decisions(self, status: str | None = None, error: str | None = None, limit: int = 100) -> list[DecisionRow]:
        """The latest decisions, optionally only those in ``status`` or that matched the error id ``error``."""
        stmt = sa.select(decisions).order_by(decisions.c.updated_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(decisions.c.status == status)
        if error:
            stmt = stmt.where(sa.cast(decisions.c.matched, sa.Text).like(f'%"{error}"%'))
        with self.engine.connect() as conn:
            return [DecisionRow.from_row(r) for r in conn.execute(stmt)]

    def dead(self, include_retried: bool = False) -> list[dict[str, Any]]:
        stmt = sa.select(dead_letters).order_by(dead_letters.c.created_at.desc())
        if not include_retried:
            stmt = stmt.where(dead_letters.c.retried_at.is_(None))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def hit_stats(self, now: datetime) -> dict[str, dict[str, Any]]:
        """Per error: tickets matched in the last 24 h, 7 d and 30 d, and when it last matched."""
        since = now - timedelta(days=30)
        stmt = sa.select(decisions.c.matched, decisions.c.created_at).where(
            decisions.c.status.in_([DONE, DRY_RUN]), decisions.c.created_at >= since)
        windows = {"24h": now - timedelta(hours=24), "7d": now - timedelta(days=7), "30d": since}
        stats: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                created = _aware(row.created_at)
                for error in row.matched or []:
                    entry = stats.setdefault(error, {"24h": 0, "7d": 0, "30d": 0, "last": None})
                    for name, start in windows.items():
                        entry[name] += created >= start
                    if entry["last"] is None or created > entry["last"]:
                        entry["last"] = created
        return stats

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(decisions.c.status, sa.func.count()).group_by(decisions.c.status))
            return {status: n for status, n in rows}


# The follow-up tables (migration 0004) live beside their store; importing it registers them on
# ``metadata``, so every user of the metadata (Alembic's env, tests that drop all tables) sees them.
from . import followup_store  # noqa: E402,F401

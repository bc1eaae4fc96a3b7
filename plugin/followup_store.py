"""Durable state for what happens after creation: follow-up work per ticket, corrections, the export cursor.

The tables are created by the Alembic revision 0004 (plugin/migrations); they are declared here on the
store's metadata so the code and Alembic agree.

Follow-up deliveries share the ``deliveries`` table (and its unique dedupe key) with creation
deliveries; a ``followups`` row per ticket is the claim that makes one worker at a time read the new
deliveries of that ticket and write to Zendesk at most once for all of them. The row remembers the
last delivery handled, so a delivery arriving while a worker runs queues the ticket again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from .core.changes import SOURCES, TicketChange
from .core.corrections import Correction
from .core.followup import FollowupState
from .store import DONE, DRY_RUN, _aware, deliveries, metadata, utcnow

IDLE, QUEUED, RETRY, PROCESSING = "idle", "queued", "retry", "processing"

followups = sa.Table(
    "followups", metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("state", sa.JSON, nullable=True),
    sa.Column("handled_delivery_id", sa.Integer, nullable=False, default=0),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_outcome", sa.Text, nullable=True),
    sa.Column("last_update", sa.JSON, nullable=True),
    sa.Column("writes", sa.Integer, nullable=False, default=0),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

corrections = sa.Table(
    "corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.Integer, nullable=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("error", sa.String(100), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("actor_id", sa.BigInteger, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("subject", sa.Text, nullable=False, default=""),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("delivery_id", "error", "kind", name="uq_corrections_change"),
)

sync_state = sa.Table(
    "sync_state", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=True),
    sa.Column("since", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class FollowupRow:
    ticket_id: int
    status: str
    state: FollowupState | None
    handled_delivery_id: int
    attempts: int
    last_outcome: str | None
    writes: int


@dataclass(frozen=True)
class Pending:
    delivery_id: int
    change: TicketChange


@dataclass(frozen=True)
class Cursor:
    cursor: str | None
    since: datetime | None


class FollowupStore:
    def __init__(self, engine: Engine, write_lock: threading.Lock | None = None) -> None:
        self.engine = engine
        self._lock = write_lock or threading.Lock()
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    # --- intake ---------------------------------------------------------------------------

    def record(self, change: TicketChange, dedupe_key: str) -> tuple[int | None, bool]:
        """Store a follow-up delivery; (delivery id or None when a duplicate, whether to enqueue)."""
        now = utcnow()
        new = (self._insert(deliveries).values(dedupe_key=dedupe_key, ticket_id=change.ticket_id, source=change.kind,
                                               payload=change.to_json(), received_at=now)
               .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(deliveries.c.id))
        with self._writing() as conn:
            row = conn.execute(new).first()
            if row is None:
                return None, False
            woken = conn.execute(followups.update().where(followups.c.ticket_id == change.ticket_id)
                                 .where(followups.c.status == IDLE)
                                 .values(status=QUEUED, attempts=0, next_attempt_at=now, updated_at=now)).rowcount
            if woken:
                return row.id, True
            # RETURNING, not rowcount: SQLite reports the previous statement's count for an ignored insert.
            opened = conn.execute(self._insert(followups).values(
                ticket_id=change.ticket_id, status=QUEUED, handled_delivery_id=0, attempts=0, writes=0,
                next_attempt_at=now, updated_at=now).on_conflict_do_nothing(index_elements=["ticket_id"])
                .returning(followups.c.ticket_id)).first()
            return row.id, opened is not None

    # --- work -----------------------------------------------------------------------------

    def claim(self, ticket_id: int, lease_seconds: int) -> FollowupRow | None:
        now = utcnow()
        stmt = (followups.update().where(followups.c.ticket_id == ticket_id)
                .where(sa.or_(followups.c.status.in_([QUEUED, RETRY]),
                              sa.and_(followups.c.status == PROCESSING, followups.c.lease_until < now)))
                .values(status=PROCESSING, lease_until=now + timedelta(seconds=lease_seconds),
                        attempts=followups.c.attempts + 1, updated_at=now))
        with self._writing() as conn:
            if conn.execute(stmt).rowcount != 1:
                return None
            row = conn.execute(sa.select(followups).where(followups.c.ticket_id == ticket_id)).first()
        return self._row(row)

    def pending(self, ticket_id: int, after: int) -> list[Pending]:
        stmt = (sa.select(deliveries.c.id, deliveries.c.payload)
                .where(deliveries.c.ticket_id == ticket_id, deliveries.c.source.in_(SOURCES), deliveries.c.id > after)
                .order_by(deliveries.c.id))
        with self.engine.connect() as conn:
            return [Pending(r.id, TicketChange.from_json(r.payload)) for r in conn.execute(stmt)]

    def finish(self, ticket_id: int, handled: int, outcome: str, state: FollowupState | None = None,
               update: dict[str, Any] | None = None, wrote: bool = False,
               found: list[tuple[Correction, str, str]] = (), delivery_of: dict[tuple[str, str], int] | None = None) -> bool:
        """Record a run; True when deliveries arrived meanwhile (the ticket is queued again: enqueue it)."""
        now = utcnow()
        values: dict[str, Any] = {"status": IDLE, "lease_until": None, "next_attempt_at": None, "attempts": 0,
                                  "handled_delivery_id": handled, "last_outcome": outcome[:500], "updated_at": now}
        if state is not None:
            values["state"] = state.to_json()
        if update is not None:
            values["last_update"] = update
        if wrote:
            values["writes"] = followups.c.writes + 1
        with self._writing() as conn:
            # The row is updated (and locked) first, so an intake that sees it busy is seen below.
            conn.execute(followups.update().where(followups.c.ticket_id == ticket_id).values(**values))
            for correction, subject, description in found:
                delivery_id = (delivery_of or {}).get((correction.error, correction.kind), handled)
                conn.execute(self._insert(corrections).values(
                    delivery_id=delivery_id, ticket_id=correction.ticket_id, error=correction.error,
                    kind=correction.kind, actor_id=correction.actor_id, at=correction.at,
                    evidence=list(correction.evidence), subject=subject, description=description,
                ).on_conflict_do_nothing(index_elements=["delivery_id", "error", "kind"]))
            newer = conn.execute(sa.select(sa.func.max(deliveries.c.id)).where(
                deliveries.c.ticket_id == ticket_id, deliveries.c.source.in_(SOURCES))).scalar() or 0
            if newer > handled:
                conn.execute(followups.update().where(followups.c.ticket_id == ticket_id).values(
                    status=QUEUED, next_attempt_at=now))
                return True
        return False

    def retry_later(self, ticket_id: int, when: datetime, outcome: str) -> None:
        with self._writing() as conn:
            conn.execute(followups.update().where(followups.c.ticket_id == ticket_id).values(
                status=RETRY, lease_until=None, next_attempt_at=when, last_outcome=outcome[:500], updated_at=utcnow()))

    def due(self, limit: int = 500) -> list[int]:
        now = utcnow()
        stmt = (sa.select(followups.c.ticket_id)
                .where(sa.or_(sa.and_(followups.c.status.in_([QUEUED, RETRY]),
                                      sa.or_(followups.c.next_attempt_at.is_(None), followups.c.next_attempt_at <= now)),
                              sa.and_(followups.c.status == PROCESSING, followups.c.lease_until < now)))
                .order_by(followups.c.updated_at).limit(limit))
        with self.engine.connect() as conn:
            return [r.ticket_id for r in conn.execute(stmt)]

    def row(self, ticket_id: int) -> FollowupRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(followups).where(followups.c.ticket_id == ticket_id)).first()
        return self._row(row) if row else None

    @staticmethod
    def _row(row: Any) -> FollowupRow:
        m = row._mapping
        state = m["state"]
        return FollowupRow(m["ticket_id"], m["status"], FollowupState.from_json(state) if state else None,
                           m["handled_delivery_id"] or 0, m["attempts"], m["last_outcome"], m["writes"] or 0)

    # --- corrections ----------------------------------------------------------------------

    def corrections(self, error: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        stmt = sa.select(corrections).order_by(corrections.c.at, corrections.c.id)
        if error:
            stmt = stmt.where(corrections.c.error == error)
        if kind:
            stmt = stmt.where(corrections.c.kind == kind)
        with self.engine.connect() as conn:
            return [{**dict(r._mapping), "at": _aware(r.at)} for r in conn.execute(stmt)]

    def history(self) -> list[Correction]:
        return [Correction(r["ticket_id"], r["error"], r["kind"], r["at"], r["actor_id"], tuple(r["evidence"] or ()))
                for r in self.corrections()]

    def matched(self) -> dict[str, set[int]]:
        """Per error, the tickets we tagged with it: at creation (decisions) or in a follow-up."""
        from .store import decisions

        out: dict[str, set[int]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(sa.select(decisions.c.ticket_id, decisions.c.matched)
                                    .where(decisions.c.status.in_([DONE, DRY_RUN]))):
                for error in row.matched or ():
                    out.setdefault(error, set()).add(row.ticket_id)
            for row in conn.execute(sa.select(followups.c.ticket_id, followups.c.state).where(followups.c.state.is_not(None))):
                for error in (row.state or {}).get("errors") or ():
                    out.setdefault(error, set()).add(row.ticket_id)
        return out

    # --- the export cursor ----------------------------------------------------------------

    def cursor(self, name: str) -> Cursor | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sync_state).where(sync_state.c.name == name)).first()
        return Cursor(row.cursor, _aware(row.since)) if row else None

    def save_cursor(self, name: str, cursor: str | None, since: datetime | None) -> None:
        now = utcnow()
        with self._writing() as conn:
            done = conn.execute(sync_state.update().where(sync_state.c.name == name).values(
                cursor=cursor, since=since, updated_at=now)).rowcount
            if not done:
                conn.execute(self._insert(sync_state).values(name=name, cursor=cursor, since=since, updated_at=now)
                             .on_conflict_do_nothing(index_elements=["name"]))

    def take_turn(self, name: str, interval: float) -> bool:
        """True for exactly one caller per interval (across processes): whose turn it is to reconcile."""
        now = utcnow()
        with self._writing() as conn:
            took = conn.execute(sync_state.update().where(sync_state.c.name == name).where(
                sa.or_(sync_state.c.next_run_at.is_(None), sync_state.c.next_run_at <= now)).values(
                next_run_at=now + timedelta(seconds=interval), updated_at=now)).rowcount
            if took:
                return True
            return conn.execute(self._insert(sync_state).values(
                name=name, next_run_at=now + timedelta(seconds=interval), updated_at=now)
                .on_conflict_do_nothing(index_elements=["name"]).returning(sync_state.c.name)).first() is not None

    def defer(self, name: str, seconds: float) -> None:
        """No turn before ``seconds`` from now (Zendesk asked us to wait)."""
        now = utcnow()
        with self._writing() as conn:
            conn.execute(sync_state.update().where(sync_state.c.name == name).values(
                next_run_at=now + timedelta(seconds=seconds), updated_at=now))

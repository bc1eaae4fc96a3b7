"""Read what the admin overview and the decisions list need from the store, as core records.

Read-only queries over the store's tables; the arithmetic lives in ``core.dashboard``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from .core.dashboard import EscalationState, TriageRecord, escalation_state
from .core.scrub import scrub
from .store import dead_letters, decisions, deliveries

SCAN_LIMIT = 20000


def _json(value: Any, default: Any) -> Any:
    """A JSON column's value whether the driver hands back text or decoded data."""
    if value is None:
        return default
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _ids(value: Any) -> tuple[str, ...]:
    """Matched error ids as text that can go into a URL (a stored lone surrogate is replaced)."""
    return tuple(scrub(str(v)) for v in _json(value, []) or ())


def _first_missing(update: dict[str, Any]) -> tuple[str, ...] | None:
    """What was missing at first, when follow-ups (issue 9) recorded it in the update; else unknown."""
    first = update.get("first_missing")
    if isinstance(first, list):
        return tuple(str(m) for m in first)
    return None


def _record(row: Any) -> TriageRecord:
    m = row._mapping
    update = _json(m["update_json"], None) or {}
    return TriageRecord(
        ticket_id=int(m["ticket_id"]), status=m["status"], matched=_ids(m["matched"]),
        received_at=_aware(m["created_at"]), updated_at=_aware(m["updated_at"]),
        ticket_created_at=_when(m["ticket_created_at"]), attempts=int(m["attempts"] or 0),
        escalation=escalation_state(update), first_missing=_first_missing(update),
    )


def records_query() -> sa.Select:
    return (sa.select(decisions.c.ticket_id, decisions.c.status, decisions.c.matched, decisions.c.update_json,
                      decisions.c.attempts, decisions.c.created_at, decisions.c.updated_at,
                      # Only the creation time, read in the database: payloads hold whole ticket texts.
                      deliveries.c.payload["ticket"]["created_at"].as_string().label("ticket_created_at"))
            .select_from(decisions.outerjoin(deliveries, deliveries.c.id == decisions.c.delivery_id)))


def triage_records(engine: sa.Engine, since: datetime) -> list[TriageRecord]:
    """Every decision opened since ``since`` (UTC), with its ticket's creation time when the webhook gave it."""
    stmt = records_query().where(decisions.c.created_at >= since).order_by(decisions.c.created_at).limit(SCAN_LIMIT)
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(stmt)]


def dead_letter_times(engine: sa.Engine, since: datetime) -> list[datetime]:
    stmt = sa.select(dead_letters.c.created_at).where(dead_letters.c.created_at >= since)
    with engine.connect() as conn:
        return [_aware(r.created_at) for r in conn.execute(stmt)]


@dataclass(frozen=True)
class ListedDecision:
    """A row of the decisions list: the decision, its escalation state and the words that matched."""

    ticket_id: int
    status: str
    matched: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    """(error id, quoted text) for each match's best evidence."""
    escalation: EscalationState
    attempts: int
    last_error: str | None
    received_at: datetime
    updated_at: datetime


def list_decisions(engine: sa.Engine, *, status: str | None = None, error: str | None = None,
                   escalation: str | None = None, since: datetime | None = None, until: datetime | None = None,
                   limit: int = 200) -> list[ListedDecision]:
    """Newest first, filtered by status, error id, escalation state ("ready", "missing", "none") and receipt date."""
    stmt = sa.select(decisions).order_by(decisions.c.updated_at.desc())
    if status:
        stmt = stmt.where(decisions.c.status == status)
    if since:
        stmt = stmt.where(decisions.c.created_at >= since)
    if until:
        stmt = stmt.where(decisions.c.created_at < until)
    out: list[ListedDecision] = []
    with engine.connect() as conn:
        for row in conn.execute(stmt.limit(SCAN_LIMIT)):
            m = row._mapping
            matched = _ids(m["matched"])
            if error and error not in matched:
                continue
            state = escalation_state(_json(m["update_json"], None))
            if escalation and state.kind != escalation:
                continue
            evidence = tuple(
                (str(e.get("error", "")), str(e["evidence"][0].get("text", "")))
                for e in _json(m["evidence"], []) if isinstance(e, dict) and e.get("evidence")
            )
            out.append(ListedDecision(int(m["ticket_id"]), m["status"], matched, evidence, state, int(m["attempts"] or 0),
                                      m["last_error"], _aware(m["created_at"]), _aware(m["updated_at"])))
            if len(out) >= limit:
                break
    return out

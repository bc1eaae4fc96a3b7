"""Read what the admin overview and the decisions list need from the store, as core records.

Read-only queries over the store's tables; the arithmetic lives in ``core.dashboard``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from .core.dashboard import EscalationState, TriageRecord, escalation_state, with_facts
from .core.scrub import scrub
from .core.tickets import parse_when
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


def _ids(value: Any) -> tuple[str, ...]:
    """Matched error ids as text that can go into a URL (a stored lone surrogate is replaced)."""
    return tuple(scrub(str(v)) for v in _json(value, []) or ())


# The follow-ups' memory per ticket (issue 9): its "state" holds the escalation facts replies brought.
# Named, not imported, so the overview also works on a database without follow-ups.
FOLLOWUPS = sa.table("followups", sa.column("ticket_id"), sa.column("state"))


def followup_facts(conn: sa.Connection) -> dict[int, dict[str, Any]] | None:
    """Per ticket, the escalation facts follow-ups found; None when follow-ups are not recorded here at all."""
    if not sa.inspect(conn).has_table("followups"):
        return None
    facts: dict[int, dict[str, Any]] = {}
    stmt = sa.select(FOLLOWUPS.c.ticket_id, FOLLOWUPS.c.state).where(FOLLOWUPS.c.state.is_not(None)).limit(SCAN_LIMIT)
    for row in conn.execute(stmt):
        state = _json(row.state, None)
        if isinstance(state, dict) and isinstance(state.get("facts"), dict):
            facts[int(row.ticket_id)] = state["facts"]
    return facts


def _record(row: Any, facts: dict[int, dict[str, Any]] | None) -> TriageRecord:
    m = row._mapping
    at_first = escalation_state(_json(m["update_json"], None))
    ticket_id = int(m["ticket_id"])
    return TriageRecord(
        ticket_id=ticket_id, status=m["status"], matched=_ids(m["matched"]),
        received_at=_aware(m["created_at"]), updated_at=_aware(m["updated_at"]),
        ticket_created_at=parse_when(m["ticket_created_at"]), attempts=int(m["attempts"] or 0),
        escalation=with_facts(at_first, facts.get(ticket_id)) if facts is not None else at_first,
        first_missing=at_first.missing if facts is not None else None,
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
        facts = followup_facts(conn)
        return [_record(r, facts) for r in conn.execute(stmt)]


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
                   limit: int = 200, older_than: tuple[datetime, int] | None = None) -> list[ListedDecision]:
    """Newest first, filtered by status, error id, escalation state ("ready", "missing", "none") and receipt date.

    ``older_than`` (a row's updated_at and ticket id) pages on: only rows listed after that one.
    """
    stmt = sa.select(decisions).order_by(decisions.c.updated_at.desc(), decisions.c.ticket_id.desc())
    if older_than:
        moment, ticket_id = older_than
        stmt = stmt.where(sa.or_(decisions.c.updated_at < moment,
                                 sa.and_(decisions.c.updated_at == moment, decisions.c.ticket_id < ticket_id)))
    if status:
        stmt = stmt.where(decisions.c.status == status)
    if since:
        stmt = stmt.where(decisions.c.created_at >= since)
    if until:
        stmt = stmt.where(decisions.c.created_at < until)
    out: list[ListedDecision] = []
    with engine.connect() as conn:
        facts = followup_facts(conn) or {}
        for row in conn.execute(stmt.limit(SCAN_LIMIT)):
            m = row._mapping
            matched = _ids(m["matched"])
            if error and error not in matched:
                continue
            state = with_facts(escalation_state(_json(m["update_json"], None)), facts.get(int(m["ticket_id"])))
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

"""The overview's and the decisions list's reads, on real SQLite and (with TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from plugin.core.dashboard import funnel
from plugin.core.delivery import Delivery, TicketFacts
from plugin.dashboard_data import dead_letter_times, list_decisions, triage_records
from plugin.store import DONE, NO_MATCH, Store, metadata, utcnow

from . import test_store

store = test_store.store  # the same SQLite/PostgreSQL store fixture


def triaged(store: Store, ticket_id: int, matched: list[str], tags: list[str], *, status: str = DONE,
            created_at: str | None = None, escalation: dict[str, Any] | None = None, evidence_text: str = "An error") -> None:
    store.record_delivery(Delivery(ticket_id, "trigger", f"k{ticket_id}", TicketFacts(created_at=created_at)))
    store.claim(ticket_id, 60)
    evidence = [{"error": e, "score": 1.0, "evidence": [{"regex": "r", "text": evidence_text}]} for e in matched]
    update = {"tags": tags, "comment": "c", **({"escalation": escalation} if escalation else {})}
    store.finish(ticket_id, status, matched=matched, evidence=evidence, update=update if matched else None)


def test_records_carry_the_ticket_creation_time_and_escalation(store: Store) -> None:
    created = (utcnow() - timedelta(minutes=5)).isoformat()
    triaged(store, 1, ["generic_error"], ["amazon_escalation_ready"], created_at=created,
            escalation={"required": True, "missing": [], "merchant_id": "A2EUQ1WTGCTBG2"})
    triaged(store, 2, [], [], status=NO_MATCH)
    records = {r.ticket_id: r for r in triage_records(store.engine, utcnow() - timedelta(days=30))}
    assert records[1].matched == ("generic_error",) and records[1].escalation.kind == "ready"
    assert records[1].escalation.merchant_id == "A2EUQ1WTGCTBG2"
    assert records[1].ticket_created_at is not None and records[1].attempts == 1
    assert records[2].status == NO_MATCH and records[2].ticket_created_at is None
    assert triage_records(store.engine, utcnow() + timedelta(minutes=1)) == []


def test_dead_letter_times(store: Store) -> None:
    store.record_delivery(Delivery(9, "trigger", "k9"))
    store.dead_letter(9, "boom", 6)
    assert len(dead_letter_times(store.engine, utcnow() - timedelta(days=1))) == 1


def test_the_decisions_list_filters_by_error_escalation_status_and_date(store: Store) -> None:
    triaged(store, 1, ["generic_error"], ["amazon_escalation_missing_merchant_id"], evidence_text="An error has occurred")
    triaged(store, 2, ["generic_error"], ["amazon_escalation_ready"])
    triaged(store, 3, ["connection_timeout"], ["amazon_error_connection_timeout"])
    triaged(store, 4, [], [], status=NO_MATCH)
    engine = store.engine
    assert [d.ticket_id for d in list_decisions(engine, error="generic_error")] == [2, 1]
    [missing] = list_decisions(engine, escalation="missing")
    assert missing.ticket_id == 1 and missing.escalation.missing == ("merchant_id",)
    assert missing.evidence == (("generic_error", "An error has occurred"),)
    assert [d.ticket_id for d in list_decisions(engine, escalation="ready")] == [2]
    assert [d.ticket_id for d in list_decisions(engine, escalation="none", status=DONE)] == [3]
    assert [d.ticket_id for d in list_decisions(engine, status=NO_MATCH)] == [4]
    assert list_decisions(engine, since=utcnow() + timedelta(hours=1)) == []
    assert len(list_decisions(engine, until=utcnow() + timedelta(hours=1))) == 4
    assert len(list_decisions(engine, limit=2)) == 2


def test_a_stored_lone_surrogate_becomes_a_replacement_character(store: Store) -> None:
    triaged(store, 5, ["generic_error\udc00"], [])
    [record] = triage_records(store.engine, utcnow() - timedelta(days=1))
    assert record.matched == ("generic_error\ufffd",)
    assert list_decisions(store.engine)[0].matched == ("generic_error\ufffd",)


def test_follow_up_facts_complete_the_funnel_when_recorded(store: Store) -> None:
    """With a followups table (issue 9's), facts from later replies count as "completed later"."""
    missing = {"required": True, "missing": ["merchant_id", "timestamp"], "merchant_id": None}
    triaged(store, 1, ["generic_error"], ["amazon_escalation_missing_merchant_id"], escalation=missing)
    triaged(store, 2, ["generic_error"], ["amazon_escalation_missing_merchant_id"], escalation=missing)
    since = utcnow() - timedelta(days=1)
    real = metadata.tables.get("followups")  # issue 9's table, once merged; else a stand-in with the two columns read
    # Without a followups table completion is unknown (None); with an empty one, none completed yet (0).
    assert funnel(triage_records(store.engine, since)).complete == (None if real is None else 0)
    state = {"ticket_id": 1, "errors": ["generic_error"], "facts": {
        "merchant_id": "A2EUQ1WTGCTBG2", "timestamp_text": "3:15pm EST", "timestamp_utc": "2026-11-20T20:15:00Z"}}
    with store.engine.begin() as conn:
        if real is None:
            json_type = "json" if store.engine.dialect.name == "postgresql" else "text"
            conn.execute(sa.text(f"CREATE TABLE followups (ticket_id BIGINT PRIMARY KEY, state {json_type})"))
            conn.execute(sa.text(f"INSERT INTO followups (ticket_id, state) VALUES (1, CAST(:s AS {json_type}))"),
                         {"s": json.dumps(state)})
        else:
            conn.execute(real.insert().values(ticket_id=1, status="done", state=state, handled_delivery_id=0, attempts=0,
                                              writes=0, updated_at=utcnow()))
    try:
        f = funnel(triage_records(store.engine, since))
        assert (f.flagged, f.missing_at_first, f.complete, f.ready) == (2, 2, 1, 1)
        [ready] = list_decisions(store.engine, escalation="ready")
        assert ready.ticket_id == 1 and ready.escalation.merchant_id == "A2EUQ1WTGCTBG2"
    finally:
        with store.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE followups") if real is None else real.delete())

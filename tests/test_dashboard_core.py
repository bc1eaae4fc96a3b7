"""The overview's arithmetic: per-day counts, the escalation funnel, time to our update, retries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from plugin.core.dashboard import (
    EscalationState,
    TriageRecord,
    duration,
    escalation_state,
    funnel,
    per_day,
    percentile,
    reliability,
    time_to_update,
    with_facts,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


def record(ticket_id: int, *, days_ago: int = 0, status: str = "done", matched: tuple[str, ...] = ("generic_error",),
           created_minutes_before: float | None = None, took_seconds: float = 30, attempts: int = 1,
           escalation: EscalationState = EscalationState(), first_missing: tuple[str, ...] | None = None) -> TriageRecord:
    received = NOW - timedelta(days=days_ago)
    created = received - timedelta(minutes=created_minutes_before) if created_minutes_before is not None else None
    return TriageRecord(ticket_id, status, matched, received, received + timedelta(seconds=took_seconds), created,
                        attempts, escalation, first_missing)


READY = EscalationState(True, (), "A2EUQ1WTGCTBG2", "2026-11-20T20:15:00Z", "3:15pm EST")
MISSING_ID = EscalationState(True, ("merchant_id",))


@pytest.mark.parametrize(
    ("update", "kind", "missing"),
    [
        (None, "none", ()),
        ({"tags": ["amazon_error_timeout", "amazon_triage_done"]}, "none", ()),
        ({"tags": ["amazon_escalation_ready"]}, "ready", ()),
        ({"tags": ["amazon_escalation_missing_merchant_id", "amazon_escalation_missing_timestamp"]}, "missing",
         ("merchant_id", "timestamp")),
        ({"tags": ["x"], "escalation": {"required": True, "missing": ["timestamp"], "merchant_id": "A1"}}, "missing",
         ("timestamp",)),
        # The tags we actually sent win over the planned ones.
        ({"tags": ["amazon_escalation_missing_timestamp"], "sent_tags": ["keep", "amazon_escalation_ready"]}, "ready", ()),
    ],
)
def test_escalation_state_from_a_recorded_update(update, kind, missing) -> None:
    state = escalation_state(update)
    assert (state.kind, state.missing) == (kind, missing)


def test_escalation_state_keeps_the_facts() -> None:
    state = escalation_state({"tags": ["amazon_escalation_ready"], "escalation": {
        "required": True, "missing": [], "merchant_id": "A2EUQ1WTGCTBG2", "timestamp": "3:15pm EST",
        "timestamp_utc": "2026-11-20T20:15:00Z"}})
    assert (state.merchant_id, state.time_text, state.time_utc, state.label) == (
        "A2EUQ1WTGCTBG2", "3:15pm EST", "2026-11-20T20:15:00Z", "ready")
    assert MISSING_ID.label == "missing merchant ID"


def test_per_day_counts_each_error_on_its_day_and_skips_the_rest() -> None:
    records = [record(1), record(2, matched=("generic_error", "connection_timeout")), record(3, days_ago=2),
               record(4, days_ago=30), record(5, status="no_match", matched=()), record(6, status="dry_run"),
               record(7, status="dead")]
    series = per_day(records, TODAY)
    assert len(series.days) == 30 and series.days[-1] == TODAY and series.days[0] == TODAY - timedelta(days=29)
    assert list(series.counts) == ["generic_error", "connection_timeout"]  # busiest first
    assert series.counts["generic_error"][-1] == 3 and series.counts["generic_error"][-3] == 1
    assert series.counts["connection_timeout"][-1] == 1 and series.total == 5


def test_funnel_without_follow_up_data_leaves_completion_unknown() -> None:
    records = [record(1, escalation=READY), record(2, escalation=MISSING_ID), record(3),
               record(4, escalation=MISSING_ID, status="no_match")]
    f = funnel(records)
    assert (f.flagged, f.missing_at_first, f.complete, f.ready, f.missing_now) == (2, 1, None, 1, {"merchant_id": 1})


def test_funnel_counts_escalations_completed_by_follow_ups() -> None:
    records = [record(1, escalation=READY, first_missing=("merchant_id",)),
               record(2, escalation=READY, first_missing=()),
               record(3, escalation=MISSING_ID, first_missing=("merchant_id", "timestamp"))]
    f = funnel(records)
    assert (f.flagged, f.missing_at_first, f.complete, f.ready) == (3, 2, 1, 2)


def test_follow_up_facts_fill_what_was_missing() -> None:
    at_first = EscalationState(True, ("merchant_id", "timestamp"))
    later = with_facts(at_first, {"merchant_id": "A1B2C3D4E5F6G7", "timestamp_text": None})
    assert later.missing == ("timestamp",) and later.merchant_id == "A1B2C3D4E5F6G7"
    done = with_facts(later, {"timestamp_text": "yesterday 3pm CET", "timestamp_utc": "2026-11-26T14:00:00Z"})
    assert done.missing == () and done.kind == "ready" and done.time_utc == "2026-11-26T14:00:00Z"
    assert with_facts(EscalationState(), {"merchant_id": "X"}) == EscalationState()  # no escalation: nothing to fill
    assert with_facts(at_first, None) is at_first


@pytest.mark.parametrize(("values", "q", "expected"), [([5], 95, 5), ([1, 2, 3, 4], 50, 2.5), (list(range(1, 101)), 95, 95.05),
                                                       ([10, 1], 0, 1), ([10, 1], 100, 10)])
def test_percentile(values, q, expected) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_time_to_update_from_creation_or_receipt() -> None:
    records = [record(1, created_minutes_before=2, took_seconds=0), record(2, created_minutes_before=1, took_seconds=0),
               record(3, took_seconds=600), record(4, status="retry", took_seconds=9999)]
    lat = time_to_update(records)
    assert (lat.count, lat.from_receipt) == (3, 1)
    assert lat.median_seconds == 120 and lat.p95_seconds == pytest.approx(120 + 0.9 * 480)
    assert time_to_update([]).median_seconds is None


def test_reliability_per_day() -> None:
    records = [record(1, attempts=3), record(2, attempts=1), record(3, status="retry", attempts=2, days_ago=1)]
    rel = reliability(records, [NOW, NOW - timedelta(days=1), NOW - timedelta(days=40)], open_dead_letters=1, today=TODAY)
    assert rel.dead_letters[-2:] == (1, 1) and sum(rel.dead_letters) == 2
    assert rel.retried_tickets[-2:] == (1, 1) and rel.waiting_to_retry == 1 and rel.open_dead_letters == 1


@pytest.mark.parametrize(("seconds", "text"), [(None, "–"), (0.25, "250 ms"), (4.25, "4.2 s"), (42, "42 s"),
                                               (185, "3 min 5 s"), (7800, "2 h 10 min"), (3 * 86400 + 4 * 3600, "3 d 4 h")])
def test_duration(seconds, text) -> None:
    assert duration(seconds) == text

"""What the admin overview shows, computed from plain records: per-day counts, the escalation funnel,
time to our update, retries and dead letters. No database here: the adapter builds the records."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .decide import DecisionSettings

READY_TAG = DecisionSettings.ready_tag
"""The tags the decision adds, read back from the tickets (one definition: decide.DecisionSettings)."""
FACT_NAMES = {"merchant_id": "merchant ID", "timestamp": "time"}
MISSING_PREFIX = DecisionSettings.missing_tag_prefix
TRIAGED = ("done", "dry_run")


@dataclass(frozen=True)
class EscalationState:
    """Where a ticket's escalation to Codisto stands: not needed, ready, or which facts are missing."""

    required: bool = False
    missing: tuple[str, ...] = ()
    merchant_id: str | None = None
    time_utc: str | None = None
    time_text: str | None = None

    @property
    def kind(self) -> str:
        """"none", "ready" or "missing": what the decisions filter selects on."""
        if not self.required:
            return "none"
        return "missing" if self.missing else "ready"

    @property
    def label(self) -> str:
        if not self.required:
            return ""
        if not self.missing:
            return "ready"
        return "missing " + " and ".join(FACT_NAMES.get(m, m.replace("_", " ")) for m in self.missing)


def escalation_state(update: Mapping[str, Any] | None) -> EscalationState:
    """From a decision's recorded update: the escalation facts, else the tags we set (the newest tags win)."""
    if not update:
        return EscalationState()
    tags = [t for t in (update.get("sent_tags") or update.get("tags") or []) if isinstance(t, str)]
    missing_from_tags = tuple(t[len(MISSING_PREFIX):] for t in tags if t.startswith(MISSING_PREFIX))
    esc = update.get("escalation") if isinstance(update.get("escalation"), Mapping) else {}
    required = bool(esc.get("required")) or READY_TAG in tags or bool(missing_from_tags)
    if not required:
        return EscalationState()
    missing = esc.get("missing")
    missing = tuple(str(m) for m in missing) if isinstance(missing, list) else missing_from_tags
    if READY_TAG in tags and not missing_from_tags:
        missing = ()
    return EscalationState(True, missing, esc.get("merchant_id") or None, esc.get("timestamp_utc") or None,
                           esc.get("timestamp") or None)


def with_facts(state: EscalationState, facts: Mapping[str, Any] | None) -> EscalationState:
    """The escalation after follow-ups: facts the merchant gave in later replies fill what was missing.

    ``facts`` is what the follow-ups remembered ("merchant_id", "timestamp_text", "timestamp_utc").
    """
    if not state.required or not isinstance(facts, Mapping):
        return state
    merchant = facts.get("merchant_id") or state.merchant_id
    when = facts.get("timestamp_text") or state.time_text
    utc = facts.get("timestamp_utc") if facts.get("timestamp_text") else state.time_utc
    missing = tuple(m for m in state.missing if not (m == "merchant_id" and merchant) and not (m == "timestamp" and when))
    return EscalationState(True, missing, merchant, utc, when)


@dataclass(frozen=True)
class TriageRecord:
    """One ticket's decision, as the overview needs it."""

    ticket_id: int
    status: str
    matched: tuple[str, ...]
    received_at: datetime
    updated_at: datetime
    ticket_created_at: datetime | None = None
    attempts: int = 0
    escalation: EscalationState = field(default_factory=EscalationState)
    first_missing: tuple[str, ...] | None = None
    """What was missing when the ticket was first triaged, when follow-ups are recorded; None: no follow-up data."""


@dataclass(frozen=True)
class DailySeries:
    days: tuple[date, ...]
    counts: dict[str, tuple[int, ...]]
    """Per error id: tickets triaged on each day (a ticket with two errors counts for both)."""

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.counts.values())


def per_day(records: Iterable[TriageRecord], today: date, days: int = 30) -> DailySeries:
    """Tickets triaged per day per error over the last ``days`` days (today included), by receipt date (UTC)."""
    first = today - timedelta(days=days - 1)
    span = tuple(first + timedelta(days=i) for i in range(days))
    counts: dict[str, list[int]] = {}
    for r in records:
        if r.status not in TRIAGED:
            continue
        day = r.received_at.date()
        if not first <= day <= today:
            continue
        for error in r.matched:
            counts.setdefault(error, [0] * days)[(day - first).days] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    return DailySeries(span, {k: tuple(v) for k, v in ordered})


@dataclass(frozen=True)
class Funnel:
    flagged: int
    """Triaged tickets whose error needs an escalation to Codisto (merchant ID and time checked)."""
    missing_at_first: int
    """Flagged tickets that lacked the merchant ID or the time when they were triaged."""
    complete: int | None
    """Of those, how many got the missing facts in later replies (None: follow-ups are not recorded)."""
    ready: int
    """Flagged tickets with everything Codisto needs now (at creation or completed later)."""
    missing_now: dict[str, int]


def funnel(records: Iterable[TriageRecord]) -> Funnel:
    flagged = ready = missing_at_first = 0
    completed: int | None = None
    missing_now: dict[str, int] = {}
    for r in records:
        esc = r.escalation
        if r.status not in TRIAGED or not esc.required:
            continue
        flagged += 1
        first = r.first_missing if r.first_missing is not None else esc.missing
        missing_at_first += bool(first)
        if not esc.missing:
            ready += 1
        for m in esc.missing:
            missing_now[m] = missing_now.get(m, 0) + 1
        if r.first_missing is not None:
            completed = (completed or 0) + (1 if first and not esc.missing else 0)
    return Funnel(flagged, missing_at_first, completed, ready, dict(sorted(missing_now.items())))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Latency:
    count: int
    median_seconds: float | None
    p95_seconds: float | None
    from_receipt: int
    """How many were measured from our receipt of the webhook, as it did not carry the ticket's creation time."""


def time_to_update(records: Iterable[TriageRecord]) -> Latency:
    """Ticket creation (else our receipt) to our update, for tickets we triaged."""
    seconds: list[float] = []
    from_receipt = 0
    for r in records:
        if r.status not in TRIAGED:
            continue
        start = r.ticket_created_at
        if start is None or start > r.updated_at:
            start = r.received_at
            from_receipt += 1
        seconds.append(max(0.0, (r.updated_at - start).total_seconds()))
    if not seconds:
        return Latency(0, None, None, 0)
    return Latency(len(seconds), percentile(seconds, 50), percentile(seconds, 95), from_receipt)


@dataclass(frozen=True)
class Reliability:
    days: tuple[date, ...]
    dead_letters: tuple[int, ...]
    retried_tickets: tuple[int, ...]
    """Per day of receipt: tickets that needed more than one attempt."""
    open_dead_letters: int
    waiting_to_retry: int


def reliability(records: Iterable[TriageRecord], dead_letter_times: Iterable[datetime], open_dead_letters: int,
                today: date, days: int = 30) -> Reliability:
    first = today - timedelta(days=days - 1)
    span = tuple(first + timedelta(days=i) for i in range(days))
    dead = [0] * days
    retried = [0] * days
    waiting = 0
    for moment in dead_letter_times:
        if first <= moment.date() <= today:
            dead[(moment.date() - first).days] += 1
    for r in records:
        waiting += r.status == "retry"
        if r.attempts > 1 and first <= r.received_at.date() <= today:
            retried[(r.received_at.date() - first).days] += 1
    return Reliability(span, tuple(dead), tuple(retried), open_dead_letters, waiting)


def duration(seconds: float | None) -> str:
    """A short human duration: 850 ms, 42 s, 3 min 5 s, 2 h 10 min, 3 d 4 h."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"

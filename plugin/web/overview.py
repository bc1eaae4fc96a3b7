"""What /admin's overview and decisions pages show: the store's records turned into figures, charts and filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..core.dashboard import FACT_NAMES, duration, funnel, per_day, reliability, time_to_update
from ..dashboard_data import dead_letter_times, list_decisions, triage_records
from . import charts

DAYS = 30
ESCALATION_STATES = {"ready": "ready to escalate", "missing": "missing facts", "none": "no escalation needed"}


def overview(store: Any, now: datetime) -> dict[str, Any]:
    """The figures and charts of the overview page, for the last 30 days (UTC)."""
    today = now.date()
    since = datetime.combine(today - timedelta(days=DAYS - 1), time.min, tzinfo=timezone.utc)
    records = triage_records(store.engine, since)
    daily = per_day(records, today, DAYS)
    f = funnel(records)
    latency = time_to_update(records)
    rel = reliability(records, dead_letter_times(store.engine, since), len(store.dead()), today, DAYS)
    steps = [
        charts.Step("Flagged for an escalation check", f.flagged),
        charts.Step("Missing the merchant ID or the time at first", f.missing_at_first),
        charts.Step("Completed later by the merchant", f.complete,
                    "Known once follow-ups are recorded (merchant replies read after creation)"),
        charts.Step("Ready to escalate now (merchant ID and time present)", f.ready),
    ]
    return {
        "days": DAYS,
        "triaged": sum(1 for r in records if r.status in ("done", "dry_run")),
        "daily": daily,
        "daily_chart": charts.bars_by_day(daily.days, daily.counts, f"Tickets triaged per day per error, last {DAYS} days",
                                          "chart-per-day") if daily.counts else None,
        "legend": [(charts.swatch(i), name, sum(counts)) for i, (name, counts) in enumerate(daily.counts.items())],
        "funnel": f,
        "fact_names": FACT_NAMES,
        "funnel_chart": charts.funnel(steps, "Escalation funnel", "chart-funnel") if f.flagged else None,
        "latency": latency,
        "median": duration(latency.median_seconds),
        "p95": duration(latency.p95_seconds),
        "reliability": rel,
        "reliability_chart": charts.bars_by_day(
            rel.days, {"dead letters": rel.dead_letters, "tickets retried": rel.retried_tickets},
            f"Dead letters and retried tickets per day, last {DAYS} days", "chart-reliability", stacked=False)
        if any(rel.dead_letters) or any(rel.retried_tickets) else None,
        "reliability_legend": [(charts.swatch(0), "dead letters", sum(rel.dead_letters)),
                               (charts.swatch(1), "tickets retried", sum(rel.retried_tickets))],
    }


class FilterError(ValueError):
    """A filter value the decisions page cannot use; the message says which and why."""


@dataclass(frozen=True)
class DecisionFilters:
    status: str | None = None
    error: str | None = None
    escalation: str | None = None
    since: date | None = None
    until: date | None = None
    older_than: tuple[datetime, int] | None = None
    """Paging: list only the rows after this one (its updated_at and ticket id)."""

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (the page position left out: a new filter starts at the top)."""
        names = {"since": "from", "until": "to"}
        return {names.get(k, k): str(v) for k, v in self.__dict__.items() if v and k != "older_than"}


def _day(args: Any, key: str) -> date | None:
    value = (args.get(key) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"'{key}' must be a date like 2026-11-27, got {value[:40]!r}") from None


def parse_filters(args: Any, statuses: list[str], errors: list[str]) -> DecisionFilters:
    status = args.get("status") or None
    error = args.get("error") or None
    escalation = args.get("escalation") or None
    if status and status not in statuses:
        raise FilterError(f"unknown status {status[:40]!r}")
    if error and error not in errors:
        raise FilterError(f"unknown error {error[:60]!r}")
    if escalation and escalation not in ESCALATION_STATES:
        raise FilterError(f"unknown escalation state {escalation[:40]!r} (ready, missing or none)")
    since, until = _day(args, "from"), _day(args, "to")
    if since and until and since > until:
        raise FilterError("'from' is after 'to'")
    return DecisionFilters(status, error, escalation, since, until, _cursor(args.get("older") or ""))


def cursor(row: Any) -> str:
    """Where the next page starts: after ``row`` (the last one shown)."""
    return f"{row.updated_at.astimezone(timezone.utc).isoformat()}~{row.ticket_id}"


def _cursor(value: str) -> tuple[datetime, int] | None:
    if not value:
        return None
    moment, _, ticket = value.partition("~")
    try:
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None or not ticket.isdigit():
            raise ValueError
    except ValueError:
        raise FilterError(f"'older' must be a page position from an 'Older' link, got {value[:60]!r}") from None
    # Stored times are UTC, and SQLite compares them as text without their offset: compare in UTC.
    return parsed.astimezone(timezone.utc), int(ticket)


PAGE_SIZE = 200


def decisions(store: Any, filters: DecisionFilters, limit: int | None = None) -> tuple[list[Any], str | None]:
    """One page of the list, and where the next one starts (None on the last page)."""
    limit = limit or PAGE_SIZE
    since = datetime.combine(filters.since, time.min, tzinfo=timezone.utc) if filters.since else None
    until = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=timezone.utc) if filters.until else None
    rows = list_decisions(store.engine, status=filters.status, error=filters.error, escalation=filters.escalation,
                          since=since, until=until, limit=limit + 1, older_than=filters.older_than)
    return rows[:limit], cursor(rows[limit - 1]) if len(rows) > limit else None


def utc_time(iso: str | None) -> str:
    """"2026-11-20T20:15:00Z" as "2026-11-20 20:15 UTC"."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return iso
    return f"{moment:%Y-%m-%d %H:%M} UTC"

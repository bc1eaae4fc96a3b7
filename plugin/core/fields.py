"""Find what an escalation to Codisto needs: merchant ID, time of the last attempt, and checks done."""

from __future__ import annotations

from datetime import datetime

from .models import Escalation, FieldValue, PatternFailure
from .normalize import NormalizedText
from .patterns import FieldPattern, PatternSet
from .search import Deadline, Found, scan, search_near
from .timestamps import resolve


def _vetoed(field: FieldPattern, found: Found, text: NormalizedText, deadline: Deadline) -> bool:
    return any(
        search_near(neg.regex, text.text, found.start, found.end, neg.spec.window, deadline) is not None
        for neg in field.negatives
    )


def _value(field: FieldPattern, found: Found, text: NormalizedText,
           reference: datetime | None) -> tuple[FieldValue, datetime | None] | None:
    s, e = text.source_span(found.start, found.end)
    quoted = text.source[s:e]
    groups = found.match.groupdict()
    if field.spec.kind == "merchant_id":
        value = groups.get("value")
        return (FieldValue(value.upper(), value, s, e), None) if value else None
    if field.spec.kind == "timestamp":
        resolved = resolve(groups, quoted, field.spec.zones, reference)
        if resolved is None:
            return None
        return FieldValue(resolved.utc_iso or quoted, quoted, s, e), resolved.utc
    return FieldValue(quoted, quoted, s, e), None


def find_values(field: FieldPattern, text: NormalizedText, timeout: float = 0.25,
                reference: datetime | None = None) -> list[tuple[FieldValue, datetime | None]]:
    """Every value of one field in the text, in the order of its regexes, then of position."""
    deadline = Deadline(timeout)
    found: list[tuple[FieldValue, datetime | None]] = []
    for rx in field.regexes:
        for hit in scan(rx, text, deadline):
            if _vetoed(field, hit, text, deadline):
                continue
            value = _value(field, hit, text, reference)
            if value is not None:
                found.append(value)
    return found


def pick_time(values: list[tuple[FieldValue, datetime | None]]) -> tuple[FieldValue, datetime | None] | None:
    """The most recent attempt: the latest resolved moment, else the last time mentioned."""
    resolved = [v for v in values if v[1] is not None]
    if resolved:
        return max(resolved, key=lambda v: v[1])  # type: ignore[arg-type, return-value]
    return max(values, key=lambda v: v[0].start) if values else None


def extract_escalation(text: NormalizedText, patterns: PatternSet, required: bool,
                       reference: datetime | None = None,
                       timeout: float = 0.25) -> tuple[Escalation, list[PatternFailure]]:
    """The escalation facts; only searched for when an error needs them."""
    if not required:
        return Escalation(required=False), []
    failures: list[PatternFailure] = []
    merchant: FieldValue | None = None
    moment: tuple[FieldValue, datetime | None] | None = None
    flags: dict[str, FieldValue] = {}
    for field in patterns.fields:
        try:
            values = find_values(field, text, timeout, reference)
        except TimeoutError as exc:
            failures.append(PatternFailure(f"fields/{field.id}", str(exc)))
            continue
        if not values:
            continue
        if field.spec.kind == "merchant_id" and merchant is None:
            merchant = values[0][0]
        elif field.spec.kind == "timestamp":
            moment = pick_time(values)
        elif field.spec.kind == "flag":
            flags[field.id] = values[0][0]
    utc = moment[1].strftime("%Y-%m-%dT%H:%M:%SZ") if moment and moment[1] else None
    return Escalation(True, merchant, moment[0] if moment else None, utc, flags), failures

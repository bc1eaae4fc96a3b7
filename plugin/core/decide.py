"""Decide what one ticket needs: tags, one comment, and the reasons, from what was detected."""

from __future__ import annotations

import string
from dataclasses import dataclass

from .models import MARKER_TAG, CommentPart, Detection, Escalation, Match, Ticket, TicketUpdate
from .names import clean_name
from .patterns import PatternSet

FLAG_ORDER = ("reconnected", "cleared_cache", "other_browser")
MISSING_LABELS = {"merchant_id": "the Amazon merchant ID", "timestamp": "the time (with time zone) of the last connection attempt"}


@dataclass(frozen=True)
class DecisionSettings:
    marker_tag: str = MARKER_TAG
    ready_tag: str = "amazon_escalation_ready"
    missing_tag_prefix: str = "amazon_escalation_missing_"
    greeting: str = "Hi $first_name,"
    default_first_name: str = "there"
    macro_fallback: str = ("Thanks for your message. We are looking into this Amazon connection problem "
                           "and will be back with the next steps.")
    """The reply when a macro's text cannot be read (deleted macro): the ticket is still triaged."""
    explain: bool = True


def _render(template: str, values: dict[str, str]) -> str:
    return string.Template(template).safe_substitute(values)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str
    required: bool
    """Required items block the escalation; the others are steps the merchant should have tried."""

    def line(self) -> str:
        return f"[{'x' if self.done else ' '}] {self.label}: {self.detail}"


def checklist(escalation: Escalation, patterns: PatternSet) -> list[ChecklistItem]:
    """What an escalation to Codisto needs, with what the ticket already shows."""
    items = []
    titles = {f.id: f.spec.title for f in patterns.fields if f.spec.kind == "flag"}
    for flag in [*[f for f in FLAG_ORDER if f in titles], *sorted(set(titles) - set(FLAG_ORDER))]:
        found = escalation.flags.get(flag)
        items.append(ChecklistItem(flag, titles[flag], found is not None,
                                   f'"{found.text}"' if found else "not mentioned yet, ask the merchant", False))
    mid, ts = escalation.merchant_id, escalation.timestamp
    items.append(ChecklistItem("merchant_id", "Amazon merchant ID", mid is not None,
                               mid.value if mid else "MISSING, ask the merchant", True))
    when = (f"{ts.text} (= {escalation.timestamp_utc})" if escalation.timestamp_utc else ts.text) if ts else ""
    items.append(ChecklistItem("timestamp", "Time of the last connection attempt, with time zone", ts is not None,
                               when or "MISSING, ask the merchant", True))
    return items


def _checklist(escalation: Escalation, patterns: PatternSet) -> str:
    lines = ["Escalation checklist for Codisto support. Do not escalate until every item is ticked."]
    lines += [item.line() for item in checklist(escalation, patterns)]
    if escalation.missing:
        lines.append("Do not escalate yet: still missing " + " and ".join(MISSING_LABELS[m] for m in escalation.missing) + ".")
    else:
        lines.append("Merchant ID and time are present: once the merchant has tried the steps above, escalate to Codisto with them.")
    return "\n".join(lines)


def explain(matches: tuple[Match, ...]) -> str:
    """Why the suggestion was made, for the agent: what matched, where and how well."""
    lines = ["Why amazon-triage suggested this:"]
    for m in matches:
        for ev in m.evidence[:3]:
            typos = f", {ev.typos} typo(s) tolerated" if ev.typos else ""
            lines.append(f"- {m.error} ({m.title}): regex '{ev.regex}' matched \"{ev.text}\" "
                         f"at characters {ev.start}-{ev.end}, score {ev.score:.2f}{typos}")
    return "\n".join(lines)


def _tags(matches: tuple[Match, ...], escalation: Escalation, settings: DecisionSettings) -> tuple[str, ...]:
    tags: list[str] = [t for m in matches for t in m.tags]
    if escalation.required:
        if escalation.missing:
            tags += [settings.missing_tag_prefix + name for name in escalation.missing]
        else:
            tags.append(settings.ready_tag)
    tags.append(settings.marker_tag)
    return tuple(dict.fromkeys(tags))


def decide(ticket: Ticket, detection: Detection, escalation: Escalation, patterns: PatternSet,
           settings: DecisionSettings = DecisionSettings()) -> TicketUpdate:
    """The update for one ticket; empty (no write at all) when nothing matched."""
    matches = tuple(m for m in detection.matches if patterns.get(m.error) is not None)
    if not matches:
        return TicketUpdate(ticket_id=ticket.id)
    values = {
        "first_name": clean_name(ticket.requester_first_name) or settings.default_first_name,
        "ticket_id": str(ticket.id or ""),
        "merchant_id": escalation.merchant_id.value if escalation.merchant_id else "",
        "timestamp": escalation.timestamp.text if escalation.timestamp else "",
        "missing": " and ".join(MISSING_LABELS[m] for m in escalation.missing),
    }
    replies = [patterns.get(m.error).spec.reply for m in matches]  # type: ignore[union-attr]
    parts = tuple(
        CommentPart(m.error, _render(r.body, values) if r.body else None, r.zendesk_macro_id,
                    settings.macro_fallback if r.zendesk_macro_id is not None else "")
        for m, r in zip(matches, replies, strict=True)
    )
    public = all(r.visibility == "public" for r in replies)
    return TicketUpdate(
        ticket_id=ticket.id,
        matched=tuple(m.error for m in matches),
        tags=_tags(matches, escalation, settings),
        public=public,
        greeting=_render(settings.greeting, values),
        parts=parts,
        agent_notes=_checklist(escalation, patterns) if escalation.required else "",
        explanation=explain(matches) if settings.explain else "",
    )

"""After creation: what a ticket's new comments change, as one pure decision.

Two things can follow a triaged ticket: an escalation that was missing the merchant ID or the time of
the last attempt gets them in a later reply, and a ticket that showed no error at creation shows one
in a follow-up. Both are decided here, from what we remembered of the ticket (FollowupState), its
current tags and the comments that are new since; the adapter reads, calls ``follow_up`` once and
writes at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .decide import MISSING_LABELS, DecisionSettings, decide
from .detect import DetectOptions, detect_text
from .fields import extract_escalation
from .models import Detection, Escalation, FieldValue, Ticket
from .patterns import PatternSet

FACTS = ("merchant_id", "timestamp")
# Our notes begin with one of these: they never count as evidence, whoever the author appears to be.
OWN_HEADINGS = ("Suggested reply (amazon-triage)", "amazon-triage:", "Escalation checklist for Codisto support")


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author_id: int | None = None
    public: bool = True
    created_at: datetime | None = None

    def is_ours(self, me: int | None) -> bool:
        return (me is not None and self.author_id == me) or self.body.lstrip().startswith(OWN_HEADINGS)


@dataclass(frozen=True)
class Facts:
    """The escalation facts known so far, each with the words the merchant used."""

    merchant_id: str | None = None
    merchant_text: str | None = None
    timestamp_text: str | None = None
    timestamp_utc: str | None = None
    steps: dict[str, str] = field(default_factory=dict)
    """Checks the merchant says they did (reconnected, cleared cache...): field id -> quoted words."""

    def has(self, name: str) -> bool:
        return bool(self.merchant_id) if name == "merchant_id" else bool(self.timestamp_text)

    def merged(self, newer: Facts) -> Facts:
        """Newer mentions win for the time (the last attempt), the first merchant ID stays."""
        return Facts(
            merchant_id=self.merchant_id or newer.merchant_id,
            merchant_text=self.merchant_text or newer.merchant_text,
            timestamp_text=newer.timestamp_text or self.timestamp_text,
            timestamp_utc=newer.timestamp_utc if newer.timestamp_text else self.timestamp_utc,
            steps={**self.steps, **newer.steps},
        )

    @classmethod
    def from_escalation(cls, esc: Escalation) -> Facts:
        return cls(
            merchant_id=esc.merchant_id.value if esc.merchant_id else None,
            merchant_text=esc.merchant_id.text if esc.merchant_id else None,
            timestamp_text=esc.timestamp.text if esc.timestamp else None,
            timestamp_utc=esc.timestamp_utc if esc.timestamp else None,
            steps={k: v.text for k, v in esc.flags.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {"merchant_id": self.merchant_id, "merchant_text": self.merchant_text,
                "timestamp_text": self.timestamp_text, "timestamp_utc": self.timestamp_utc, "steps": dict(self.steps)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Facts:
        data = data or {}

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        steps = data.get("steps")
        return cls(text("merchant_id"), text("merchant_text"), text("timestamp_text"), text("timestamp_utc"),
                   {str(k): str(v) for k, v in steps.items()} if isinstance(steps, dict) else {})


@dataclass(frozen=True)
class FollowupState:
    """What we remember of one ticket between deliveries."""

    ticket_id: int
    errors: tuple[str, ...] = ()
    """Errors already triaged on this ticket (at creation or by an earlier follow-up): once per error."""
    facts: Facts = field(default_factory=Facts)
    last_comment_id: int | None = None
    """The newest comment already read; only comments after it are new."""

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "errors": list(self.errors), "facts": self.facts.to_json(),
                "last_comment_id": self.last_comment_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FollowupState:
        last = data.get("last_comment_id")
        return cls(int(data["ticket_id"]), tuple(str(e) for e in data.get("errors") or ()),
                   Facts.from_json(data.get("facts")), int(last) if isinstance(last, int) else None)


@dataclass(frozen=True)
class FollowupUpdate:
    """One write: tags to add and remove, one internal note. Empty (``write`` False) means write nothing."""

    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    note: str = ""
    new_errors: tuple[str, ...] = ()
    ready: bool = False
    still_missing: tuple[str, ...] = ()

    @property
    def write(self) -> bool:
        return bool(self.note or self.add_tags or self.remove_tags)

    def tags_after(self, current: Iterable[str]) -> list[str]:
        """The full tag list to send (a ticket update replaces all tags): theirs kept, ours applied."""
        removed = set(self.remove_tags)
        return list(dict.fromkeys([*(t for t in current if t not in removed), *self.add_tags]))

    def to_json(self) -> dict[str, Any]:
        return {"add_tags": list(self.add_tags), "remove_tags": list(self.remove_tags), "note": self.note,
                "new_errors": list(self.new_errors), "ready": self.ready, "still_missing": list(self.still_missing)}


@dataclass(frozen=True)
class FollowupResult:
    update: FollowupUpdate
    state: FollowupState
    reason: str
    """Why (for the log and the admin page): never ticket text."""


def new_comments(comments: Sequence[Comment], last_seen: int | None) -> list[Comment]:
    """Comments after the newest one already read, oldest first."""
    fresh = [c for c in comments if last_seen is None or c.id > last_seen]
    return sorted(fresh, key=lambda c: c.id)


def flagged_missing(tags: Iterable[str], settings: DecisionSettings) -> tuple[str, ...]:
    """The facts the ticket's tags say are still missing (the agents' view wins over our memory)."""
    have = set(tags)
    return tuple(f for f in FACTS if settings.missing_tag_prefix + f in have)


def ready_note(ticket_id: int, facts: Facts, errors: Sequence[str], titles: dict[str, str]) -> str:
    """The internal note an agent pastes into the escalation to Codisto, as is."""
    lines = ["amazon-triage: escalation ready for Codisto. Paste this into the escalation:", "",
             f"Zendesk ticket: #{ticket_id}",
             f"Error: {', '.join(errors) if errors else 'An error has occurred'}",
             f"Amazon merchant ID: {facts.merchant_id}"]
    if facts.timestamp_utc:
        lines.append(f"Last connection attempt: {facts.timestamp_utc} (UTC); the merchant wrote \"{facts.timestamp_text}\"")
    else:
        lines.append(f"Last connection attempt: \"{facts.timestamp_text}\" as the merchant wrote it (no UTC time could be worked out)")
    if facts.steps:
        lines.append("Steps already tried:")
        lines += [f"- {titles.get(k, k)}: \"{v}\"" for k, v in sorted(facts.steps.items())]
    else:
        lines.append("Steps already tried: none mentioned by the merchant")
    return "\n".join(lines)


def partial_note(found: Sequence[str], missing: Sequence[str], facts: Facts) -> str:
    got = []
    for name in found:
        got.append(f"the merchant ID {facts.merchant_id}" if name == "merchant_id"
                   else f"the time of the last attempt (\"{facts.timestamp_text}\"{', = ' + facts.timestamp_utc if facts.timestamp_utc else ''})")
    return ("amazon-triage: the merchant's reply gave " + " and ".join(got) + ". Still missing before escalating to "
            "Codisto: " + " and ".join(MISSING_LABELS[m] for m in missing) + ".")


def _facts_in(text: str, patterns: PatternSet, reference: datetime | None, options: DetectOptions) -> tuple[Facts, Detection]:
    normalized, detection = detect_text(text, patterns, options)
    escalation, _ = extract_escalation(normalized, patterns, True, reference, options.timeout)
    return Facts.from_escalation(escalation), detection


def follow_up(state: FollowupState, tags: Sequence[str], comments: Sequence[Comment], patterns: PatternSet,
              me: int | None = None, requester_first_name: str | None = None,
              settings: DecisionSettings = DecisionSettings(), options: DetectOptions = DetectOptions()) -> FollowupResult:
    """Decide what the comments new since ``state.last_comment_id`` change; at most one update."""
    fresh = new_comments(comments, state.last_comment_id)
    last = max([state.last_comment_id or 0, *(c.id for c in fresh)]) or None
    moved = replace(state, last_comment_id=last)
    evidence = [c for c in fresh if not c.is_ours(me)]
    if not evidence:
        why = "no new comments" if not fresh else "only our own comments are new"
        return FollowupResult(FollowupUpdate(), moved, why)
    text = "\n\n".join(c.body for c in evidence)
    reference = next((c.created_at for c in reversed(evidence) if c.created_at), None)
    found, detection = _facts_in(text, patterns, reference, options)
    facts = state.facts.merged(found)
    on_ticket = {t.removeprefix("amazon_error_") for t in tags if t.startswith("amazon_error_")}
    new_matches = tuple(m for m in detection.matches if m.error not in state.errors and m.error not in on_ticket
                        and patterns.get(m.error) is not None)
    missing_before = flagged_missing(tags, settings)
    now_have = tuple(f for f in missing_before if facts.has(f))
    still = tuple(f for f in missing_before if not facts.has(f))
    add: list[str] = []
    remove: list[str] = [settings.missing_tag_prefix + f for f in now_have]
    notes: list[str] = []
    ready = False
    errors = state.errors
    if new_matches:
        needs = any(p.spec.escalation_fields for m in new_matches if (p := patterns.get(m.error)) is not None)
        esc = _escalation(facts) if needs else Escalation(required=False)
        ticket = Ticket(id=state.ticket_id, description=text, requester_first_name=requester_first_name, tags=tuple(tags))
        update = decide(ticket, Detection(new_matches), esc, patterns, settings)
        add += update.tags
        notes.append(update.comment())
        errors = (*errors, *(m.error for m in new_matches))
        if needs and not esc.missing:
            ready = True
        still = tuple(dict.fromkeys([*still, *esc.missing]))
    if now_have:
        if still:
            notes.append(partial_note(now_have, still, facts))
        else:
            ready = True
            add.append(settings.ready_tag)
            titles = {f.id: f.spec.title for f in patterns.fields}
            escalating = [f"{e} ({p.spec.title})" for e in errors
                          if (p := patterns.get(e)) is not None and p.spec.escalation_fields] or list(errors)
            notes.append(ready_note(state.ticket_id, facts, escalating, titles))
    add = [t for t in dict.fromkeys(add) if t not in tags or t in remove]
    remove = [t for t in remove if t in tags]
    new_state = replace(moved, facts=facts, errors=errors)
    result = FollowupUpdate(tuple(add), tuple(remove), "\n\n".join(notes), tuple(m.error for m in new_matches),
                            ready, still)
    if not result.write:
        return FollowupResult(result, new_state, "new comments change nothing")
    parts = []
    if new_matches:
        parts.append("new error(s) " + " ".join(result.new_errors))
    if now_have:
        parts.append(("escalation ready" if not still else "escalation still missing " + " ".join(still)))
    return FollowupResult(result, new_state, "; ".join(parts))


def _escalation(facts: Facts) -> Escalation:
    """An Escalation carrying known facts (for ``decide``'s checklist and tags)."""
    mid = FieldValue(facts.merchant_id, facts.merchant_text or facts.merchant_id, 0, 0) if facts.merchant_id else None
    ts = FieldValue(facts.timestamp_utc or facts.timestamp_text, facts.timestamp_text, 0, 0) if facts.timestamp_text else None
    flags = {k: FieldValue(v, v, 0, 0) for k, v in facts.steps.items()}
    return Escalation(True, mid, ts, facts.timestamp_utc, flags)


def state_after_triage(ticket_id: int, errors: Sequence[str], escalation: dict[str, Any] | None) -> FollowupState:
    """The state a creation-time decision leaves: its errors and the escalation facts it found."""
    esc = escalation or {}
    checks = esc.get("checks") if isinstance(esc.get("checks"), dict) else {}
    facts = Facts(merchant_id=esc.get("merchant_id") or None, merchant_text=esc.get("merchant_id") or None,
                  timestamp_text=esc.get("timestamp") or None, timestamp_utc=esc.get("timestamp_utc") or None,
                  steps={str(k): str(v) for k, v in (checks or {}).items()})
    return FollowupState(ticket_id, tuple(errors), facts)

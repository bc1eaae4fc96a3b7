"""Agents' corrections of our tags, and the live precision and recall they give.

An agent who removes an ``amazon_error_*`` tag we added says we were wrong; one who adds a tag we did
not add says we missed it. Each such change becomes a Correction; ``tally`` turns them, with what we
matched, into per-error counts. The latest change per ticket and error wins, so an agent who removes
a tag and puts it back leaves it "kept".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ERROR_TAG_PREFIX = "amazon_error_"
REMOVED, ADDED = "removed", "added"


@dataclass(frozen=True)
class Correction:
    ticket_id: int
    error: str
    kind: str
    """REMOVED (we tagged it, an agent took it off) or ADDED (an agent tagged what we did not)."""
    at: datetime
    actor_id: int | None
    evidence: tuple[str, ...] = ()
    """What we quoted when we matched it (removed), or nothing (added)."""

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "error": self.error, "kind": self.kind, "at": self.at.isoformat(),
                "actor_id": self.actor_id, "evidence": list(self.evidence)}


def error_of(tag: str, known: Iterable[str]) -> str | None:
    """The error id an ``amazon_error_<id>`` tag names, if it is one of ours."""
    if not tag.startswith(ERROR_TAG_PREFIX):
        return None
    error = tag.removeprefix(ERROR_TAG_PREFIX)
    return error if error in set(known) else None


def corrections(ticket_id: int, ours: Iterable[str], added: Iterable[str], removed: Iterable[str],
                actor_id: int | None, me: int | None, at: datetime, known: Iterable[str],
                evidence: Mapping[str, Iterable[str]] | None = None) -> list[Correction]:
    """The corrections in one tag change; none when we made it (our own API user)."""
    if me is not None and actor_id == me:
        return []
    known = set(known)
    mine = set(ours)
    out = []
    for tag in dict.fromkeys(removed):
        error = error_of(tag, known)
        if error is not None and error in mine:
            out.append(Correction(ticket_id, error, REMOVED, at, actor_id, tuple((evidence or {}).get(error, ()))))
    for tag in dict.fromkeys(added):
        error = error_of(tag, known)
        if error is not None:
            # Putting back a tag we had added restores it; adding one we never added is a miss.
            out.append(Correction(ticket_id, error, ADDED, at, actor_id))
    return out


def tag_diff(before: Iterable[str], after: Iterable[str]) -> tuple[list[str], list[str]]:
    """(added, removed) between two tag lists, for sources that give the lists, not the change."""
    b, a = list(dict.fromkeys(before)), list(dict.fromkeys(after))
    return [t for t in a if t not in set(b)], [t for t in b if t not in set(a)]


@dataclass
class ErrorStats:
    matched: int = 0
    kept: int = 0
    removed_by_agents: int = 0
    added_by_agents: int = 0
    removed_tickets: list[int] = field(default_factory=list)
    missed_tickets: list[int] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.kept / self.matched if self.matched else None

    @property
    def recall(self) -> float | None:
        found = self.kept + self.added_by_agents
        return self.kept / found if found else None

    def to_json(self) -> dict[str, Any]:
        return {"matched": self.matched, "kept": self.kept, "removed_by_agents": self.removed_by_agents,
                "added_by_agents": self.added_by_agents, "precision": self.precision, "recall": self.recall,
                "removed_tickets": self.removed_tickets, "missed_tickets": self.missed_tickets}


def tally(matched: Mapping[str, Iterable[int]], history: Iterable[Correction],
          known: Iterable[str] = ()) -> dict[str, ErrorStats]:
    """Per error: tickets we matched, kept, removed by agents, and added by agents (missed)."""
    ours = {e: set(ts) for e, ts in matched.items()}
    latest: dict[tuple[int, str], Correction] = {}
    for c in sorted(history, key=lambda c: c.at):
        latest[(c.ticket_id, c.error)] = c
    stats = {e: ErrorStats() for e in sorted({*known, *ours, *(e for _, e in latest)})}
    for error, tickets in ours.items():
        for t in sorted(tickets):
            s = stats[error]
            s.matched += 1
            last = latest.get((t, error))
            if last is not None and last.kind == REMOVED:
                s.removed_by_agents += 1
                s.removed_tickets.append(t)
            else:
                s.kept += 1
    for (t, error), c in sorted(latest.items()):
        if c.kind == ADDED and t not in ours.get(error, set()):
            stats[error].added_by_agents += 1
            stats[error].missed_tickets.append(t)
    return stats


def labelled_line(ticket_id: int, subject: str, description: str, labels: Iterable[str]) -> dict[str, Any]:
    """One corrected ticket as `replay` reads it: agents' final labels as amazon_error_* tags, no marker."""
    return {"id": ticket_id, "subject": subject, "description": description,
            "tags": [ERROR_TAG_PREFIX + e for e in sorted(set(labels))]}

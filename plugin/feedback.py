"""What agents' corrections teach: per-error counts for /admin, missed tickets, and a labelled export.

The export writes one JSON line per corrected ticket with the agents' final labels as
``amazon_error_*`` tags and without our marker, which is exactly what `amazon-triage replay` scores,
so a pattern edit can be checked against real corrections before it ships.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from .core.corrections import ADDED, REMOVED, labelled_line, tally
from .followup_store import FollowupStore


@dataclass(frozen=True)
class Missed:
    ticket_id: int
    error: str
    subject: str
    description: str
    at: datetime
    actor_id: int | None


def stats(fstore: FollowupStore, known: Iterable[str] = ()) -> dict[str, Any]:
    """``{"errors": {id: {matched, kept, removed_by_agents, added_by_agents, precision, recall, ...}}}``."""
    table = tally(fstore.matched(), fstore.history(), known)
    return {"errors": {error: s.to_json() for error, s in table.items()},
            "corrections": len(fstore.corrections())}


def _latest(fstore: FollowupStore) -> dict[tuple[int, str], dict[str, Any]]:
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    for row in fstore.corrections():
        latest[(row["ticket_id"], row["error"])] = row
    return latest


def missed(fstore: FollowupStore) -> list[Missed]:
    """Tickets where agents added an error we did not find (and did not take it back), newest first."""
    ours = fstore.matched()
    out = [Missed(t, e, r["subject"], r["description"], r["at"], r["actor_id"])
           for (t, e), r in _latest(fstore).items() if r["kind"] == ADDED and t not in ours.get(e, set())]
    return sorted(out, key=lambda m: m.at, reverse=True)


def export_labelled(fstore: FollowupStore, out: TextIO) -> int:
    """Write every corrected ticket as a labelled JSONL line; returns how many."""
    ours = fstore.matched()
    tickets: dict[int, dict[str, Any]] = {}
    for (ticket_id, error), row in sorted(_latest(fstore).items()):
        entry = tickets.setdefault(ticket_id, {"subject": "", "description": "", "labels": set()})
        entry["subject"] = entry["subject"] or row["subject"]
        entry["description"] = entry["description"] or row["description"]
        if row["kind"] == ADDED:
            entry["labels"].add(error)
        elif row["kind"] == REMOVED:
            entry["labels"].discard(error)
            entry.setdefault("removed", set()).add(error)
    for ticket_id, entry in tickets.items():
        kept = {e for e, ts in ours.items() if ticket_id in ts} - entry.get("removed", set())
        line = labelled_line(ticket_id, entry["subject"], entry["description"], entry["labels"] | kept)
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(tickets)

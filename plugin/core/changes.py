"""A change to an existing ticket, as a webhook told it: a comment added, or tags changed.

The intake stores ``to_json()`` beside the delivery; the follow-up worker reads it back with
``from_json`` (typed, never loose dicts). Ticket text is kept (the missed-tickets page and the
feedback export need it) but never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COMMENT, TAGS = "comment", "tags"
SOURCES = ("comment", "tags")
"""Delivery sources that are follow-ups (creation deliveries are "trigger", "event", "reconcile")."""


@dataclass(frozen=True)
class TicketChange:
    ticket_id: int
    kind: str
    """COMMENT or TAGS."""
    actor_id: int | None = None
    """Who made the change (the comment's author, the agent who edited tags)."""
    tags: tuple[str, ...] | None = None
    """The ticket's tags after the change, when the payload said."""
    updated_at: str | None = None
    comment_id: int | None = None
    comment_public: bool | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    subject: str = ""
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "kind": self.kind, "actor_id": self.actor_id,
                "tags": list(self.tags) if self.tags is not None else None, "updated_at": self.updated_at,
                "comment_id": self.comment_id, "comment_public": self.comment_public, "added": list(self.added),
                "removed": list(self.removed), "subject": self.subject, "description": self.description}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TicketChange:
        def ints(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def strs(key: str) -> tuple[str, ...]:
            value = data.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        tags = data.get("tags")
        public = data.get("comment_public")
        return cls(int(data["ticket_id"]), str(data.get("kind", COMMENT)), ints("actor_id"),
                   strs("tags") if isinstance(tags, list) else None,
                   data.get("updated_at") if isinstance(data.get("updated_at"), str) else None,
                   ints("comment_id"), public if isinstance(public, bool) else None, strs("added"), strs("removed"),
                   str(data.get("subject") or ""), str(data.get("description") or ""))

"""The typed record of one webhook call: what the intake stores and what the worker reads back.

The webhook parses bytes into a Delivery, the store persists ``to_json()`` and returns
``Delivery.from_json()``, so the worker never handles loose dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TicketFacts:
    """What a payload told us about the ticket; None means "not said" (the worker may read it)."""

    subject: str | None = None
    description: str | None = None
    requester_first_name: str | None = None
    created_at: str | None = None
    tags: tuple[str, ...] | None = None
    requester_locale: str | None = None
    """The requester's Zendesk locale ("de", "fr-ca"), when the payload carries it: the reply's language."""

    @property
    def has_text(self) -> bool:
        return bool(self.subject or self.description)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in (("subject", self.subject), ("description", self.description),
                                                 ("requester_first_name", self.requester_first_name),
                                                 ("created_at", self.created_at),
                                                 ("requester_locale", self.requester_locale)) if v is not None}
        if self.tags is not None:
            out["tags"] = list(self.tags)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> TicketFacts:
        data = data or {}

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        tags = data.get("tags")
        return cls(subject=text("subject"), description=text("description"),
                   requester_first_name=text("requester_first_name"), created_at=text("created_at"),
                   requester_locale=text("requester_locale"),
                   tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else None)


@dataclass(frozen=True)
class Delivery:
    ticket_id: int
    source: str
    """Where it came from: "trigger", "event" (and later kinds such as follow-ups or backfill)."""
    dedupe_key: str
    ticket: TicketFacts = field(default_factory=TicketFacts)
    actor_ids: tuple[int, ...] = ()
    """Users who caused the event (requester, submitter, actor), to skip our own API user's changes."""

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "source": self.source, "dedupe_key": self.dedupe_key,
                "ticket": self.ticket.to_json(), "actor_ids": list(self.actor_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Delivery:
        return cls(ticket_id=int(data["ticket_id"]), source=str(data.get("source", "trigger")),
                   dedupe_key=str(data.get("dedupe_key", f"ticket:{data['ticket_id']}")),
                   ticket=TicketFacts.from_json(data.get("ticket")),
                   actor_ids=tuple(int(a) for a in data.get("actor_ids", ()) if isinstance(a, int)))

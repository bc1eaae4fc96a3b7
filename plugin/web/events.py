"""Zendesk ticket events after creation (comment added, tags changed) as TicketChanges.

The payload shape (developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/):
``detail`` is the ticket, ids as strings (``id``, ``actor_id`` who did it, ``tags`` after the change,
``updated_at``, ``subject``, ``description``...); ``event`` holds what changed:

* ``zen:event-type:ticket.comment_added``: ``event.comment`` with ``id``, ``body``, ``is_public`` and
  ``author`` (``id``, ``is_staff``, ``name``).
* ``zen:event-type:ticket.tags_changed``: ``event.tags_added`` and ``event.tags_removed``, lists of tags.

(The per-event names were checked against public integrations modelling that page, not against a real
delivery yet: see the README's "Setting up Zendesk".) Read as documented; where a field is missing we fall back: no ``comment.author.id`` means
``detail.actor_id``, no ``is_public`` means "unknown". The comment's text is never taken from the
event: the worker reads the ticket's new comments from the API (one request, which also sees comments
whose events were lost), so ``comment.body`` is not stored twice. Each comment is one change (its id is
the dedupe key), so a Zendesk retry or a replay does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.changes import COMMENT, TAGS, TicketChange
from ..core.scrub import scrub
from ..core.tickets import TicketDataError, parse_ticket_id

COMMENT_ADDED = "zen:event-type:ticket.comment_added"
TAGS_CHANGED = "zen:event-type:ticket.tags_changed"
CHANGE_TYPES = (COMMENT_ADDED, TAGS_CHANGED)


@dataclass(frozen=True)
class Change:
    """A parsed follow-up delivery: the change and its dedupe key."""

    change: TicketChange
    dedupe_key: str


class ChangeError(ValueError):
    """The event is not one we can use; the message names the key."""


def _id(value: Any, key: str, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    try:
        return parse_ticket_id(value, key)
    except (TicketDataError, ValueError) as exc:  # ValueError: digits int() refuses, such as "²"
        if not required:
            return None
        message = str(exc) if isinstance(exc, TicketDataError) else f"'{key}' must be a number"
        raise ChangeError(message) from None


def _clean(value: str) -> str:
    """Lone surrogates (valid JSON, not valid UTF-8) would break every page that shows the text later."""
    return scrub(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(_clean(v) for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return _clean(value) if isinstance(value, str) else ""


def parse_change(body: dict[str, Any], invocation_id: str | None = None) -> tuple[TicketChange, str]:
    """(the change, its dedupe key) from a comment_added or tags_changed event."""
    kind = body.get("type")
    detail, event = body.get("detail"), body.get("event")
    if not isinstance(detail, dict) or not isinstance(event, dict):
        raise ChangeError("'detail' and 'event' must be objects")
    ticket_id = _id(detail.get("id"), "detail.id")
    assert ticket_id is not None
    tags = detail.get("tags")
    common = {"tags": _strings(tags) if isinstance(tags, list) else None,
              "updated_at": _text(detail, "updated_at") or None,
              "subject": _text(detail, "subject"), "description": _text(detail, "description")}
    event_key = f"event:{body['id']}" if isinstance(body.get("id"), str) and body["id"] else None
    if kind == COMMENT_ADDED:
        comment = event.get("comment")
        if not isinstance(comment, dict):
            raise ChangeError("'event.comment' must be an object")
        comment_id = _id(comment.get("id"), "event.comment.id")
        author = comment.get("author") if isinstance(comment.get("author"), dict) else {}
        actor = _id(author.get("id"), "event.comment.author.id", required=False) or _id(
            detail.get("actor_id"), "detail.actor_id", required=False)
        public = comment.get("is_public")
        change = TicketChange(ticket_id, COMMENT, actor, comment_id=comment_id,
                              comment_public=public if isinstance(public, bool) else None, **common)
        return change, f"comment:{ticket_id}:{comment_id}"
    if kind == TAGS_CHANGED:
        if "tags_added" not in event and "tags_removed" not in event:
            raise ChangeError("a tags_changed event needs 'event.tags_added' or 'event.tags_removed'")
        actor = _id(detail.get("actor_id"), "detail.actor_id", required=False)
        change = TicketChange(ticket_id, TAGS, actor, added=_strings(event.get("tags_added")),
                              removed=_strings(event.get("tags_removed")), **common)
        key = event_key or (f"tags:{invocation_id}" if invocation_id else None)
        if key is None:
            raise ChangeError("a tags_changed event needs its 'id'")
        return change, key
    raise ChangeError(f"event type {str(kind)[:80]!r} is not a ticket change we follow")

"""Turn a webhook body into a Delivery: the trigger shape we document, or a ticket.created event."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.tickets import TicketDataError, parse_ticket_id

CREATED = "zen:event-type:ticket.created"


class PayloadError(ValueError):
    """The body is not a ticket we can work on; the message names the problem."""


@dataclass(frozen=True)
class Delivery:
    ticket_id: int
    source: str
    dedupe_key: str
    ticket: dict[str, Any] = field(default_factory=dict)
    """What the payload told us of the ticket (subject, description, tags...), possibly nothing."""
    actor_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Ignored:
    reason: str


def _text_fields(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, key in mapping.items():
        value = data.get(key)
        if isinstance(value, str) and value and not (value.startswith("{{") and value.endswith("}}")):
            out[target] = value
    return out


def _ids(values: list[Any]) -> tuple[int, ...]:
    out = []
    for v in values:
        try:
            out.append(parse_ticket_id(v))
        except TicketDataError:
            continue
    return tuple(out)


# Our trigger template starts with the id; what follows may be broken JSON if Zendesk does not
# escape quotes or line breaks inside {{ticket.description}} (unverified: see shared/ZENDESK.md).
_TEMPLATE_START = re.compile(rb'\A\s*\{\s*"ticket"\s*:\s*\{\s*"id"\s*:\s*"?\s*(\d{1,18})\s*"?\s*[,}]')


def salvage_ticket_id(raw: bytes, invocation_id: str | None = None) -> Delivery | None:
    """A delivery with the ticket id only, from a body that is our template but not valid JSON."""
    m = _TEMPLATE_START.match(raw)
    if m is None:
        return None
    ticket_id = int(m.group(1))
    if ticket_id <= 0:
        return None
    return Delivery(ticket_id, "trigger", invocation_id or f"ticket:{ticket_id}", {})


def _ticket_id(value: Any, key: str) -> int:
    try:
        return parse_ticket_id(value, key)
    except TicketDataError as exc:
        raise PayloadError(str(exc)) from None


def parse_delivery(body: Any, invocation_id: str | None = None) -> Delivery | Ignored:
    """Raise PayloadError for a body we cannot use; Ignored for events that are not ours."""
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object")
    if "type" in body and "detail" in body:
        if body["type"] != CREATED:
            return Ignored(f"event type {str(body['type'])[:80]!r} is not {CREATED}")
        detail = body.get("detail")
        if not isinstance(detail, dict):
            raise PayloadError("'detail' must be an object")
        ticket_id = _ticket_id(detail.get("id"), "detail.id")
        ticket = _text_fields(detail, {"subject": "subject", "description": "description", "created_at": "created_at"})
        tags = detail.get("tags")
        if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
            ticket["tags"] = tags
        key = invocation_id or (f"event:{body['id']}" if body.get("id") else f"ticket:{ticket_id}")
        return Delivery(ticket_id, "event", key, ticket, _ids([detail.get("requester_id"), detail.get("submitter_id")]))
    raw = body.get("ticket")
    if not isinstance(raw, dict):
        raise PayloadError("expected {\"ticket\": {\"id\": ...}} or a Zendesk ticket.created event")
    ticket_id = _ticket_id(raw.get("id"), "ticket.id")
    ticket = _text_fields(raw, {"subject": "subject", "description": "description",
                                "requester_first_name": "requester_first_name", "created_at": "created_at"})
    if isinstance(raw.get("tags"), str):
        ticket["tags"] = raw["tags"].split()
    return Delivery(ticket_id, "trigger", invocation_id or f"ticket:{ticket_id}", ticket)

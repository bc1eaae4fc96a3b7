"""Build a Ticket from the JSON shapes we receive: webhook bodies, exports, JSONL lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .models import Ticket


class TicketDataError(ValueError):
    """The data does not describe a ticket; the message says which key is wrong."""


# ASCII digits only: str.isdigit() also accepts "²" (int() then fails) and "١٢" (taken as 12).
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_ticket_id(value: Any, key: str = "id") -> int:
    if isinstance(value, bool) or value is None:
        raise TicketDataError(f"'{key}' is required and must be a number")
    if isinstance(value, int):
        ticket_id = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        ticket_id = int(value.strip())
    else:
        raise TicketDataError(f"'{key}' must be a ticket number, got {str(value)[:40]!r}")
    if not 0 < ticket_id < 2**63:
        raise TicketDataError(f"'{key}' must be a positive ticket number")
    return ticket_id


def _text(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise TicketDataError(f"'{key}' must be text")
        return value
    return ""


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise TicketDataError("'tags' must be a list of strings or a space-separated string")


def parse_when(value: Any) -> datetime | None:
    """An ISO-8601 time with its zone, as Zendesk writes them ("...Z"); None when missing, malformed or naive."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _optional_id(data: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = data.get(key)
        if value is None or value == "":
            continue
        return parse_ticket_id(value, key)
    return None


def _locale(data: Mapping[str, Any]) -> str | None:
    value = data.get("locale") or data.get("requester_locale")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 20:
        raise TicketDataError("'locale' must be a short text such as 'de' or 'fr-ca'")
    return value or None


def ticket_from_mapping(data: Any, *, require_id: bool = True) -> Ticket:
    """A Ticket from a Zendesk-like dict (``id``, ``subject``, ``description``, ...)."""
    if not isinstance(data, Mapping):
        raise TicketDataError("a ticket must be a JSON object")
    raw_id = data.get("id")
    ticket_id = parse_ticket_id(raw_id) if (require_id or raw_id is not None) else None
    return Ticket(
        id=ticket_id,
        subject=_text(data, "subject", "raw_subject", "title"),
        description=_text(data, "description", "text", "body"),
        requester_first_name=_text(data, "requester_first_name") or None,
        tags=_tags(data.get("tags")),
        created_at=parse_when(data.get("created_at")),
        locale=_locale(data),
        brand_id=_optional_id(data, "brand_id"),
        form_id=_optional_id(data, "ticket_form_id", "form_id"),
    )

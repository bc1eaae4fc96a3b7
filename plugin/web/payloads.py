"""Turn a webhook call's raw bytes into a Delivery, the gidgethub way.

``parse_webhook`` owns everything about the bytes: content type, signature, decoding, the salvage
of a broken template, validation. It returns a Delivery (or Ignored, for events that are not ours)
and raises one error type, WebhookError, whose status and message are safe to answer with. No Flask.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.delivery import Delivery, TicketFacts
from ..core.scrub import scrub
from ..core.tickets import TicketDataError, parse_ticket_id
from .events import CHANGE_TYPES, Change, ChangeError, parse_change
from .signature import SignatureError, verify

log = logging.getLogger(__name__)

CREATED = "zen:event-type:ticket.created"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
MAX_KEY_CHARS = 120
"""Longer dedupe keys (a client's invocation id, an event id) are stored as their hash."""


class WebhookError(Exception):
    """The call cannot be used; ``status`` is the HTTP answer, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Ignored:
    reason: str


def _text(data: Mapping[str, Any], key: str) -> str | None:
    """A text field, unless missing, empty or an unfilled Zendesk placeholder."""
    value = data.get(key)
    if isinstance(value, str) and value and not (value.startswith("{{") and value.endswith("}}")):
        return scrub(value)
    return None


def _ids(values: list[Any]) -> tuple[int, ...]:
    out = []
    for v in values:
        try:
            out.append(parse_ticket_id(v))
        except TicketDataError:
            continue
    return tuple(out)


def _key(prefix: str, value: Any) -> str:
    text = scrub(str(value))
    if len(text) > MAX_KEY_CHARS:
        text = hashlib.sha256(text.encode()).hexdigest()
    return f"{prefix}{text}"


# Our trigger template starts with the id; what follows may be broken JSON if Zendesk does not
# escape quotes or line breaks inside {{ticket.description}} (unverified: see shared/ZENDESK.md).
_TEMPLATE_START = re.compile(rb'\A\s*\{\s*"ticket"\s*:\s*\{\s*"id"\s*:\s*"?\s*([0-9]{1,18})\s*"?\s*[,}]')


def salvage_ticket_id(raw: bytes, dedupe_key: str | None = None) -> Delivery | None:
    """A delivery with the ticket id only, from a body that is our template but not valid JSON."""
    m = _TEMPLATE_START.match(raw)
    if m is None:
        return None
    ticket_id = int(m.group(1))
    if ticket_id <= 0:
        return None
    return Delivery(ticket_id, "trigger", dedupe_key or f"ticket:{ticket_id}")


def _ticket_id(value: Any, key: str) -> int:
    try:
        return parse_ticket_id(value, key)
    except TicketDataError as exc:
        raise WebhookError(400, str(exc)) from None


def parse_delivery(body: Any, dedupe_key: str | None = None) -> Delivery | Change | Ignored:
    """A decoded body as a Delivery; Ignored for events that are not ours; WebhookError otherwise."""
    if not isinstance(body, dict):
        raise WebhookError(400, "the body must be a JSON object")
    if "type" in body and "detail" in body:
        if body["type"] in CHANGE_TYPES:
            try:
                return Change(*parse_change(body, dedupe_key))
            except ChangeError as exc:
                raise WebhookError(400, str(exc)) from None
        if body["type"] != CREATED:
            return Ignored(f"event type {str(body['type'])[:80]!r} is not {CREATED}")
        detail = body.get("detail")
        if not isinstance(detail, dict):
            raise WebhookError(400, "'detail' must be an object")
        ticket_id = _ticket_id(detail.get("id"), "detail.id")
        tags = detail.get("tags")
        facts = TicketFacts(subject=_text(detail, "subject"), description=_text(detail, "description"),
                            created_at=_text(detail, "created_at"),
                            tags=tuple(scrub(t) for t in tags)
                            if isinstance(tags, list) and all(isinstance(t, str) for t in tags) else None)
        key = dedupe_key or (_key("event:", body["id"]) if body.get("id") else f"ticket:{ticket_id}")
        return Delivery(ticket_id, "event", key, facts, _ids([detail.get("requester_id"), detail.get("submitter_id")]))
    raw = body.get("ticket")
    if not isinstance(raw, dict):
        raise WebhookError(400, "expected {\"ticket\": {\"id\": ...}} or a Zendesk ticket.created event")
    ticket_id = _ticket_id(raw.get("id"), "ticket.id")
    tags = raw.get("tags")
    facts = TicketFacts(subject=_text(raw, "subject"), description=_text(raw, "description"),
                        requester_first_name=_text(raw, "requester_first_name"), created_at=_text(raw, "created_at"),
                        tags=tuple(scrub(tags).split()) if isinstance(tags, str) else None,
                        # a locale ("de-CH") or, from the trigger body, the requester's language by name ("Deutsch")
                        requester_locale=_text(raw, "requester_locale") or _text(raw, "requester_language"))
    return Delivery(ticket_id, "trigger", dedupe_key or f"ticket:{ticket_id}", facts)


def _mimetype(headers: Mapping[str, str]) -> str:
    return (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def parse_webhook(headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...] = (), *,
                  tolerance_seconds: int = 300, now: datetime | None = None) -> Delivery | Change | Ignored:
    """Everything between the raw call and a Delivery; raises WebhookError with the answer to give."""
    mimetype = _mimetype(headers)
    if mimetype != "application/json":
        raise WebhookError(415, f"Content-Type must be application/json, got {mimetype or 'none'!r}")
    if secrets:
        try:
            verify(body, headers, secrets, now=now, tolerance_seconds=tolerance_seconds)
        except SignatureError as exc:
            raise WebhookError(401, f"invalid signature: {exc}") from None
    invocation = headers.get(INVOCATION_HEADER)
    dedupe_key = _key("", invocation) if invocation else None
    try:
        data = json.loads(body)
    except RecursionError:
        raise WebhookError(400, "body is not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        salvaged = salvage_ticket_id(body, dedupe_key)
        if salvaged is None:
            raise WebhookError(400, f"body is not valid JSON: {exc}") from None
        log.warning("ticket %s: body is not valid JSON (a placeholder with unescaped quotes?); "
                    "using the ticket id and reading the ticket from Zendesk", salvaged.ticket_id)
        return salvaged
    return parse_delivery(data, dedupe_key)

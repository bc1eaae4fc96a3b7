"""POST /webhooks/zendesk: parse, take in, answer. The view only maps outcomes to status codes.

``answer`` is the whole use of a call's raw bytes, with no Flask in it: the Flask view below and the
WSGI fast path (fastpath.py) both give exactly its answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request

from .. import logs
from ..intake_followup import receive_change
from ..runtime import Runtime
from .events import Change
from .extensions import runtime
from .payloads import Ignored, WebhookError, parse_webhook

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)
PATH = "/webhooks/zendesk"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def answer(headers: Mapping[str, str], body: bytes, rt: Runtime) -> Answer:
    """The answer to one webhook call, its delivery stored (and queued) when it is one."""
    try:
        parsed = parse_webhook(headers, body, rt.settings.webhook_secrets,
                               tolerance_seconds=rt.settings.signature_tolerance_seconds)
    except WebhookError as exc:
        if exc.status == 401:
            log.warning("webhook rejected: %s", exc)
        return Answer(exc.status, {"error": str(exc)})
    if isinstance(parsed, Ignored):
        return Answer(200, {"status": "ignored", "reason": parsed.reason})
    logs.bind_ticket(parsed.change.ticket_id if isinstance(parsed, Change) else parsed.ticket_id)
    if isinstance(parsed, Change):
        taken = receive_change(parsed.change, parsed.dedupe_key, rt.fstore, rt.queue)
        return Answer(200 if taken.duplicate else 202, {"status": taken.status, "ticket_id": taken.ticket_id})
    outcome = rt.intake.receive(parsed)
    return Answer(200 if outcome.duplicate else 202, {"status": outcome.status, "ticket_id": outcome.ticket_id})


@bp.post(PATH)
def receive() -> Any:
    """Calls the fast path leaves to Flask (a chunked body, say) are answered here, the same way."""
    given = answer(request.headers, request.get_data(), runtime())
    return jsonify(given.body), given.status

"""POST /webhooks/zendesk: parse, take in, answer. The view only maps outcomes to status codes."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request

from .. import logs
from ..intake import receive as take_in
from ..intake_followup import receive_change
from .events import Change
from .extensions import runtime
from .payloads import Ignored, WebhookError, parse_webhook

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


@bp.post("/webhooks/zendesk")
def receive() -> Any:
    rt = runtime()
    try:
        parsed = parse_webhook(request.headers, request.get_data(), rt.settings.webhook_secrets,
                               tolerance_seconds=rt.settings.signature_tolerance_seconds)
    except WebhookError as exc:
        if exc.status == 401:
            log.warning("webhook rejected: %s", exc)
        return jsonify(error=str(exc)), exc.status
    if isinstance(parsed, Ignored):
        return jsonify(status="ignored", reason=parsed.reason), 200
    logs.bind_ticket(parsed.change.ticket_id if isinstance(parsed, Change) else parsed.ticket_id)
    if isinstance(parsed, Change):
        taken = receive_change(parsed.change, parsed.dedupe_key, rt.fstore, rt.queue)
        return jsonify(status=taken.status, ticket_id=taken.ticket_id), 200 if taken.duplicate else 202
    outcome = take_in(parsed, rt.store, rt.queue)
    return jsonify(status=outcome.status, ticket_id=outcome.ticket_id), 200 if outcome.duplicate else 202

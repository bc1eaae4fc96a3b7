"""POST /webhooks/zendesk: verify, store, queue, answer 202. Nothing slow happens here."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, jsonify, request

from ..core.delivery import Delivery as StoredDelivery
from ..core.delivery import TicketFacts
from ..intake_followup import receive_change
from .app import runtime
from .events import CHANGE_TYPES, ChangeError, parse_change
from .payloads import Delivery, PayloadError, parse_delivery, salvage_ticket_id
from .signature import SignatureError, verify

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


def _error(status: int, message: str) -> Any:
    return jsonify(error=message), status


@bp.post("/webhooks/zendesk")
def receive() -> Any:
    rt = runtime()
    if request.mimetype != "application/json":
        return _error(415, f"Content-Type must be application/json, got {request.mimetype or 'none'!r}")
    body = request.get_data(cache=True)
    secrets = [s for s in (rt.settings.zendesk_webhook_secret, rt.settings.events_webhook_secret) if s]
    if secrets:
        failures = []
        for secret in secrets:  # the trigger webhook's secret, then the events webhook's
            try:
                verify(body, request.headers, secret, tolerance_seconds=rt.settings.signature_tolerance_seconds)
                break
            except SignatureError as exc:
                failures.append(exc)
        else:
            log.warning("webhook rejected: %s", failures[0])
            return _error(401, f"invalid signature: {failures[0]}")
    invocation = request.headers.get("X-Zendesk-Webhook-Invocation-Id")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        salvaged = salvage_ticket_id(body, invocation)
        if salvaged is None:
            return _error(400, f"body is not valid JSON: {exc}")
        log.warning("ticket %s: body is not valid JSON (a placeholder with unescaped quotes?); "
                    "using the ticket id and reading the ticket from Zendesk", salvaged.ticket_id)
        data = None
    if isinstance(data, dict) and data.get("type") in CHANGE_TYPES:
        try:
            change, key = parse_change(data, invocation)
        except ChangeError as exc:
            return _error(400, str(exc))
        taken = receive_change(change, key, rt.fstore, rt.queue)
        return jsonify(status=taken.status, ticket_id=taken.ticket_id), 200 if taken.duplicate else 202
    try:
        parsed = salvaged if data is None else parse_delivery(data, invocation)
    except PayloadError as exc:
        return _error(400, str(exc))
    if not isinstance(parsed, Delivery):
        return jsonify(status="ignored", reason=parsed.reason), 200
    received = rt.store.record_delivery(StoredDelivery(parsed.ticket_id, parsed.source, parsed.dedupe_key,
                                                       TicketFacts.from_json(parsed.ticket), parsed.actor_ids))
    if received.enqueue:
        try:
            rt.queue.enqueue(parsed.ticket_id)
        except Exception as exc:  # stored already: the worker's recovery sweep will find it
            log.error("ticket %s stored but not queued (%s); the recovery sweep will pick it up",
                      parsed.ticket_id, type(exc).__name__)
    status = "duplicate" if received.duplicate else "accepted"
    log.info("webhook %s ticket %s (%s)", status, parsed.ticket_id, parsed.source)
    return jsonify(status=status, ticket_id=parsed.ticket_id), 200 if received.duplicate else 202

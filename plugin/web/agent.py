"""/api/suggest: the suggestion for one ticket, for agents and the Zendesk sidebar app."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, jsonify, request

from ..core.classify import classify
from ..core.suggestion import suggestion
from ..core.tickets import TicketDataError, parse_ticket_id, ticket_from_mapping
from ..zendesk import Permanent, RateLimited, ZendeskError
from .admin import bearer_matches
from .app import runtime

bp = Blueprint("agent", __name__, url_prefix="/api")


@bp.before_request
def _guard() -> Any:
    if request.method == "OPTIONS":
        return None  # CORS preflight, answered by flask-cors
    s = runtime().settings
    if not (s.admin_token or s.agent_token):
        abort(404)
    if not bearer_matches(s.admin_token, s.agent_token):
        return jsonify(error="send 'Authorization: Bearer <AGENT_TOKEN or ADMIN_TOKEN>'"), 401
    return None


def _answer(data: dict[str, Any]) -> Any:
    rt = runtime()
    try:
        ticket = ticket_from_mapping(data, require_id=False)
    except TicketDataError as exc:
        return jsonify(error=str(exc)), 400
    patterns = rt.registry.current()
    result = classify(ticket, patterns)
    macros: dict[int, str] = {}
    client = rt.zendesk_client()
    if client is not None and ticket.id and result.update.macro_ids:
        try:
            macros = {mid: client.macro_comment(ticket.id, mid) for mid in result.update.macro_ids}
        except ZendeskError:
            macros = {}
    return jsonify(suggestion(result, patterns, macros))


@bp.get("/suggest")
def suggest_ticket() -> Any:
    rt = runtime()
    try:
        ticket_id = parse_ticket_id(request.args.get("ticket_id"), "ticket_id")
    except TicketDataError as exc:
        return jsonify(error=str(exc)), 400
    client = rt.zendesk_client()
    if client is not None:
        try:
            state = client.ticket(ticket_id)
            name = client.first_name(state.requester_id) if state.requester_id else None
        except Permanent:
            return jsonify(error=f"ticket {ticket_id} was not found in Zendesk"), 404
        except RateLimited as exc:
            return jsonify(error=str(exc), retry_after=exc.retry_after), 503
        except ZendeskError as exc:
            return jsonify(error=f"Zendesk did not answer: {exc}"), 502
        data = {"id": ticket_id, "subject": state.subject, "description": state.description,
                "requester_first_name": name, "tags": list(state.tags), "created_at": state.created_at}
    else:
        decision = rt.store.decision(ticket_id)
        delivery = rt.store.delivery(decision.delivery_id) if decision else None
        ticket = delivery.ticket.to_json() if delivery else {}
        if not ticket.get("description") and not ticket.get("subject"):
            return jsonify(error=f"no text known for ticket {ticket_id} (no Zendesk credentials, nothing received)"), 404
        data = {"id": ticket_id, **ticket}
    return _answer(data)


@bp.post("/suggest")
def suggest_text() -> Any:
    if request.mimetype == "text/plain":
        data: Any = {"description": request.get_data(as_text=True)}
    elif request.mimetype == "application/json":
        try:
            data = json.loads(request.get_data())
        except (ValueError, UnicodeDecodeError) as exc:
            return jsonify(error=f"body is not valid JSON: {exc}"), 400
        if not isinstance(data, dict):
            return jsonify(error="the body must be a JSON object"), 400
        if "text" in data and "description" not in data:
            data["description"] = data.pop("text")
    else:
        return jsonify(error="send JSON {subject, description, requester_first_name} or text/plain"), 415
    if not isinstance(data.get("description", ""), str) or not (data.get("description") or data.get("subject")):
        return jsonify(error="give the ticket's text as 'description' (or 'text') and/or 'subject'"), 400
    return _answer(data)

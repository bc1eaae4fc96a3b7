"""/api/suggest: the suggestion for one ticket, for agents and the Zendesk sidebar app."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, jsonify, request

from ..core.classify import classify
from ..core.delivery import Delivery, TicketFacts
from ..core.scrub import scrub
from ..core.suggestion import suggestion
from ..core.tickets import TicketDataError, parse_ticket_id, ticket_from_mapping
from ..zendesk import Permanent, RateLimited, ZendeskError
from .extensions import runtime, web
from .guards import OK, THROTTLED, bearer, too_many

bp = Blueprint("agent", __name__, url_prefix="/api")
LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")


@bp.before_request
def _guard() -> Any:
    if request.method == "OPTIONS":
        return None  # CORS preflight, answered by flask-cors
    s = runtime().settings
    if not (s.admin_token or s.agent_token):
        abort(404, description="/api/suggest is off: set AGENT_TOKEN (or ADMIN_TOKEN) and restart the service")
    status = bearer(s.admin_token, s.agent_token)
    if status == THROTTLED:
        return too_many()
    if status != OK:
        return jsonify(error="send 'Authorization: Bearer <AGENT_TOKEN or ADMIN_TOKEN>'"), 401
    return None


def limited(view: Callable[[], Any]) -> Callable[[], Any]:
    """At most SUGGEST_CONCURRENCY of these views run at once per process (Zendesk reads included),
    so agents' calls can't take every server thread from intake; the next one gets 503 at once."""

    @functools.wraps(view)
    def wrapper() -> Any:
        slots = web().suggest_slots
        if not slots.acquire(blocking=False):
            request.get_data(cache=False)  # read the (size-capped) body, or the client sees a reset, not the 503
            response = jsonify(error="too many suggestions are being worked out at once; try again in a second")
            response.headers["Retry-After"] = "1"
            return response, 503
        try:
            return view()
        finally:
            slots.release()

    return wrapper


def _answer(data: dict[str, Any], fetch_macros: bool = True) -> Any:
    """Classify, unless there is too much text (413)."""
    rt = runtime()
    try:
        ticket = ticket_from_mapping(data, require_id=False)
    except TicketDataError as exc:
        return jsonify(error=str(exc)), 400
    limit = rt.settings.suggest_max_chars
    if len(ticket.subject) + len(ticket.description) > limit:
        return jsonify(error=f"the ticket's text is longer than {limit} characters (SUGGEST_MAX_CHARS)"), 413
    return _suggest(rt, ticket, fetch_macros)


def _suggest(rt: Any, ticket: Any, fetch_macros: bool) -> Any:
    patterns = rt.registry.current()
    result = classify(ticket, patterns, rt.settings.decision_settings, rt.settings.detect_options)
    macros: dict[int, str] = {}
    client = rt.zendesk_client() if fetch_macros else None
    if client is not None and ticket.id and result.update.macro_ids:
        try:
            macros = {mid: client.macro_comment(ticket.id, mid) for mid in result.update.macro_ids}
        except ZendeskError:
            macros = {}
    return jsonify(suggestion(result, patterns, macros))


@bp.get("/suggest")
@limited
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
        facts = _facts(rt.store.delivery(decision.delivery_id) if decision else None)
        if not facts.has_text:
            return jsonify(error=f"no text known for ticket {ticket_id} (no Zendesk credentials, nothing received)"), 404
        data = {"id": ticket_id, **facts.to_json()}
    return _answer(data)


def _facts(stored: Delivery | None) -> TicketFacts:
    """What a stored delivery said of the ticket (nothing when none was received)."""
    return stored.ticket if stored is not None else TicketFacts()


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


@bp.post("/suggest")
@limited
def suggest_text() -> Any:
    if request.mimetype == "text/plain":
        data: Any = {"description": request.get_data(as_text=True)}
    elif request.mimetype == "application/json":
        try:
            data = json.loads(request.get_data())
        except RecursionError:
            return jsonify(error="body is not valid JSON: nested too deeply"), 400
        except (ValueError, UnicodeDecodeError) as exc:
            return jsonify(error=f"body is not valid JSON: {exc}"), 400
        if not isinstance(data, dict):
            return jsonify(error="the body must be a JSON object"), 400
        if "text" in data and "description" not in data:
            data["description"] = data.pop("text")
        data = {k: _scrubbed(v) for k, v in data.items()}
    else:
        return jsonify(error="send JSON {subject, description, requester_first_name} or text/plain"), 415
    if not isinstance(data.get("description", ""), str) or not (data.get("description") or data.get("subject")):
        return jsonify(error="give the ticket's text as 'description' (or 'text') and/or 'subject'"), 400
    problem = _requester_fields(data)
    if problem:
        return jsonify(error=problem), 400
    # Everything comes with the request (the sidebar app sends what the agent's Zendesk shows):
    # no Zendesk call here, not even for macro text; the sidebar applies macros itself.
    return _answer(data, fetch_macros=False)


def _requester_fields(data: dict[str, Any]) -> str | None:
    """Check the sidebar's requester fields; a full ``requester_name`` gives the first name."""
    name, locale = data.get("requester_name"), data.get("requester_locale")
    if name is not None and not isinstance(name, str):
        return "'requester_name' must be text"
    if locale is not None and not (isinstance(locale, str) and len(locale) <= 20 and LOCALE.match(locale)):
        return "'requester_locale' must be a locale such as 'en-US' or 'de'"
    if name and not data.get("requester_first_name"):
        parts = name.split()
        data["requester_first_name"] = parts[0] if parts else None
    return None

"""/admin: patterns and their hits, "try it", decisions, dead letters. Off unless ADMIN_TOKEN is set.

Admins log in with the token (a session cookie follows, its forms CSRF-protected) or send it as a
bearer header, which is how scripts and `amazon-triage reload` call /admin/api/*.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError

from ..core.checks import run_examples
from ..core.classify import classify
from ..core.models import Ticket
from ..core.scrub import scrub
from ..store import FINAL, utcnow
from . import overview
from .extensions import runtime, web
from .guards import OK, THROTTLED, admin_session_valid, bearer, client_address, too_many
from .highlight import segments

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
api = Blueprint("admin_api", __name__, url_prefix="/admin/api")

ID = "int(max=9223372036854775807)"
"""Ids beyond a 64-bit integer cannot exist: 404, not a database overflow."""
OFF = "the admin pages are off: set ADMIN_TOKEN and restart the service, then log in at /admin/ with that token"
"""Why /admin answers 404 without a token: an admin following the README should not be told to check the spelling."""


def page(template: str, http_status: int = 200, /, **context: Any) -> Any:
    """A rendered page; any stored text that cannot be encoded (a lone surrogate) is replaced.

    The HTTP status is positional-only: the decisions page passes a ``status`` filter as context,
    which must never become the response's status line (gunicorn answers 500 to "0 DONE").
    """
    return scrub(render_template(template, **context)), http_status


def local_next(target: str) -> str | None:
    """``target`` when it is a plain path under /admin on this site; None otherwise."""
    if not (target.startswith("/admin") and target.isascii() and target.isprintable()) or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.before_request
def _guard() -> Any:
    token = runtime().settings.admin_token
    if not token:
        abort(404, description=OFF)
    if request.endpoint == "admin.login":
        return None
    status = bearer(token)
    if status == OK:
        return None
    if status == THROTTLED:
        return too_many()
    if admin_session_valid():
        return None
    return redirect(url_for("admin.login", next=local_next(request.path)))


@api.before_request
def _guard_api() -> Any:
    token = runtime().settings.admin_token
    if not token:
        abort(404, description=OFF)
    status = bearer(token)
    if status == THROTTLED:
        return too_many()
    if status != OK:
        return jsonify(error="send the admin token as 'Authorization: Bearer <ADMIN_TOKEN>'"), 401
    return None


def _no_frames_no_cache(response: Any) -> Any:
    """Admin pages hold ticket text and act on a session: never framed, never cached."""
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(_no_frames_no_cache)
api.after_request(_no_frames_no_cache)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    sub = runtime().settings.zendesk_subdomain

    def ticket_url(ticket_id: int) -> str | None:
        return f"https://{sub}.zendesk.com/agent/tickets/{ticket_id}" if sub else None

    return {"ticket_url": ticket_url}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    token = runtime().settings.admin_token
    error = None
    if request.method == "POST":
        if not web().login_throttle.take(client_address()):
            abort(429, "too many log-in attempts from this address; wait a minute")
        given = request.form.get("token", "")
        if len(given) <= 1024 and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            web().sessions.end(session.get("sid"))
            session.clear()
            session["sid"] = web().sessions.start()
            session.permanent = True
            target = local_next(request.args.get("next", ""))
            return redirect(target or url_for("admin.dashboard"))
        error = "That token is not right."
    return page("admin/login.html", 401 if error else 200, error=error)


@bp.errorhandler(CSRFError)
def _form_expired(exc: CSRFError) -> Any:
    """An admin form sent with an expired or missing CSRF token: a page that says what to do, not JSON."""
    return page("admin/form_expired.html", 400, reason=exc.description)


@bp.errorhandler(429)
def _too_many_logins(exc: Any) -> Any:
    """The log-in form's rate limit answers as a page (the person is in a browser), not as JSON."""
    return page("admin/login.html", 429, error="Too many log-in attempts from this address: wait a minute, then try again.")


@bp.post("/logout")
def logout() -> Any:
    web().sessions.end(session.get("sid"))
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
def dashboard() -> Any:
    rt = runtime()
    rt.registry.refresh()
    return page("admin/dashboard.html", counts=rt.store.counts(), registry=rt.registry,
                o=overview.overview(rt.store, utcnow()), dry_run=rt.settings.dry_run)


def _example_status() -> dict[str, dict[str, int]]:
    rt = runtime()
    patterns = rt.registry.current()
    cached = rt.example_status.get(patterns.fingerprint)
    if cached is None:
        status: dict[str, dict[str, int]] = {p.id: {"passed": 0, "failed": 0, "warnings": 0} for p in patterns.error_patterns}
        failures = run_examples(patterns)
        for p in patterns.error_patterns:
            total = len(p.spec.examples.match) + len(p.spec.examples.no_match)
            failed = sum(1 for m in failures if m.path == p.path and m.level == "error")
            status[p.id] = {"passed": total - failed, "failed": failed,
                            "warnings": sum(1 for m in failures if m.path == p.path and m.level == "warning")}
        rt.example_status = {patterns.fingerprint: status}
        cached = status
    return cached


@bp.get("/patterns")
def patterns() -> Any:
    rt = runtime()
    ps = rt.registry.current()
    return page("admin/patterns.html", patterns=ps.error_patterns, fields=ps.fields, registry=rt.registry,
                examples=_example_status(), hits=rt.store.hit_stats(utcnow()))


@bp.route("/try", methods=["GET", "POST"])
def try_it() -> Any:
    rt = runtime()
    result = marked = None
    form = {"subject": "", "description": "", "first_name": ""}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        if not (form["subject"] or form["description"]).strip():
            flash("Paste a ticket's text first.", "error")
        else:
            ps = rt.registry.current()
            ticket = Ticket(subject=form["subject"], description=form["description"],
                            requester_first_name=form["first_name"] or None)
            result = classify(ticket, ps, rt.settings.decision_settings, rt.settings.detect_options)
            spans = [(e.start, e.end, m.error) for m in result.detection.matches for e in m.evidence]
            marked = segments(result.source, spans)
    return page("admin/try.html", form=form, result=result, marked=marked)


@bp.get("/decisions")
def decisions() -> Any:
    rt = runtime()
    known = [p.id for p in rt.registry.current().error_patterns]
    statuses = ["queued", "processing", "retry", *FINAL]
    problem, status = None, 200
    try:
        filters = overview.parse_filters(request.args, statuses, known)
    except overview.FilterError as exc:
        problem, status, filters = f"Filter not applied: {exc}.", 400, overview.DecisionFilters()
    rows, older = overview.decisions(rt.store, filters)
    return page("admin/decisions.html", status, rows=rows, older=older, f=filters, known=known, statuses=statuses,
                escalation_states=overview.ESCALATION_STATES, utc_time=overview.utc_time, problem=problem)


@bp.get(f"/decisions/<{ID}:ticket_id>")
def decision(ticket_id: int) -> Any:
    row = runtime().store.decision(ticket_id)
    if row is None:
        # An admin looking a ticket up gets a page that says what that means, not a bare JSON 404.
        return page("admin/no_decision.html", 404, ticket_id=ticket_id)
    return page("admin/decision.html", row=row)


@bp.get("/find")
def find_ticket() -> Any:
    """The decisions page's "Find a ticket" box: its number (or "#123") opens that ticket's decision."""
    given = request.args.get("ticket", "").strip().removeprefix("#")
    if given.isascii() and given.isdigit() and len(given) <= 19 and 0 < int(given) < 2**63:
        return redirect(url_for("admin.decision", ticket_id=int(given)))
    flash(f"{given[:40]!r} is not a ticket number." if given else "Type a ticket number.", "error")
    return redirect(url_for("admin.decisions"))


@bp.get("/dead")
def dead() -> Any:
    return page("admin/dead.html", rows=runtime().store.dead())


@bp.post(f"/dead/<{ID}:dead_id>/retry")
def retry_dead(dead_id: int) -> Any:
    rt = runtime()
    ticket_id = rt.store.requeue_dead(dead_id)
    if ticket_id is None:
        flash("That dead letter was already retried or does not exist.", "error")
    else:
        rt.queue.enqueue(ticket_id)
        flash(f"Ticket {ticket_id} is queued again.", "ok")
    return redirect(url_for("admin.dead"))


@bp.post("/reload")
def reload_form() -> Any:
    result = runtime().registry.reload(force=True)
    if result.problems:
        flash(f"The edit was rejected ({len(result.problems)} problem(s)); the previous patterns keep running.", "error")
    else:
        flash(f"Patterns loaded ({result.fingerprint}).", "ok")
    return redirect(url_for("admin.patterns"))


@api.post("/reload")
def reload_api() -> Any:
    rt = runtime()
    result = rt.registry.reload(force=True)
    status = 200 if not result.problems else 422
    return jsonify(fingerprint=rt.registry.fingerprint, changed=result.changed, errors=list(result.problems)), status



from . import feedback_admin  # noqa: E402,F401  (registers /admin/corrections, /admin/missed, /admin/api/stats)

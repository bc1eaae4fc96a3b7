"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, url_for

from .extensions import runtime

bp = Blueprint("health", __name__)


@bp.get("/")
def index() -> Any:
    """What a first-time visitor of the README's address finds: the admin pages, or what this service answers."""
    if runtime().settings.admin_token:
        return redirect(url_for("admin.dashboard"))
    return jsonify(service="amazon-triage", webhook="POST /webhooks/zendesk", health="/healthz", ready="/readyz",
                   admin="off: set ADMIN_TOKEN and restart to open /admin/")


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    rt = runtime()
    checks: dict[str, Any] = {}
    for name, ping in (("store", rt.store.ping), ("queue", rt.queue.ping)):
        try:
            ping()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"unreachable: {type(exc).__name__}"
    rt.registry.refresh(wait=False)  # an edited set loads in the background: the probe answers now
    # Unauthenticated: only ok / not ok and counts. The problems themselves are on /admin.
    rejected = len(rt.registry.rejected)
    if rt.registry.ready:
        checks["patterns"] = {"status": "ok" if not rejected else "ok, but the last edit was rejected",
                              "rejected_edit_problems": rejected}
    else:
        checks["patterns"] = {"status": "not loaded", "problems": rejected}
    ready = checks["store"] == "ok" and checks["queue"] == "ok" and rt.registry.ready
    return jsonify(status="ready" if ready else "not ready", checks=checks, dry_run=rt.settings.dry_run), 200 if ready else 503

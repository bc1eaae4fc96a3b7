"""/admin/corrections, /admin/missed and GET /admin/api/stats: what agents' tag corrections say.

Registered on the admin blueprints, so the admin guards (session or bearer) apply unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template

from ..feedback import missed, stats
from .admin import api, bp
from .extensions import runtime


def _stats() -> dict[str, Any]:
    rt = runtime()
    return stats(rt.fstore, [p.id for p in rt.registry.current().error_patterns])


@api.get("/stats")
def stats_api() -> Any:
    """Per error: matched, kept, removed_by_agents, added_by_agents, precision, recall."""
    return jsonify(_stats())


@bp.get("/corrections")
def corrections_page() -> Any:
    rt = runtime()
    return render_template("admin/corrections.html", stats=_stats(), recent=list(reversed(rt.fstore.corrections()))[:50])


@bp.get("/missed")
def missed_page() -> Any:
    return render_template("admin/missed.html", missed=missed(runtime().fstore)[:200])

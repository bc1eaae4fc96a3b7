"""Application factory: defaults, then the environment, then the test's dict; it only wires."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from .. import logs, metrics
from ..config import Settings
from ..runtime import Runtime

log = logging.getLogger("plugin")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = Settings.load(config)
    warnings = settings.validate()
    app = Flask("plugin", instance_path=str(Path(settings.instance_path).resolve()))
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=bool((config or {}).get("TESTING")),
        SECRET_KEY=settings.session_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=None,
    )
    logs.configure_logging(settings.log_format)
    for warning in warnings:
        log.warning("*** %s ***", warning)
    app.extensions["amazon_triage"] = Runtime.for_web(settings)

    from . import admin, agent, health, webhook

    csrf = CSRFProtect(app)
    for blueprint in (webhook.bp, admin.api, agent.bp):
        csrf.exempt(blueprint)  # authenticated by signature or bearer token, never by cookie
    CORS(app, resources={r"/api/*": {"origins": "*"}}, allow_headers=["Authorization", "Content-Type"])
    for blueprint in (webhook.bp, health.bp, admin.bp, admin.api, agent.bp):
        app.register_blueprint(blueprint)
    # Admin log-in attempts per client address (behind a proxy: per proxy, unless it forwards the address).
    limiter = Limiter(key_func=get_remote_address, app=app, storage_uri="memory://", default_limits=[])
    app.view_functions["admin.login"] = limiter.limit(settings.login_rate_limit, methods=["POST"])(
        app.view_functions["admin.login"])
    _json_errors(app)
    logs.init_app(app)
    metrics.init_app(app)
    return app


def runtime() -> Runtime:
    return current_app.extensions["amazon_triage"]


def _json_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return jsonify(error="Bad Request", message=f"form expired or forged ({exc.description}); reload the page"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        return jsonify(error=exc.name, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled %s", type(exc).__name__)
        return jsonify(error="Internal Server Error", message="the request could not be processed"), 500

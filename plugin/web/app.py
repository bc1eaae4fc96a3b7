"""Application factory: it only wires (settings, runtime, extensions, blueprints, error handlers)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import logs, metrics
from ..config import Settings
from ..runtime import Runtime
from . import admin, agent, body, health, webhook
from .extensions import WebState, cors, csrf
from .fastpath import WebhookFastPath
from .guards import AttemptThrottle
from .sessions import AdminSessions

log = logging.getLogger("plugin")
FLASK_KEYS = {"TESTING"}


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie is `Secure` whenever the request came over https (behind TRUST_PROXY: as forwarded)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))

    def open_session(self, app: Flask, request: Any) -> Any:
        # No cookie (every webhook call): an empty session without building the signing serializer.
        if "Cookie" not in request.headers:
            return self.session_class()
        return super().open_session(app, request)


def create_app(config: dict[str, Any] | None = None, *, settings: Settings | None = None,
               announce: bool = True) -> Flask:
    """``settings`` replaces the environment (tests); else the environment, then ``config`` on top.

    ``announce=False``: the command that started the process has logged the start-up warnings already.
    """
    config = dict(config or {})
    flask_config = {k: config.pop(k) for k in list(config) if k in FLASK_KEYS}
    if settings is None:
        settings = Settings.load(config)
    logs.configure_logging(settings.log_format)
    warnings = settings.validate()
    if announce:
        logs.announce(warnings)
    rt = Runtime.for_web(settings)
    app = Flask("plugin", instance_path=str(Path(settings.instance_path).resolve()))
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SECRET_KEY=settings.session_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=settings.admin_session_seconds,
        WTF_CSRF_TIME_LIMIT=None,
        **flask_config,
    )
    app.session_interface = _SessionInterface()
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    sessions = AdminSessions(rt.store.engine, settings.admin_session_seconds, key=app.config["SECRET_KEY"],
                             admin_token=settings.admin_token)
    WebState(rt, sessions, AttemptThrottle(settings.bearer_failure_limit), settings.suggest_concurrency,
             AttemptThrottle(settings.login_rate_limit)).init_app(app)

    body.init_app(app)
    csrf.init_app(app)
    for blueprint in (webhook.bp, admin.api, agent.bp):
        csrf.exempt(blueprint)  # authenticated by signature or bearer token, never by cookie
    cors.init_app(app, resources={r"/api/*": {"origins": "*"}}, allow_headers=["Authorization", "Content-Type"])
    for blueprint in (webhook.bp, health.bp, admin.bp, admin.api, agent.bp):
        app.register_blueprint(blueprint)
    _json_errors(app)
    logs.init_app(app)
    metrics.init_app(app)
    # Plain deliveries skip Flask's request machinery (fastpath.py); everything else goes through it.
    app.wsgi_app = WebhookFastPath(app)  # type: ignore[method-assign]
    return app


def _json_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return jsonify(error="Bad Request", message=f"form expired or forged ({exc.description}); reload the page"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code == 413:  # as the chunked path (body.py) says it: which limit, and its setting
            limit = app.config["MAX_CONTENT_LENGTH"]
            return jsonify(error=exc.name, message=f"the body is more than {limit} bytes (MAX_BODY_BYTES)"), 413
        return jsonify(error=exc.name, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled %s", type(exc).__name__)
        return jsonify(error="Internal Server Error", message="the request could not be processed"), 500

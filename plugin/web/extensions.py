"""Flask extensions, created unbound and attached by the factory with init_app (flaskr's way).

Blueprints import from here, never from the factory module, so there is no import cycle.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask_cors import CORS
from flask_wtf.csrf import CSRFProtect

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .guards import AttemptThrottle
    from .sessions import AdminSessions

csrf = CSRFProtect()
cors = CORS()


class WebState:
    """Holds the adapters (Runtime) and the web's own per-app state for the views."""

    def __init__(self, runtime: Runtime, sessions: AdminSessions, throttle: AttemptThrottle, suggest_slots: int,
                 login_throttle: AttemptThrottle) -> None:
        self.runtime = runtime
        self.sessions = sessions
        self.throttle = throttle
        self.login_throttle = login_throttle
        """Admin log-in attempts (LOGIN_RATE_LIMIT) per client address; per app, its counts are its own."""
        self.suggest_slots = threading.BoundedSemaphore(max(1, suggest_slots))
        """/api/suggest calls at once in this process: agents' calls can't take every thread from intake."""

    def init_app(self, app: Flask) -> None:
        app.extensions["amazon_triage"] = self.runtime
        app.extensions["amazon_triage_web"] = self


def runtime() -> Runtime:
    return current_app.extensions["amazon_triage"]


def web() -> WebState:
    return current_app.extensions["amazon_triage_web"]

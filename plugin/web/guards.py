"""Token guards for /admin, /admin/api and /api: bearer tokens, failed-attempt throttling, sessions.

A client that sends wrong bearer tokens is answered 429 after BEARER_FAILURE_LIMIT failures, before
any comparison; tokens longer than MAX_TOKEN_CHARS are refused without being compared.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import jsonify, request, session
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .extensions import web

MAX_TOKEN_CHARS = 256
OK, ABSENT, WRONG, THROTTLED = "ok", "absent", "wrong", "throttled"


class AttemptThrottle:
    """Attempts per client address, in this process (a moving window): failed bearer tokens, admin log-ins.

    The `limits` library directly, not Flask-Limiter: that one does its work in a hook on every request,
    the webhook's too, to guard one form.
    """

    def __init__(self, limit: str) -> None:
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allowed(self, client: str) -> bool:
        return self.limiter.test(self.item, "attempt", client)

    def failed(self, client: str) -> None:
        self.limiter.hit(self.item, "attempt", client)

    def take(self, client: str) -> bool:
        """Count an attempt; False when this one is over the limit."""
        return self.limiter.hit(self.item, "attempt", client)


def client_address() -> str:
    return request.remote_addr or "unknown"


def bearer(*tokens: str) -> str:
    """OK when the Authorization header holds one of the (non-empty) tokens; else why not."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return ABSENT
    throttle = web().throttle
    client = client_address()
    if not throttle.allowed(client):
        return THROTTLED
    given = header[7:].strip()
    if 0 < len(given) <= MAX_TOKEN_CHARS:
        raw = given.encode("utf-8", "replace")
        # Compare with every token, no early exit: the time does not say which one nearly matched.
        if any([hmac.compare_digest(raw, t.encode()) for t in tokens if t]):
            return OK
    throttle.failed(client)
    return WRONG


def too_many() -> Any:
    return jsonify(error="Too Many Requests", message="too many wrong tokens from this address; wait a minute"), 429


def admin_session_valid() -> bool:
    return web().sessions.valid(session.get("sid"))

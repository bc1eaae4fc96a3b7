"""POST /webhooks/zendesk straight from WSGI, past Flask's request machinery.

Why: at saturation, the CPU one delivery costs the web process decides how many deliveries it takes
in (issue 10: at least half a bare Flask endpoint's throughput). Flask's request context, routing,
hooks (CSRF, CORS, sessions, body reading) and response object cost about as much as the delivery's
own work (verify, store, queue), and none of it serves a signed JSON POST. So the plain case, a POST
with a Content-Length within MAX_BODY_BYTES, is answered here with the very ``webhook.answer`` the
Flask view gives, plus what the Flask hooks add for a delivery (the access log line, the invocation
id on log lines, the delivery counter). Every other call on the path (a chunked or oversized body, a
GET) goes through Flask and is answered there as before.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_content_length, get_input_stream

from .. import logs, metrics
from .payloads import INVOCATION_HEADER
from .webhook import PATH, Answer, answer

log = logging.getLogger("plugin")
UNEXPECTED = Answer(500, {"error": "Internal Server Error", "message": "the request could not be processed"})


class _Headers:
    """A request's headers read straight from the WSGI environ (``get`` only, case-insensitive, as
    werkzeug's EnvironHeaders gives them): that class's per-lookup key building showed in profiles."""

    __slots__ = ("environ",)
    _keys: dict[str, str] = {}

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ

    def get(self, name: str, default: str | None = None) -> str | None:
        key = self._keys.get(name)
        if key is None:
            key = name.upper().replace("-", "_")
            key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
            self._keys[name] = key
        value = self.environ.get(key)
        return default if value is None else value


class WebhookFastPath:
    """WSGI middleware around the Flask app: answers plain webhook deliveries itself."""

    def __init__(self, app: Flask) -> None:
        self.flask = app.wsgi_app
        self.runtime = app.extensions["amazon_triage"]
        self.limit: int | None = app.config["MAX_CONTENT_LENGTH"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.flask(environ, start_response)
        length = get_content_length(environ)
        if length is None or (self.limit is not None and length > self.limit):
            return self.flask(environ, start_response)  # Flask's body checks answer these (413, chunked reads)
        started = time.perf_counter()
        headers = _Headers(environ)
        logs.bind_request(headers.get(INVOCATION_HEADER))
        given = self._answer(environ, headers)
        payload = json.dumps(given.body, separators=(",", ":")).encode() + b"\n"
        start_response(f"{given.status} {HTTP_STATUS_CODES.get(given.status, 'UNKNOWN').upper()}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        metrics.count_delivery(given.status, given.body)
        logs.access("POST", PATH, given.status, (time.perf_counter() - started) * 1000)
        return [payload]

    def _answer(self, environ: dict[str, Any], headers: _Headers) -> Answer:
        try:
            # werkzeug's stream: it stops at Content-Length and raises when the client sent less.
            body = get_input_stream(environ, max_content_length=self.limit).read()
        except HTTPException as exc:
            return Answer(exc.code or 400, {"error": exc.name, "message": exc.description})
        except Exception as exc:  # the server's body reader: a dropped connection
            log.warning("request body could not be read (%s)", type(exc).__name__)
            return Answer(400, {"error": "Bad Request", "message": "the request body could not be read"})
        try:
            return answer(headers, body, self.runtime)  # type: ignore[arg-type]  # get() is all it reads
        except Exception as exc:
            log.exception("unhandled %s", type(exc).__name__)
            return UNEXPECTED

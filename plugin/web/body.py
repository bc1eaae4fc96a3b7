"""Read a request body whole before any view sees it, or refuse it with a 4xx.

Two gaps in the WSGI stack this closes: a chunked body (no Content-Length) longer than
MAX_BODY_BYTES is cut at the limit by werkzeug without an error (a signed delivery then fails its
signature, an agent's text is classified half-read), and a malformed chunk makes gunicorn's reader
raise from inside the view (a 500). Bodies with a Content-Length are checked by werkzeug already.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def read_whole_body() -> Any:
    """A before_request hook: None to go on, or the 4xx answer."""
    if request.content_length is not None or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    limit = request.max_content_length
    try:
        data = request.get_data(cache=True)
    except HTTPException:
        raise
    except Exception as exc:  # the server's body reader: bad chunk framing, a dropped connection
        log.warning("request body could not be read (%s)", type(exc).__name__)
        return jsonify(error="Bad Request", message="the request body could not be read (malformed chunked encoding?)"), 400
    if limit is not None and len(data) >= limit:
        # werkzeug stops at the limit without saying whether more was coming: refuse, never truncate.
        return jsonify(error="Request Entity Too Large",
                       message=f"the body is {limit} bytes or more (MAX_BODY_BYTES)"), 413
    return None


def init_app(app: Flask) -> None:
    app.before_request(read_whole_body)

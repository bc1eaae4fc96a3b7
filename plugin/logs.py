"""Logging: text or one JSON object a line (``LOG_FORMAT=json``), with the Zendesk invocation id and
the ticket id of the request or task at hand (contextvars), and an access log without query strings.

Nothing here logs a request body or a header value other than the invocation id; the rest of the
code logs ticket ids, statuses and error names, never ticket text or secrets (tests/test_logs.py).
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

INVOCATION_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("invocation_id", default=None)
TICKET_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("ticket_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
access_log = logging.getLogger("plugin.access")


class ContextFilter(logging.Filter):
    """Adds invocation_id and ticket_id (None outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.invocation_id = INVOCATION_ID.get()
        record.ticket_id = TICKET_ID.get()
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(invocation_id)s %(ticket_id)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT)


QUIET_LOGGERS = ("alembic",)
"""Libraries whose INFO lines say nothing useful on every start (Alembic: "Context impl SQLiteImpl.",
"setup plugin ..."); their warnings still show. ``amazon-triage db upgrade`` reports its own progress."""


def quiet_libraries() -> None:
    """Turn the chatty libraries down to warnings (idempotent; called wherever logging is set up)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes INFO lines in batches, at most ``delay`` seconds late.

    Why: the access line of every delivery was a write() of its own, and under load those system
    calls, each giving up the interpreter lock, cost intake about 15 % of its throughput (measured).
    Lines are kept in order and written together by a flusher thread; a WARNING or worse is written
    at once, after the lines before it; ``flush()`` (logging's own at exit, or a caller's) writes
    everything. A process killed outright loses at most the last ``delay`` seconds of INFO lines.
    """

    def __init__(self, stream: Any = None, delay: float = 0.05) -> None:
        super().__init__(stream)
        self.delay = delay
        self._pending: list[str] = []
        self._due = threading.Event()
        threading.Thread(target=self._flusher, name="log-flusher", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)  # under the handler's lock (Handler.handle)
        if record.levelno >= logging.WARNING:
            self._write()
        elif len(self._pending) == 1:
            self._due.set()

    def _write(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:  # a closed or broken stream: as logging does, never raise into the caller
                pass

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _flusher(self) -> None:
        while True:
            self._due.wait()
            time.sleep(self.delay)  # lines arriving meanwhile share the write
            self._due.clear()
            self.flush()


def setup(log_format: str = "text", level: int = logging.INFO) -> None:
    """Configure the root logger once per process: one stderr handler in the chosen format."""
    quiet_libraries()
    handler = BatchedStreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


_configured = False


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Set logging up once per process, whoever asks first (the app factory, the worker, the CLI).

    Leaves a root logger that already has handlers alone (a test runner's, gunicorn's).
    """
    global _configured
    if _configured:
        return
    _configured = True
    quiet_libraries()
    if not logging.getLogger().handlers:
        setup(log_format, level)


def announce(warnings: list[str]) -> None:
    """The loud start-up warnings (DRY RUN, unsigned webhooks), said by the process that starts the service."""
    for warning in warnings:
        logging.getLogger("plugin").warning("*** %s ***", warning)


def safe_invocation_id(value: str | None) -> str | None:
    """The header as given when it looks like an id; anything else is not worth a log line."""
    return value if value and _SAFE_ID.fullmatch(value) else None


def bind_ticket(ticket_id: int) -> None:
    """Tag the rest of this request's or task's log lines with the ticket id."""
    TICKET_ID.set(ticket_id)


def bind_delivery(dedupe_key: str) -> None:
    """In the worker: tag the task's log lines with the invocation id its delivery was stored under."""
    if not dedupe_key.startswith(("ticket:", "event:")):
        INVOCATION_ID.set(safe_invocation_id(dedupe_key))


def bound_run(run: Callable[[int], Any]) -> Callable[[int], Any]:
    """Wrap the worker's per-ticket use case so its log lines carry the ticket id."""
    def wrapped(ticket_id: int) -> Any:
        tokens = TICKET_ID.set(ticket_id), INVOCATION_ID.set(None)
        try:
            return run(ticket_id)
        finally:
            TICKET_ID.reset(tokens[0])
            INVOCATION_ID.reset(tokens[1])

    return wrapped


def bind_request(invocation_header: str | None) -> None:
    """At the start of a request: its invocation id (when it looks like one), no ticket yet."""
    INVOCATION_ID.set(safe_invocation_id(invocation_header))
    TICKET_ID.set(None)


def access(method: str, path: str, status: int, took_ms: float) -> None:
    """The access log's line for a request: path only (never the query string, which may carry tokens
    or ticket text), and for a delivery its ticket, so that one line per call says what came in."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    ticket = TICKET_ID.get()
    if ticket is None:
        msg, args = "%s %s %s %.1f ms", (method, path, status, took_ms)
    else:
        msg, args = "%s %s %s %.1f ms ticket %s", (method, path, status, took_ms, ticket)
    # The record made directly: Logger.info's caller lookup (a stack walk for a file and line no format
    # shows) was the larger part of the access line's cost on every delivery.
    access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, msg, args, None, "access"))


def init_app(app: Any) -> None:
    """Bind the invocation id per request and write the access log."""
    from flask import g, request

    @app.before_request
    def bind() -> None:
        g.log_started = time.perf_counter()
        bind_request(request.headers.get("X-Zendesk-Webhook-Invocation-Id"))

    @app.after_request
    def log_access(response: Any) -> Any:
        started = g.get("log_started")
        access(request.method, request.path, response.status_code, (time.perf_counter() - started) * 1000 if started else 0.0)
        return response

"""Prometheus metrics (prometheus-client): what the service counts, and `/metrics`.

Web and worker are separate processes (and gunicorn may run several web processes), so when
``PROMETHEUS_MULTIPROC_DIR`` is set (`serve` sets it for its two processes) every process writes its
samples there and `/metrics` adds them up with prometheus-client's MultiProcessCollector.
``METRICS``: ``off`` (404, the default), ``on`` (open: bind to a private address or filter at the
proxy), ``token`` (``Authorization: Bearer $METRICS_TOKEN``).

The counters are bumped from the edges: a Flask after-request hook (or the webhook's WSGI fast path) sees
each webhook outcome, a
response hook on the Zendesk session sees each API call, and the worker's task wrapper sees each
ticket's outcome, so the use cases themselves carry no metrics code.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

DELIVERIES = Counter("triage_deliveries", "Webhook deliveries by outcome (accepted, duplicate, ignored, "
                     "rejected_signature, invalid, error)", ["outcome"])
SIGNATURE_REJECTIONS = Counter("triage_signature_rejections", "Webhook calls refused for a missing or wrong signature")
PROCESSING_SECONDS = Histogram("triage_processing_seconds", "One worker attempt at one ticket", buckets=LATENCY_BUCKETS)
END_TO_END_SECONDS = Histogram("triage_end_to_end_seconds", "From the first delivery of a ticket to its final status",
                               buckets=LATENCY_BUCKETS)
TICKETS = Counter("triage_tickets", "Worker attempts by outcome (done, no_match, dry_run, skipped, retry, dead)", ["outcome"])
ZENDESK_CALLS = Counter("triage_zendesk_calls", "Zendesk API responses by method and HTTP status (429: rate limited)",
                        ["method", "status"])
RETRIES = Counter("triage_retries", "Ticket attempts scheduled again (429, 5xx, time-outs, conflicts)")
DEAD_LETTERS = Counter("triage_dead_letters", "Tickets given up on and put in the dead letters")
PATTERN_HITS = Counter("triage_pattern_hits", "Tickets matched, by error pattern", ["error"])
PATTERN_TIMEOUTS = Counter("triage_pattern_timeouts", "Pattern or field searches that ran out of time", ["pattern"])

UNCLAIMED = "already handled or being handled"
FINAL_WITH_HITS = {"done", "dry_run"}


# --- worker side --------------------------------------------------------------------------------

def count_zendesk_response(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests response hook for the Zendesk session."""
    ZENDESK_CALLS.labels(response.request.method, str(response.status_code)).inc()
    return response


def observed_run(run: Callable[[int], Any], store: Any) -> Callable[[int], Any]:
    """Wrap the worker's per-ticket use case: time it, count its outcome, and on a final status its
    matches and pattern time-outs (as recorded on the decision)."""
    def wrapped(ticket_id: int) -> Any:
        start = time.perf_counter()
        outcome = run(ticket_id)
        status = getattr(outcome, "status", "unknown")
        if status == "skipped" and getattr(outcome, "detail", "") == UNCLAIMED:
            return outcome  # another worker has it: not an attempt
        PROCESSING_SECONDS.observe(time.perf_counter() - start)
        TICKETS.labels(status).inc()
        if status == "retry":
            RETRIES.inc()
            for pattern in getattr(outcome, "timed_out", ()):
                PATTERN_TIMEOUTS.labels(pattern).inc()
            return outcome
        if status == "dead":
            DEAD_LETTERS.inc()
        row = store.decision(ticket_id)
        if row is not None:
            from .store import utcnow

            END_TO_END_SECONDS.observe(max(0.0, (utcnow() - row.created_at).total_seconds()))
            if status in FINAL_WITH_HITS:
                for error in row.matched:
                    PATTERN_HITS.labels(error).inc()
            for pattern in row.timed_out:
                PATTERN_TIMEOUTS.labels(pattern).inc()
        return outcome

    return wrapped


# --- web side -----------------------------------------------------------------------------------

def webhook_outcome(status: int, body: Any) -> str:
    """The outcome label of a webhook answer; ``body`` (the decoded JSON) is read only for a 200."""
    if status == 202:
        return "accepted"
    if status == 200:  # "duplicate", "ignored"
        return str(body.get("status", "ok")) if isinstance(body, dict) else "ok"
    if status == 401:
        return "rejected_signature"
    return "error" if status >= 500 else "invalid"


_DELIVERY_CHILDREN: dict[str, Any] = {}
"""The counter's child per outcome, looked up once: ``labels()`` per call cost a lock and a dict build."""


def count_delivery(status: int, body: Any) -> None:
    """Count one webhook answer (the Flask hook below and the WSGI fast path)."""
    outcome = webhook_outcome(status, body)
    child = _DELIVERY_CHILDREN.get(outcome)
    if child is None:
        child = _DELIVERY_CHILDREN.setdefault(outcome, DELIVERIES.labels(outcome))
    child.inc()
    if outcome == "rejected_signature":
        SIGNATURE_REJECTIONS.inc()


class _QueueDepth:
    """Reads the number of tickets waiting at scrape time (any process can: queue and store are shared).

    ``depth``: Runtime.queue_depth (embedded, the store's count: the worker queues new tickets itself)."""

    def __init__(self, depth: Callable[[], int]) -> None:
        self.depth = depth

    def collect(self) -> Any:
        gauge = GaugeMetricFamily("triage_queue_depth", "Tickets waiting in the queue (due now or scheduled)")
        try:
            gauge.add_metric([], float(self.depth()))
        except Exception:
            gauge.add_metric([], float("nan"))
        yield gauge


def _registry(depth: Callable[[], int]) -> CollectorRegistry:
    """Every metric of every process (multiprocess mode) or of this one, plus the queue depth."""
    from prometheus_client import REGISTRY

    registry = CollectorRegistry()
    registry.register(_QueueDepth(depth))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Everything(REGISTRY))
    return registry


class _Everything:
    """This process's default registry (our metrics, plus process and Python ones), inside another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Any:
        yield from self.registry.collect()


def exposition(depth: Callable[[], int]) -> bytes:
    return generate_latest(_registry(depth))


def serve_worker_metrics(depth: Callable[[], int], host: str, port: int) -> None:
    """`/metrics` of a worker on a host without a web process (no token: bind it to a private address)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=_registry(depth))


def init_app(app: Any) -> None:
    """Count webhook outcomes and serve /metrics as the METRICS setting says."""
    from flask import Response, abort, request

    settings = app.extensions["amazon_triage"].settings

    @app.after_request
    def count_webhook(response: Any) -> Any:
        if request.endpoint == "webhook.receive":
            status = response.status_code
            count_delivery(status, response.get_json(silent=True) if status == 200 else None)
        return response

    def metrics() -> Any:
        if settings.metrics == "off":
            abort(404)
        if settings.metrics == "token":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
            if not hmac.compare_digest(given, settings.metrics_token.encode()):
                return Response('{"error": "Unauthorized", "message": "send Authorization: Bearer <METRICS_TOKEN>"}',
                                401, {"WWW-Authenticate": "Bearer", "Content-Type": "application/json"})
        return Response(exposition(app.extensions["amazon_triage"].queue_depth), 200, {"Content-Type": CONTENT_TYPE_LATEST})

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])

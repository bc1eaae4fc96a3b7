"""/metrics parsed with prometheus-client's own parser: every counter moves when its event happens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from plugin import create_app
from plugin.config import Settings
from plugin.runtime import Runtime
from plugin.store import RETRY
from plugin.triage import TIMEOUT_RETRIES

from .conftest import free_port, signed_headers, trigger_body, wait_for
from .fake_zendesk import FakeZendesk
from .test_triage import SLOW, slow_patterns

MATCHING = "Linking my Amazon store shows: Couldn't connect, contact Amazon."
TOKEN = "metrics-token-0123456789"


def scrape(client, headers: dict[str, str] | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.data
    text = response.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_app(service_config):
    app = create_app({**service_config, "METRICS": "on", "TESTING": True})
    yield app
    app.extensions["amazon_triage"].store.close()


@pytest.fixture
def worker(service_config) -> Iterator[Runtime]:
    rt = Runtime.for_worker(Settings.load(service_config))
    yield rt
    rt.store.close()


def drain(rt: Runtime) -> None:
    """Run every task due now, as the worker would: its feed queues the new tickets (embedded: the web
    process only stores them), its consumer runs them."""
    assert rt.settings.feed_from_store
    rt.queue.enqueue_many([ticket for ticket, _ in rt.store.opened_after(0)])
    while (task := rt.queue.huey.dequeue()) is not None:
        rt.queue.huey.execute(task)


def drain_retries(rt: Runtime) -> None:
    """Run the retries scheduled for later now, and what they schedule, until none are left."""
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)  # huey's utc=True: naive UTC
    while tasks := rt.queue.huey.read_schedule(later):
        for task in tasks:
            rt.queue.huey.execute(task, later)
        drain(rt)  # a retry's own retry is queued first (huey moves it to the schedule when it meets it)


def test_every_counter_moves_when_its_event_happens(metrics_app, worker: Runtime, fake_zendesk: FakeZendesk) -> None:
    client = metrics_app.test_client()
    before = scrape(client)

    def post(body: bytes, **kw) -> int:
        return client.post("/webhooks/zendesk", data=body, headers=signed_headers(body, **kw)).status_code

    fake_zendesk.add_ticket(1, "Amazon", MATCHING)
    assert post(trigger_body(1), invocation="a") == 202
    assert post(trigger_body(1), invocation="a") == 200  # the same delivery again
    assert client.post("/webhooks/zendesk", data=trigger_body(2), headers={**signed_headers(trigger_body(2)),
                       "X-Zendesk-Webhook-Signature": "forged"}).status_code == 401
    assert post(b"{not json") == 400
    fake_zendesk.add_ticket(3, "Amazon", MATCHING)
    fake_zendesk.inject("GET", r"/tickets/3\.json", status=429, retry_after="30")
    assert post(trigger_body(3)) == 202
    fake_zendesk.inject("GET", r"/tickets/4\.json", status=404)
    assert post(trigger_body(4)) == 202
    queued = scrape(client)
    assert value(queued, "triage_queue_depth") == worker.queue_depth() == 3  # stored, waiting for the worker's feed
    drain(worker)
    worker.queue.enqueue(1)  # a duplicate queue entry for a finished ticket: a no-op claim, not an attempt
    drain(worker)

    after = scrape(client)
    moved = {
        ("triage_deliveries_total", "outcome", "accepted"): 3,
        ("triage_deliveries_total", "outcome", "duplicate"): 1,
        ("triage_deliveries_total", "outcome", "rejected_signature"): 1,
        ("triage_deliveries_total", "outcome", "invalid"): 1,
        ("triage_signature_rejections_total", None, None): 1,
        ("triage_tickets_total", "outcome", "done"): 1,
        ("triage_tickets_total", "outcome", "skipped"): 0,
        ("triage_pattern_hits_total", "error", "contact_amazon"): 1,
        ("triage_retries_total", None, None): 1,
        ("triage_dead_letters_total", None, None): 1,
        ("triage_processing_seconds_count", None, None): 3,
        ("triage_end_to_end_seconds_count", None, None): 2,  # done and dead are final; the retry is not
    }
    for (name, label, label_value), delta in moved.items():
        labels = {label: label_value} if label else {}
        assert value(after, name, **labels) - value(before, name, **labels) == delta, name
    for status in ("200", "429", "404"):
        assert value(after, "triage_zendesk_calls_total", method="GET", status=status) > \
            value(before, "triage_zendesk_calls_total", method="GET", status=status), status
    assert value(after, "triage_zendesk_calls_total", method="PUT", status="200") > \
        value(before, "triage_zendesk_calls_total", method="PUT", status="200")
    assert value(after, "triage_queue_depth") == 1  # the rate-limited ticket, scheduled for later


def test_a_pattern_timeout_is_counted(service_config, fake_zendesk: FakeZendesk, tmp_path) -> None:
    config = {**service_config, **SLOW, "PATTERNS_DIR": str(slow_patterns(tmp_path)), "METRICS": "on"}
    app = create_app({**config, "TESTING": True})
    rt = Runtime.for_worker(Settings.load(config))
    try:
        client = app.test_client()
        before = scrape(client)
        body = trigger_body(20, subject="Amazon", description="Amazon: The account connection timed out. " + "zebra " * 3000)
        assert client.post("/webhooks/zendesk", data=body, headers=signed_headers(body)).status_code == 202
        drain(rt)
        assert rt.store.decision(20).status == RETRY  # tried again later: see triage.TIMEOUT_RETRIES
        counted = lambda: value(scrape(client), "triage_pattern_timeouts_total", pattern="connection_timeout") - \
            value(before, "triage_pattern_timeouts_total", pattern="connection_timeout")  # noqa: E731
        assert counted() == 1
        drain_retries(rt)
        assert rt.store.decision(20).timed_out == ["connection_timeout"]
        assert counted() == TIMEOUT_RETRIES + 1  # every attempt's time-out
    finally:
        rt.store.close()
        app.extensions["amazon_triage"].store.close()


@pytest.mark.parametrize(("setting", "headers", "status"), [
    ({"METRICS": "off"}, {}, 404),
    ({"METRICS": "token", "METRICS_TOKEN": TOKEN}, {}, 401),
    ({"METRICS": "token", "METRICS_TOKEN": TOKEN}, {"Authorization": "Bearer wrong-token-0123456789"}, 401),
    ({"METRICS": "token", "METRICS_TOKEN": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}, 200),
    ({"METRICS": "on"}, {}, 200),
])
def test_metrics_are_off_open_or_token_protected(service_config, setting, headers, status) -> None:
    app = create_app({**service_config, **setting, "TESTING": True})
    assert app.test_client().get("/metrics", headers=headers).status_code == status
    app.extensions["amazon_triage"].store.close()


def test_metrics_without_a_long_enough_token_is_a_configuration_error(service_config) -> None:
    from plugin.config import ConfigError

    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        create_app({**service_config, "METRICS": "token", "METRICS_TOKEN": "short", "TESTING": True})


@pytest.mark.slow
def test_serve_shows_the_workers_counters_on_the_webs_metrics(service_config, start_server, fake_zendesk: FakeZendesk) -> None:
    """Web and worker are two processes: multiprocess mode adds the worker's samples to /metrics."""
    _, base = start_server({**service_config, "METRICS": "on"})
    fake_zendesk.add_ticket(7, "Amazon", MATCHING)
    body = trigger_body(7)
    assert requests.post(f"{base}/webhooks/zendesk", data=body, headers=signed_headers(body), timeout=5).status_code == 202

    def done_counted() -> float:
        text = requests.get(f"{base}/metrics", timeout=5).text
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        return value(samples, "triage_tickets_total", outcome="done")

    assert wait_for(done_counted) == 1


@pytest.mark.slow
def test_a_worker_alone_serves_its_own_metrics(service_config, spawn, fake_zendesk: FakeZendesk, make_app) -> None:
    """A worker on a host without a web process: `worker --metrics-port` shows its counters."""
    port = free_port()
    worker = spawn(["worker", "--metrics-port", str(port)], service_config)
    wait_for(lambda: "Huey consumer started" in worker.output(), timeout=60)
    fake_zendesk.add_ticket(9, "Amazon", MATCHING)
    web = make_app()
    body = trigger_body(9)
    assert web.test_client().post("/webhooks/zendesk", data=body, headers=signed_headers(body)).status_code == 202
    web.extensions["amazon_triage"].store.close()

    def done_counted() -> float:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        return value(samples, "triage_tickets_total", outcome="done") and \
            value(samples, "triage_zendesk_calls_total", method="PUT", status="200")

    assert wait_for(done_counted) >= 1

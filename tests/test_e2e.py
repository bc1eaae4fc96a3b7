"""End to end over real processes: `amazon-triage serve` (waitress + worker), real HTTP, the fake Zendesk."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from plugin.store import DONE, NO_MATCH, Store

from . import production
from .conftest import free_port, make_settings, signed_headers, trigger_body, wait_for
from .fake_zendesk import FakeZendesk

pytestmark = pytest.mark.slow


@pytest.fixture
def service_config(service_config):
    """E2E_MODE=production runs every test here on PostgreSQL + Redis (see tests/production.py)."""
    if not production.production():
        return service_config
    if reason := production.missing_services():
        pytest.fail(reason)
    return production.production_config(service_config)

ERRORS = {
    "not_professional": "Hi, connecting Amazon says: The account you are connecting to is not a Professional Amazon seller account.",
    "additional_info": "Amazon connection banner: Amazon requires additional information to complete your account setup.",
    "staging_mode": "Trying to link Amazon, it says my seller account might still be in staging mode.",
    "under_review": "When I connect Amazon it says Amazon has flagged your shop for additional review.",
    "blocked_or_region": "Amazon has blocked the account, terminated or the account is not registered in the region.",
    "contact_amazon": "Linking my Amazon store shows: Couldn't connect, contact Amazon.",
    "connection_timeout": "Amazon: The account connection timed out.",
    "generic_error": "Connecting Amazon: An error has occurred. Merchant ID A2EUQ1WTGCTBG2, last try 26 Nov 2026 14:05 AEDT.",
}


@pytest.fixture
def open_store():
    """Stores opened by a test, closed after it (PostgreSQL connections must not outlive the test)."""
    opened: list[Store] = []

    def _open(url: str) -> Store:
        opened.append(Store.from_url(url))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def app(app):
    yield app
    app.extensions["amazon_triage"].store.close()


@pytest.fixture
def server(service_config, spawn, start_server, fake_zendesk):
    if production.production():  # two web instances and two workers; tests talk to the first
        return production.Cluster(service_config, spawn, free_port).start().bases[0]
    return start_server(service_config)[1]


def post(base: str, body: bytes, invocation: str | None = None) -> requests.Response:
    return requests.post(f"{base}/webhooks/zendesk", data=body, headers=signed_headers(body, invocation=invocation), timeout=5)


def test_each_error_gets_exactly_its_tags_and_one_comment(open_store, server, fake_zendesk: FakeZendesk, service_config) -> None:
    for i, text in enumerate(ERRORS.values(), start=1):
        fake_zendesk.add_ticket(i, "Amazon help", text, tags=["customer_tag"])
        assert post(server, trigger_body(i)).status_code == 202
    fake_zendesk.add_ticket(99, "Invoice", "Please resend my invoice.")
    assert post(server, trigger_body(99)).status_code == 202
    store = open_store(service_config["DATABASE_URL"])
    wait_for(lambda: all(store.decision(t) and store.decision(t).status in (DONE, NO_MATCH) for t in [*range(1, 9), 99]))
    for i, error in enumerate(ERRORS, start=1):
        ticket = fake_zendesk.tickets[i]
        expected = ["customer_tag", "amazon_error", f"amazon_error_{error}"]
        if error == "generic_error":
            expected.append("amazon_escalation_ready")
        assert ticket["tags"] == [*expected, "amazon_triage_done"], error
        assert len(ticket["comments"]) == 2 and ticket["comments"][1]["public"] is False
        assert len(fake_zendesk.writes(i)) == 1
    assert store.decision(99).status == NO_MATCH
    assert fake_zendesk.writes(99) == []


def test_same_delivery_twenty_times_at_once_yields_one_update(open_store, server, fake_zendesk: FakeZendesk, service_config) -> None:
    fake_zendesk.add_ticket(50, "Amazon", ERRORS["connection_timeout"])
    body = trigger_body(50)
    results: list[int] = []

    def send() -> None:
        results.append(post(server, body, invocation="same-invocation").status_code)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(202) == 1 and sorted(results).count(200) == 19
    store = open_store(service_config["DATABASE_URL"])
    wait_for(lambda: store.decision(50) and store.decision(50).status == DONE)
    assert len(fake_zendesk.writes(50)) == 1
    assert len(fake_zendesk.tickets[50]["comments"]) == 2


def test_injected_faults_end_in_exactly_one_update_each(open_store, server, fake_zendesk: FakeZendesk, service_config) -> None:
    faults = [
        ("GET", {"status": 429, "retry_after": "1"}),
        ("GET", {"status": 429}),
        ("PUT", {"status": 500}),
        ("PUT", {"drop": True}),
        ("PUT", {"delay": 1.5}),
        ("PUT", {"status": 409}),
        ("GET", {"status": 503, "times": 2}),
    ]
    ids = list(range(60, 60 + len(faults)))
    for tid, (method, fault) in zip(ids, faults, strict=True):
        fake_zendesk.add_ticket(tid, "Amazon", ERRORS["contact_amazon"])
        fake_zendesk.inject(method, rf"/tickets/{tid}\.json", **fault)
        assert post(server, trigger_body(tid)).status_code == 202
    store = open_store(service_config["DATABASE_URL"])
    wait_for(lambda: all(store.decision(t) and store.decision(t).status == DONE for t in ids), timeout=60)
    for tid in ids:
        assert len(fake_zendesk.tickets[tid]["comments"]) == 2, tid
        assert fake_zendesk.tickets[tid]["tags"].count("amazon_triage_done") == 1


def test_worker_killed_mid_queue_and_restarted_finishes_every_ticket_once(open_store, service_config, spawn, fake_zendesk: FakeZendesk, app) -> None:
    client = app.test_client()
    ids = list(range(200, 212))
    for tid in ids:
        fake_zendesk.add_ticket(tid, "Amazon", ERRORS["staging_mode"])
        fake_zendesk.inject("GET", rf"/tickets/{tid}\.json", delay=0.3)
        assert client.post("/webhooks/zendesk", data=trigger_body(tid), headers=signed_headers(trigger_body(tid))).status_code == 202
    store = open_store(service_config["DATABASE_URL"])
    first = spawn(["worker"], {**service_config, "LEASE_SECONDS": "2"})
    wait_for(lambda: sum(1 for t in ids if store.decision(t).status == DONE) >= 3, timeout=60)
    first.stop(kill=True)
    done_before = sum(1 for t in ids if store.decision(t).status == DONE)
    assert done_before < len(ids), "the worker finished everything before it was killed"
    spawn(["worker"], {**service_config, "LEASE_SECONDS": "2"})
    wait_for(lambda: all(store.decision(t).status == DONE for t in ids), timeout=90)
    for tid in ids:
        assert len(fake_zendesk.tickets[tid]["comments"]) == 2, tid
        assert len(fake_zendesk.writes(tid)) == 1, tid


def test_pattern_edit_takes_effect_in_the_running_service(open_store, service_config, spawn, fake_zendesk: FakeZendesk, patterns_copy: Path) -> None:
    from .test_registry import NEW_TEXT, add_pattern

    port = free_port()
    config = {**service_config, "PATTERNS_DIR": str(patterns_copy), "PATTERNS_CHECK_SECONDS": "0"}
    proc = spawn(["serve", "--port", str(port)], config)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _ready(base, proc), timeout=30)
    store = open_store(config["DATABASE_URL"])
    fake_zendesk.add_ticket(300, "Amazon", NEW_TEXT)
    post(base, trigger_body(300))
    wait_for(lambda: store.decision(300) and store.decision(300).status == NO_MATCH)
    add_pattern(patterns_copy)
    fake_zendesk.add_ticket(301, "Amazon", NEW_TEXT)
    post(base, trigger_body(301))
    # The edited set is new to the cache: it compiles and warms for real (15-20 s idle, a minute or more
    # beside CI's other processes on two cores).
    wait_for(lambda: store.decision(301) and store.decision(301).status == DONE, timeout=150)
    assert "amazon_error_staging_mode" in fake_zendesk.tickets[301]["tags"]
    assert fake_zendesk.writes(300) == []


def _ready(base: str, proc) -> bool:
    try:
        return requests.get(f"{base}/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        if proc.proc.poll() is not None:
            pytest.fail(proc.output())
        return False


def test_sighup_reloads_the_workers_patterns(open_store, service_config, spawn, fake_zendesk: FakeZendesk, patterns_copy: Path) -> None:
    import signal

    from plugin import create_app

    from .test_registry import NEW_TEXT, add_pattern

    config = {**service_config, "PATTERNS_DIR": str(patterns_copy), "PATTERNS_CHECK_SECONDS": "3600"}
    worker = spawn(["worker"], config)
    wait_for(lambda: "Huey consumer started" in worker.output(), timeout=30)
    add_pattern(patterns_copy)
    worker.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: worker.output().count("patterns loaded") >= 2, timeout=150)  # a compile, unless cached
    web = create_app({"TESTING": True}, settings=make_settings(config))
    client = web.test_client()
    fake_zendesk.add_ticket(400, "Amazon", NEW_TEXT)
    client.post("/webhooks/zendesk", data=trigger_body(400), headers=signed_headers(trigger_body(400)))
    store = open_store(config["DATABASE_URL"])
    wait_for(lambda: store.decision(400).status == DONE, timeout=30)
    assert "amazon_error_staging_mode" in fake_zendesk.tickets[400]["tags"]
    assert worker.proc.poll() is None  # reloaded in place, not restarted
    web.extensions["amazon_triage"].store.close()


def test_killing_serve_takes_its_worker_with_it(service_config, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "plugin", "serve", "--port", str(port)],
                                env={**os.environ, **service_config}, stdout=log, stderr=subprocess.STDOUT)
        try:
            def worker_pid() -> int | None:
                found = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "plugin worker"], capture_output=True, text=True)
                return int(found.stdout.split()[0]) if found.stdout.split() else None

            pid = wait_for(worker_pid)
            proc.send_signal(signal.SIGKILL)  # no chance to clean up
            proc.wait(timeout=10)

            def gone() -> bool:
                state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
                return state == "" or state.startswith("Z")

            wait_for(gone, timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()

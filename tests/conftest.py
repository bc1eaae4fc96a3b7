"""Shared fixtures.

The service chain: ``fake_zendesk`` -> ``service_config`` (a dict) -> ``settings`` (built from that
dict alone, never the environment) -> ``app`` -> ``client``; ``make_app(**overrides)`` for variants,
and helpers ``signed_headers``, ``signed_post``, ``trigger_body``. Real processes: ``spawn`` runs a
command, ``start_server`` starts ``serve`` or ``web`` and waits until it answers (the end-to-end
tests share it). Also the shipped patterns, a scratch copy admins' edits can be tried on, and the
Hypothesis profiles ("ci" is derandomized).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from plugin.core.patterns import PatternSet, load_patterns

# Hypothesis: the same examples on every CI run (a failure there is never luck); random locally.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

# pytest-xdist (the README's test command runs two workers): each worker beyond the first has a PostgreSQL
# database and a Redis database of its own, so one worker's wipes and flushes never touch another's tests.
# Worker n uses the database "<name>_gw<n>" (created here) and Redis database number (base - n).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and _WORKER != "gw0":
    _n = int(_WORKER[2:])
    if os.environ.get("TEST_POSTGRES_URL"):
        _server, _, _name = os.environ["TEST_POSTGRES_URL"].rpartition("/")
        _own = f"{_name}_{_WORKER}"
        import psycopg

        with psycopg.connect(_server.replace("+psycopg", "") + "/" + _name, autocommit=True) as _conn:
            if not _conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_own,)).fetchone():
                _conn.execute(f'CREATE DATABASE "{_own}"')
        os.environ["TEST_POSTGRES_URL"] = f"{_server}/{_own}"
    if os.environ.get("TEST_REDIS_URL"):
        _server, _, _db = os.environ["TEST_REDIS_URL"].rpartition("/")
        os.environ["TEST_REDIS_URL"] = f"{_server}/{(int(_db or 0) - _n) % 16}"

ROOT = Path(__file__).resolve().parent.parent
PATTERNS_DIR = ROOT / "patterns"
DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def patterns() -> PatternSet:
    return load_patterns(PATTERNS_DIR)


@pytest.fixture(scope="session")
def pattern_cache_dir(tmp_path_factory: pytest.TempPathFactory, patterns: PatternSet) -> Path:
    """One compiled-pattern cache for every service this session starts (PATTERN_CACHE_DIR), holding the
    shipped set, warm: each process then reads it in a second instead of compiling for 15-20 s (more on
    a loaded CI machine, where the waits for start-ups ran out)."""
    from plugin.core.warmup import warm_up
    from plugin.pattern_cache import PatternCache

    directory = tmp_path_factory.getbasetemp() / "pattern-cache"
    warm_up(patterns)
    PatternCache(directory).save(PATTERNS_DIR, patterns)
    return directory


@pytest.fixture
def patterns_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped patterns directory."""
    target = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, target)
    return target


@pytest.fixture
def english_copy(patterns_copy: Path) -> Path:
    """A writable copy of the shipped English patterns, without the shipped languages (patterns/i18n):
    for tests of the overlay engine with their own minimal language."""
    shutil.rmtree(patterns_copy / "i18n", ignore_errors=True)
    for chrome in (patterns_copy / "chrome").glob("*.toml"):  # the shipped languages' page chrome too
        if chrome.stem != "en":
            chrome.unlink()
    pasted = patterns_copy / "pasted.toml"
    if pasted.is_file():  # and the shipped languages' pasted-document examples (English's come first)
        text = pasted.read_text(encoding="utf-8")
        cut = text.find("\n[examples.", text.index("[examples.en]"))
        pasted.write_text(text if cut < 0 else text[:cut + 1], encoding="utf-8")
    return patterns_copy


# --- the service: a fake Zendesk, settings pointing at it, the Flask app -----------------------

import json  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any  # noqa: E402

from plugin.web.signature import sign  # noqa: E402

from .fake_zendesk import FakeZendesk  # noqa: E402

SECRET = "whsec-test-0123456789"


@pytest.fixture
def fake_zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk().start()
    yield fake
    fake.stop()


@pytest.fixture
def service_config(tmp_path: Path, fake_zendesk: FakeZendesk, pattern_cache_dir: Path) -> dict[str, str]:
    """Environment for a service talking to the fake Zendesk, with state under tmp_path."""
    return {
        "ZENDESK_SUBDOMAIN": "acme",
        "ZENDESK_EMAIL": "bot@example.com",
        "ZENDESK_API_TOKEN": "api-token-test",
        "ZENDESK_WEBHOOK_SECRET": SECRET,
        "ZENDESK_API_URL": fake_zendesk.url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'triage.db'}",
        "QUEUE_PATH": str(tmp_path / "instance" / "queue.db"),
        "PATTERNS_DIR": str(PATTERNS_DIR),
        "PATTERN_CACHE_DIR": str(pattern_cache_dir),
        "BACKOFF_SECONDS": "0.2",
        "BACKOFF_MAX_SECONDS": "1",
        "MAX_ATTEMPTS": "4",
        "ZENDESK_TIMEOUT": "1",
        "TRIAGE_DRY_RUN": "",
        # Tests check what is found, not how fast: a loaded CI machine must not turn a found error
        # into a pattern time-out. Tests of time-outs set their own budget (see test_triage.SLOW).
        "PATTERN_TIMEOUT_SECONDS": "5",
    }


@pytest.fixture
def settings(service_config: dict[str, str]):
    """The service's settings for this test: built from service_config alone, never the environment."""
    return make_settings(service_config)


def make_settings(values: dict[str, Any], **overrides: Any):
    from plugin.config import Settings

    return Settings.load({**values, **overrides}, environ={})


@pytest.fixture
def make_app(service_config: dict[str, str]) -> Callable[..., Any]:
    """An app on the test's settings with some changed: ``make_app(ADMIN_TOKEN="x")``."""
    from plugin import create_app

    def _make(**overrides: Any) -> Any:
        return create_app({"TESTING": True}, settings=make_settings(service_config, **overrides))

    return _make


@pytest.fixture
def app(settings):
    from plugin import create_app

    return create_app({"TESTING": True}, settings=settings)


@pytest.fixture
def client(app):
    return app.test_client()


def signed_post(client: Any, body: bytes, url: str = "/webhooks/zendesk", **kwargs: Any) -> Any:
    return client.post(url, data=body, headers=signed_headers(body, **kwargs))


def signed_headers(body: bytes, secret: str = SECRET, when: datetime | None = None,
                   invocation: str | None = None) -> dict[str, str]:
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Zendesk-Webhook-Signature": sign(body, stamp, secret),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    if invocation:
        headers["X-Zendesk-Webhook-Invocation-Id"] = invocation
    return headers


def trigger_body(ticket_id: int | str, **fields: Any) -> bytes:
    return json.dumps({"ticket": {"id": str(ticket_id), **fields}}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy; fail the test (not hang) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


class Process:
    """A child `amazon-triage` process with the test's environment; always stopped."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")
        # Own session: stopping the group also stops what it started (serve's worker).
        # The service's settings come from the test alone, never from the developer's environment.
        from plugin.config import Settings

        inherited = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        self.proc = subprocess.Popen([sys.executable, "-m", "plugin", *args], env={**inherited, **env},
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def _spawn(args: list[str], env: dict[str, str]) -> Process:
        p = Process(args, env, tmp_path / f"proc-{len(started)}.log")
        started.append(p)
        return p

    yield _spawn
    for p in started:
        p.stop(kill=True)


def exited(proc: Process) -> bool:
    """False while the process runs; once it has exited, fail with its log (not a time-out later)."""
    if proc.proc.poll() is not None:
        raise AssertionError(f"process exited early:\n{proc.output()}")
    return False


def wait_ready(proc: Process, url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200, failing at once with the log if the process exits first."""
    import requests

    def ready() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return exited(proc)

    wait_for(ready, timeout=timeout)


@pytest.fixture
def start_server(spawn: Callable[..., Process]) -> Callable[..., tuple[Process, str]]:
    """Start ``amazon-triage serve`` (or ``web``) on a port, wait until ``probe`` answers: (process, base URL).

    ``start_server(config, command="web", port=..., probe="/healthz", timeout=60)``; stopped with the test.
    """

    def _start(config: dict[str, str], *, command: str = "serve", port: int | None = None,
               probe: str = "/readyz", timeout: float = 30.0) -> tuple[Process, str]:
        port = port or free_port()
        proc = spawn([command, "--port", str(port)], config)
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, base + probe, timeout)
        return proc, base

    return _start

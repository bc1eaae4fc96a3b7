"""Production mode for the end-to-end tests: PostgreSQL + Redis shared by several web and worker processes.

`E2E_MODE=production` (with `TEST_POSTGRES_URL` and `TEST_REDIS_URL`) makes tests/test_e2e.py run
against PostgreSQL and Redis, and turns on tests/test_e2e_production.py (two web instances, two
workers, injected faults). Each test gets its own PostgreSQL schema and a flushed Redis database.
Fault injection touches only this test's connections: PostgreSQL backends by application_name,
Redis clients by name and database number. benchmarks/production.py reuses these helpers.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from plugin.queue import REDIS_CLIENT_NAME

from .conftest import exited, wait_for, wait_ready

MODE = os.environ.get("E2E_MODE", "embedded")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def production() -> bool:
    return MODE == "production"


def missing_services() -> str | None:
    """Why production mode cannot run here, or None."""
    if not POSTGRES_URL or not REDIS_URL:
        return "production mode needs TEST_POSTGRES_URL and TEST_REDIS_URL (.ci/run sets both)"
    return None


def _libpq(url: str) -> str:
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url.split("?")[0])


def pg_execute(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        cur = conn.execute(sql, params or None)
        return cur.fetchall() if cur.description else []


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL)


def production_config(config: dict[str, str]) -> dict[str, str]:
    """The test's service settings moved onto a fresh PostgreSQL schema and a flushed Redis database."""
    if reason := missing_services():
        raise RuntimeError(reason)
    name = f"e2e_{secrets.token_hex(4)}"
    pg_execute(f'CREATE SCHEMA "{name}"')
    redis_client().flushdb()
    base = POSTGRES_URL.split("?")[0]
    url = f"{base}?application_name={name}&options={quote(f'-csearch_path={name}')}"
    return {**config, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SWEEP_SECONDS": "1", "LEASE_SECONDS": "3"}


def app_name(config: dict[str, str]) -> str:
    return re.search(r"application_name=(\w+)", config["DATABASE_URL"]).group(1)  # type: ignore[union-attr]


def kill_postgres_connections(config: dict[str, str]) -> int:
    """pg_terminate_backend on every connection the service under test holds; returns how many."""
    rows = pg_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                      app_name(config))
    return sum(1 for (ok,) in rows if ok)


def drop_redis_connections(config: dict[str, str]) -> int:
    """CLIENT KILL every connection the service under test holds (by client name and database)."""
    client = redis_client()
    db = client.connection_pool.connection_kwargs.get("db", 0)
    killed = 0
    for entry in client.client_list():
        if entry.get("name") == REDIS_CLIENT_NAME and int(entry.get("db", -1)) == int(db):
            try:
                killed += bool(client.client_kill_filter(_id=entry["id"]))
            except Exception:  # already gone
                pass
    return killed


def flush_redis_queue(config: dict[str, str]) -> int:
    """What a Redis restart without persistence does: every queued entry is gone. Returns how many were."""
    client = redis_client()
    lost = sum(client.llen(k) for k in client.keys("huey.redis.*")) + sum(client.zcard(k) for k in client.keys("huey.schedule.*"))
    client.flushdb()
    return lost


@dataclass
class Cluster:
    """Web instances and workers sharing one store and one queue, as on several hosts."""

    config: dict[str, str]
    spawn: Callable[[list[str], dict[str, str]], Any]
    free_port: Callable[[], int]
    bases: list[str] = field(default_factory=list)
    webs: list[Any] = field(default_factory=list)
    workers: list[Any] = field(default_factory=list)

    def start(self, webs: int = 2, workers: int = 2) -> Cluster:
        for _ in range(webs):
            port = self.free_port()
            self.webs.append(self.spawn(["web", "--port", str(port)], self.config))
            self.bases.append(f"http://127.0.0.1:{port}")
        for _ in range(workers):
            self.start_worker()
        for base, proc in zip(self.bases, self.webs, strict=True):
            wait_ready(proc, f"{base}/readyz", timeout=60)
        for proc in self.workers:
            wait_for(lambda p=proc: "Huey consumer started" in p.output() or exited(p), timeout=60)
        return self

    def start_worker(self) -> Any:
        proc = self.spawn(["worker"], self.config)
        self.workers.append(proc)
        return proc

    def kill_worker(self, index: int = 0) -> None:
        self.workers[index].stop(kill=True)


def post_until_accepted(base: str, body: bytes, headers_for: Callable[[bytes], dict[str, str]],
                        timeout: float = 30.0) -> int:
    """Post as Zendesk does: a 5xx or a dropped connection is retried (same invocation), a 2xx ends it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = requests.post(f"{base}/webhooks/zendesk", data=body, headers=headers_for(body), timeout=5).status_code
            if status < 500:
                return status
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{base} kept failing for {timeout} s")
        time.sleep(0.2)


def cleanup_schemas() -> None:
    """Drop the schemas earlier runs left behind (called once per session in production mode)."""
    for (name,) in pg_execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'e2e\\_%'"):
        pg_execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

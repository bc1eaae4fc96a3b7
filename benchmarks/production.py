"""Production mode under faults: lost tickets, duplicate replies, and recovery after each injected failure.

Two web instances and two workers (standing for hosts) share PostgreSQL and Redis (TEST_POSTGRES_URL,
TEST_REDIS_URL: a fresh schema, a flushed Redis database) and the fake Zendesk. Every delivery is sent
to both instances. While the queue has a backlog: a worker is killed (a new one started), Redis
connections are dropped (CLIENT KILL), Redis loses its queue (as a restart without persistence does),
and PostgreSQL backends are terminated (pg_terminate_backend). Prints the figures quoted in the README.

Run: TEST_POSTGRES_URL=... TEST_REDIS_URL=... .venv/bin/python benchmarks/production.py [--tickets 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.store import DONE, Store  # noqa: E402
from tests import production  # noqa: E402
from tests.conftest import SECRET, Process, free_port, signed_headers, trigger_body  # noqa: E402
from tests.fake_zendesk import FakeZendesk  # noqa: E402

TEXT = "Linking my Amazon store shows: Couldn't connect, contact Amazon."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    if reason := production.missing_services():
        raise SystemExit(reason)

    fake = FakeZendesk().start()
    tmp = Path(tempfile.mkdtemp())
    config = production.production_config({
        "ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t",
        "ZENDESK_WEBHOOK_SECRET": SECRET, "ZENDESK_API_URL": fake.url, "INSTANCE_PATH": str(tmp / "instance"),
        "PATTERNS_DIR": str(ROOT / "patterns"), "TRIAGE_DRY_RUN": "", "ZENDESK_TIMEOUT": "2",
        "BACKOFF_SECONDS": "0.2", "BACKOFF_MAX_SECONDS": "2"})
    config["SWEEP_SECONDS"] = "5"  # the tests' 1 s would re-queue the whole backlog every second
    procs: list[Process] = []

    def spawn(argv: list[str], env: dict[str, str]) -> Process:
        procs.append(Process(argv, env, tmp / f"proc-{len(procs)}.log"))
        return procs[-1]

    store = Store.from_url(config["DATABASE_URL"])
    try:
        cluster = production.Cluster(config, spawn, free_port).start(webs=2, workers=2)
        ids = list(range(10_000, 10_000 + args.tickets))
        for tid in ids:
            fake.add_ticket(tid, "Amazon", TEXT)
            fake.inject("GET", rf"/tickets/{tid}\.json", delay=0.05)  # a realistic API round trip keeps a backlog
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def send(chunk: list[int]) -> None:
            for tid in chunk:
                body = trigger_body(tid)
                for base in cluster.bases:  # the same delivery to both instances
                    code = production.post_until_accepted(base, body, lambda b, t=tid: signed_headers(b, invocation=f"inv-{t}"))
                    with lock:
                        statuses[code] = statuses.get(code, 0) + 1

        def pending() -> int:
            return sum(1 for t in ids if (d := store.decision(t)) is None or d.status != DONE)

        def in_flight() -> int:
            """Received (a decision exists) and not done yet: queued, leased or waiting to retry."""
            return sum(1 for t in ids if (d := store.decision(t)) is not None and d.status != DONE)

        faults = [
            ("worker killed (SIGKILL) mid-queue, a new one started", lambda: (cluster.kill_worker(0), cluster.start_worker()) and 1),
            ("Redis connections dropped (CLIENT KILL): connections", lambda: production.drop_redis_connections(config)),
            ("Redis queue lost (restart without persistence): entries", lambda: production.flush_redis_queue(config)),
            ("PostgreSQL backends terminated (pg_terminate_backend): backends",
             lambda: production.kill_postgres_connections(config)),
        ]
        senders = [threading.Thread(target=send, args=(ids[i::4],)) for i in range(4)]
        start = time.monotonic()
        for t in senders:
            t.start()
        injected = []
        for name, fault in faults:
            time.sleep(1.0)
            waiting = in_flight()
            hit = fault()
            injected.append((name, waiting, hit))
        for t in senders:
            t.join()
        deadline = time.monotonic() + args.timeout
        while pending() and time.monotonic() < deadline:
            time.sleep(0.25)
        drained = time.monotonic() - start

        lost = [t for t in ids if (d := store.decision(t)) is None or d.status != DONE]
        duplicates = sum(max(0, len(fake.writes(t)) - 1) for t in ids)
        unwritten = [t for t in ids if not fake.writes(t)]
        print(f"production mode: {args.tickets} tickets, each delivery sent to both of 2 web instances "
              f"({2 * args.tickets} posts: {statuses}), 2 workers")
        for name, waiting, hit in injected:
            print(f"  {name} {hit}; tickets received and not yet done then: {waiting}; "
                  f"all of them done once, later: {'yes' if not lost and not duplicates else 'NO'}")
        print(f"lost tickets: {len(lost)}   duplicate replies: {duplicates}   tickets without a reply: {len(unwritten)}   "
              f"all done {drained:.1f} s after the first post")
    finally:
        store.close()
        for p in procs:
            p.stop(kill=True)
        fake.stop()


if __name__ == "__main__":
    main()

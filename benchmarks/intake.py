"""Webhook intake figures, against a bare Flask endpoint in the same run (same gunicorn settings).

Starts the real service (`amazon-triage serve`: gunicorn + worker) pointed at the fake Zendesk, and
gunicorn serving benchmarks/bare_app.py; sends signed posts from client threads on 127.0.0.1 only.
Prints requests/s, p50/p99 acknowledgement latency, end-to-end latency (post -> comment on the fake),
and writes per matched ticket. Run: .venv/bin/python benchmarks/intake.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import SECRET, signed_headers, trigger_body  # noqa: E402
from tests.fake_zendesk import FakeZendesk  # noqa: E402

MATCHING = "Connecting Amazon: The account connection timed out."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            requests.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} not ready in {timeout} s")


def load(url: str, bodies: list[bytes], threads: int) -> tuple[float, list[float], dict[int, int]]:
    """Post every body once, spread over client threads; return (elapsed, latencies ms, status counts)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [bodies[i::threads] for i in range(threads)]

    def client(chunk: list[bytes]) -> None:
        session = requests.Session()
        local, codes = [], {}
        for body in chunk:
            headers = signed_headers(body)
            start = time.perf_counter()
            r = session.post(url, data=body, headers=headers, timeout=10)
            local.append((time.perf_counter() - start) * 1000)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
        with lock:
            latencies.extend(local)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    start = time.perf_counter()
    workers = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start, latencies, statuses


def paced(url: str, bodies: list[bytes], rate: float) -> list[float]:
    """One client posting at a steady rate, as Zendesk does: acknowledgement latency in ms."""
    session = requests.Session()
    latencies = []
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        headers = signed_headers(body)
        t0 = time.perf_counter()
        session.post(url, data=body, headers=headers, timeout=10)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--e2e", type=int, default=30)
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s of the steady run")
    args = parser.parse_args()

    fake = FakeZendesk().start()
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t",
           "ZENDESK_WEBHOOK_SECRET": SECRET, "ZENDESK_API_URL": fake.url, "INSTANCE_PATH": str(tmp)}
    ours_port, bare_port = free_port(), free_port()
    ours = subprocess.Popen([sys.executable, "-m", "plugin", "serve", "--port", str(ours_port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "benchmarks"), "-b",
                             f"127.0.0.1:{bare_port}", "-w", "1", "-k", "gthread", "--threads", "8", "bare_app:app"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ours_url = f"http://127.0.0.1:{ours_port}/webhooks/zendesk"
        bare_url = f"http://127.0.0.1:{bare_port}/webhooks/zendesk"
        wait_ready(ours_url, ours)
        wait_ready(bare_url, bare)
        # Unmatched tickets with text in the payload: intake cost only, no Zendesk reads or writes.
        bodies = [trigger_body(100_000 + i, subject="Question", description="Where is my invoice?")
                  for i in range(args.requests)]
        bare_time, bare_lat, bare_codes = load(bare_url, bodies, args.threads)
        ours_time, ours_lat, ours_codes = load(ours_url, bodies, args.threads)
        print(f"{'':>22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
        for name, t, lat, codes in (("bare Flask 202", bare_time, bare_lat, bare_codes),
                                    ("amazon-triage intake", ours_time, ours_lat, ours_codes)):
            print(f"{name:>22} {len(lat) / t:8.0f} {pct(lat, 50):8.2f} {pct(lat, 99):8.2f}  {codes}")
        print(f"throughput ratio (ours / bare) at saturation, {args.threads} client threads: "
              f"{(len(ours_lat) / ours_time) / (len(bare_lat) / bare_time):.2f} (target >= 0.50)")
        steady = [trigger_body(200_000 + i, subject="Question", description="Where is my invoice?")
                  for i in range(int(args.rate * 10))]
        bare_steady = paced(bare_url, steady, args.rate)
        ours_steady = paced(ours_url, steady, args.rate)
        print(f"steady {args.rate:.0f} req/s for 10 s: ack p50/p99 bare {pct(bare_steady, 50):.2f}/{pct(bare_steady, 99):.2f} ms,"
              f" ours {pct(ours_steady, 50):.2f}/{pct(ours_steady, 99):.2f} ms (target p99 <= 20 ms)")

        # End to end: one matched ticket at a time, post -> its comment on the fake.
        e2e = []
        for i in range(args.e2e):
            tid = 500_000 + i
            fake.add_ticket(tid, "Amazon", MATCHING)
            body = trigger_body(tid)
            start = time.perf_counter()
            requests.post(ours_url, data=body, headers=signed_headers(body), timeout=10)
            while len(fake.tickets[tid]["comments"]) < 2:
                if time.perf_counter() - start > 30:
                    raise SystemExit(f"ticket {tid} not updated within 30 s")
                time.sleep(0.005)
            e2e.append((time.perf_counter() - start) * 1000)
        writes = sum(len(fake.writes(500_000 + i)) for i in range(args.e2e))
        print(f"end to end (post -> comment on the fake), {args.e2e} matched tickets: "
              f"p50 {pct(e2e, 50):.0f} ms, p99 {pct(e2e, 99):.0f} ms")
        print(f"writes per matched ticket: {writes / args.e2e:.2f} (target 1); "
              f"writes for {args.requests} unmatched tickets: {len(fake.writes()) - writes}")
    finally:
        for p in (ours, bare):
            p.terminate()
            p.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    main()

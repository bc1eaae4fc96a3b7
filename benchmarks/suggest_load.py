"""Can agents' /api/suggest calls starve webhook intake? Acknowledgement latency with and without them.

Starts the real service (`amazon-triage serve`, default gunicorn settings: 8 threads) twice: with the
default SUGGEST_CONCURRENCY (2) and with it effectively off (64). Each time, a paced signed delivery
stream is measured alone, then while client threads post long ticket texts to /api/suggest as fast as
they can (waiting out Retry-After on a 503). Prints intake ack p50/p99 for each case and the suggest answers (200 / 503) seen.
127.0.0.1 only. Run: .venv/bin/python benchmarks/suggest_load.py [--agents 12 --seconds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.intake import free_port, paced, pct, wait_ready  # noqa: E402
from tests.conftest import SECRET, trigger_body  # noqa: E402

AGENT = "bench-agent-token"
LONG_TEXT = ("Connecting Amazon: An error has occurred while linking my seller account, merchant id "
             "A2EUQ1WTGCTBG2, yesterday at 9:15 pm. " * 700)[:90_000]


def agents(url: str, threads: int, stop: threading.Event, statuses: dict[int | str, int]) -> list[threading.Thread]:
    lock = threading.Lock()

    def run() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                code: int | str = session.post(url, json={"subject": "Amazon", "description": LONG_TEXT},
                                               headers={"Authorization": f"Bearer {AGENT}"}, timeout=30).status_code
            except requests.RequestException as exc:
                code = type(exc).__name__
                session = requests.Session()
            with lock:
                statuses[code] = statuses.get(code, 0) + 1
            if code == 503:
                stop.wait(1.0)  # as the sidebar app does: honour Retry-After

    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    return workers


def measure(concurrency: int, args: argparse.Namespace, first_id: int) -> tuple[list[float], list[float], dict[int | str, int]]:
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "ZENDESK_WEBHOOK_SECRET": SECRET, "INSTANCE_PATH": str(tmp), "AGENT_TOKEN": AGENT,
           "SUGGEST_CONCURRENCY": str(concurrency)}
    for name in ("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ADMIN_TOKEN", "DATABASE_URL", "QUEUE_PATH"):
        env.pop(name, None)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "plugin", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/webhooks/zendesk", proc)
        n = int(args.rate * args.seconds)
        alone = paced(f"{base}/webhooks/zendesk", [trigger_body(first_id + i) for i in range(n)], args.rate)
        stop, statuses = threading.Event(), {}  # type: ignore[var-annotated]
        workers = agents(f"{base}/api/suggest", args.agents, stop, statuses)
        time.sleep(0.5)
        loaded = paced(f"{base}/webhooks/zendesk", [trigger_body(first_id + n + i) for i in range(n)], args.rate)
        stop.set()
        for w in workers:
            w.join(timeout=30)
        return alone, loaded, statuses
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    print(f"{args.agents} agent threads posting {len(LONG_TEXT):,}-character tickets; deliveries at {args.rate:g}/s")
    print(f"{'SUGGEST_CONCURRENCY':>20}  {'intake alone p50/p99 ms':>24}  {'with agents p50/p99 ms':>23}  suggest answers")
    for n, concurrency in enumerate((2, 64)):
        alone, loaded, statuses = measure(concurrency, args, 1 + n * 100_000)
        print(f"{concurrency:>20}  {pct(alone, 50):>11.1f} / {pct(alone, 99):<10.1f}  "
              f"{pct(loaded, 50):>10.1f} / {pct(loaded, 99):<10.1f}  {dict(sorted(statuses.items(), key=str))}")


if __name__ == "__main__":
    main()

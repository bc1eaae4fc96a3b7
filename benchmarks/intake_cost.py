"""The web process's cost per delivery at saturation: CPU time and context switches (all its threads).

Why: on a shared 2-core machine throughput swings with other jobs' load, while the web process's own
CPU time and context switches per delivery barely do, so they are the A/B figure for intake changes
(benchmarks/intake.py gives the throughput ratio against the bare endpoint). Starts `amazon-triage
serve` (worker included, as in production) from ``--tree`` (another checkout, for a baseline: it is
imported from there), saturates it with wrk (benchmarks/wrk_client.lua) and reads /proc before and
after each round. 127.0.0.1 only.

Run: .venv/bin/python benchmarks/intake_cost.py [--mode embedded|production] [--tree PATH] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.intake import THREADS, children, saturate_wrk, signed, wait_ready  # noqa: E402
from tests import production  # noqa: E402
from tests.conftest import SECRET, free_port  # noqa: E402
from tests.fake_zendesk import FakeZendesk  # noqa: E402


def switches(pid: int, main: bool | None = None) -> tuple[int, int]:
    """(voluntary, involuntary) context switches so far, summed over the process's live threads
    (``main``: True for its main thread only, the I/O loop; False for the others)."""
    vol = invol = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        if main is not None and (status.parent.name == str(pid)) != main:
            continue
        try:
            text = status.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                vol += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                invol += int(line.split()[1])
    return vol, invol


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose plugin/ runs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the service (e.g. WORKER_NICE=0)")
    parser.add_argument("--bare", action="store_true", help="measure benchmarks/bare_app.py instead (same server settings)")
    parser.add_argument("--perf-record", type=Path, help="also record where the web process sleeps (perf, call graphs) in round 1")
    parser.add_argument("--py-spy", type=Path, help="also sample the web process with py-spy during round 1 (collapsed stacks)")
    args = parser.parse_args()
    fake = FakeZendesk().start()
    tmp = Path(tempfile.mkdtemp())
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t",
           "ZENDESK_WEBHOOK_SECRET": SECRET, "ZENDESK_API_URL": fake.url, "INSTANCE_PATH": str(tmp),
           "PATTERNS_DIR": str(ROOT / "patterns"), "TRIAGE_DRY_RUN": "", "PYTHONPATH": str(args.tree)}
    if args.mode == "production":
        if reason := production.missing_services():
            raise SystemExit(reason)
        env = {**production.production_config(env), "SWEEP_SECONDS": "60", "LEASE_SECONDS": "120"}
    env.update(item.split("=", 1) for item in args.env)
    port = free_port()
    command = ([sys.executable, str(ROOT / "benchmarks" / "bare_app.py"), str(port), str(THREADS), "30"] if args.bare
               else [sys.executable, "-m", "plugin", "serve", "--port", str(port), "--threads", str(THREADS)])
    proc = subprocess.Popen(command,
                            env={**os.environ, **env}, cwd=args.tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        saturate_wrk(port, signed(range(900_000, 902_000)), args.connections, 1.0)  # warm-up
        worker = children(proc.pid)
        for k in range(args.rounds):
            base = 1_000_000 + k * 30_000
            requests = signed(range(base, base + 30_000))
            spy = subprocess.Popen(["py-spy", "record", "-p", str(proc.pid), "-d", f"{args.seconds:g}", "-r", "250", "-f", "raw", "--nonblocking", "--gil",
                                    "--threads", "-o", str(args.py_spy)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) if args.py_spy and k == 0 else None
            # SQLite's busy handler sleeps (clock_nanosleep) while another process holds the write lock.
            perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_clock_nanosleep", "-p", str(proc.pid),
                                     "--", "sleep", f"{args.seconds:g}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True) if shutil.which("perf") else None
            record = subprocess.Popen(["perf", "record", "-e", "syscalls:sys_enter_clock_nanosleep", "-g", "-p", str(proc.pid),
                                       "-o", str(args.perf_record), "--", "sleep", f"{args.seconds:g}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if args.perf_record and k == 0 else None
            before, loop_before = switches(proc.pid), switches(proc.pid, main=True)
            rate, (p50, p99), statuses, cpu = saturate_wrk(port, requests, args.connections, args.seconds,
                                                           {"web": proc.pid, **({"worker": worker[0]} if worker else {})})
            after, loop_after = switches(proc.pid), switches(proc.pid, main=True)
            if spy is not None:
                spy.wait()
            if record is not None:
                record.wait()
            sleeps = float("nan")
            if perf is not None:
                text = perf.communicate()[1]
                sleeps = next((float(line.split(",")[0]) for line in text.splitlines()
                               if "clock_nanosleep" in line and line.split(",")[0].isdigit()), float("nan"))
            n = sum(statuses.values())
            print(f"{'bare' if args.bare else args.tree.name} {' '.join(args.env)} {args.mode} round {k + 1}: {rate:6.0f} req/s, web {cpu['web']:.3f} ms CPU, "
                  f"worker {cpu.get('worker', float('nan')):.3f}, {(after[0] - before[0]) / n:.2f} voluntary + "
                  f"{(after[1] - before[1]) / n:.2f} involuntary switches per delivery (I/O loop "
                  f"{(loop_after[0] - loop_before[0]) / n:.2f} + {(loop_after[1] - loop_before[1]) / n:.2f}), {cpu['cores busy']:.1f} cores busy, "
                  f"{sleeps / args.seconds:.0f} sleeps/s, p50 {p50:.2f} ms, statuses {statuses}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    main()

"""Webhook intake figures against a bare Flask 202 endpoint in the same run, same server settings.

Starts the real service (`amazon-triage serve`: waitress + worker, so the worker runs meanwhile)
pointed at the fake Zendesk, and benchmarks/bare_app.py under waitress with the settings `serve`
uses. The client is light: requests are signed before the clock starts and sent over keep-alive
connections by wrk (C, Debian's package; benchmarks/wrk_client.lua gives each delivery once), so the
client takes a small share of the two cores; without wrk, http.client from several processes (about
ten times the client CPU per request, which on two cores the servers lose). 127.0.0.1 only.

Modes: embedded (SQLite store and queue) and production (PostgreSQL + Redis, from TEST_POSTGRES_URL
and TEST_REDIS_URL, a fresh schema and a flushed Redis database).

Also prints CPU time per request of each process (web, worker, clients, the PostgreSQL and Redis servers,
the whole machine), and a calibration: the bare endpoint plus --work-ms of CPU work per request, to show
what that much Python work per delivery costs under the same server.

Run: .venv/bin/python benchmarks/intake.py [--mode embedded|production|both] [--requests 4000] [--work-ms 0.25]
     [--client wrk|python] [--seconds 5] [--rounds 3] [--connections 8,16,32]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import production  # noqa: E402
from tests.conftest import SECRET, free_port, signed_headers, trigger_body  # noqa: E402
from tests.fake_zendesk import FakeZendesk  # noqa: E402

PATH = "/webhooks/zendesk"
MATCHING = "Connecting Amazon: The account connection timed out."
THREADS, IDLE = 8, 30


def signed(ticket_ids: range) -> list[tuple[bytes, dict[str, str]]]:
    """Unmatched tickets with their text in the payload: intake cost only, no Zendesk calls."""
    out = []
    for tid in ticket_ids:
        body = trigger_body(tid, subject="Question", description="Where is my invoice?")
        out.append((body, signed_headers(body)))
    return out


def send_all(job: tuple[int, list[tuple[bytes, dict[str, str]]], float]) -> tuple[list[float], dict[int, int], float, float]:
    """One client process: keep-alive posts back to back; (latencies ms, statuses, first start, last end)."""
    port, requests, start_at = job
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, statuses = [], {}
    began = time.time()
    for body, headers in requests:
        t0 = time.perf_counter()
        conn.request("POST", PATH, body, headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    ended = time.time()
    conn.close()
    return latencies, statuses, began, ended


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), to say where the cores went."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


SERVERS = ("postgres", "redis-server")


def servers_cpu() -> float:
    """CPU seconds so far of every PostgreSQL and Redis server process on the machine (other users' work included)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1:text.rindex(")")] in SERVERS:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time from now on of the ``watch``ed processes, this process's children (the clients), the
    PostgreSQL and Redis servers and the whole machine (other jobs included)."""

    def __init__(self, watch: dict[str, int]) -> None:
        self.watch = watch
        self.before = {name: cpu_seconds(pid) for name, pid in watch.items()}
        self.clients, self.machine, self.servers = os.times(), machine_busy(), servers_cpu()

    def per_request(self, n: int) -> dict[str, float]:
        """CPU ms per request since the meter started, and how many cores were busy meanwhile."""
        machine, servers, clients = machine_busy(), servers_cpu(), os.times()
        cpu = {name: (cpu_seconds(pid) - self.before[name]) / n * 1000 for name, pid in self.watch.items()}
        cpu["client"] = ((clients.children_user + clients.children_system)
                         - (self.clients.children_user + self.clients.children_system)) / n * 1000
        cpu["database servers"] = (servers - self.servers) / n * 1000
        cpu["machine"] = (machine[0] - self.machine[0]) / n * 1000
        cpu["cores busy"] = (machine[0] - self.machine[0]) / max(1e-9, machine[1] - self.machine[1]) * os.cpu_count()
        return cpu


def saturate(port: int, requests: list[tuple[bytes, dict[str, str]]], clients: int,
             watch: dict[str, int] | None = None) -> tuple[float, list[float], dict[int, int], dict[str, float]]:
    """Send everything from ``clients`` processes; also CPU ms per request of the ``watch``ed processes,
    of the clients, and of the whole machine (other jobs included)."""
    start_at = time.time() + 0.5
    jobs = [(port, requests[i::clients], start_at) for i in range(clients)]
    meter = CpuMeter(watch or {})
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(send_all, jobs)
    cpu = meter.per_request(len(requests))
    latencies = [x for r in results for x in r[0]]
    statuses: dict[int, int] = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    return len(latencies) / elapsed, (pct(latencies, 50), pct(latencies, 99)), statuses, cpu


WRK_SCRIPT = ROOT / "benchmarks" / "wrk_client.lua"


def saturate_wrk(port: int, requests: list[tuple[bytes, dict[str, str]]], connections: int, seconds: float,
                 watch: dict[str, int] | None = None) -> tuple[float, tuple[float, float], dict[int, int], dict[str, float]]:
    """As saturate, from wrk: ``connections`` keep-alive connections on 2 threads for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for body, headers in requests:
            f.write(f"{headers['X-Zendesk-Webhook-Signature']}\t{headers['X-Zendesk-Webhook-Signature-Timestamp']}\t"
                    f"{body.decode()}\n")
    threads = 2
    meter = CpuMeter(watch or {})
    ran = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                          "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"],
                         env={**os.environ, "WRK_REQUESTS": f.name, "WRK_THREADS": str(threads)},
                         capture_output=True, text=True)
    os.unlink(f.name)
    if ran.returncode != 0:  # say why (wrk writes its errors, and a Lua error, to stderr)
        raise SystemExit(f"wrk exited with {ran.returncode}: {(ran.stderr or ran.stdout).strip()[-800:]}")
    out = ran.stdout
    result = next(line.split() for line in out.splitlines() if line.startswith("RESULT "))
    n, micros, p50, p99 = int(result[1]), int(result[2]), float(result[3]), float(result[4])
    statuses = {int(w[1]): int(w[2]) for w in (line.split() for line in out.splitlines() if line.startswith("STATUS "))}
    if n >= len(requests):
        raise SystemExit(f"wrk ran out of deliveries ({n} of {len(requests)}): give it more or fewer seconds")
    return n / (micros / 1e6), (p50, p99), statuses, meter.per_request(n)


def paced(port: int, requests: list[tuple[bytes, dict[str, str]]], rate: float) -> list[float]:
    """One keep-alive client at a steady rate, as Zendesk sends: acknowledgement latency in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    start = time.perf_counter()
    for i, (body, headers) in enumerate(requests):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        conn.request("POST", PATH, body, headers)
        conn.getresponse().read()
        latencies.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return latencies


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (1-99), within the values seen (the default 'exclusive' method extrapolates
    past the largest: with 20 end-to-end samples, p99 read 46 s, though a ticket waits 30 s at most)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) >= 2 else values[0]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("POST", PATH, b"{}", {"Content-Type": "application/json"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} not ready in {timeout} s")


def commit_latency(database_url: str, n: int = 300) -> list[float]:
    """One-row autocommit INSERTs on the store's database, ms each: what a durable commit costs here
    (on PostgreSQL the WAL flush, shared with every other user of that server and disk)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE commit_probe (x integer)")
            out = []
            for i in range(n):
                t0 = time.perf_counter()
                conn.exec_driver_sql("INSERT INTO commit_probe VALUES (%(x)s)", {"x": i})
                out.append((time.perf_counter() - t0) * 1000)
            conn.exec_driver_sql("DROP TABLE commit_probe")
        return out
    finally:
        engine.dispose()


def drain(database_url: str, timeout: float = 300) -> float:
    """Wait for the worker to finish the backlog the saturation run left; seconds it took."""
    from plugin.store import Store

    store = Store.from_url(database_url)
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            counts = store.counts()
            if not any(counts.get(s, 0) for s in ("queued", "retry", "processing")):
                break
            time.sleep(0.5)
        return time.monotonic() - start
    finally:
        store.close()


def run_mode(mode: str, args: argparse.Namespace, fake: FakeZendesk) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t",
           "ZENDESK_WEBHOOK_SECRET": SECRET, "ZENDESK_API_URL": fake.url, "INSTANCE_PATH": str(tmp),
           "PATTERNS_DIR": str(ROOT / "patterns"), "TRIAGE_DRY_RUN": ""}
    if mode == "production":
        # Production defaults for the sweep and leases (the tests' short ones would re-queue the backlog every second).
        env = {**production.production_config(env), "SWEEP_SECONDS": "60", "LEASE_SECONDS": "120"}
    ours_port, bare_port, work_port = free_port(), free_port(), free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    # The service's log is kept (no ticket text is logged): when it stops mid-run, its last lines say why.
    service_log = open(tmp / "service.log", "wb")  # noqa: SIM115 (closed in finally)
    ours = subprocess.Popen([sys.executable, "-m", "plugin", "serve", "--port", str(ours_port), "--threads", str(THREADS)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=service_log)
    bare = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_app.py"), str(bare_port), str(THREADS), str(IDLE)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, **quiet)
    # The calibration: the bare endpoint plus a fixed amount of CPU work per request, same server settings.
    work = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_app.py"), str(work_port), str(THREADS), str(IDLE),
                             str(args.work_ms)], env={**os.environ, "PYTHONPATH": str(ROOT)}, **quiet) if args.work_ms else None
    offset = {"embedded": 0, "production": 5_000_000}[mode]
    try:
        wait_ready(ours_port, ours)
        wait_ready(bare_port, bare)
        # Each round runs the bare endpoint, then ours, on fresh deliveries (ours stores each once): on a
        # shared machine the load drifts, so rounds alternate and the median ratio is the figure.
        # One set of fresh deliveries per round and client count (wrk's connections; one count for python).
        counts = args.connections if args.client == "wrk" else [args.clients]
        rounds = [signed(range(offset + 100_000 + k * args.requests, offset + 100_000 + (k + 1) * args.requests))
                  for k in range(args.rounds * len(counts))]
        if args.client == "wrk":
            def run(port: int, requests: list, watch: dict[str, int] | None = None, connections: int = counts[0]) -> Any:
                return saturate_wrk(port, requests, connections, args.seconds, watch)
        else:
            def run(port: int, requests: list, watch: dict[str, int] | None = None, connections: int = 0) -> Any:
                return saturate(port, requests, args.clients, watch)
        saturate(bare_port, rounds[0][:300], args.clients)  # warm both up
        saturate(ours_port, signed(range(offset + 900_000, offset + 900_300)), args.clients)
        # The worker loads its patterns at start (seconds of CPU): measure once it has, and has done the warm-up.
        database_url = env["DATABASE_URL"] if "DATABASE_URL" in env else f"sqlite:///{tmp / 'amazon-triage.db'}"
        drain(database_url)
        calibration = None
        if work is not None:
            wait_ready(work_port, work)
            saturate(work_port, rounds[0][:300], args.clients)
            calibration = (run(work_port, rounds[0], {"web": work.pid}), run(bare_port, rounds[0], {"web": bare.pid}))
            work.terminate()  # idle during our runs, but gone is simpler to reason about
        worker = children(ours.pid)
        results = []  # (client count, bare's result, ours) in the order run: rounds of every count, alternating
        for k in range(args.rounds):
            for i, count in enumerate(counts):
                requests = rounds[k * len(counts) + i]
                bare_result = run(bare_port, requests, {"web": bare.pid}, count)
                ours_result = run(ours_port, requests, {"web": ours.pid, **({"worker": worker[0]} if worker else {})}, count)
                results.append((count, bare_result, ours_result))
        drained = drain(database_url)
        probe = commit_latency(env["DATABASE_URL"]) if mode == "production" else []
        steady = signed(range(offset + 200_000, offset + 200_000 + int(args.rate * 10)))
        bare_steady = paced(bare_port, steady, args.rate)
        ours_steady = paced(ours_port, steady, args.rate)
        e2e = []
        for i in range(args.e2e):
            tid = offset + 500_000 + i
            fake.add_ticket(tid, "Amazon", MATCHING)
            body = trigger_body(tid)
            conn = http.client.HTTPConnection("127.0.0.1", ours_port, timeout=10)
            start = time.perf_counter()
            conn.request("POST", PATH, body, signed_headers(body))
            conn.getresponse().read()
            while len(fake.tickets[tid]["comments"]) < 2:
                if time.perf_counter() - start > 30:
                    raise SystemExit(f"ticket {tid} not updated within 30 s")
                time.sleep(0.005)
            e2e.append((time.perf_counter() - start) * 1000)
        writes = sum(len(fake.writes(offset + 500_000 + i)) for i in range(args.e2e))
        return {"mode": mode, "rounds": results, "calibration": calibration,
                "steady": (bare_steady, ours_steady), "probe": probe, "e2e": e2e, "writes": writes / max(1, args.e2e), "drained": drained}
    except BaseException:
        service_log.flush()
        tail = (tmp / "service.log").read_text(errors="replace").splitlines()[-25:]
        state = f"exited with {ours.returncode}" if ours.poll() is not None else "still running"
        print(f"the service {state}; its last log lines:", *tail, sep="\n", file=sys.stderr)
        raise
    finally:
        for p in (ours, bare, *([work] if work else [])):
            p.terminate()
            p.wait(timeout=20)
        service_log.close()


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    client = (f"wrk: {'/'.join(map(str, args.connections))} keep-alive connections for {args.seconds:g} s"
              if args.client == "wrk" else f"{args.requests} requests from {args.clients} keep-alive client processes")
    print(f"\n== {r['mode']} ({'SQLite store and queue' if r['mode'] == 'embedded' else 'PostgreSQL + Redis'}), "
          f"{client}, waitress {THREADS} threads ==")
    print(f"{'':>22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses; CPU ms per request (machine: every process)")
    by_count: dict[int, list[tuple[float, float]]] = {}
    for k, (count, *pair) in enumerate(r["rounds"], 1):
        for name, (rate, lat, codes, cpu) in zip((f"{k}: bare Flask 202", f"{k}: amazon-triage"), pair, strict=True):
            usage = ", ".join(f"{key} {v:.2f}" for key, v in cpu.items() if key != "cores busy")
            print(f"{name:>22} {rate:8.0f} {lat[0]:8.2f} {lat[1]:8.2f}  {codes}; {usage}; "
                  f"{cpu['cores busy']:.1f} of {os.cpu_count()} cores busy; {count} connections")
        by_count.setdefault(count, []).append((pair[0][0], pair[1][0]))
    if r["calibration"]:
        (rate, _, _, cpu), (bare_rate, *_) = r["calibration"]
        print(f"calibration: bare + {args.work_ms:g} ms of CPU per request: {rate:.0f} req/s, bare right after {bare_rate:.0f}: "
              f"ratio {rate / bare_rate:.2f}, web {cpu['web']:.2f} ms CPU per request")
    for count, pairs in by_count.items():
        ratios = [ours / bare for bare, ours in pairs]
        print(f"throughput ratio (ours / bare), worker running, {count} connections, median of {len(ratios)} alternating "
              f"rounds: {statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    if len(by_count) > 1:
        # Saturation throughput is each server's best over the offered concurrency: the two need not peak at
        # the same client count (a server that batches its commits wants more requests in flight).
        best_bare = max(statistics.median(b for b, _ in pairs) for pairs in by_count.values())
        best_ours = max(statistics.median(o for _, o in pairs) for pairs in by_count.values())
        print(f"saturation throughput (each server's best median over {'/'.join(map(str, by_count))} connections): "
              f"bare {best_bare:.0f}, ours {best_ours:.0f} req/s: ratio {best_ours / best_bare:.2f} (target >= 0.50)")
    print(f"the worker finished the backlog {r['drained']:.1f} s after the saturation run (then the steady run starts)")
    bare_steady, ours_steady = r["steady"]
    print(f"steady {args.rate:.0f} req/s for 10 s: ack p50/p99 bare {pct(bare_steady, 50):.2f}/{pct(bare_steady, 99):.2f} ms, "
          f"ours {pct(ours_steady, 50):.2f}/{pct(ours_steady, 99):.2f} ms (target p99 <= 20 ms)")
    if r["probe"]:
        print(f"a one-row PostgreSQL commit on the same server meanwhile: p50 {pct(r['probe'], 50):.2f} ms, "
              f"p99 {pct(r['probe'], 99):.2f} ms (the WAL flush every acknowledged delivery waits for)")
    if r["e2e"]:
        print(f"end to end (post -> comment on the fake), {len(r['e2e'])} matched tickets one at a time: "
              f"p50 {pct(r['e2e'], 50):.0f} ms, p99 {pct(r['e2e'], 99):.0f} ms; writes per matched ticket {r['writes']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "production", "both"], default="both")
    parser.add_argument("--requests", type=int, default=None,
                        help="signed deliveries per round (default: 25000 for wrk, which sends what it can in --seconds, "
                             "each at most once; 4000 for the python client, which sends them all)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (--client python; warm-ups)")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="who saturates: wrk (light, the default when installed) or http.client processes")
    parser.add_argument("--connections", type=lambda v: [int(x) for x in v.split(",")], default=[8, 16, 32],
                        help="wrk's keep-alive connections, a comma-separated list: each count is run in every round, "
                             "and each server's best median is its saturation throughput")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk's run time per server and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (bare, then ours); the median ratio is reported")
    parser.add_argument("--e2e", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s of the steady run")
    parser.add_argument("--work-ms", type=float, default=0.25,
                        help="calibration: also run the bare endpoint with this much CPU work per request (0: not)")
    args = parser.parse_args()
    args.requests = args.requests or (25000 if args.client == "wrk" else 4000)
    modes = ["embedded", "production"] if args.mode == "both" else [args.mode]
    if "production" in modes and (reason := production.missing_services()):
        if args.mode == "production":
            raise SystemExit(reason)
        print(f"(production mode left out: {reason})")
        modes.remove("production")
    fake = FakeZendesk().start()
    try:
        for mode in modes:
            report(run_mode(mode, args, fake), args)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()

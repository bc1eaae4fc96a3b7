"""`amazon-triage serve` and `web`: the web server (waitress), and for `serve` one background worker.

Why waitress: its I/O loop reads each request whole (headers and body, spooled to a temp file past
512 KB) before a worker thread sees it, so clients that drip a body a byte at a time hold a socket,
not a thread; `/healthz` and deliveries keep being answered (tests/test_serve.py). Connections
idle for ``IDLE_TIMEOUT_SECONDS`` are closed. gunicorn's gthread workers give each connection a thread
while its body arrives, so a dozen slow clients froze the service (issue 10).

Supervision is left to the service manager (systemd, a Procfile runner): `serve` starts one worker
child and stops when it stops, so `Restart=on-failure` restarts both; a worker whose `serve` was
killed stops too (it watches its parent).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

log = logging.getLogger(__name__)
PARENT_ENV = "TRIAGE_SERVE_PID"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def exit_with_parent() -> None:
    """In a worker started by `serve`: stop gracefully once that server is gone (even if it was killed)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not parent.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1)
        log.warning("the server that started this worker is gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def server_options(threads: int, idle_timeout: int, max_body_bytes: int = 1_000_000) -> dict[str, Any]:
    """The waitress settings, shared with benchmarks/intake.py so the bare app runs under the same ones."""
    return {
        "threads": threads,
        # Bodies a little over MAX_BODY_BYTES reach the app (its JSON 413); absurd ones are refused while
        # still arriving, before they fill the temp folder.
        "max_request_body_size": max_body_bytes * 4 + 65536,
        "channel_timeout": idle_timeout,  # idle (or stalled) connections are closed after this
        "cleanup_interval": max(1, min(30, idle_timeout // 3)),  # how often idle connections are looked for
        "connection_limit": 1000,
        "backlog": 1024,
        "asyncore_use_poll": True,  # poll(), not select(): no 1024-descriptor ceiling
        "ident": "amazon-triage",
        "expose_tracebacks": False,
    }


def _quiet_channel() -> type:
    """waitress's HTTP channel without its busy loop (waitress 3.0).

    Why: a request thread sends its response itself (``write_soon``), holding the channel's output
    lock while the bytes are in ``send()``. Meanwhile the I/O loop sees output waiting, polls the
    socket for writing, finds it writable at once, fails to take the lock, and polls again: a spin.
    It holds the interpreter lock between polls, so the request thread takes longer to come back and
    finish, which makes the loop spin longer. Measured with a bare Flask app under load: 80 loop
    passes and 1.3 million poll wake-ups for 3,700 requests, its main thread at 1 ms of CPU per
    request, throughput falling at random from about 3,000 to 700 req/s. Here a channel whose running
    task holds the output lock is not polled for writing: that task flushes its own output, and when
    it leaves some (a full socket buffer, or its end) it pulls the server's trigger or waits on the
    lock, which wakes the loop to send it (at worst, the loop's one-second poll time-out).
    """
    from waitress.channel import HTTPChannel

    class QuietChannel(HTTPChannel):  # type: ignore[misc]
        def writable(self) -> bool:
            if not super().writable():
                return False
            if self.will_close or self.close_when_flushed or not self.requests:
                return True
            if not self.outbuf_lock.acquire(False):
                return False  # the task is sending: it wakes the loop if it leaves anything
            self.outbuf_lock.release()
            return True

    return QuietChannel


def make_server(app: Any, host: str, port: int, threads: int, idle_timeout: int, max_body_bytes: int = 1_000_000) -> Any:
    """A waitress server bound to host:port; a port in use or a bad address ends with a message, not a traceback."""
    from waitress import create_server

    try:
        server = create_server(app, host=host, port=port, **server_options(threads, idle_timeout, max_body_bytes))
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        raise SystemExit(2) from None
    channel = _quiet_channel()
    for listener in listeners(server):
        listener.channel_class = channel
    return server


def listeners(server: Any) -> list[Any]:
    """The listening sockets' servers: one, or several (a host name with IPv4 and IPv6 addresses); each makes channels."""
    from waitress.server import BaseWSGIServer

    return [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]


def web(host: str, port: int, threads: int) -> None:
    """Serve the web app alone (a Procfile's `web`, a systemd unit)."""
    from . import create_app

    app = create_app(announce=False)  # the command said the start-up warnings
    rt = app.extensions["amazon_triage"]
    server = make_server(app, host, port, threads, rt.settings.idle_timeout_seconds, rt.settings.max_body_bytes)
    # SIGHUP reloads the patterns in place; SIGTERM/SIGINT stop accepting and exit.
    signal.signal(signal.SIGHUP, lambda *_: rt.registry.reload(force=True))
    _stop_on(signal.SIGTERM, signal.SIGINT, server=server)
    log.info("serving on http://%s:%s (%d threads)", host, port, threads)
    server.run()


def _stop_on(*signums: int, server: Any) -> None:
    def stop(signum: int, _frame: Any) -> None:
        log.info("%s: stopping the web server", signal.Signals(signum).name)
        server.close()
        raise SystemExit(0)

    for signum in signums:
        signal.signal(signum, stop)


def serve(host: str, port: int, threads: int) -> None:
    """The web server and one worker child; stops when either stops."""
    own_metrics_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        # Web and worker are separate processes: prometheus-client's multiprocess mode lets the web's
        # /metrics include the worker's counters. Set before prometheus_client is imported.
        own_metrics_dir = tempfile.mkdtemp(prefix="amazon-triage-metrics-")
        os.environ[MULTIPROC_ENV] = own_metrics_dir
    # The worker watches for this pid to vanish, so a killed server takes its worker with it.
    child = subprocess.Popen([sys.executable, "-m", "plugin", "worker"], env={**os.environ, PARENT_ENV: str(os.getpid())})
    stopping, worker_died = threading.Event(), threading.Event()
    try:
        from . import create_app

        app = create_app(announce=False)  # the command said the start-up warnings
        rt = app.extensions["amazon_triage"]
        server = make_server(app, host, port, threads, rt.settings.idle_timeout_seconds, rt.settings.max_body_bytes)

        def reload(*_: Any) -> None:
            rt.registry.reload(force=True)
            child.send_signal(signal.SIGHUP)

        signal.signal(signal.SIGHUP, reload)
        _stop_on(signal.SIGTERM, signal.SIGINT, server=server)

        def watch_worker() -> None:
            code = child.wait()
            if stopping.is_set():
                return
            log.error("the worker exited with %s; stopping the server (the service manager restarts both)", code)
            worker_died.set()
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch_worker, daemon=True).start()
        log.info("serving on http://%s:%s (%d threads) with one worker (pid %d)", host, port, threads, child.pid)
        try:
            server.run()
        except SystemExit:
            pass
    finally:
        stopping.set()
        if child.poll() is None:
            child.send_signal(signal.SIGINT)  # huey's graceful stop: running tickets finish
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if own_metrics_dir:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)
    if worker_died.is_set():
        raise SystemExit(1)

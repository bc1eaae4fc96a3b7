"""The server `serve` runs: slow clients can't starve it, idle connections are closed, a taken port is a clear error."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from .conftest import free_port, signed_headers, trigger_body, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def base(service_config, start_server) -> str:
    return start_server({**service_config, "IDLE_TIMEOUT_SECONDS": "3"}, probe="/healthz")[1]


def open_dripping(port: int, count: int) -> list[socket.socket]:
    """Connections that sent their headers and promise a 10 KB body, still to come."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /webhooks/zendesk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 10000\r\n\r\n{")
        socks.append(s)
    return socks


def test_fifty_slow_drip_connections_dont_delay_healthz_or_a_delivery(base: str) -> None:
    port = int(base.rsplit(":", 1)[1])
    socks = open_dripping(port, 50)
    stop = threading.Event()

    def drip() -> None:  # one byte per connection every 0.1 s, for at most 15 s
        deadline = time.monotonic() + 15
        while not stop.is_set() and time.monotonic() < deadline:
            for s in socks:
                try:
                    s.send(b" ")
                except OSError:
                    pass
            time.sleep(0.1)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        time.sleep(0.5)  # every slow connection is mid-body now
        for _ in range(3):
            start = time.monotonic()
            assert requests.get(f"{base}/healthz", timeout=1).status_code == 200
            body = trigger_body(700 + _, subject="Question", description="Where is my invoice?")
            assert requests.post(f"{base}/webhooks/zendesk", data=body, headers=signed_headers(body), timeout=1).status_code == 202
            assert time.monotonic() - start < 1.0
    finally:
        stop.set()
        dripper.join(timeout=5)
        for s in socks:
            s.close()


def test_idle_connections_are_closed_after_the_timeout(base: str) -> None:
    port = int(base.rsplit(":", 1)[1])
    idle = socket.create_connection(("127.0.0.1", port), timeout=15)
    start = time.monotonic()
    assert idle.recv(1) == b""  # the server closed it (a time-out here would raise instead)
    assert 2.0 <= time.monotonic() - start < 12.0
    idle.close()


def test_a_port_in_use_is_a_clear_error(service_config, spawn) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = spawn(["web", "--port", str(port)], service_config)
        assert proc.proc.wait(timeout=60) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.output() and "Traceback" not in proc.output()


def test_serve_stops_with_an_error_when_its_worker_dies(service_config, spawn) -> None:
    """No hand-written restarts: the service manager (systemd Restart=on-failure) restarts both."""
    import os
    import signal
    import subprocess

    port = free_port()
    proc = spawn(["serve", "--port", str(port)], service_config)

    def worker_pid() -> int | None:
        found = subprocess.run(["pgrep", "-P", str(proc.proc.pid), "-f", "plugin worker"], capture_output=True, text=True)
        return int(found.stdout.split()[0]) if found.stdout.split() else None

    pid = wait_for(worker_pid)
    wait_for(lambda: "serving on" in proc.output())
    os.kill(pid, signal.SIGKILL)
    assert proc.proc.wait(timeout=30) == 1
    assert "the worker exited" in proc.output()


def test_serve_says_its_start_up_warnings_once_and_alembic_says_nothing(service_config, start_server) -> None:
    """The DRY RUN banner comes from the process that was started, not again from its app and worker."""
    proc, _ = start_server({**service_config, "TRIAGE_DRY_RUN": "1"})
    wait_for(lambda: "Huey consumer started" in proc.output())
    log = proc.output()
    assert log.count("*** DRY RUN (TRIAGE_DRY_RUN is set)") == 1, log
    assert "alembic" not in log and "Running upgrade" not in log, log  # a fresh database was migrated


def _hold(lock: threading.Condition, held: threading.Event, release: threading.Event) -> None:
    with lock:
        held.set()
        release.wait(5)


def test_the_io_loop_does_not_poll_a_socket_whose_task_is_sending_it() -> None:
    """waitress polled such a socket in a tight loop (plugin/serve.py, _quiet_channel): not any more."""
    from plugin.serve import make_server

    server = make_server(lambda environ, start_response: [], "127.0.0.1", free_port(), 2, 30)
    ours, theirs = socket.socketpair()
    try:
        channel = server.channel_class(server, ours, ("127.0.0.1", 1), server.adj, map={})
        assert not channel.writable()  # nothing to send
        channel.requests, channel.total_outbufs_len = [object()], 10  # a running task's response
        held, release = threading.Event(), threading.Event()
        sender = threading.Thread(target=_hold, args=(channel.outbuf_lock, held, release))
        sender.start()
        held.wait(5)
        assert not channel.writable()  # its thread is sending it: no poll for writing
        release.set()
        sender.join(5)
        assert channel.writable()  # it left some: the loop sends it
        channel.requests = []
        assert channel.writable()  # the task ended: the loop sends what is left
    finally:
        server.close()
        ours.close()
        theirs.close()


def test_every_listening_socket_makes_quiet_channels() -> None:
    from plugin.serve import listeners, make_server

    server = make_server(lambda environ, start_response: [], "localhost", free_port(), 2, 30)
    try:
        found = listeners(server)
        assert found and all(s.channel_class.__name__ == "QuietChannel" for s in found)
    finally:
        server.close()

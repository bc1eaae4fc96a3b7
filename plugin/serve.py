"""`amazon-triage serve`: the web server (gunicorn) and one background worker, as one command."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)
PARENT_ENV = "TRIAGE_SERVE_PID"
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
"""gunicorn's default minus the query string, referer and user agent: filters and links can carry
ticket data, and the log must not (the path and status are what an operator needs)."""


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


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        return create_app()


class WorkerProcess:
    """Keeps one `amazon-triage worker` child running for as long as the server runs."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.owner = os.getpid()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The worker watches for this pid to vanish, so a killed server takes its worker with it.
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        return subprocess.Popen([sys.executable, "-m", "plugin", "worker"], env=env)

    def start(self) -> None:
        self.proc = self._spawn()
        threading.Thread(target=self._watch, daemon=True).start()
        atexit.register(self.stop)

    def _watch(self) -> None:
        while not self.stopping:
            time.sleep(1)
            if self.proc is not None and self.proc.poll() is not None and not self.stopping:
                log.error("worker exited with %s; restarting it", self.proc.returncode)
                self.proc = self._spawn()

    def stop(self) -> None:
        # gunicorn's web processes are forks of this one and inherit the atexit hook: only the
        # process that started the worker may stop it.
        if os.getpid() != self.owner:
            return
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def reload(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)


def serve(host: str, port: int, web_workers: int = 1) -> None:
    worker = WorkerProcess()
    worker.start()
    _Gunicorn({
        # SIGHUP to the server restarts the web processes (which load the patterns afresh) and
        # tells the background worker to reload them too.
        "on_reload": lambda arbiter: worker.reload(),
        "bind": f"{host}:{port}", "workers": web_workers, "worker_class": "gthread", "threads": 8,
        "timeout": 30, "graceful_timeout": 10, "accesslog": "-", "loglevel": "info",
        "access_log_format": ACCESS_LOG_FORMAT,
    }).run()

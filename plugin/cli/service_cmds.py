"""Commands that run the service: serve (web + worker), web, and worker."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import click

from .. import logs
from . import main, settings_or_exit

host_option = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
port_option = click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
threads_option = click.option("--threads", default=8, show_default=True, type=int,
                              help="Web request threads (slow clients don't hold them: waitress reads requests whole first).")


def preflight(settings: Any) -> None:
    """Stop with a message, not a traceback in every web process, when the instance folder cannot be
    made or the database cannot be reached (a malformed DATABASE_URL, PostgreSQL down)."""
    import sqlalchemy as sa

    from ..store import make_engine
    from .db_cmds import _fail

    try:
        Path(settings.instance_path).mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        click.echo(f"configuration error: cannot create INSTANCE_PATH {settings.instance_path!r}: {exc.strerror}", err=True)
        raise SystemExit(2) from None
    try:
        engine = make_engine(settings.database_url)  # a bad URL or driver, an uncreatable SQLite folder
        try:
            if engine.dialect.name != "sqlite":  # SQLite's file is made by the store, with its mode
                with engine.connect():
                    pass
        finally:
            engine.dispose()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        _fail(exc)


@main.command()
@host_option
@port_option
@threads_option
def serve(host: str, port: int, threads: int) -> None:
    """Run the webhook server and a background worker (SQLite and dry run unless configured)."""
    from ..serve import serve as run_server

    settings = settings_or_exit()
    logs.setup(settings.log_format)
    preflight(settings)
    run_server(host, port, threads)


@main.command()
@host_option
@port_option
@threads_option
def web(host: str, port: int, threads: int) -> None:
    """Run the web server alone (production: with `worker` processes, sharing DATABASE_URL and REDIS_URL)."""
    from ..serve import web as run_web

    settings = settings_or_exit()
    logs.setup(settings.log_format)
    preflight(settings)
    run_web(host, port, threads)


@main.command()
@click.option("--metrics-port", default=0, type=int,
              help="Serve this worker's /metrics on this port (for a host without a web process; 0: off).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Address for --metrics-port (no token there: use a private address).")
def worker(metrics_port: int, metrics_host: str) -> None:
    """Run a background worker alone: it processes the queued tickets."""
    from ..runtime import Runtime
    from ..serve import PARENT_ENV, exit_with_parent

    settings = settings_or_exit(announce=not os.environ.get(PARENT_ENV))  # under `serve`, the parent said them
    logs.setup(settings.log_format)
    # Watch from the start: loading the patterns takes seconds (tens, niced on a busy machine), and a
    # worker whose `serve` was killed meanwhile must not live on to start consuming.
    exit_with_parent()
    if settings.worker_nice > 0:
        # Background work yields the CPU to intake: a burst of deliveries is acknowledged at full speed
        # and the queue absorbs it (Zendesk gives a webhook call seconds; a triage can wait).
        os.nice(settings.worker_nice)
    preflight(settings)
    rt = Runtime.for_worker(settings)  # its registry warms each set it loads (core/warmup.py)
    stop = threading.Event()
    rt.start_feed(stop)  # embedded: new tickets come from the store (before the sweep: see start_feed)
    rt.sweep(startup=True)
    consumer = rt.queue.consumer(settings.worker_threads)
    # SIGHUP reloads the patterns in place (huey's default would restart the process).
    consumer._signal_actions.pop(signal.SIGHUP, None)
    signal.signal(signal.SIGHUP, lambda *_: rt.registry.reload(force=True))
    rt.queue.run_sweeper(rt.sweep, settings.sweep_seconds, stop)
    if metrics_port:
        from ..metrics import serve_worker_metrics

        serve_worker_metrics(rt.queue_depth, metrics_host, metrics_port)
    consumer.run()

"""Commands that run the service: serve (web + worker) and worker."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import click

from . import main, settings_or_exit


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--web-workers", default=1, show_default=True, type=int,
              help="gunicorn worker processes (each runs 8 threads; one process keeps SQLite writes uncontended).")
def serve(host: str, port: int, web_workers: int) -> None:
    """Run the webhook server and a background worker (SQLite and dry run unless configured)."""
    from ..serve import serve as run_server

    preflight(settings_or_exit())
    run_server(host, port, web_workers)


@main.command()
def worker() -> None:
    """Run a background worker alone: it processes the queued tickets."""
    from ..runtime import Runtime
    from ..serve import exit_with_parent

    settings = settings_or_exit()
    preflight(settings)
    rt = Runtime.for_worker(settings)
    rt.sweep(startup=True)
    consumer = rt.queue.consumer(settings.worker_threads)
    # SIGHUP reloads the patterns in place (huey's default would restart the process).
    consumer._signal_actions.pop(signal.SIGHUP, None)
    signal.signal(signal.SIGHUP, lambda *_: rt.registry.reload(force=True))
    exit_with_parent()
    consumer.run()

"""``amazon-triage db``: the schema's migrations (the deploy step), and which revision a database is at."""

from __future__ import annotations

import click

from . import main, settings_or_exit


def _engine_or_exit():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from ..store import make_engine

    settings = settings_or_exit(validate=False)
    try:
        return make_engine(settings.database_url)
    except (OSError, sa.exc.SQLAlchemyError) as exc:  # a malformed URL, an unknown driver, an uncreatable folder
        _fail(exc)


def _fail(exc: Exception) -> None:
    # The driver's first line names the problem (refused, unknown database...) without the URL's password.
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    click.echo(f"database error ({type(exc).__name__}, check DATABASE_URL): {reason}", err=True)
    raise SystemExit(1) from None


@main.group()
def db() -> None:
    """Database schema: upgrade to the newest migration, show the current one."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def upgrade(revision: str) -> None:
    """Apply the schema migrations (DATABASE_URL); safe while other processes start."""
    import sqlalchemy as sa
    from alembic.util import CommandError

    from ..migrate import current as revision_of
    from ..migrate import steps
    from ..migrate import upgrade as run_upgrade

    engine = _engine_or_exit()
    try:
        before = revision_of(engine)
        reached = run_upgrade(engine, revision)
    except CommandError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except sa.exc.SQLAlchemyError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    for rev, message in steps(before, reached):
        click.echo(f"applied {rev}: {message}")
    was = "already there" if before == reached else f"was {before or 'none (empty or pre-migration database)'}"
    click.echo(f"database schema at revision {reached} ({was})")


@db.command()
def current() -> None:
    """Print the database's schema revision and the newest one this version ships."""
    import sqlalchemy as sa

    from ..migrate import current as revision_of
    from ..migrate import head

    engine = _engine_or_exit()
    try:
        revision = revision_of(engine)
    except sa.exc.SQLAlchemyError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    newest = head()
    state = "up to date" if revision == newest else "needs `amazon-triage db upgrade`"
    click.echo(f"current: {revision or 'none (empty or pre-migration database)'}\nhead: {newest} ({state})")

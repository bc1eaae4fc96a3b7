"""`amazon-triage zendesk setup|status`: the webhook and trigger, through zenpy."""

from __future__ import annotations

import json
from typing import Any

import click

from . import main, settings_or_exit


@main.group()
def zendesk() -> None:
    """Create and inspect the Zendesk webhook and trigger."""


def _zendesk_client(settings: Any, required: bool = True) -> Any:
    from ..zendesk import ZendeskClient

    if not settings.has_credentials:
        if required:
            click.echo("error: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN first.", err=True)
            raise SystemExit(2)
        return None
    return ZendeskClient(settings)


@zendesk.command()
@click.option("--url", required=True, help="Public base URL of this service, e.g. https://triage.example.com")
@click.option("--dry-run", is_flag=True, help="Print the requests that would be sent; change nothing.")
@click.option("--print-secret", is_flag=True, help="Print the signing secret once instead of storing it.")
def setup(url: str, dry_run: bool, print_secret: bool) -> None:
    """Create or update the webhooks (new tickets; follow-up events) and the "ticket created" trigger (idempotent)."""
    from urllib.parse import urlsplit

    from ..zendesk import ZendeskError
    from ..zendesk_setup import events_secret_path, store_secret
    from ..zendesk_setup import setup as run_setup

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        click.echo(f"error: --url must look like https://triage.example.com, got {url!r}", err=True)
        raise SystemExit(2)
    settings = settings_or_exit(validate=False)
    client = _zendesk_client(settings, required=not dry_run)
    try:
        report = run_setup(client, url, dry_run)
    except ZendeskError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    if dry_run:
        click.echo(f"Dry run: {len(report.planned)} request(s) would be sent" + ("" if client else " (no credentials: assuming nothing exists yet)"))
        for req in report.planned:
            click.echo(f"{req['method']} {req['path']}")
            click.echo(json.dumps(req["body"], indent=2))
        return
    for line in report.lines:
        click.echo(line)
    if report.secret:
        if print_secret:
            click.echo(f"signing secret (shown once; set ZENDESK_WEBHOOK_SECRET to it): {report.secret}")
        else:
            store_secret(settings.secret_file, report.secret)
            click.echo(f"signing secret stored in {settings.secret_file} (mode 600), where the service reads it")
    if report.events_secret:
        path = events_secret_path(settings.instance_path)
        if print_secret:
            click.echo(f"events webhook signing secret (shown once; set ZENDESK_EVENTS_WEBHOOK_SECRET to it): {report.events_secret}")
        else:
            store_secret(path, report.events_secret)
            click.echo(f"events webhook signing secret stored in {path} (mode 600), where the service reads it")


@zendesk.command(name="status")
def zendesk_status() -> None:
    """Show the webhooks and trigger as Zendesk has them, and where the reconciliation stands."""
    from ..zendesk import ZendeskError
    from ..zendesk_setup import events_secret_path, status

    settings = settings_or_exit(validate=False)
    try:
        for line in status(_zendesk_client(settings), settings.secret_file, events_secret_path(settings.instance_path)):
            click.echo(line)
    except ZendeskError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(_reconciliation(settings))


def _reconciliation(settings: Any) -> str:
    """Where the reconciliation stands, from the store (no Zendesk call)."""
    from ..followup_store import FollowupStore
    from ..reconcile import RECONCILE
    from ..store import Store

    if settings.reconcile_seconds <= 0:
        return "reconciliation: off (RECONCILE_SECONDS=0)"
    try:
        saved = FollowupStore(Store.from_url(settings.database_url).engine).cursor(RECONCILE)
    except Exception as exc:  # a status line must not fail the command
        return f"reconciliation: store not readable ({type(exc).__name__})"
    if saved is None or saved.cursor is None:
        return f"reconciliation: every {settings.reconcile_seconds:.0f} s; no tick yet (a worker runs one when it starts)"
    return (f"reconciliation: every {settings.reconcile_seconds:.0f} s; watching tickets created since "
            f"{saved.since.isoformat() if saved.since else '?'}, export cursor saved")

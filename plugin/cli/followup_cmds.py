"""`amazon-triage backfill` and `amazon-triage feedback export`: catching up, and learning from agents."""

from __future__ import annotations

from pathlib import Path

import click

from . import main, settings_or_exit


@main.command()
@click.option("--since", "since_text", required=True,
              help="Tickets created since this time: ISO-8601 (UTC unless a zone is given) or 90m, 24h, 7d.")
def backfill(since_text: str) -> None:
    """Queue every ticket created since TIME that has neither our marker nor a decision (run a worker to triage)."""
    from ..followup_store import FollowupStore
    from ..queue import TaskQueue
    from ..reconcile import Reconciler, parse_since
    from ..store import Store
    from ..zendesk import ZendeskClient, ZendeskError
    from ..zendesk_followup import FollowupReader

    try:
        since = parse_since(since_text)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    settings = settings_or_exit(validate=False)
    if not settings.has_credentials:
        click.echo("error: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN first.", err=True)
        raise SystemExit(2)
    store = Store.from_url(settings.database_url)
    queue = TaskQueue(settings.queue_path)
    reconciler = Reconciler(store, FollowupStore(store.engine), FollowupReader(ZendeskClient(settings)), queue.enqueue)
    try:
        report = reconciler.backfill(since)
    except ZendeskError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Read {report.seen} ticket(s) changed since {since.isoformat()} in {report.requests} request(s); "
               f"queued {len(report.queued)} never triaged: {' '.join(map(str, report.queued)) or '-'}")
    if report.rate_limited is not None:
        click.echo(f"Zendesk rate-limited the export: run the same command again in {report.rate_limited:.0f} s "
                   "(tickets already queued are not queued twice).", err=True)
        raise SystemExit(1)


@main.group()
def feedback() -> None:
    """What agents' tag corrections say about the patterns."""


@feedback.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def feedback_export(file: Path) -> None:
    """Write the tickets agents corrected as labelled JSONL (what `amazon-triage replay` reads)."""
    from ..feedback import export_labelled
    from ..followup_store import FollowupStore
    from ..store import Store

    settings = settings_or_exit(validate=False)
    store = Store.from_url(settings.database_url)
    try:
        with file.open("w", encoding="utf-8") as out:
            count = export_labelled(FollowupStore(store.engine), out)
    except OSError as exc:
        click.echo(f"error: cannot write {file}: {exc.strerror}", err=True)
        raise SystemExit(2) from None
    click.echo(f"Wrote {count} corrected ticket(s) to {file}; check a pattern edit with "
               f"`amazon-triage replay {file} --against OLD_PATTERNS_DIR`.")

"""`amazon-triage zendesk app`: the sidebar app as a zip ready to upload, for this service's URL."""

from __future__ import annotations

from pathlib import Path

import click

from .zendesk_cmds import zendesk

PACKAGE_APP = Path(__file__).resolve().parent.parent.parent / "zendesk_app"


def default_app_dir() -> Path:
    """./zendesk_app, else the app beside the package (a source checkout)."""
    local = Path.cwd() / "zendesk_app"
    return local if (local / "manifest.json").is_file() else PACKAGE_APP


@zendesk.command("app")
@click.option("--url", required=True, help="Public base URL of this service, e.g. https://triage.example.com")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("amazon-triage-zendesk-app.zip"),
              show_default=True, help="Where to write the zip.")
@click.option("--source", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The app's source directory (default: ./zendesk_app, or the one shipped with this checkout).")
def app(url: str, out: Path, source: Path | None) -> None:
    """Build the Zendesk sidebar app for URL and validate it as Zendesk would; write the zip if it is valid."""
    from urllib.parse import urlsplit

    from ..app_package.build import LOCAL_HOSTS, BuildError, build, read_source, to_zip

    try:
        files = read_source(source or default_app_dir())
        package, report = build(files, url)
    except BuildError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if urlsplit(url.strip()).hostname in LOCAL_HOSTS:
        click.echo("warning: Zendesk's servers cannot reach this machine's own address: use this zip for local tests only.",
                   err=True)
    for problem in report.warnings:
        click.echo(f"warning: {problem}", err=True)
    for problem in report.errors:
        click.echo(f"error: {problem}", err=True)
    if not report.ok:
        click.echo(f"{len(report.errors)} error(s): no zip written. Fix the files named above.", err=True)
        raise SystemExit(1)
    out.write_bytes(to_zip(package))
    click.echo(f"Wrote {out} ({len(package)} files) for {url.rstrip('/')}: it passes Zendesk's checks.")
    click.echo("Upload it in Zendesk Admin Center > Apps and integrations > Zendesk Support apps > Upload private app,")
    click.echo("then set agent_token to the service's AGENT_TOKEN.")

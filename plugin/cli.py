"""The ``amazon-triage`` command: admins' tools and the service's entry points."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from .core.checks import check_directory
from .core.classify import Classification, classify
from .core.models import Ticket
from .core.patterns import PatternSet, PatternSetError, load_patterns
from .core.tickets import TicketDataError, ticket_from_mapping

PACKAGE_PATTERNS = Path(__file__).resolve().parent.parent / "patterns"


def default_patterns_dir() -> Path:
    """PATTERNS_DIR, else ./patterns, else the patterns shipped beside the package."""
    if os.environ.get("PATTERNS_DIR"):
        return Path(os.environ["PATTERNS_DIR"])
    local = Path.cwd() / "patterns"
    return local if local.is_dir() else PACKAGE_PATTERNS


patterns_option = click.option(
    "--patterns", "patterns_dir", type=click.Path(path_type=Path), default=None,
    help="Patterns directory (default: $PATTERNS_DIR, ./patterns, or the shipped set).",
)


def _load(patterns_dir: Path | None) -> PatternSet:
    try:
        return load_patterns(patterns_dir or default_patterns_dir())
    except PatternSetError as exc:
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        click.echo("Fix the pattern files above (`amazon-triage check` explains each problem).", err=True)
        raise SystemExit(2) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Recognise Amazon seller-account connection errors in Zendesk tickets."""


@main.command()
@patterns_option
@click.option("--no-timing", is_flag=True, help="Skip the adversarial timing run.")
def check(patterns_dir: Path | None, no_timing: bool) -> None:
    """Validate every pattern file, run its examples, and time it on a hostile text."""
    directory = patterns_dir or default_patterns_dir()
    report = check_directory(directory, timing=not no_timing)
    for msg in report.messages:
        click.echo(str(msg), err=msg.level == "error")
    if report.patterns is not None:
        ps = report.patterns
        n_examples = sum(len(p.spec.examples.match) + len(p.spec.examples.no_match) for p in ps.errors)
        click.echo(f"{len(ps.errors)} error patterns, {len(ps.fields)} field extractors, {n_examples} error examples run.")
    for pid, ms in report.timings_ms.items():
        click.echo(f"  {pid:<22} {ms:8.1f} ms on the adversarial text")
    errors = sum(m.level == "error" for m in report.messages)
    warnings = len(report.messages) - errors
    click.echo(f"{'FAILED' if errors else 'OK'}: {errors} error(s), {warnings} warning(s) in {directory}")
    raise SystemExit(1 if errors else 0)


def _highlight(source: str, start: int, end: int, color: bool, context: int = 50) -> str:
    before = source[max(0, start - context):start]
    after = source[end:end + context]
    mark = click.style(source[start:end], bold=True, reverse=True) if color else f">>{source[start:end]}<<"
    flat = lambda s: " ".join(s.split())  # noqa: E731
    return f"...{flat(before)} {mark} {flat(after)}..."


def _render_try(result: Classification, color: bool) -> str:
    lines: list[str] = []
    source = result.source
    if not result.detection.matches:
        lines.append("No known Amazon error found.")
    for m in result.detection.matches:
        lines.append(click.style(f"{m.error}", bold=color) + f"  {m.title}  (score {m.score:.2f}, tags: {' '.join(m.tags)})")
        for ev in m.evidence:
            typos = f", {ev.errors} typo(s)" if ev.errors else ""
            lines.append(f"  [{ev.regex}{typos}] {_highlight(source, ev.start, ev.end, color)}")
    esc = result.escalation
    if esc.required:
        lines.append("")
        lines.append("Escalation fields:")
        lines.append(f"  merchant ID: {esc.merchant_id.value if esc.merchant_id else 'MISSING'}")
        when = (esc.timestamp.text + (f" = {esc.timestamp_utc}" if esc.timestamp_utc else "")) if esc.timestamp else "MISSING"
        lines.append(f"  last attempt: {when}")
    if not result.update.is_empty:
        lines.append("")
        lines.append(f"Tags to add: {' '.join(result.update.tags)}")
        lines.append(f"Comment ({'public reply' if result.update.public else 'internal note'}):")
        if result.update.macro_ids:
            lines.append(f"  (applies Zendesk macro(s) {', '.join(map(str, result.update.macro_ids))})")
        lines.extend("  " + line for line in result.update.comment().splitlines())
    if result.detection.suppressed:
        lines.append("")
        lines.append("Hits that were dropped:")
        for s in result.detection.suppressed:
            lines.append(f"  {s.error}/{s.regex}: {s.text!r}: {s.reason}")
    for f in result.failures:
        lines.append(f"FAILED pattern {f.pattern}: {f.message}")
    return "\n".join(lines)


@main.command(name="try")
@click.argument("text", required=False)
@patterns_option
@click.option("--subject", default="", help="Ticket subject to match along with the text.")
@click.option("--first-name", default=None, help="Requester's first name for the reply.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def try_(text: str | None, patterns_dir: Path | None, subject: str, first_name: str | None, as_json: bool) -> None:
    """Show what the patterns find in TEXT (or standard input)."""
    if text is None:
        text = sys.stdin.read()
    ps = _load(patterns_dir)
    result = classify(Ticket(subject=subject, description=text, requester_first_name=first_name), ps)
    if as_json:
        data = result.to_json()
        data["suppressed"] = [s.__dict__ for s in result.detection.suppressed]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(_render_try(result, color=sys.stdout.isatty()))


def read_tickets(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, ticket dict, error) from JSONL, or from one JSON document such as a tickets export."""
    content = stream.read()
    stripped = content.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            whole = json.loads(content)
        except json.JSONDecodeError:
            whole = None
        if whole is not None:
            items = whole.get("tickets") if isinstance(whole, dict) and "tickets" in whole else whole
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, list):
                yield 1, None, "expected a ticket object, a list of tickets or {\"tickets\": [...]}"
                return
            for item in items:
                yield 1, item, None
            return
    for n, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        if isinstance(data, dict) and isinstance(data.get("tickets"), list):
            for item in data["tickets"]:
                yield n, item, None
        else:
            yield n, data, None


@main.command(name="classify")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@patterns_option
def classify_cmd(source: TextIO, patterns_dir: Path | None) -> None:
    """Classify tickets from a JSONL file (or - for standard input); print one JSON result a line."""
    ps = _load(patterns_dir)
    failed = 0
    for line, data, error in read_tickets(source):
        if error is None:
            try:
                ticket = ticket_from_mapping(data, require_id=False)
            except TicketDataError as exc:
                error = str(exc)
        if error is not None:
            failed += 1
            click.echo(json.dumps({"line": line, "error": error}))
            continue
        click.echo(json.dumps(classify(ticket, ps).to_json(), ensure_ascii=False))
    if failed:
        click.echo(f"{failed} input line(s) could not be read; see the error records.", err=True)


def _settings() -> Any:
    import logging

    from .config import ConfigError, Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.load()
        warnings = settings.validate()
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None
    for warning in warnings:
        logging.getLogger("plugin").warning("*** %s ***", warning)
    return settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--web-workers", default=1, show_default=True, type=int,
              help="gunicorn worker processes (each runs 8 threads; one process keeps SQLite writes uncontended).")
def serve(host: str, port: int, web_workers: int) -> None:
    """Run the webhook server and a background worker (SQLite and dry run unless configured)."""
    from .serve import serve as run_server

    _settings()
    run_server(host, port, web_workers)


@main.command()
def worker() -> None:
    """Run a background worker alone: it processes the queued tickets."""
    from .runtime import Runtime

    settings = _settings()
    rt = Runtime.for_worker(settings)
    rt.sweep(startup=True)
    rt.queue.consumer(settings.worker_threads).run()


if __name__ == "__main__":  # pragma: no cover
    main()

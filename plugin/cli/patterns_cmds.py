"""Commands for admins tuning patterns: check, try, classify, replay, reload."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click

from ..config import default_patterns_dir
from ..core.checks import check_directory
from ..core.classify import Classification, classify
from ..core.models import Ticket
from ..core.patterns import PatternSetError, load_patterns
from ..core.tickets import TicketDataError, ticket_from_mapping
from . import load_or_exit, main, patterns_option


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
        n_examples = sum(len(p.spec.examples.match) + len(p.spec.examples.no_match)
                         + sum(len(o.match) + len(o.no_match) for o in p.overlays) for p in ps.error_patterns)
        langs = ", ".join(["en", *(la.lang for la in ps.languages)])
        click.echo(f"{len(ps.error_patterns)} error patterns, {len(ps.fields)} field extractors, {n_examples} error examples run; "
                   f"languages: {langs}.")
    for pid, ms in report.timings_ms.items():
        click.echo(f"  {pid:<22} {ms:8.1f} ms on the adversarial text (CPU)")
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
            typos = f", {ev.typos} typo(s)" if ev.typos else ""
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
    ps = load_or_exit(patterns_dir)
    result = classify(Ticket(subject=subject, description=text, requester_first_name=first_name), ps)
    if as_json:
        data = result.to_json()
        data["suppressed"] = [s.__dict__ for s in result.detection.suppressed]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(_render_try(result, color=sys.stdout.isatty()))


TEXT_KEYS = ("subject", "raw_subject", "title", "description", "text", "body")
"""Where ticket_from_mapping finds a ticket's text; an object with none of them is not a ticket."""


def read_tickets(stream: BinaryIO | TextIO) -> Iterator[tuple[int, Ticket | None, str | None]]:
    """(line, ticket, error) from JSONL, or from one JSON document such as a tickets export.

    ``{"ticket": {...}}`` (Zendesk's show-ticket answer, the trigger webhook's body) is read as the
    ticket inside it; an object with no text field is an error, not a silent "no match".
    """
    for line, data, error in _read_json(stream):
        if error is not None:
            yield line, None, error
            continue
        if isinstance(data, dict) and isinstance(data.get("ticket"), dict) and not any(k in data for k in TEXT_KEYS):
            data = data["ticket"]
        if isinstance(data, dict) and not any(k in data for k in TEXT_KEYS):
            keys = ", ".join(repr(k) for k in list(data)[:5]) or "none"
            yield line, None, f"no ticket text: expected 'subject' and/or 'description' (keys found: {keys})"
            continue
        try:
            yield line, ticket_from_mapping(data, require_id=False), None
        except TicketDataError as exc:
            yield line, None, str(exc)


def _read_json(stream: BinaryIO | TextIO) -> Iterator[tuple[int, Any, str | None]]:
    raw = stream.read()
    if isinstance(raw, bytes):
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Not UTF-8 as a whole (a binary file, a Latin-1 export): read what can be read, line by
            # line, and name the lines that cannot.
            yield from _read_lines(raw.split(b"\n"))
            return
    else:
        content = raw.removeprefix("\ufeff")
    stripped = content.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            whole = json.loads(content)
        except (json.JSONDecodeError, RecursionError):
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
    # JSONL lines end at "\n" only: JSON text may hold U+2028, form feeds and other characters
    # str.splitlines() would break a ticket at.
    yield from _read_lines(content.split("\n"))


def _read_lines(lines: list[str] | list[bytes]) -> Iterator[tuple[int, Any, str | None]]:
    for n, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield n, None, f"not UTF-8 text (byte {exc.start + 1} of the line); is this a JSON or JSONL file?"
                continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        except RecursionError:
            yield n, None, "not valid JSON: nested too deeply"
            continue
        if isinstance(data, dict) and isinstance(data.get("tickets"), list):
            for item in data["tickets"]:
                yield n, item, None
        else:
            yield n, data, None


@main.command(name="classify")
@click.argument("source", type=click.File("rb"))
@patterns_option
def classify_cmd(source: BinaryIO, patterns_dir: Path | None) -> None:
    """Classify tickets from a JSONL file (or - for standard input); print one JSON result a line.

    Exits 1 when a line could not be read (after classifying the rest), so a script sees the failure.
    """
    ps = load_or_exit(patterns_dir)
    failed = read = 0
    for line, ticket, error in read_tickets(source):
        if ticket is None:
            failed += 1
            click.echo(json.dumps({"line": line, "error": error}))
            click.echo(f"{_name(source)}:{line}: {error}", err=True)
            continue
        read += 1
        click.echo(json.dumps(classify(ticket, ps).to_json(), ensure_ascii=False))
    if failed:
        click.echo(f"{_name(source)}: {failed} input line(s) could not be read; see the error records.", err=True)
        raise SystemExit(1)
    if not read:
        click.echo(f"{_name(source)}: no tickets found (an empty file?)", err=True)


def _name(stream: BinaryIO | TextIO) -> str:
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) else "<stdin>"


def _tickets_from(source: BinaryIO) -> list[Ticket]:
    tickets, bad = [], 0
    for line, ticket, error in read_tickets(source):
        if ticket is None:
            bad += 1
            click.echo(f"{_name(source)}:{line}: skipped: {error}", err=True)
        else:
            tickets.append(ticket)
    if bad:
        click.echo(f"{bad} ticket(s) could not be read and were skipped.", err=True)
    elif not tickets:
        click.echo(f"{_name(source)}: no tickets found (an empty file?)", err=True)
    return tickets


def _score(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


@main.command()
@click.argument("export", type=click.File("rb"))
@patterns_option
@click.option("--against", "against_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Another patterns directory (e.g. the version in production) to compare with.")
@click.option("--samples", default=3, show_default=True, help="Sample evidence lines per pattern.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def replay(export: BinaryIO, patterns_dir: Path | None, against_dir: Path | None, samples: int, as_json: bool) -> None:
    """Run the patterns over a Zendesk ticket export (JSON or JSONL) and report per pattern."""
    from ..core.replay import replay as run_replay

    ps = load_or_exit(patterns_dir)
    old = load_or_exit(against_dir) if against_dir else None
    tickets = _tickets_from(export)
    with click.progressbar(length=len(tickets), label="Replaying", file=sys.stderr,
                           show_pos=True, hidden=len(tickets) < 200) as bar:
        report = run_replay(tickets, ps, old, samples=samples, progress=bar.update)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"Replayed {report.tickets} tickets with patterns {ps.fingerprint}."
               + (f" Compared with {against_dir} ({old.fingerprint})." if old else ""))
    if report.labelled:
        click.echo(f"Precision and recall against agents' amazon_error_* tags on {report.labelled} labelled tickets"
                   f" (untagged tickets count as negatives; {report.skipped_ours} already triaged by this plugin are left out).")
    else:
        click.echo("No ticket carries agents' amazon_error_* tags: precision and recall are not computed.")
    click.echo(f"{'pattern':<22} {'hits':>5} {'prec':>5} {'recall':>6}" + ("   gained  lost" if old else ""))
    for rep in report.patterns.values():
        line = f"{rep.error:<22} {rep.hits:>5} {_score(rep.precision):>5} {_score(rep.recall):>6}"
        if old:
            line += f"   {len(rep.gained):>+6} {-len(rep.lost):>+5}"
        click.echo(line)
        for tid, text in rep.samples:
            click.echo(f"    #{tid}: \"{' '.join(text.split())[:100]}\"")
        if old and (rep.gained or rep.lost):
            if rep.gained:
                click.echo(f"    gains: {', '.join(f'#{t}' for t in rep.gained[:20])}")
            if rep.lost:
                click.echo(f"    losses: {', '.join(f'#{t}' for t in rep.lost[:20])}")


@main.command()
@patterns_option
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The running service.")
def reload(patterns_dir: Path | None, url: str) -> None:
    """Validate the patterns, then tell the running service to load them now (needs ADMIN_TOKEN)."""
    import requests

    directory = patterns_dir or default_patterns_dir()
    try:
        load_patterns(directory)
    except PatternSetError as exc:
        for err in exc.problems:
            click.echo(f"error: {err}", err=True)
        click.echo("Not reloading: the service keeps its current patterns.", err=True)
        raise SystemExit(1) from None
    token = os.environ.get("ADMIN_TOKEN", "")
    if not token:
        click.echo("error: set ADMIN_TOKEN to the service's admin token (or send the service SIGHUP).", err=True)
        raise SystemExit(2)
    try:
        r = requests.post(url.rstrip("/") + "/admin/api/reload", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    except requests.RequestException as exc:
        click.echo(f"error: cannot reach {url} ({type(exc).__name__}): is the service running there? (--url)", err=True)
        raise SystemExit(1) from None
    data = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    if r.status_code == 200:
        click.echo(f"reloaded: patterns {data.get('fingerprint')} ({'changed' if data.get('changed') else 'unchanged'}); "
                   "workers pick the change up within seconds")
        return
    why = data.get("errors") or data.get("message") or data.get("error") or r.text[:200]
    click.echo(f"error: the service answered {r.status_code}: {why}", err=True)
    raise SystemExit(1)

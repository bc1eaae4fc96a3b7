"""The ``amazon-triage`` command: admins' pattern tools, the service, and Zendesk set-up.

Each submodule registers its commands on ``main``; they import what they need when they run, so
``amazon-triage check`` never loads Flask or zenpy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import default_patterns_dir
from ..core.patterns import PatternSet, PatternSetError, load_patterns

patterns_option = click.option(
    "--patterns", "patterns_dir", type=click.Path(path_type=Path), default=None,
    help="Patterns directory (default: $PATTERNS_DIR, ./patterns, or the shipped set).",
)


def load_or_exit(patterns_dir: Path | None) -> PatternSet:
    try:
        return load_patterns(patterns_dir or default_patterns_dir())
    except PatternSetError as exc:
        for err in exc.problems:
            click.echo(f"error: {err}", err=True)
        click.echo("Fix the pattern files above (`amazon-triage check` explains each problem).", err=True)
        raise SystemExit(2) from None


def settings_or_exit(validate: bool = True, announce: bool = True) -> Any:
    """Settings from the environment; a configuration error ends the command with its message.

    ``validate`` (for the service) also logs the loud start-up warnings (dry run, unsigned webhooks),
    unless ``announce`` is False (a worker started by `serve`: its parent said them).
    """
    from ..config import ConfigError, Settings

    try:
        settings = Settings.load()
        warnings = settings.validate() if validate else []
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None
    if validate:
        from .. import logs

        logs.configure_logging(settings.log_format)
        if announce:
            logs.announce(warnings)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Recognise Amazon seller-account connection errors in Zendesk tickets."""


from . import app_cmds, db_cmds, followup_cmds, patterns_cmds, service_cmds, zendesk_cmds  # noqa: E402,F401  (they register their commands)

__all__ = ["default_patterns_dir", "load_or_exit", "main", "patterns_option", "settings_or_exit"]

"""Service settings, read from the environment once, at start-up, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGE_PATTERNS = Path(__file__).resolve().parent.parent / "patterns"


def default_patterns_dir() -> Path:
    """PATTERNS_DIR, else ./patterns, else the patterns shipped beside the package."""
    if os.environ.get("PATTERNS_DIR"):
        return Path(os.environ["PATTERNS_DIR"])
    local = Path.cwd() / "patterns"
    return local if local.is_dir() else PACKAGE_PATTERNS


class ConfigError(ValueError):
    """The configuration cannot work; the message says which variable to fix."""


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    zendesk_subdomain: str = ""
    zendesk_email: str = ""
    zendesk_api_token: str = field(default="", repr=False)
    zendesk_webhook_secret: str = field(default="", repr=False)
    zendesk_events_webhook_secret: str = field(default="", repr=False)
    zendesk_api_url: str = ""
    database_url: str = ""
    queue_path: str = ""
    patterns_dir: str = ""
    instance_path: str = "instance"
    triage_dry_run: bool = False
    admin_token: str = field(default="", repr=False)
    agent_token: str = field(default="", repr=False)
    max_attempts: int = 6
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 900.0
    zendesk_timeout: float = 10.0
    signature_tolerance_seconds: int = 300
    max_body_bytes: int = 1_000_000
    lease_seconds: int = 120
    patterns_check_seconds: float = 2.0
    login_rate_limit: str = "10 per minute"
    worker_threads: int = 2
    reconcile_seconds: float = 300.0

    @property
    def has_credentials(self) -> bool:
        return bool(self.zendesk_subdomain and self.zendesk_email and self.zendesk_api_token)

    @property
    def dry_run(self) -> bool:
        """Dry run when asked for, or when there is no Zendesk to talk to."""
        return self.triage_dry_run or not self.has_credentials

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Environment variables (upper-case field names), then overrides (tests pass a dict)."""
        env = dict(os.environ if environ is None else environ)
        env.update({k.upper(): v for k, v in (overrides or {}).items()})
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            try:
                if f.type in ("bool", bool):
                    values[f.name] = _flag(raw)
                elif f.type in ("int", int):
                    values[f.name] = int(raw)
                elif f.type in ("float", float):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = str(raw)
            except ValueError:
                raise ConfigError(f"{f.name.upper()} must be a number, got {raw!r}") from None
        settings = cls(**values)
        return settings.with_defaults()

    def with_defaults(self) -> Settings:
        instance = Path(self.instance_path)
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{(instance / 'amazon-triage.db').resolve()}"
        if not self.queue_path:
            changes["queue_path"] = str((instance / "queue.db").resolve())
        if not self.patterns_dir:
            changes["patterns_dir"] = str(default_patterns_dir())
        if not self.zendesk_webhook_secret and self.secret_file.is_file():
            changes["zendesk_webhook_secret"] = self.secret_file.read_text().strip()
        events_file = Path(self.instance_path) / "events_webhook_secret"
        if not self.zendesk_events_webhook_secret and events_file.is_file():
            changes["zendesk_events_webhook_secret"] = events_file.read_text().strip()
        return replace(self, **changes)

    def session_key(self) -> str:
        """Signs admin sessions; derived from ADMIN_TOKEN so every process agrees and a new token logs everyone out."""
        import hashlib
        import secrets

        if not self.admin_token:
            return secrets.token_hex(32)
        return hashlib.sha256(b"amazon-triage-session:" + self.admin_token.encode()).hexdigest()

    @property
    def events_webhook_secret(self) -> str:
        """The events webhook's signing secret: ZENDESK_EVENTS_WEBHOOK_SECRET, else the file setup stored."""
        return self.zendesk_events_webhook_secret

    @property
    def secret_file(self) -> Path:
        """Where `amazon-triage zendesk setup` stores the webhook's signing secret."""
        return Path(self.instance_path) / "webhook_secret"

    def validate(self) -> list[str]:
        """Raise ConfigError on a setting that cannot work; return warnings to log loudly."""
        warnings: list[str] = []
        partial = [n for n in ("zendesk_subdomain", "zendesk_email", "zendesk_api_token") if getattr(self, n)]
        if partial and not self.has_credentials:
            missing = {"zendesk_subdomain", "zendesk_email", "zendesk_api_token"} - set(partial)
            raise ConfigError(f"incomplete Zendesk credentials: set {', '.join(sorted(m.upper() for m in missing))} too, or none of them")
        if self.has_credentials and not self.zendesk_webhook_secret:
            raise ConfigError(
                "ZENDESK_WEBHOOK_SECRET is required when Zendesk credentials are set: without it anyone "
                "could post tickets to the webhook. Copy the webhook's signing secret from Zendesk "
                "(Admin Center > Apps and integrations > Webhooks) or run `amazon-triage zendesk setup`."
            )
        if self.zendesk_api_url:
            parts = urlsplit(self.zendesk_api_url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ConfigError(f"ZENDESK_API_URL must look like http://127.0.0.1:8081, got {self.zendesk_api_url!r}")
        if self.max_attempts < 1:
            raise ConfigError("MAX_ATTEMPTS must be at least 1")
        if self.dry_run:
            why = "TRIAGE_DRY_RUN is set" if self.triage_dry_run else "no Zendesk credentials are set"
            warnings.append(f"DRY RUN ({why}): tickets are classified and the intended updates recorded, nothing is sent to Zendesk.")
        if not self.zendesk_webhook_secret:
            warnings.append("UNSIGNED WEBHOOKS ACCEPTED: ZENDESK_WEBHOOK_SECRET is not set (allowed in dry run only).")
        return warnings


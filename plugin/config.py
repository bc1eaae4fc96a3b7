"""Service settings, read from the environment once, at start-up, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

PACKAGE_PATTERNS = Path(__file__).resolve().parent.parent / "patterns"


def default_patterns_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """PATTERNS_DIR, else ./patterns, else the patterns shipped beside the package."""
    if environ.get("PATTERNS_DIR"):
        return Path(environ["PATTERNS_DIR"])
    local = Path.cwd() / "patterns"
    return local if local.is_dir() else PACKAGE_PATTERNS


def read_or_create_secret(path: Path) -> str:
    """A random secret in ``path``, created once (mode 600); several processes agree on it."""
    import secrets
    import time

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.02)
        raise ConfigError(f"{path} is empty; delete it to have a new session key made") from None
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


class ConfigError(ValueError):
    """The configuration cannot work; the message says which variable to fix."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(value: Any) -> bool:
    """1/true/yes/on or 0/false/no/off; anything else is refused (a typo must not turn a flag off)."""
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ValueError(f"expected 1/0, true/false, yes/no or on/off, got {value!r}")
    return text in _TRUE


_AT_LEAST: dict[str, float] = {
    "max_body_bytes": 1024, "signature_tolerance_seconds": 1, "lease_seconds": 1, "worker_threads": 1,
    "suggest_concurrency": 1, "suggest_max_chars": 1, "admin_session_seconds": 1, "backoff_seconds": 0,
    "backoff_max_seconds": 0, "patterns_check_seconds": 0, "reconcile_seconds": 0,
}
"""Smallest working value per numeric setting: below it the service would refuse every call
(a negative signature tolerance rejects every delivery) or spin."""


_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("settings_environ", default=None)
"""The mapping Settings.load reads instead of os.environ (tests: only their own values)."""


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping when one is set."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        if environ is None:
            return super()._load_env_vars()
        return {k.lower(): v for k, v in environ.items() if v != ""}  # as the source does: case-insensitive, empty = unset


class Settings(BaseSettings):
    """Every setting, named like its environment variable (upper case); empty means unset."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False, env_ignore_empty=True,
                                      validate_default=False)

    zendesk_subdomain: str = ""
    zendesk_email: str = ""
    zendesk_api_token: str = Field(default="", repr=False)
    zendesk_webhook_secret: str = Field(default="", repr=False)
    zendesk_events_webhook_secret: str = Field(default="", repr=False)
    zendesk_api_url: str = ""
    database_url: str = ""
    queue_path: str = ""
    patterns_dir: str = ""
    instance_path: str = "instance"
    triage_dry_run: bool = False
    admin_token: str = Field(default="", repr=False)
    agent_token: str = Field(default="", repr=False)
    max_attempts: int = 6
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 900.0
    zendesk_timeout: float = 10.0
    pattern_timeout_seconds: float = 0.25
    signature_tolerance_seconds: int = 300
    max_body_bytes: int = 1_000_000
    lease_seconds: int = 120
    patterns_check_seconds: float = 2.0
    pattern_cache_dir: str = ""
    """Compiled pattern sets (pickles, see pattern_cache.py): INSTANCE_PATH/pattern-cache unless set; "off" builds every time."""
    login_rate_limit: str = "10 per minute"
    worker_threads: int = 2
    agent_language: str = "en"
    amazon_context_tags: str = ""
    amazon_context_brands: str = ""
    amazon_context_forms: str = ""
    trust_proxy: bool = False
    secret_key: str = Field(default="", repr=False)
    admin_session_seconds: int = 8 * 3600
    bearer_failure_limit: str = "20 per minute"
    suggest_max_chars: int = 100_000
    suggest_concurrency: int = 2
    reconcile_seconds: float = 300.0

    # Production (issue 10): shared queue, sweep, metrics, logs, server.
    redis_url: str = Field(default="", repr=False)
    sweep_seconds: float = 60.0
    metrics: str = "off"
    metrics_token: str = Field(default="", repr=False)
    log_format: str = "text"
    idle_timeout_seconds: int = 30
    worker_nice: int = 10

    @field_validator("triage_dry_run", "trust_proxy", mode="before")
    @classmethod
    def _lenient_flag(cls, value: Any) -> bool:
        return value if isinstance(value, bool) else _flag(value)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _Environ(settings_cls))

    @property
    def has_credentials(self) -> bool:
        return bool(self.zendesk_subdomain and self.zendesk_email and self.zendesk_api_token)

    @property
    def feed_from_store(self) -> bool:
        """The embedded default (SQLite store, local SQLite queue): the worker finds new tickets in the
        store itself (Runtime.start_feed), so the web process writes one SQLite file per delivery, not two
        (the queue's commit cost it about a tenth of its intake throughput, benchmarks/intake_cost.py).
        With Redis the web process queues: workers on other hosts can't poll a shared store as cheaply."""
        return not self.redis_url and self.database_url.startswith("sqlite:")

    @property
    def dry_run(self) -> bool:
        """Dry run when asked for, or when there is no Zendesk to talk to."""
        return self.triage_dry_run or not self.has_credentials

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """The environment (or ``environ``, which then replaces it), then ``overrides`` on top.

        Tests pass ``environ={}`` so nothing of the developer's environment (an ADMIN_TOKEN, a
        DATABASE_URL) reaches them.
        """
        # An empty override means "unset": the default, whatever the environment says.
        values = {k.lower(): (cls.model_fields[k.lower()].default if v == "" else v)
                  for k, v in (overrides or {}).items() if v is not None and k.lower() in cls.model_fields}
        token = _ENVIRON.set(environ)
        try:
            settings = cls(**values)
        except ValidationError as exc:
            raise _config_error(exc) from None
        finally:
            _ENVIRON.reset(token)
        return settings.with_defaults()

    def with_defaults(self) -> Settings:
        instance = Path(self.instance_path)
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{(instance / 'amazon-triage.db').resolve()}"
        if not self.queue_path:
            changes["queue_path"] = str((instance / "queue.db").resolve())
        if not self.patterns_dir:
            changes["patterns_dir"] = str(default_patterns_dir({}))
        if not self.pattern_cache_dir:
            changes["pattern_cache_dir"] = str((instance / "pattern-cache").resolve())
        if not self.zendesk_webhook_secret and self.secret_file.is_file():
            changes["zendesk_webhook_secret"] = self.secret_file.read_text().strip()
        events_file = Path(self.instance_path) / "events_webhook_secret"
        if not self.zendesk_events_webhook_secret and events_file.is_file():
            changes["zendesk_events_webhook_secret"] = events_file.read_text().strip()
        return self.model_copy(update=changes) if changes else self

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        """ZENDESK_WEBHOOK_SECRET may list several secrets, comma-separated; a call signed with any passes.

        The events webhook's secret (ZENDESK_EVENTS_WEBHOOK_SECRET, or the file setup stored) is one more."""
        listed = (*self.zendesk_webhook_secret.split(","), self.zendesk_events_webhook_secret)
        return tuple(dict.fromkeys(s.strip() for s in listed if s.strip()))

    @cached_property
    def decision_settings(self) -> Any:
        """The core's decision settings from AGENT_LANGUAGE and AMAZON_CONTEXT_TAGS/BRANDS/FORMS
        (comma- or space-separated; brands and forms are Zendesk ids). Built once: settings are frozen,
        and every ticket and every sidebar or "Try it" request reads them."""
        from .core.decide import DecisionSettings

        def words(value: str) -> list[str]:
            return [w for w in value.replace(",", " ").split() if w]

        def ids(name: str, value: str) -> frozenset[int]:
            try:
                return frozenset(int(w) for w in words(value))
            except ValueError:
                raise ConfigError(f"{name} must list Zendesk ids (numbers), got {value!r}") from None

        return DecisionSettings(
            agent_language=(self.agent_language or "en").lower(),
            amazon_context_tags=frozenset(w.lower() for w in words(self.amazon_context_tags)),
            amazon_context_brands=ids("AMAZON_CONTEXT_BRANDS", self.amazon_context_brands),
            amazon_context_forms=ids("AMAZON_CONTEXT_FORMS", self.amazon_context_forms),
        )

    @cached_property
    def detect_options(self) -> Any:
        """The core's detection budget: PATTERN_TIMEOUT_SECONDS per pattern per ticket (built once)."""
        from .core.detect import DetectOptions

        return DetectOptions(timeout=self.pattern_timeout_seconds)

    def session_key(self) -> str:
        """Signs session cookies: SECRET_KEY, else a random key kept in the instance folder (mode 600).

        Never derived from ADMIN_TOKEN: a cookie signed with a key made from the token would let
        anyone holding a cookie test guesses of the token offline.
        """
        if self.secret_key:
            return self.secret_key
        return read_or_create_secret(Path(self.instance_path) / "session_key")

    @property
    def secret_file(self) -> Path:
        """Where `amazon-triage zendesk setup` stores the webhook's signing secret."""
        return Path(self.instance_path) / "webhook_secret"

    def validate(self) -> list[str]:
        """Raise ConfigError on a setting that cannot work; return warnings to log loudly."""
        warnings: list[str] = []
        problem = database_url_problem(self.database_url)
        if problem:
            raise ConfigError(problem)
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
        if self.metrics not in {"off", "on", "token"}:
            raise ConfigError(f"METRICS must be off, on or token, got {self.metrics!r}")
        if self.metrics == "token" and len(self.metrics_token) < 16:
            raise ConfigError("METRICS=token needs METRICS_TOKEN of at least 16 characters")
        if self.log_format not in {"text", "json"}:
            raise ConfigError(f"LOG_FORMAT must be text or json, got {self.log_format!r}")
        if self.max_attempts < 1:
            raise ConfigError("MAX_ATTEMPTS must be at least 1")
        for name, least in _AT_LEAST.items():
            if getattr(self, name) < least:
                raise ConfigError(f"{name.upper()} must be at least {least:g}, got {getattr(self, name)!r}")
        if self.zendesk_timeout <= 0:
            raise ConfigError(f"ZENDESK_TIMEOUT must be more than 0 seconds, got {self.zendesk_timeout!r}")
        if not 0 < self.pattern_timeout_seconds <= 60:
            raise ConfigError("PATTERN_TIMEOUT_SECONDS must be more than 0 and at most 60 seconds, "
                              f"got {self.pattern_timeout_seconds!r}")
        from limits import parse

        for name in ("login_rate_limit", "bearer_failure_limit"):
            try:
                parse(getattr(self, name))
            except ValueError:
                raise ConfigError(f"{name.upper()} must read like '10 per minute', got {getattr(self, name)!r}") from None
        self.decision_settings  # noqa: B018 (raises ConfigError on a bad id list)
        if (self.agent_language or "en").lower() != "en":
            warnings.append(f"AGENT_LANGUAGE={self.agent_language!r}: agent texts exist only in English so far; English is used.")
        if self.dry_run:
            why = "TRIAGE_DRY_RUN is set" if self.triage_dry_run else "no Zendesk credentials are set"
            warnings.append(f"DRY RUN ({why}): tickets are classified and the intended updates recorded, nothing is sent to Zendesk.")
        if not self.zendesk_webhook_secret:
            warnings.append("UNSIGNED WEBHOOKS ACCEPTED: ZENDESK_WEBHOOK_SECRET is not set (allowed in dry run only).")
        return warnings


def database_url_problem(url: str) -> str | None:
    """Why DATABASE_URL's driver cannot be loaded on this install, else None.

    Checked at start-up so that a PostgreSQL URL on an install without the `postgres` extra says
    what to install instead of ending in a ModuleNotFoundError traceback. A malformed URL is left
    to the engine's own "check DATABASE_URL" message.
    """
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
        dialect = parsed.get_dialect()
    except sa.exc.ArgumentError:
        return None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        hint = f"install the Python package that provides {exc.name!r}"
        if parsed.get_backend_name() == "postgresql":
            hint = "pip install 'amazon-triage[postgres]' (psycopg) and use postgresql+psycopg://..."
        return (f"DATABASE_URL uses the {parsed.drivername!r} driver, whose module {exc.name!r} is not installed: "
                f"{hint}")
    return None


def _config_error(exc: ValidationError) -> ConfigError:
    """The first problem, named by its environment variable."""
    error = exc.errors()[0]
    name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
    raw = error.get("input")
    if error["type"].startswith(("int_", "float_")):
        return ConfigError(f"{name} must be a number, got {raw!r}")
    return ConfigError(f"{name}: {error['msg']} (got {raw!r})")

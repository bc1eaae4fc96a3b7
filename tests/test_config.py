import pytest

from plugin.config import ConfigError, Settings

CREDS = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.c", "ZENDESK_API_TOKEN": "t"}


def load(**env: str) -> Settings:
    return Settings.load(environ=env)


def test_defaults_are_sqlite_and_dry_run(tmp_path) -> None:
    s = load(INSTANCE_PATH=str(tmp_path))
    assert s.database_url == f"sqlite:///{tmp_path / 'amazon-triage.db'}"
    assert s.dry_run and not s.has_credentials
    assert any("DRY RUN" in w for w in s.validate())


def test_credentials_need_a_webhook_secret() -> None:
    with pytest.raises(ConfigError, match="ZENDESK_WEBHOOK_SECRET is required"):
        load(**CREDS).validate()
    s = load(**CREDS, ZENDESK_WEBHOOK_SECRET="x")
    assert s.validate() == [] and not s.dry_run


def test_partial_credentials_are_an_error() -> None:
    with pytest.raises(ConfigError, match="ZENDESK_API_TOKEN"):
        load(ZENDESK_SUBDOMAIN="acme", ZENDESK_EMAIL="a@b.c").validate()


def test_forced_dry_run_and_bad_values() -> None:
    assert load(**CREDS, ZENDESK_WEBHOOK_SECRET="x", TRIAGE_DRY_RUN="1").dry_run
    with pytest.raises(ConfigError, match="MAX_ATTEMPTS must be a number"):
        load(MAX_ATTEMPTS="many")
    with pytest.raises(ConfigError, match="ZENDESK_API_URL"):
        load(ZENDESK_API_URL="127.0.0.1:8081").validate()


def test_secrets_are_not_in_repr() -> None:
    s = load(**CREDS, ZENDESK_WEBHOOK_SECRET="very-secret")
    assert "very-secret" not in repr(s) and "'t'" not in repr(s)


def test_language_and_amazon_context_settings() -> None:
    from plugin.config import ConfigError, Settings

    decision = Settings.load({"amazon_context_tags": "Amazon_Channel, codisto", "amazon_context_brands": "12 34",
                              "amazon_context_forms": "5"}, environ={}).decision_settings
    assert decision.amazon_context_tags == {"amazon_channel", "codisto"}
    assert decision.amazon_context_brands == {12, 34} and decision.amazon_context_forms == {5}
    assert decision.agent_language == "en"
    import pytest

    with pytest.raises(ConfigError, match="AMAZON_CONTEXT_FORMS"):
        Settings.load({"amazon_context_forms": "support-form"}, environ={}).validate()


def test_test_settings_replace_the_environment(monkeypatch, settings, tmp_path) -> None:
    """A developer's own ADMIN_TOKEN or DATABASE_URL never reaches the tests' settings."""
    monkeypatch.setenv("ADMIN_TOKEN", "developers-own-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/production")
    from .conftest import make_settings

    fresh = make_settings({"INSTANCE_PATH": str(tmp_path)})
    assert fresh.admin_token == "" and fresh.database_url.startswith("sqlite:///")
    assert settings.admin_token == "" and "production" not in settings.database_url
    # While the service itself does read the environment.
    assert Settings.load().admin_token == "developers-own-token"


def test_app_built_from_settings_ignores_the_environment(monkeypatch, make_app) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "developers-own-token")
    assert make_app().test_client().get("/admin/").status_code == 404  # admin stays off


def test_an_empty_override_means_the_default_even_over_the_environment() -> None:
    s = Settings.load({"MAX_ATTEMPTS": ""}, environ={"MAX_ATTEMPTS": "9"})
    assert s.max_attempts == 6
    assert Settings.load(environ={"MAX_ATTEMPTS": "9"}).max_attempts == 9


@pytest.mark.parametrize(("env", "message"), [
    ({"LEASE_SECONDS": "soon"}, "LEASE_SECONDS must be a number, got 'soon'"),
    ({"ZENDESK_TIMEOUT": "1.5s"}, "ZENDESK_TIMEOUT must be a number"),
    ({"WORKER_THREADS": "2.5"}, "WORKER_THREADS must be a number"),
])
def test_validation_errors_name_the_variable(env, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load(**env)


@pytest.mark.parametrize(("env", "message"), [
    ({"SIGNATURE_TOLERANCE_SECONDS": "-5"}, "SIGNATURE_TOLERANCE_SECONDS must be at least 1"),
    ({"MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES must be at least 1024"),
    ({"WORKER_THREADS": "0"}, "WORKER_THREADS must be at least 1"),
    ({"LEASE_SECONDS": "-1"}, "LEASE_SECONDS must be at least 1"),
    ({"ADMIN_SESSION_SECONDS": "0"}, "ADMIN_SESSION_SECONDS must be at least 1"),
    ({"RECONCILE_SECONDS": "-1"}, "RECONCILE_SECONDS must be at least 0"),
    ({"PATTERNS_CHECK_SECONDS": "-1"}, "PATTERNS_CHECK_SECONDS must be at least 0"),
    ({"ZENDESK_TIMEOUT": "0"}, "ZENDESK_TIMEOUT must be more than 0"),
    ({"PATTERN_TIMEOUT_SECONDS": "0"}, "PATTERN_TIMEOUT_SECONDS must be more than 0"),
    ({"PATTERN_TIMEOUT_SECONDS": "600"}, "PATTERN_TIMEOUT_SECONDS must be more than 0 and at most 60"),
    ({"BEARER_FAILURE_LIMIT": "lots"}, "BEARER_FAILURE_LIMIT must read like '10 per minute', got 'lots'"),
    ({"LOGIN_RATE_LIMIT": "10 per fortnight"}, "LOGIN_RATE_LIMIT must read like"),
])
def test_values_that_cannot_work_stop_the_service(env, message) -> None:
    """A negative tolerance would answer every delivery 401 until Zendesk's circuit breaker pauses the webhook."""
    with pytest.raises(ConfigError, match=message):
        load(**env).validate()


def test_the_pattern_budget_is_the_detection_budget() -> None:
    assert load().detect_options.timeout == 0.25
    assert load(PATTERN_TIMEOUT_SECONDS="1.5").detect_options.timeout == 1.5


def test_the_core_settings_are_built_once_and_stay_out_of_the_settings_fields() -> None:
    """Every ticket and every sidebar request reads them: one object per Settings, not one per call."""
    settings = load(AMAZON_CONTEXT_TAGS="amazon")
    assert settings.decision_settings is settings.decision_settings
    assert settings.detect_options is settings.detect_options
    assert "decision_settings" not in settings.model_dump()


def test_a_flag_that_is_not_a_flag_is_refused() -> None:
    with pytest.raises(ConfigError, match="TRUST_PROXY"):
        load(TRUST_PROXY="maybe")
    assert load(TRUST_PROXY="off").trust_proxy is False and load(TRIAGE_DRY_RUN=" On ").triage_dry_run


def test_flags_and_secret_lists() -> None:
    assert load(TRIAGE_DRY_RUN="yes").triage_dry_run and not load(TRIAGE_DRY_RUN="no").triage_dry_run
    assert load(TRUST_PROXY="1").trust_proxy and not load().trust_proxy
    assert load(ZENDESK_WEBHOOK_SECRET=" a, b ,,").webhook_secrets == ("a", "b")
    assert "developers" not in repr(load(SECRET_KEY="developers", ADMIN_TOKEN="developers"))


def test_readme_documents_every_setting() -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert missing == []


@pytest.mark.parametrize("url", ["postgresql+pg8000://triage@127.0.0.1:5432/triage", "mysql://u@127.0.0.1/x"])
def test_a_database_driver_that_is_not_installed_is_named_at_start_up(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL uses the .* driver, whose module .* is not installed") as info:
        load(DATABASE_URL=url).validate()
    if url.startswith("postgresql"):
        assert "amazon-triage[postgres]" in str(info.value)


def test_installed_drivers_and_malformed_urls_pass_the_driver_check() -> None:
    from plugin.config import database_url_problem

    assert database_url_problem("sqlite:///instance/x.db") is None
    assert database_url_problem("postgresql+psycopg://postgres@127.0.0.1:5432/x") is None  # the [postgres] extra
    assert database_url_problem("notaurl") is None  # the engine's "check DATABASE_URL" message names it

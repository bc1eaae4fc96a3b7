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
                              "amazon_context_forms": "5"}, environ={}).decision_settings()
    assert decision.amazon_context_tags == {"amazon_channel", "codisto"}
    assert decision.amazon_context_brands == {12, 34} and decision.amazon_context_forms == {5}
    assert decision.agent_language == "en"
    import pytest

    with pytest.raises(ConfigError, match="AMAZON_CONTEXT_FORMS"):
        Settings.load({"amazon_context_forms": "support-form"}, environ={}).validate()

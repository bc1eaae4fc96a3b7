"""`amazon-triage zendesk setup|status` against the fake Zendesk, through real zenpy."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.config import Settings
from plugin.core.models import MARKER_TAG
from plugin.zendesk_setup import EVENT_TYPES, EVENTS_WEBHOOK_NAME, TRIGGER_TITLE, WEBHOOK_NAME


@pytest.fixture
def env(service_config, monkeypatch) -> dict[str, str]:
    config = {**service_config, "ZENDESK_WEBHOOK_SECRET": ""}
    for key, value in config.items():
        monkeypatch.setenv(key, value)
    return config


def run(*args: str):
    return CliRunner().invoke(main, ["zendesk", *args], catch_exceptions=False)


def named(fake, name: str = WEBHOOK_NAME) -> dict:
    [hook] = [h for h in fake.webhooks.values() if h["name"] == name]
    return hook


def test_setup_creates_webhook_trigger_and_stores_the_secret(env, fake_zendesk) -> None:
    result = run("setup", "--url", "https://triage.example.com/")
    assert result.exit_code == 0, result.output
    hook = named(fake_zendesk)
    assert hook["endpoint"] == "https://triage.example.com/webhooks/zendesk" and hook["http_method"] == "POST"
    assert hook["subscriptions"] == ["conditional_ticket_events"]
    [trigger] = fake_zendesk.triggers.values()
    assert trigger["title"] == TRIGGER_TITLE
    assert {"field": "update_type", "operator": "is", "value": "Create"} in trigger["conditions"]["all"]
    assert {"field": "current_tags", "operator": "not_includes", "value": MARKER_TAG} in trigger["conditions"]["all"]
    [action] = trigger["actions"]
    assert action["field"] == "notification_webhook" and action["value"][0] == hook["id"]
    assert json.loads(action["value"][1])["ticket"]["id"] == "{{ticket.id}}"
    secret_file = Path(env["INSTANCE_PATH"]) / "webhook_secret"
    assert secret_file.read_text() == hook["signing_secret"]["secret"]
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert hook["signing_secret"]["secret"] not in result.output
    assert Settings.load().zendesk_webhook_secret == hook["signing_secret"]["secret"]
    events = named(fake_zendesk, EVENTS_WEBHOOK_NAME)
    assert events["subscriptions"] == EVENT_TYPES and events["endpoint"] == hook["endpoint"]
    events_file = Path(env["INSTANCE_PATH"]) / "events_webhook_secret"
    assert events_file.read_text() == events["signing_secret"]["secret"] != hook["signing_secret"]["secret"]
    assert stat.S_IMODE(os.stat(events_file).st_mode) == 0o600


def test_setup_is_idempotent_and_updates_a_changed_url(env, fake_zendesk) -> None:
    run("setup", "--url", "https://triage.example.com")
    writes = len(fake_zendesk.writes())
    again = run("setup", "--url", "https://triage.example.com")
    assert "webhook unchanged" in again.output and "trigger unchanged" in again.output
    assert len(fake_zendesk.writes()) == writes
    moved = run("setup", "--url", "https://new.example.com")
    assert "webhook updated" in moved.output
    assert len(fake_zendesk.webhooks) == 2 and len(fake_zendesk.triggers) == 1
    assert {h["endpoint"] for h in fake_zendesk.webhooks.values()} == {"https://new.example.com/webhooks/zendesk"}


def test_dry_run_prints_requests_and_changes_nothing(env, fake_zendesk) -> None:
    result = run("setup", "--url", "https://triage.example.com", "--dry-run")
    assert result.exit_code == 0
    assert "POST /api/v2/webhooks" in result.output and "POST /api/v2/triggers.json" in result.output
    assert result.output.count("POST /api/v2/webhooks") == 2 and "ticket.comment_added" in result.output
    assert fake_zendesk.writes() == [] and not (Path(env["INSTANCE_PATH"]) / "webhook_secret").exists()


def test_print_secret_instead_of_storing(env, fake_zendesk) -> None:
    result = run("setup", "--url", "https://triage.example.com", "--print-secret")
    secret = named(fake_zendesk)["signing_secret"]["secret"]
    assert secret in result.output and named(fake_zendesk, EVENTS_WEBHOOK_NAME)["signing_secret"]["secret"] in result.output and not (Path(env["INSTANCE_PATH"]) / "webhook_secret").exists()


def test_status_before_and_after(env, fake_zendesk) -> None:
    assert "webhook: none named" in run("status").output
    run("setup", "--url", "https://triage.example.com")
    out = run("status").output
    assert "-> https://triage.example.com/webhooks/zendesk" in out
    assert "active, notifies the webhook" in out and "present" in out
    assert "comment added + tags changed" in out and "events signing secret file" in out
    assert "reconciliation: every 300 s; no tick yet" in out


def test_bad_url_and_missing_credentials(env, monkeypatch) -> None:
    assert run("setup", "--url", "triage.example.com").exit_code == 2
    monkeypatch.setenv("ZENDESK_API_TOKEN", "")
    monkeypatch.setenv("ZENDESK_EMAIL", "")
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "")
    assert run("status").exit_code == 2
    dry = run("setup", "--url", "https://x.example.com", "--dry-run")
    assert dry.exit_code == 0 and "assuming nothing exists yet" in dry.output


def test_the_trigger_body_carries_the_ticket_creation_time(env, fake_zendesk) -> None:
    # Without it the overview measures every ticket from our receipt and tells the admin to add created_at.
    from plugin.core.tickets import parse_when
    from plugin.web.payloads import parse_delivery

    from .conftest import free_port

    assert run("setup", "--url", f"http://127.0.0.1:{free_port()}").exit_code == 0  # nobody listens: the body is kept
    ticket = fake_zendesk.create_ticket(41, "Amazon", "Connecting Amazon: An error has occurred.")
    fake_zendesk.settle()
    [sent] = fake_zendesk.deliveries("trigger")
    delivery = parse_delivery(json.loads(sent.body))
    assert delivery.ticket_id == 41 and delivery.ticket.created_at == ticket["created_at"]
    assert parse_when(delivery.ticket.created_at) is not None

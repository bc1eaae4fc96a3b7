"""POST /webhooks/zendesk through the real Flask app: signatures, shapes, bad input, deduplication."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from plugin.core.delivery import TicketFacts
from plugin.store import QUEUED

from .conftest import SECRET, make_settings, signed_headers, trigger_body

URL = "/webhooks/zendesk"


def post(client, body: bytes, **kwargs):
    return client.post(URL, data=body, headers=signed_headers(body, **kwargs))


def test_trigger_payload_is_stored_and_queued(client, app) -> None:
    body = trigger_body(101, subject="Amazon", description="An error has occurred", requester_first_name="Jo")
    r = post(client, body)
    assert r.status_code == 202
    assert r.get_json() == {"status": "accepted", "ticket_id": 101}
    rt = app.extensions["amazon_triage"]
    decision = rt.store.decision(101)
    assert decision is not None and decision.status == QUEUED
    assert rt.store.delivery(decision.delivery_id).ticket.requester_first_name == "Jo"
    # Embedded (SQLite store and queue): the web process only stores; the worker's feed finds the ticket.
    assert rt.queue.pending() == 0
    assert rt.store.opened_after(0) == [(101, decision.delivery_id)]


def test_numeric_id_and_unfilled_placeholders(client, app) -> None:
    body = json.dumps({"ticket": {"id": 102, "subject": "{{ticket.title}}", "description": ""}}).encode()
    assert post(client, body).status_code == 202
    delivery = app.extensions["amazon_triage"].store.delivery(1)
    assert delivery.ticket == TicketFacts()


def test_event_payload(client, app) -> None:
    event = {"type": "zen:event-type:ticket.created", "account_id": 1, "id": "evt-1", "time": "2026-11-26T10:00:00Z",
             "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:35436",
             "detail": {"id": "35436", "subject": "Amazon", "description": "An error has occurred", "tags": ["a"],
                        "requester_id": "77", "submitter_id": "77", "updated_at": "2026-11-26T10:00:00Z"},
             "event": {}}
    r = post(client, json.dumps(event).encode())
    assert r.status_code == 202 and r.get_json()["ticket_id"] == 35436
    delivery = app.extensions["amazon_triage"].store.delivery(1)
    assert delivery.ticket.tags == ("a",) and delivery.actor_ids == (77, 77) and delivery.source == "event"


def test_template_with_unescaped_text_still_yields_the_ticket(client, app) -> None:
    body = b'{"ticket": {"id": "106", "subject": "Amazon", "description": "It says "An error has occurred"\nhelp", "requester_first_name": "Jo"}}'
    r = post(client, body)
    assert r.status_code == 202 and r.get_json()["ticket_id"] == 106
    rt = app.extensions["amazon_triage"]
    assert rt.store.delivery(rt.store.decision(106).delivery_id).ticket == TicketFacts()


def test_other_event_types_are_ignored_with_reason(client) -> None:
    body = json.dumps({"type": "zen:event-type:ticket.status_changed", "detail": {"id": "1"}}).encode()
    r = post(client, body)
    assert r.status_code == 200
    assert r.get_json()["status"] == "ignored" and "ticket.status_changed" in r.get_json()["reason"]


def test_a_comment_event_is_taken_in_once_and_a_broken_one_gets_a_400(client) -> None:
    event = {"type": "zen:event-type:ticket.comment_added", "id": "evt-9", "detail": {"id": "9", "tags": []},
             "event": {"comment": {"id": "5551", "body": "hi", "is_public": True, "author": {"id": "501"}}}}
    body = json.dumps(event).encode()
    assert post(client, body).status_code == 202
    again = post(client, body)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    broken = post(client, json.dumps({**event, "event": {"comment": {"id": "²"}}}).encode())
    assert broken.status_code == 400 and "event.comment.id" in broken.get_json()["error"]


def test_duplicates_by_invocation_id_and_by_ticket(client, app) -> None:
    body = trigger_body(103)
    assert post(client, body, invocation="inv-1").status_code == 202
    r = post(client, body, invocation="inv-1")
    assert r.status_code == 200 and r.get_json()["status"] == "duplicate"
    r = post(client, body, invocation="inv-2")
    assert r.get_json()["status"] == "duplicate"
    assert [ticket for ticket, _ in app.extensions["amazon_triage"].store.opened_after(0)] == [103]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b, h: (b + b" ", h), "does not match"),
        (lambda b, h: (b, signed_headers(b, secret="other")), "does not match"),
        (lambda b, h: (b, signed_headers(b, when=datetime.now(timezone.utc) - timedelta(minutes=6))), "away from now"),
        (lambda b, h: (b, signed_headers(b, when=datetime.now(timezone.utc) + timedelta(minutes=6))), "away from now"),
        (lambda b, h: (b, {"Content-Type": "application/json"}), "missing"),
    ],
    ids=["tampered", "wrong-secret", "stale", "future", "unsigned"],
)
def test_bad_signatures_get_401_json(client, app, mutate, reason) -> None:
    body, headers = mutate(trigger_body(104), signed_headers(trigger_body(104)))
    r = client.post(URL, data=body, headers=headers)
    assert r.status_code == 401
    assert reason in r.get_json()["error"]
    assert app.extensions["amazon_triage"].store.decision(104) is None


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "JSON object"),
        (b'{"ticket": {}}', "application/json", 400, "'ticket.id' is required"),
        (b'{"ticket": {"id": "abc"}}', "application/json", 400, "must be a ticket number"),
        (b'{"ticket": {"id": "{{ticket.id}}"}}', "application/json", 400, "must be a ticket number"),
        (b'{"hello": 1}', "application/json", 400, "expected"),
        (b'{"type": "zen:event-type:ticket.created", "detail": {"id": "x"}}', "application/json", 400, "detail.id"),
        (b'\xff\xfe', "application/json", 400, "not valid JSON"),
        (b'{"ticket": {"id": 1}}', "text/plain", 415, "Content-Type must be application/json"),
    ],
)
def test_bad_input_gets_4xx_json(client, body: bytes, content_type: str, status: int, message: str) -> None:
    headers = signed_headers(body)
    headers["Content-Type"] = content_type
    r = client.post(URL, data=body, headers=headers)
    assert r.status_code == status
    assert message in r.get_json()["error"]


def test_oversized_body_and_wrong_method(client) -> None:
    big = b'{"ticket": {"id": 1, "description": "' + b"x" * 1_100_000 + b'"}}'
    r = client.post(URL, data=big, headers=signed_headers(big))
    assert r.status_code == 413 and r.is_json
    r = client.get(URL)
    assert r.status_code == 405 and r.get_json()["error"] == "Method Not Allowed"
    assert client.get("/nope").get_json()["error"] == "Not Found"


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    data = ready.get_json()
    assert data["checks"]["store"] == "ok" and data["checks"]["queue"] == "ok"
    assert data["checks"]["patterns"]["status"] == "ok" and data["dry_run"] is False


def test_secret_is_required_with_credentials(make_app) -> None:
    from plugin.config import ConfigError

    with pytest.raises(ConfigError, match="ZENDESK_WEBHOOK_SECRET is required"):
        make_app(ZENDESK_WEBHOOK_SECRET="")


def test_dry_run_accepts_unsigned_calls_and_says_so(tmp_path, caplog) -> None:
    from plugin import create_app

    app = create_app({"TESTING": True}, settings=make_settings({"INSTANCE_PATH": str(tmp_path)}))
    assert "DRY RUN" in caplog.text and "UNSIGNED WEBHOOKS ACCEPTED" in caplog.text
    r = app.test_client().post(URL, json={"ticket": {"id": 5}})
    assert r.status_code == 202


def test_ticket_bodies_and_secrets_never_reach_the_logs(client, caplog) -> None:
    caplog.set_level("DEBUG")
    body = trigger_body(105, description="SECRET-TICKET-TEXT An error has occurred")
    post(client, body)
    client.post(URL, data=body + b"x", headers=signed_headers(body))
    assert "SECRET-TICKET-TEXT" not in caplog.text
    assert SECRET not in caplog.text


def test_a_tags_event_is_read_as_documented_and_one_without_its_fields_gets_a_400(client, app) -> None:
    """developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/: event.tags_added / tags_removed."""
    event = {"type": "zen:event-type:ticket.tags_changed", "id": "evt-t",
             "detail": {"id": "13", "actor_id": "777", "tags": ["vip"]},
             "event": {"meta": {"sequence": {"id": "seq-1", "position": 1}}, "tags_added": ["vip"],
                       "tags_removed": ["amazon_error_staging_mode"]}}
    assert post(client, json.dumps(event).encode()).status_code == 202
    [pending] = app.extensions["amazon_triage"].fstore.pending(13, 0)
    change = pending.change
    assert (change.added, change.removed, change.actor_id, change.tags) == (
        ("vip",), ("amazon_error_staging_mode",), 777, ("vip",))
    undocumented = {**event, "id": "evt-u", "event": {"tags": {"added": ["vip"], "removed": []}}}
    r = post(client, json.dumps(undocumented).encode())
    assert r.status_code == 400 and "event.tags_added" in r.get_json()["error"]


def test_a_comment_event_without_author_or_visibility_falls_back_to_the_detail_actor(client, app) -> None:
    event = {"type": "zen:event-type:ticket.comment_added", "id": "evt-c", "detail": {"id": "14", "actor_id": "501"},
             "event": {"comment": {"id": "7001", "body": "hi"}}}
    assert post(client, json.dumps(event).encode()).status_code == 202
    [pending] = app.extensions["amazon_triage"].fstore.pending(14, 0)
    assert (pending.change.comment_id, pending.change.actor_id, pending.change.comment_public) == (7001, 501, None)


def test_a_tag_event_with_a_lone_surrogate_is_stored_cleaned(client, app) -> None:
    event = {"type": "zen:event-type:ticket.tags_changed", "id": "evt-s", "detail": {"id": "12", "subject": "x\ud800y"},
             "event": {"tags_added": ["amazon_error_staging_mode"], "tags_removed": []}}
    assert post(client, json.dumps(event).encode()).status_code == 202
    [pending] = app.extensions["amazon_triage"].fstore.pending(12, 0)
    assert pending.change.subject == "x\ufffdy" and pending.change.added == ("amazon_error_staging_mode",)

"""Odd bodies that once crashed the webhook (issue 7), each pinned: a 4xx with a JSON error, or a clean 202."""

from __future__ import annotations

import json

import pytest

from .conftest import signed_headers, signed_post

URL = "/webhooks/zendesk"
DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"ticket": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}"

# (body, status, words in the error): each of these answered 500 before.
VECTORS = [
    (b"null", 400, "JSON object"),
    ('{"ticket": {"id": "\u00b2"}}'.encode(), 400, "must be a ticket number"),
    ('{"ticket": {"id": "\u0661\u0662"}}'.encode(), 400, "must be a ticket number"),
    (b'{"ticket": {"id": "' + b"1" * 5000 + b'"}}', 400, "must be a ticket number"),
    (DEEP, 400, "nested too deeply"),
    (DEEP_OBJECT, 400, "nested too deeply"),
]


@pytest.mark.parametrize(("body", "status", "words"), VECTORS, ids=["null", "superscript", "arabic-digits", "huge-id",
                                                                    "deep-list", "deep-object"])
def test_odd_bodies_get_a_4xx_json(client, body: bytes, status: int, words: str) -> None:
    r = signed_post(client, body)
    assert r.status_code == status, r.text
    assert words in r.get_json()["error"]


def test_arabic_digits_are_not_ticket_12(client, app) -> None:
    signed_post(client, '{"ticket": {"id": "\u0661\u0662"}}'.encode())
    assert app.extensions["amazon_triage"].store.decision(12) is None


def stored_ticket(app, ticket_id: int) -> dict:
    rt = app.extensions["amazon_triage"]
    return rt.store.delivery(rt.store.decision(ticket_id).delivery_id).ticket.to_json()


def test_lone_surrogates_and_nul_are_replaced_before_storing(client, app) -> None:
    body = b'{"ticket": {"id": "41", "subject": "A\\u0000", "description": "x\\udc80y", "requester_first_name": "Jo\\ud800"}}'
    r = signed_post(client, body)
    assert r.status_code == 202
    ticket = stored_ticket(app, 41)
    assert ticket == {"subject": "A\ufffd", "description": "x\ufffdy", "requester_first_name": "Jo\ufffd"}
    json.dumps(ticket, ensure_ascii=False).encode("utf-8")  # encodable everywhere now


def test_surrogates_in_event_tags_and_ids(client, app) -> None:
    event = b'{"type": "zen:event-type:ticket.created", "id": "\\ud800", "detail": {"id": "42", "tags": ["a\\udfff"]}}'
    assert signed_post(client, event).status_code == 202
    assert stored_ticket(app, 42)["tags"] == ["a\ufffd"]


def test_a_long_invocation_id_is_kept_as_its_hash(client, app) -> None:
    body = b'{"ticket": {"id": "43"}}'
    assert signed_post(client, body, invocation="i" * 5000).status_code == 202
    assert signed_post(client, body, invocation="i" * 5000).get_json()["status"] == "duplicate"


def test_any_of_several_secrets_is_accepted(make_app) -> None:
    client = make_app(ZENDESK_WEBHOOK_SECRET="old-secret, new-secret").test_client()
    for n, secret in enumerate(("old-secret", "new-secret"), start=50):
        body = json.dumps({"ticket": {"id": str(n)}}).encode()
        assert client.post(URL, data=body, headers=signed_headers(body, secret=secret)).status_code == 202
    body = b'{"ticket": {"id": "52"}}'
    r = client.post(URL, data=body, headers=signed_headers(body, secret="old-secret, new-secret"))
    assert r.status_code == 401 and "does not match" in r.get_json()["error"]

"""The webhook's WSGI fast path answers plain deliveries exactly as the Flask view does."""

from __future__ import annotations

import json
import logging

import pytest

from plugin.web.fastpath import WebhookFastPath

from .conftest import signed_headers, trigger_body
from .test_body import chunked

URL = "/webhooks/zendesk"


def _event(ticket_id: int, kind: str = "zen:event-type:ticket.created") -> bytes:
    return json.dumps({"type": kind, "id": f"ev-{ticket_id}", "detail": {"id": str(ticket_id), "subject": "Hi"}}).encode()


def _cases(ticket_id: int) -> dict[str, tuple[bytes, dict[str, str]]]:
    """One call of each kind for a ticket: (body, headers)."""
    body = trigger_body(ticket_id, description="Where is my invoice?")
    return {
        "accepted": (body, signed_headers(body)),
        "forged signature": (body, {**signed_headers(body), "X-Zendesk-Webhook-Signature": "forged"}),
        "not JSON": (b"{not json", signed_headers(b"{not json")),
        "wrong content type": (body, {**signed_headers(body), "Content-Type": "text/plain"}),
        "no ticket id": (b'{"ticket": {}}', signed_headers(b'{"ticket": {}}')),
        "other event": (_event(ticket_id, "zen:event-type:user.created"),
                        signed_headers(_event(ticket_id, "zen:event-type:user.created"))),
        "created event": (_event(ticket_id), signed_headers(_event(ticket_id))),
    }


def _without_ids(data: dict, ticket_id: int) -> dict:
    return {k: (str(v).replace(str(ticket_id), "<id>") if k in ("ticket_id", "error", "reason") else v)
            for k, v in data.items()}


def test_the_app_answers_deliveries_through_the_fast_path(app) -> None:
    assert isinstance(app.wsgi_app, WebhookFastPath)


@pytest.mark.parametrize("case", list(_cases(0)))
def test_fast_path_and_flask_view_give_the_same_answer(client, case: str) -> None:
    fast_body, fast_headers = _cases(501)[case]
    flask_body, flask_headers = _cases(502)[case]
    fast = client.post(URL, data=fast_body, headers=fast_headers)
    slow = chunked(client, URL, flask_body, flask_headers)  # no Content-Length: Flask's view answers
    assert fast.status_code == slow.status_code
    assert fast.headers["Content-Type"] == slow.headers["Content-Type"] == "application/json"
    assert _without_ids(fast.get_json(), 501) == _without_ids(slow.get_json(), 502)


def test_a_repeated_delivery_is_a_duplicate_on_either_path(client) -> None:
    body = trigger_body(510, description="hello")
    headers = {**signed_headers(body), "X-Zendesk-Webhook-Invocation-Id": "inv-510"}
    assert client.post(URL, data=body, headers=headers).status_code == 202
    again = chunked(client, URL, body, headers)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate", "ticket_id": 510}
    third = client.post(URL, data=body, headers=headers)
    assert third.status_code == 200 and third.get_json()["status"] == "duplicate"


def test_other_methods_and_paths_still_go_through_flask(client) -> None:
    r = client.get(URL)
    assert r.status_code == 405 and "error" in r.get_json()
    assert client.get("/healthz").status_code == 200


def test_an_oversized_body_gets_flasks_413(make_app) -> None:
    app = make_app(MAX_BODY_BYTES="2000")
    body = trigger_body(520, description="x" * 5000)
    r = app.test_client().post(URL, data=body, headers=signed_headers(body))
    assert r.status_code == 413 and "MAX_BODY_BYTES" in r.get_json()["message"]
    assert app.extensions["amazon_triage"].store.decision(520) is None


def test_a_failure_inside_is_a_json_500_and_a_log_line_without_the_body(app, caplog, monkeypatch) -> None:
    store = app.extensions["amazon_triage"].store

    def broken(batch):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(store, "record_deliveries", broken)
    body = trigger_body(530, description="secret merchant words")
    with caplog.at_level(logging.INFO):
        r = app.test_client().post(URL, data=body, headers=signed_headers(body))
    assert r.status_code == 500
    assert r.get_json() == {"error": "Internal Server Error", "message": "the request could not be processed"}
    assert "unhandled RuntimeError" in caplog.text and "secret merchant words" not in caplog.text


def test_each_delivery_gets_one_access_line_with_its_ticket(client, caplog) -> None:
    body = trigger_body(540, description="hello")
    with caplog.at_level(logging.INFO, logger="plugin.access"):
        assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 202
    lines = [r.getMessage() for r in caplog.records if r.name == "plugin.access"]
    assert len(lines) == 1 and lines[0].startswith("POST /webhooks/zendesk 202 ") and lines[0].endswith("ticket 540")

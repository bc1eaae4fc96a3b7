"""Request bodies without a Content-Length (chunked): read whole, or refused with a 4xx, never cut."""

from __future__ import annotations

import io
import json

from gunicorn.http.errors import InvalidChunkSize

from .conftest import signed_headers, trigger_body

AGENT = "agent-token-for-tests"


def chunked(client, url: str, body: bytes | io.BytesIO, headers: dict[str, str]):
    """A request as gunicorn hands a chunked one to the app: no CONTENT_LENGTH, input terminated."""
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    return client.post(url, input_stream=stream, headers={**headers, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_small_chunked_delivery_is_accepted(client) -> None:
    body = trigger_body(41, description="hello")
    r = chunked(client, "/webhooks/zendesk", body, signed_headers(body))
    assert r.status_code == 202 and r.get_json()["ticket_id"] == 41


def test_a_chunked_delivery_over_the_limit_is_413_not_a_signature_failure(make_app) -> None:
    app = make_app(MAX_BODY_BYTES="2000")
    body = trigger_body(42, description="x" * 5000)
    r = chunked(app.test_client(), "/webhooks/zendesk", body, signed_headers(body))
    assert r.status_code == 413 and "MAX_BODY_BYTES" in r.get_json()["message"]
    assert app.extensions["amazon_triage"].store.decision(42) is None


def test_chunked_suggest_text_over_the_limit_is_413_not_half_classified(make_app) -> None:
    app = make_app(MAX_BODY_BYTES="2000", AGENT_TOKEN=AGENT)
    auth = {"Authorization": f"Bearer {AGENT}"}
    text = ("Your account is not a Professional Amazon seller account. " * 100).encode()
    r = chunked(app.test_client(), "/api/suggest", text, {**auth, "Content-Type": "text/plain"})
    assert r.status_code == 413 and r.is_json
    r = chunked(app.test_client(), "/api/suggest", json.dumps({"description": text.decode()}).encode(),
                {**auth, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.is_json


class _BadChunks(io.BytesIO):
    """What gunicorn's chunked reader does on a chunk size that is not hex."""

    def read(self, size: int | None = -1) -> bytes:
        raise InvalidChunkSize(b"zz")

    def readinto(self, b) -> int:
        raise InvalidChunkSize(b"zz")


def test_malformed_chunked_encoding_is_400_not_500(client) -> None:
    r = chunked(client, "/webhooks/zendesk", _BadChunks(), signed_headers(b"{}"))
    assert r.status_code == 400 and "chunked" in r.get_json()["message"]


def test_a_delivery_with_a_content_length_over_the_limit_names_the_setting(make_app) -> None:
    app = make_app(MAX_BODY_BYTES="2000")
    body = trigger_body(43, description="x" * 5000)
    r = app.test_client().post("/webhooks/zendesk", data=body, headers=signed_headers(body))
    assert r.status_code == 413 and r.get_json()["message"] == "the body is more than 2000 bytes (MAX_BODY_BYTES)"

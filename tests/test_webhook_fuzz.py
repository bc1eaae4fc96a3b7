"""Whatever arrives at the webhook, the answer is a 2xx or a 4xx with a JSON error: never a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import signed_headers

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
TICKETISH = st.fixed_dictionaries({"ticket": st.dictionaries(
    st.sampled_from(["id", "subject", "description", "requester_first_name", "tags"]), JSONISH, max_size=5)})
EVENTISH = st.fixed_dictionaries({"type": st.sampled_from(["zen:event-type:ticket.created", "x"]),
                                  "detail": JSONISH | st.dictionaries(st.sampled_from(["id", "tags", "subject"]), JSONISH)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode()),
                      TICKETISH.map(lambda v: json.dumps(v).encode()), EVENTISH.map(lambda v: json.dumps(v).encode())),
       content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]),
       signed=st.booleans())
def test_webhook_never_answers_5xx(client, body: bytes, content_type: str, signed: bool) -> None:
    headers = signed_headers(body) if signed else {}
    headers["Content-Type"] = content_type
    r = client.post("/webhooks/zendesk", data=body, headers=headers)
    assert r.status_code < 500
    assert r.is_json
    if r.status_code >= 400:
        assert "error" in r.get_json()


@pytest.fixture(scope="module")
def suggest_client(tmp_path_factory):
    from plugin import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path_factory.mktemp("suggest")), "TESTING": True, "AGENT_TOKEN": "t",
                      "ZENDESK_SUBDOMAIN": "", "ZENDESK_EMAIL": "", "ZENDESK_API_TOKEN": ""})
    return app.test_client()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode()),
                      st.dictionaries(st.sampled_from(["subject", "description", "text", "requester_first_name", "id"]),
                                      JSONISH, max_size=4).map(lambda v: json.dumps(v).encode())),
       content_type=st.sampled_from(["application/json", "text/plain", "application/xml"]))
def test_suggest_never_answers_5xx(suggest_client, body: bytes, content_type: str) -> None:
    r = suggest_client.post("/api/suggest", data=body, headers={"Content-Type": content_type, "Authorization": "Bearer t"})
    assert r.status_code < 500 and r.is_json

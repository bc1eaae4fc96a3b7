"""Whatever arrives, at the webhook, /api/suggest or /admin, the answer is never a 5xx.

Signed or not, any body, headers, path or query. The bodies and requests that once crashed
(issue 7) are pinned with @example, so every run tries them whatever Hypothesis draws. In CI the
"ci" profile (tests/conftest.py) makes the draws the same on every run.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plugin.core.delivery import Delivery, TicketFacts
from plugin.intake import receive
from plugin.web.signature import sign

from .conftest import make_settings, signed_headers

SECRET = "fuzz-secret"
ADMIN, AGENT = "fuzz-admin-token", "fuzz-agent-token"
RELAXED = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
IDS = st.one_of(st.integers(), st.text(max_size=8), st.sampled_from(["²", "١٢", "12", " 7 ", "0", str(2**63), "1" * 5000]))
TICKETISH = st.fixed_dictionaries({"ticket": st.dictionaries(
    st.sampled_from(["id", "subject", "description", "requester_first_name", "tags", "created_at"]),
    IDS | JSONISH, max_size=6)})
EVENTISH = st.fixed_dictionaries({"type": st.sampled_from(["zen:event-type:ticket.created", "x"]), "id": JSONISH,
                                  "detail": JSONISH | st.dictionaries(st.sampled_from(["id", "tags", "subject", "requester_id"]),
                                                                      IDS | JSONISH)})
BODIES = st.one_of(st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode()),
                   TICKETISH.map(lambda v: json.dumps(v).encode()), EVENTISH.map(lambda v: json.dumps(v).encode()))
# Header values a client can send: printable Latin-1, no line breaks.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)

DEEP = b"[" * 1000 + b"]" * 1000
SURROGATES = b'{"ticket": {"id": "9", "requester_first_name": "Jo\\ud800", "description": "\\u0000\\udfff"}}'


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A dry-run service with a signing secret, admin and agent tokens, and awkward stored text."""
    from plugin import create_app

    app = create_app({"TESTING": True}, settings=make_settings({
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("fuzz")), "ZENDESK_WEBHOOK_SECRET": SECRET,
        "ADMIN_TOKEN": ADMIN, "AGENT_TOKEN": AGENT, "BEARER_FAILURE_LIMIT": "1000000 per minute",
        "LOGIN_RATE_LIMIT": "1000000 per minute"}))
    rt = app.extensions["amazon_triage"]
    store = rt.store
    receive(Delivery(5, "trigger", "k5", TicketFacts(requester_first_name="Jo\ud800")), store, rt.queue)
    store.finish(5, "dry_run", matched=["generic_error\udc00"], update={"comment": "Hi Jo\ud800", "tags": ["a\udfff"]})
    receive(Delivery(6, "trigger", "k6"), store, rt.queue)
    store.claim(6, 60)
    store.dead_letter(6, "Zendesk answered 500", 6)
    return app


@RELAXED
@given(body=BODIES, content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]),
       signed=st.booleans(), extra=st.dictionaries(
           st.sampled_from(["X-Zendesk-Webhook-Invocation-Id", "X-Zendesk-Webhook-Signature",
                            "X-Zendesk-Webhook-Signature-Timestamp", "Content-Encoding", "X-Forwarded-Proto"]),
           HEADER_TEXT, max_size=3))
@example(body=b"null", content_type="application/json", signed=True, extra={})
@example(body='{"ticket": {"id": "²"}}'.encode(), content_type="application/json", signed=True, extra={})
@example(body='{"ticket": {"id": "١٢"}}'.encode(), content_type="application/json", signed=True, extra={})
@example(body=DEEP, content_type="application/json", signed=True, extra={})
@example(body=SURROGATES, content_type="application/json", signed=True, extra={})
@example(body=b'{"ticket": {"id": "3"}}', content_type="application/json", signed=True,
         extra={"X-Zendesk-Webhook-Invocation-Id": "i" * 40})
def test_webhook_never_answers_5xx(service, body: bytes, content_type: str, signed: bool, extra: dict[str, str]) -> None:
    headers = {**extra, **(signed_headers(body, secret=SECRET) if signed else {})}
    headers["Content-Type"] = content_type
    r = service.test_client().post("/webhooks/zendesk", data=body, headers=headers)
    assert r.status_code < 500, r.text
    assert r.is_json
    if r.status_code >= 400:
        assert "error" in r.get_json()


SUGGEST_KEYS = st.sampled_from(["subject", "description", "text", "requester_first_name", "id", "tags", "created_at"])


@RELAXED
@given(body=st.one_of(BODIES, st.dictionaries(SUGGEST_KEYS, IDS | JSONISH, max_size=4).map(lambda v: json.dumps(v).encode())),
       content_type=st.sampled_from(["application/json", "text/plain", "application/xml", ""]),
       auth=st.sampled_from([f"Bearer {AGENT}", f"Bearer {ADMIN}", "Bearer nope", "", "Basic x", "Bearer " + "a" * 300]),
       ticket_id=st.none() | IDS.map(str), method=st.sampled_from(["GET", "POST", "OPTIONS"]))
@example(body=DEEP, content_type="application/json", auth=f"Bearer {AGENT}", ticket_id=None, method="POST")
@example(body=b'{"text": "\\ud800 An error has occurred"}', content_type="application/json", auth=f"Bearer {AGENT}",
         ticket_id=None, method="POST")
@example(body=b"", content_type="", auth=f"Bearer {AGENT}", ticket_id="5", method="GET")
@example(body=b"", content_type="", auth=f"Bearer {AGENT}", ticket_id=str(2**64), method="GET")
def test_suggest_never_answers_5xx(service, body: bytes, content_type: str, auth: str, ticket_id: str | None,
                                   method: str) -> None:
    headers = {"Content-Type": content_type, "Authorization": auth, "Origin": "https://acme.zendesk.com"}
    query = {"ticket_id": ticket_id} if ticket_id is not None else {}
    r = service.test_client().open("/api/suggest", method=method, data=body, headers=headers, query_string=query)
    assert r.status_code < 500, r.text
    if method != "OPTIONS":
        assert r.is_json


ADMIN_PATHS = ["/admin/", "/admin/login", "/admin/logout", "/admin/patterns", "/admin/try", "/admin/decisions",
               "/admin/decisions/", "/admin/dead", "/admin/dead/", "/admin/reload", "/admin/api/reload", "/admin/api/"]
NUMBERS = st.one_of(st.integers(min_value=-5, max_value=10), st.sampled_from([2**63 - 1, 2**63, 2**64, 10**40]))
SEGMENT = st.one_of(NUMBERS.map(str), st.text(max_size=15).map(lambda t: quote(t, safe="")))


@st.composite
def admin_paths(draw) -> str:
    base = draw(st.sampled_from(ADMIN_PATHS))
    if base.endswith("/") and draw(st.booleans()):
        base += draw(SEGMENT) + draw(st.sampled_from(["", "/retry"]))
    return base


@pytest.fixture(scope="module")
def logged_in(service):
    client = service.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
    assert client.post("/admin/login", data={"token": ADMIN, "csrf_token": token}).status_code == 302
    return client, token


@RELAXED
@given(path=admin_paths(), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
       who=st.sampled_from(["session", "bearer", "wrong-bearer", "long-bearer", "nobody"]),
       query=st.dictionaries(st.sampled_from(["next", "status", "error", "x"]), st.text(max_size=30), max_size=3),
       form=st.dictionaries(st.sampled_from(["token", "subject", "description", "first_name", "x"]), st.text(max_size=40),
                            max_size=4),
       with_csrf=st.booleans())
@example(path="/admin/login", method="POST", who="nobody", query={"next": "/admin/\r\nX: y"}, form={"token": ADMIN},
         with_csrf=True)
@example(path=f"/admin/decisions/{2**63}", method="GET", who="session", query={}, form={}, with_csrf=False)
@example(path=f"/admin/dead/{2**64}/retry", method="POST", who="session", query={}, form={}, with_csrf=True)
@example(path="/admin/decisions/5", method="GET", who="session", query={}, form={}, with_csrf=False)
@example(path="/admin/decisions", method="GET", who="bearer", query={"error": "\x00", "status": "\ud800"}, form={},
         with_csrf=False)
@example(path="/admin/try", method="POST", who="session", query={}, form={"description": "\x00 An error has occurred"},
         with_csrf=True)
def test_admin_routes_never_answer_5xx(service, logged_in, path: str, method: str, who: str, query: dict[str, str],
                                       form: dict[str, str], with_csrf: bool) -> None:
    session_client, csrf_token = logged_in
    if path == "/admin/logout":
        with_csrf = False  # keep the module's session alive; the logout itself is tested in test_admin.py
    client = session_client if who == "session" else service.test_client()
    if with_csrf and who == "session":
        form = {**form, "csrf_token": csrf_token}
    auth = {"bearer": f"Bearer {ADMIN}", "wrong-bearer": "Bearer nope", "long-bearer": "Bearer " + "x" * 1000}.get(who)
    headers = {"Authorization": auth} if auth else {}
    if form.get("token") == ADMIN and path == "/admin/login":
        client = service.test_client()  # a fresh log-in, not the module's session
    # Encoded as raw bytes would arrive (a lone surrogate becomes invalid UTF-8, as a hostile client may send).
    raw_query = "&".join(f"{k}={quote(v, safe='', errors='surrogatepass')}" for k, v in query.items())
    r = client.open(path, method=method, headers=headers, query_string=raw_query, data=form)
    assert r.status_code < 500, r.text
    if path.startswith("/admin") and r.status_code != 404:
        assert r.headers.get("X-Frame-Options") == "DENY" or r.status_code in (405, 429)


def test_the_ci_profile_is_deterministic() -> None:
    import os

    from hypothesis import settings as hypothesis_settings

    assert hypothesis_settings.get_profile("ci").derandomize
    if os.environ.get("CI"):
        assert hypothesis_settings.default.derandomize


def test_signature_helper_matches_the_service(service) -> None:
    body = b'{"ticket": {"id": "77"}}'
    headers = signed_headers(body, secret=SECRET)
    assert headers["X-Zendesk-Webhook-Signature"] == sign(body, headers["X-Zendesk-Webhook-Signature-Timestamp"], SECRET)
    assert service.test_client().post("/webhooks/zendesk", data=body, headers=headers).status_code == 202

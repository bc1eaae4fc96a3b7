"""GET/POST /api/suggest: what agents and the sidebar app get."""

from __future__ import annotations

import pytest

from .conftest import make_settings

AGENT = "agent-token-for-tests"
AUTH = {"Authorization": f"Bearer {AGENT}"}


@pytest.fixture
def agent_app(make_app):
    return make_app(AGENT_TOKEN=AGENT)


@pytest.fixture
def api(agent_app):
    return agent_app.test_client()


def test_off_without_tokens_and_needs_the_bearer(client, api) -> None:
    assert client.post("/api/suggest", json={"description": "x"}).status_code == 404
    assert "set AGENT_TOKEN" in client.get("/api/suggest?ticket_id=1").get_json()["message"]
    assert api.post("/api/suggest", json={"description": "x"}).status_code == 401
    assert api.post("/api/suggest", json={"description": "x"}, headers={"Authorization": "Bearer no"}).status_code == 401


def test_text_gives_errors_reply_and_checklist(api) -> None:
    r = api.post("/api/suggest", headers=AUTH, json={"subject": "Amazon", "description": "Connecting Amazon: An error has occurred. I cleared my cache.",
                                                   "requester_first_name": "Kim"})
    data = r.get_json()
    assert r.status_code == 200
    assert [e["error"] for e in data["errors"]] == ["generic_error"]
    assert data["errors"][0]["evidence"][0]["text"] == "An error has occurred"
    assert data["reply"]["text"].startswith("Hi Kim,") and "Suggested reply" not in data["reply"]["text"]
    assert data["escalation"]["missing"] == ["merchant_id", "timestamp"]
    items = {c["key"]: c for c in data["escalation"]["checklist"]}
    assert items["cleared_cache"]["done"] and not items["merchant_id"]["done"] and items["merchant_id"]["required"]
    assert "Why amazon-triage suggested this" in data["explanation"]


def test_plain_text_body_and_no_match(api) -> None:
    r = api.post("/api/suggest", headers=AUTH, data="Where is my invoice?", content_type="text/plain")
    assert r.status_code == 200 and r.get_json()["errors"] == [] and r.get_json()["reply"] is None


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({"data": "{", "content_type": "application/json"}, 400), ({"json": [1]}, 400), ({"json": {"description": ""}}, 400),
     ({"json": {"description": 5}}, 400), ({"data": "x", "content_type": "application/xml"}, 415)],
)
def test_bad_suggest_input(api, kwargs, status) -> None:
    r = api.post("/api/suggest", headers=AUTH, **kwargs)
    assert r.status_code == status and "error" in r.get_json()


def test_ticket_id_reads_the_ticket_from_zendesk(api, fake_zendesk) -> None:
    fake_zendesk.add_ticket(42, "Amazon", "Amazon: The account connection timed out.", requester_name="Lee Smith")
    r = api.get("/api/suggest?ticket_id=42", headers=AUTH)
    data = r.get_json()
    assert r.status_code == 200 and data["ticket_id"] == 42
    assert data["errors"][0]["error"] == "connection_timeout" and data["reply"]["text"].startswith("Hi Lee,")
    assert fake_zendesk.writes() == []


def test_ticket_id_errors(api, fake_zendesk) -> None:
    assert api.get("/api/suggest?ticket_id=abc", headers=AUTH).status_code == 400
    assert api.get("/api/suggest?ticket_id=404", headers=AUTH).status_code == 404
    fake_zendesk.add_ticket(43, "Amazon", "x")
    fake_zendesk.inject("GET", r"/tickets/43", status=500)
    assert api.get("/api/suggest?ticket_id=43", headers=AUTH).status_code == 502


def test_dry_run_suggests_from_the_stored_delivery(tmp_path) -> None:
    from plugin import create_app

    app = create_app({"TESTING": True}, settings=make_settings({"INSTANCE_PATH": str(tmp_path), "AGENT_TOKEN": AGENT}))
    c = app.test_client()
    c.post("/webhooks/zendesk", json={"ticket": {"id": 7, "description": "Amazon seller account is in staging mode"}})
    r = c.get("/api/suggest?ticket_id=7", headers=AUTH)
    assert r.status_code == 200 and r.get_json()["errors"][0]["error"] == "staging_mode"
    assert c.get("/api/suggest?ticket_id=8", headers=AUTH).status_code == 404


def test_cors_preflight_allows_the_authorization_header(api) -> None:
    r = api.options("/api/suggest", headers={"Origin": "https://acme.zendesk.com", "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "Authorization"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] in {"*", "https://acme.zendesk.com"}
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()


def test_the_sidebar_payload_costs_no_zendesk_call(make_app, fake_zendesk, tmp_path) -> None:
    """What the sidebar sends (subject, description, requester name and locale) is all a suggestion needs,
    even when the reply is a macro: the sidebar applies the macro itself."""
    import shutil

    from .conftest import PATTERNS_DIR

    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    # Every shipped language stays loaded: the admin's macro wins over the shipped German body for de-DE.
    path = patterns / "staging_mode.toml"
    text = path.read_text()
    path.write_text(text[: text.index("[reply]")] + "[reply]\nzendesk_macro_id = 321\n\n" + text[text.index("[examples]"):])
    fake_zendesk.add_macro(321, "Macro: leave staging mode.")
    api = make_app(PATTERNS_DIR=str(patterns), AGENT_TOKEN=AGENT).test_client()
    r = api.post("/api/suggest", headers=AUTH, json={
        "id": 42, "subject": "Amazon", "description": "My Amazon seller account is in staging mode",
        "requester_name": "  Lee   Smith ", "requester_locale": "de-DE", "created_at": "2026-11-20T18:00:00Z"})
    data = r.get_json()
    assert r.status_code == 200 and data["ticket_id"] == 42
    assert data["errors"][0]["error"] == "staging_mode" and data["reply"]["macro_ids"] == [321]
    assert data["reply"]["text"].startswith("Hi Lee,")
    assert fake_zendesk.calls() == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [({"requester_name": 5}, "requester_name"), ({"requester_locale": "german please"}, "requester_locale"),
     ({"requester_locale": ["de"]}, "requester_locale"), ({"requester_locale": "en-abcdefgh-abcdefgh-ab"}, "requester_locale"),
     ({"id": "abc"}, "'id'")],
)
def test_bad_sidebar_fields(api, extra, message) -> None:
    r = api.post("/api/suggest", headers=AUTH, json={"description": "An error has occurred", **extra})
    assert r.status_code == 400 and message in r.get_json()["error"]


def test_an_explicit_first_name_wins_over_the_full_name(api) -> None:
    r = api.post("/api/suggest", headers=AUTH, json={"description": "Amazon: The account connection timed out.",
                                                   "requester_name": "Robert Smith", "requester_first_name": "Bob"})
    assert r.get_json()["reply"]["text"].startswith("Hi Bob,")


def test_too_much_text_is_413(make_app) -> None:
    api = make_app(AGENT_TOKEN=AGENT, SUGGEST_MAX_CHARS="1000").test_client()
    r = api.post("/api/suggest", headers=AUTH, json={"subject": "Amazon", "description": "x" * 1001})
    assert r.status_code == 413 and "SUGGEST_MAX_CHARS" in r.get_json()["error"]
    r = api.post("/api/suggest", headers={**AUTH, "Content-Type": "text/plain"}, data="y" * 1001)
    assert r.status_code == 413
    assert api.post("/api/suggest", headers=AUTH, json={"description": "x" * 900}).status_code == 200


def test_suggestions_beyond_the_concurrency_limit_get_503(agent_app, api) -> None:
    slots = agent_app.extensions["amazon_triage_web"].suggest_slots
    taken = 0
    while slots.acquire(blocking=False):  # every slot busy, as under a burst of agent calls
        taken += 1
    try:
        r = api.post("/api/suggest", headers=AUTH, json={"description": "An error has occurred"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "1" and "try again" in r.get_json()["error"]
        assert api.get("/api/suggest?ticket_id=5", headers=AUTH).status_code == 503  # Zendesk reads count too
        # Intake is not behind that limit.
        from .conftest import signed_post

        assert signed_post(api, b'{"ticket": {"id": "7"}}').status_code == 202
    finally:
        for _ in range(taken):
            slots.release()
    assert taken == 2
    assert api.post("/api/suggest", headers=AUTH, json={"description": "An error has occurred"}).status_code == 200

"""Bearer tokens on /admin, /admin/api and /api: wrong guesses are throttled, absurd tokens refused."""

from __future__ import annotations

import pytest

ADMIN, AGENT = "admin-token-for-tests", "agent-token-for-tests"


@pytest.fixture
def guarded(make_app):
    return make_app(ADMIN_TOKEN=ADMIN, AGENT_TOKEN=AGENT, BEARER_FAILURE_LIMIT="5 per minute").test_client()


@pytest.mark.parametrize("path", ["/api/suggest?ticket_id=1", "/admin/api/reload", "/admin/decisions"])
def test_wrong_tokens_are_throttled_per_client(guarded, path) -> None:
    method = guarded.post if "reload" in path else guarded.get
    codes = [method(path, headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(7)]
    assert 429 not in codes[:5] and codes[5:] == [429, 429]
    r = method(path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 429 and r.get_json()["error"] == "Too Many Requests"
    other = method(path, headers={"Authorization": f"Bearer {ADMIN}"}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code != 429


def test_overlong_tokens_are_refused_without_comparing(make_app) -> None:
    long_token = "a" * 300
    client = make_app(AGENT_TOKEN=long_token).test_client()
    r = client.post("/api/suggest", json={"text": "x"}, headers={"Authorization": f"Bearer {long_token}"})
    assert r.status_code == 401
    assert client.post("/api/suggest", json={"text": "x"}, headers={"Authorization": "Bearer " + "b" * 100_000}).status_code == 401


def test_the_right_token_still_works(guarded) -> None:
    r = guarded.post("/api/suggest", json={"text": "An error has occurred"}, headers={"Authorization": f"Bearer {AGENT}"})
    assert r.status_code == 200

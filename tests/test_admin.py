"""The admin pages through the real Flask app: access, CSRF, and what each page shows."""

from __future__ import annotations

import re

import pytest

from plugin.core.delivery import Delivery
from plugin.store import DEAD, DONE, NO_MATCH, QUEUED

ADMIN = "admin-token-for-tests"


@pytest.fixture
def admin_app(service_config):
    from plugin import create_app

    return create_app({**service_config, "TESTING": True, "ADMIN_TOKEN": ADMIN})


@pytest.fixture
def admin(admin_app):
    client = admin_app.test_client()
    token = csrf(client.get("/admin/login").text)
    assert client.post("/admin/login", data={"token": ADMIN, "csrf_token": token}).status_code == 302
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_admin_is_off_without_a_token(client) -> None:
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login").status_code == 404
    assert client.post("/admin/api/reload").status_code == 404


def test_login_is_required_and_checked(admin_app) -> None:
    c = admin_app.test_client()
    r = c.get("/admin/patterns")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    r = c.post("/admin/login", data={"token": "wrong", "csrf_token": csrf(c.get("/admin/login").text)})
    assert r.status_code == 401 and "not right" in r.text
    r = c.post("/admin/login?next=/admin/patterns", data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    assert r.headers["Location"].endswith("/admin/patterns")
    assert c.get("/admin/patterns").status_code == 200


def test_login_form_needs_its_csrf_token(admin_app) -> None:
    r = admin_app.test_client().post("/admin/login", data={"token": ADMIN})
    assert r.status_code == 400 and "CSRF" in r.get_json()["message"]


def test_bearer_header_works_without_a_session(admin_app) -> None:
    c = admin_app.test_client()
    assert c.get("/admin/decisions", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    assert c.get("/admin/decisions", headers={"Authorization": "Bearer nope"}).status_code == 302


def test_patterns_page_lists_examples_hits_and_visibility(admin, admin_app) -> None:
    store = admin_app.extensions["amazon_triage"].store
    store.record_delivery(Delivery(1, "trigger", "k1"))
    store.finish(1, DONE, matched=["staging_mode"])
    html = admin.get("/admin/patterns").text
    row = re.search(r"<code>staging_mode</code>.*?</tr>", html, re.S).group(0)
    assert "passing" in row and "failing" not in row
    assert re.search(r"<td>1</td><td>1</td><td>1</td>", row)
    assert "internal" in row and "UTC" in row
    assert "needs merchant ID and time" in re.search(r"<code>generic_error</code>.*?</tr>", html, re.S).group(0)


def test_try_it_highlights_evidence_and_shows_the_exact_comment(admin) -> None:
    page = admin.get("/admin/try").text
    r = admin.post("/admin/try", data={"csrf_token": csrf(page), "subject": "Amazon",
                                       "description": "Linking <b>Amazon</b>: An error has occurred. Merchant ID A2EUQ1WTGCTBG2",
                                       "first_name": "Ana"})
    assert r.status_code == 200
    assert '<mark title="generic_error">An error has occurred</mark>' in r.text
    assert "Merchant ID: A2EUQ1WTGCTBG2" in r.text and "Last attempt: missing" in r.text
    assert "amazon_escalation_missing_timestamp" in r.text
    assert "Hi Ana," in r.text and "Do not escalate yet" in r.text


def test_try_it_escapes_html_in_tickets(admin) -> None:
    page = admin.get("/admin/try").text
    r = admin.post("/admin/try", data={"csrf_token": csrf(page), "description": "<script>alert(1)</script> Amazon: account connection timed out"})
    assert "<script>alert(1)</script>" not in r.text


def test_decisions_filters_and_links_to_zendesk(admin, admin_app) -> None:
    store = admin_app.extensions["amazon_triage"].store
    for t in (5, 6):
        store.record_delivery(Delivery(t, "trigger", f"k{t}"))
    store.finish(5, DONE, matched=["connection_timeout"])
    html = admin.get("/admin/decisions?status=done").text
    assert 'href="https://acme.zendesk.com/agent/tickets/5"' in html and "tickets/6" not in html
    assert "tickets/6" in admin.get(f"/admin/decisions?status={QUEUED}").text
    assert "tickets/5" in admin.get("/admin/decisions?error=connection_timeout").text


def test_dead_letter_retry_requeues_the_ticket(admin, admin_app) -> None:
    rt = admin_app.extensions["amazon_triage"]
    rt.store.record_delivery(Delivery(9, "trigger", "k9"))
    rt.store.claim(9, 60)
    rt.store.dead_letter(9, "update ticket 9: Zendesk answered 500", 6)
    page = admin.get("/admin/dead").text
    assert "Zendesk answered 500" in page
    dead_id = rt.store.dead()[0]["id"]
    before = rt.queue.pending()
    r = admin.post(f"/admin/dead/{dead_id}/retry", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert "Ticket 9 is queued again." in r.text
    assert rt.store.decision(9).status == QUEUED and rt.queue.pending() == before + 1
    r = admin.post(f"/admin/dead/{dead_id}/retry", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert "already retried" in r.text
    assert rt.store.decision(9).status != DEAD


def test_retry_without_csrf_is_refused(admin, admin_app) -> None:
    assert admin.post("/admin/dead/1/retry").status_code == 400


def test_rejected_edit_is_shown_and_old_set_keeps_running(service_config, patterns_copy) -> None:
    from plugin import create_app

    app = create_app({**service_config, "TESTING": True, "ADMIN_TOKEN": ADMIN, "PATTERNS_DIR": str(patterns_copy)})
    c = app.test_client()
    headers = {"Authorization": f"Bearer {ADMIN}"}
    before = app.extensions["amazon_triage"].registry.fingerprint
    path = patterns_copy / "staging_mode.toml"
    path.write_text(path.read_text().replace("[[regex]]", "[[regexes]]", 1))
    r = c.post("/admin/api/reload", headers=headers)
    assert r.status_code == 422 and r.get_json()["fingerprint"] == before
    assert any("staging_mode.toml" in e for e in r.get_json()["errors"])
    assert "The last edit was rejected" in c.get("/admin/", headers=headers).text
    ready = c.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["checks"]["patterns"]["rejected_edit_errors"]


def test_login_attempts_are_rate_limited(service_config) -> None:
    from plugin import create_app

    app = create_app({**service_config, "TESTING": True, "ADMIN_TOKEN": ADMIN, "LOGIN_RATE_LIMIT": "3 per minute"})
    c = app.test_client()
    token = csrf(c.get("/admin/login").text)
    codes = [c.post("/admin/login", data={"token": "guess", "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert c.post("/admin/login", data={"token": ADMIN, "csrf_token": token}).get_json()["error"] == "Too Many Requests"
    assert c.get("/admin/login").status_code == 200


def test_decision_page_shows_why_and_the_comment(admin, admin_app, fake_zendesk) -> None:
    from plugin.triage import Triage
    from plugin.zendesk import ZendeskClient

    rt = admin_app.extensions["amazon_triage"]
    fake_zendesk.add_ticket(31, "Amazon", "Amazon: The account connection timed out.")
    rt.store.record_delivery(Delivery(31, "trigger", "k31"))
    Triage(rt.settings, rt.store, rt.registry, ZendeskClient(rt.settings), schedule=lambda *a: None).run(31)
    html = admin.get("/admin/decisions").text
    assert 'href="/admin/decisions/31"' in html
    page = admin.get("/admin/decisions/31").text
    assert '<td id="status">done</td>' in page
    assert "matched “The account connection timed out”" in page
    assert "Internal note" in page and "15 minutes" in page
    assert admin.get("/admin/decisions/999").status_code == 404


def test_decision_page_says_which_patterns_ran_out_of_time(admin, admin_app) -> None:
    store = admin_app.extensions["amazon_triage"].store
    store.record_delivery(Delivery(32, "trigger", "k32"))
    store.finish(32, NO_MATCH, matched=[], timed_out=["connection_timeout", "fields/merchant_id"])
    page = admin.get("/admin/decisions/32").text
    assert 'id="timed-out"' in page and "<code>connection_timeout</code>, <code>fields/merchant_id</code>" in page
    store.record_delivery(Delivery(33, "trigger", "k33"))
    store.finish(33, NO_MATCH, matched=[], timed_out=[])
    assert 'id="timed-out"' not in admin.get("/admin/decisions/33").text

"""The admin pages through the real Flask app: access, CSRF, and what each page shows."""

from __future__ import annotations

import re

import pytest

from plugin.core.delivery import Delivery
from plugin.store import DEAD, DONE, NO_MATCH, QUEUED

ADMIN = "admin-token-for-tests"


@pytest.fixture
def admin_app(make_app):
    return make_app(ADMIN_TOKEN=ADMIN)


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
    for r in (client.get("/admin/"), client.post("/admin/api/reload")):
        assert "set ADMIN_TOKEN" in r.get_json()["message"], "say how to turn the pages on, not 'check your spelling'"


def test_login_is_required_and_checked(admin_app) -> None:
    c = admin_app.test_client()
    r = c.get("/admin/patterns")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    r = c.post("/admin/login", data={"token": "wrong", "csrf_token": csrf(c.get("/admin/login").text)})
    assert r.status_code == 401 and "not right" in r.text
    r = c.post("/admin/login?next=/admin/patterns", data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    assert r.headers["Location"].endswith("/admin/patterns")
    assert c.get("/admin/patterns").status_code == 200


def test_pages_name_an_empty_icon_so_browsers_ask_for_no_favicon(admin_app) -> None:
    page = admin_app.test_client().get("/admin/login").text
    assert '<link rel="icon" href="data:,">' in page and "{#" not in page


def test_login_form_needs_its_csrf_token(admin_app) -> None:
    r = admin_app.test_client().post("/admin/login", data={"token": ADMIN})
    assert r.status_code == 400 and r.mimetype == "text/html" and "The CSRF token is missing" in r.text


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
    assert re.search(r'<td data-label="Hits 24 h">1</td><td data-label="Hits 7 d">1</td><td data-label="Hits 30 d">1</td>', row)
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
    page = admin.get("/admin/decisions?status=done")
    assert page.status_code == 200 and page.status == "200 OK"  # the filter is not the HTTP status
    html = page.text
    assert 'href="https://acme.zendesk.com/agent/tickets/5"' in html and "tickets/6" not in html
    assert "tickets/6" in admin.get(f"/admin/decisions?status={QUEUED}").text
    assert admin.get("/admin/decisions?status=%ff&error=%25").status_code == 400  # refused filter, never a 500
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


def test_rejected_edit_is_shown_and_old_set_keeps_running(make_app, patterns_copy) -> None:
    app = make_app(ADMIN_TOKEN=ADMIN, PATTERNS_DIR=str(patterns_copy))
    c = app.test_client()
    headers = {"Authorization": f"Bearer {ADMIN}"}
    before = app.extensions["amazon_triage"].registry.fingerprint
    path = patterns_copy / "staging_mode.toml"
    path.write_text(path.read_text().replace("[[regex]]", "[[regexes]]", 1))
    r = c.post("/admin/api/reload", headers=headers)
    assert r.status_code == 422 and r.get_json()["fingerprint"] == before
    assert any("staging_mode.toml" in e for e in r.get_json()["errors"])
    # Only the English file's own problem: its language overlays stay quiet rather than burying the cause.
    assert [e for e in r.get_json()["errors"] if "i18n" in e] == []
    assert "The last edit was rejected" in c.get("/admin/", headers=headers).text
    ready = c.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["checks"]["patterns"]["rejected_edit_problems"] == 1
    # Unauthenticated: a count, never the paths or fragments of the rejected edit.
    assert "staging_mode" not in c.get("/readyz").text and str(patterns_copy) not in c.get("/readyz").text


def test_login_attempts_are_rate_limited(make_app) -> None:
    app = make_app(ADMIN_TOKEN=ADMIN, LOGIN_RATE_LIMIT="3 per minute")
    c = app.test_client()
    token = csrf(c.get("/admin/login").text)
    codes = [c.post("/admin/login", data={"token": "guess", "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    limited = c.post("/admin/login", data={"token": ADMIN, "csrf_token": token})
    assert limited.status_code == 429 and limited.mimetype == "text/html"  # a page for the person at the form, not JSON
    assert "Too many log-in attempts from this address: wait a minute" in limited.text and 'name="token"' in limited.text
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



def test_a_ticket_can_be_looked_up_and_an_unknown_one_says_what_that_means(admin) -> None:
    admin.application.extensions["amazon_triage"].store.record_delivery(Delivery(77, "trigger", "k77"))
    assert admin.get("/admin/find?ticket=%2377").headers["Location"] == "/admin/decisions/77"
    missing = admin.get("/admin/decisions/999")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "No decision for ticket #999" in missing.text and "amazon-triage backfill" in missing.text
    assert 'href="/admin/">Overview' in missing.text  # still inside the admin pages, not a bare JSON answer
    for bad in ("abc", "", "99999999999999999999", "9" * 5000, "0", "²"):
        r = admin.get("/admin/find", query_string={"ticket": bad})
        assert r.status_code == 302 and r.headers["Location"] == "/admin/decisions"
    assert "is not a ticket number" in admin.get("/admin/decisions").text


# --- issue 7: edges ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/admin/x\r\nSet-Cookie: a=b", "/admin\n", "//evil.example/admin", "https://evil.example/admin",
                                    "/admin/\\\\evil.example", "/admin/caf\u00e9"])
def test_login_next_only_goes_to_local_admin_paths(admin_app, target) -> None:
    c = admin_app.test_client()
    r = c.post("/admin/login", query_string={"next": target}, data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/"


def test_ids_beyond_64_bits_are_404(admin) -> None:
    assert admin.get(f"/admin/decisions/{2**63}").status_code == 404
    assert admin.get(f"/admin/decisions/{10**30}").status_code == 404
    page = admin.get("/admin/try").text
    assert admin.post(f"/admin/dead/{2**63}/retry", data={"csrf_token": csrf(page)}).status_code == 404


def test_a_page_with_unencodable_stored_text_still_renders(admin, admin_app) -> None:
    store = admin_app.extensions["amazon_triage"].store
    from plugin.core.delivery import Delivery, TicketFacts
    from plugin.intake import receive

    rt = admin_app.extensions["amazon_triage"]
    receive(Delivery(61, "trigger", "k61", TicketFacts(requester_first_name="Jo\ud800")), store, rt.queue)
    store.finish(61, DONE, matched=["generic_error"], update={"comment": "Hi Jo\ud800,", "tags": ["t\udc00"], "public": False})
    page = admin.get("/admin/decisions/61")
    assert page.status_code == 200 and "Hi Jo\ufffd," in page.text
    assert admin.get("/admin/decisions").status_code == 200


def test_logout_ends_the_session_on_the_server(admin_app) -> None:
    c = admin_app.test_client()
    c.post("/admin/login", data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    stolen = c.get_cookie("session").value
    assert c.get("/admin/").status_code == 200
    assert c.post("/admin/logout", data={"csrf_token": csrf(c.get("/admin/try").text)}).status_code == 302
    replay = admin_app.test_client()
    replay.set_cookie("session", stolen)
    r = replay.get("/admin/")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]


def test_the_cookie_holds_nothing_derived_from_the_token(admin_app) -> None:
    import base64
    import hashlib
    import zlib

    c = admin_app.test_client()
    c.post("/admin/login", data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    raw = c.get_cookie("session").value
    payload = raw.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(data) if raw.startswith(".") else data).decode()
    for digest in (hashlib.sha256(b"amazon-triage-admin:" + ADMIN.encode()).hexdigest(), ADMIN):
        assert digest not in text
    # And the key that signs it is not made from the token either.
    assert admin_app.secret_key != hashlib.sha256(b"amazon-triage-session:" + ADMIN.encode()).hexdigest()


def test_cookie_is_secure_over_https_and_behind_a_trusted_proxy(make_app) -> None:
    app = make_app(ADMIN_TOKEN=ADMIN)
    c = app.test_client()
    page = c.get("/admin/login", base_url="https://localhost").text
    r = c.post("/admin/login", base_url="https://localhost", data={"token": ADMIN, "csrf_token": csrf(page)},
               headers={"Referer": "https://localhost/admin/login"})
    assert "Secure" in r.headers["Set-Cookie"]
    proxied = make_app(ADMIN_TOKEN=ADMIN, TRUST_PROXY="1").test_client()
    fwd = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "localhost"}
    page = proxied.get("/admin/login", headers=fwd).text
    r = proxied.post("/admin/login", data={"token": ADMIN, "csrf_token": csrf(page)},
                     headers={**fwd, "Referer": "https://localhost/admin/login"})
    assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]
    plain = make_app(ADMIN_TOKEN=ADMIN).test_client()
    page = plain.get("/admin/login", headers=fwd).text
    r = plain.post("/admin/login", data={"token": ADMIN, "csrf_token": csrf(page)}, headers=fwd)
    assert "Secure" not in r.headers["Set-Cookie"]  # X-Forwarded-Proto is not trusted unless TRUST_PROXY is set


def test_admin_pages_cannot_be_framed_or_cached(admin) -> None:
    for path in ("/admin/", "/admin/login", "/admin/decisions"):
        r = admin.get(path)
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
    r = admin.post("/admin/api/reload", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.headers["Cache-Control"] == "no-store"


def test_a_new_admin_token_ends_older_sessions(make_app, tmp_path) -> None:
    first = make_app(ADMIN_TOKEN=ADMIN)
    c = first.test_client()
    c.post("/admin/login", data={"token": ADMIN, "csrf_token": csrf(c.get("/admin/login").text)})
    cookie = c.get_cookie("session").value
    assert c.get("/admin/").status_code == 200
    rotated = make_app(ADMIN_TOKEN="a-new-admin-token").test_client()  # same database and session key
    rotated.set_cookie("session", cookie)
    assert rotated.get("/admin/").status_code == 302


def test_decision_page_says_which_patterns_ran_out_of_time(admin, admin_app) -> None:
    store = admin_app.extensions["amazon_triage"].store
    store.record_delivery(Delivery(32, "trigger", "k32"))
    store.finish(32, NO_MATCH, matched=[], timed_out=["connection_timeout", "fields/merchant_id"])
    page = admin.get("/admin/decisions/32").text
    assert 'id="timed-out"' in page and "<code>connection_timeout</code>, <code>fields/merchant_id</code>" in page
    store.record_delivery(Delivery(33, "trigger", "k33"))
    store.finish(33, NO_MATCH, matched=[], timed_out=[])
    assert 'id="timed-out"' not in admin.get("/admin/decisions/33").text


def test_an_admin_form_without_its_csrf_token_answers_with_a_page(admin) -> None:
    r = admin.post("/admin/reload")  # e.g. a form left open across a restart with a new SECRET_KEY
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "That form was not accepted" in r.text and "Nothing was changed" in r.text

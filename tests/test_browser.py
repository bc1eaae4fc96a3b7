"""In a real browser (Debian's headless Chromium driven by Playwright): the admin pages and the sidebar app."""

from __future__ import annotations

import functools
import json
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from plugin.core.delivery import Delivery
from plugin.store import QUEUED

from .conftest import ROOT, make_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; CI does)", allow_module_level=True)

pytestmark = pytest.mark.slow
ADMIN, AGENT = "admin-browser-token", "agent-browser-token"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    # Only this machine: anything else is refused.
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("http://127.0.0.1", "data:"))
             else route.abort())
    yield pg
    context.close()


def serve_in_thread(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def live_app(service_config):
    from plugin import create_app

    app = create_app(settings=make_settings(service_config, ADMIN_TOKEN=ADMIN, AGENT_TOKEN=AGENT))
    server = serve_in_thread(app)
    app.config["BASE"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    server.server_close()


def log_in(page, base: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("Admin token").fill(ADMIN)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Overview").wait_for()


def test_admin_logs_in_and_tries_a_ticket(page, live_app) -> None:
    base = live_app.config["BASE"]
    page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url
    page.get_by_label("Admin token").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "That token is not right."
    log_in(page, base)
    page.get_by_role("link", name="Try it").click()
    page.get_by_label("Ticket text (plain text or HTML)").fill(
        "Hello, when I connect Amazon I get 'An eror has occured'. Merchant ID A2EUQ1WTGCTBG2, tried 3:15pm EST.")
    page.get_by_label("Requester's first name").fill("Sam")
    page.get_by_role("button", name="Try").click()
    mark = page.locator("#evidence mark")
    assert mark.count() == 1 and mark.inner_text() == "An eror has occured"
    assert mark.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert "generic_error" in page.locator("#matches").inner_text()
    assert "A2EUQ1WTGCTBG2" in page.locator("#fields").inner_text()
    comment = page.locator("#comment").inner_text()
    assert comment.startswith("Suggested reply (amazon-triage):") and "Hi Sam," in comment
    assert "amazon_escalation_ready" in page.locator("#tags").inner_text()


def test_admin_retries_a_dead_letter(page, live_app) -> None:
    rt = live_app.extensions["amazon_triage"]
    rt.store.record_delivery(Delivery(77, "trigger", "k77"))
    rt.store.claim(77, 60)
    rt.store.dead_letter(77, "update ticket 77: Zendesk answered 503", 6)
    base = live_app.config["BASE"]
    log_in(page, base)
    page.get_by_role("link", name="Dead letters").click()
    assert "Zendesk answered 503" in page.locator("table").inner_text()
    page.get_by_role("button", name="Retry ticket 77").click()
    assert page.get_by_role("status").first.inner_text() == "Ticket 77 is queued again."
    assert "No dead letters." in page.locator("table").inner_text()
    assert rt.store.decision(77).status == QUEUED


ZAF_STUB = """
window.__zaf = [];
window.ZAFClient = { init: function () { return {
  get: function (path) { __zaf.push(["get", path]); return Promise.resolve({"ticket.id": %(ticket)d}); },
  metadata: function () { return Promise.resolve({ settings: { service_url: %(service)s } }); },
  request: function (opts) {
    __zaf.push(["request", opts.url, opts.headers.Authorization, !!opts.secure]);
    var headers = { Authorization: opts.headers.Authorization.replace("{{setting.agent_token}}", %(token)s) };
    return fetch(opts.url, { headers: headers }).then(function (r) { return r.ok ? r.json() : Promise.reject({ status: r.status }); });
  },
  invoke: function (name, arg) { __zaf.push(["invoke", name, arg]); return Promise.resolve({}); }
}; } };
"""


@pytest.fixture
def app_page(page, live_app):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(ROOT / "zendesk_app"))
    handler.log_message = lambda *a: None
    static = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()

    def open_for(ticket: int, token: str = AGENT):
        stub = ZAF_STUB % {"ticket": ticket, "service": json.dumps(live_app.config["BASE"]), "token": json.dumps(token)}
        page.route("https://static.zdassets.com/**", lambda route: route.fulfill(body=stub, content_type="text/javascript"))
        page.goto(f"http://127.0.0.1:{static.server_port}/assets/iframe.html")
        return page

    yield open_for
    static.shutdown()
    static.server_close()


def test_sidebar_app_shows_the_suggestion_and_inserts_it(app_page, fake_zendesk) -> None:
    fake_zendesk.add_ticket(42, "Amazon", "Linking Amazon: The account connection timed out.", requester_name="Lee Smith")
    page = app_page(42)
    page.locator("#result").wait_for()
    assert "Account connection timed out" in page.locator("#errors").inner_text()
    assert page.locator("#errors q").inner_text() == "The account connection timed out"
    reply = page.locator("#reply").inner_text()
    assert reply.startswith("Hi Lee,") and "15 minutes" in reply
    assert page.locator("#escalation").is_hidden()
    page.get_by_role("button", name="Insert into reply").click()
    page.get_by_text("Inserted into the reply box.").wait_for()
    calls = page.evaluate("window.__zaf")
    assert ["invoke", "ticket.comment.appendText", reply] in calls
    [request] = [c for c in calls if c[0] == "request"]
    assert request[1].endswith("/api/suggest?ticket_id=42")
    assert request[2] == "Bearer {{setting.agent_token}}" and request[3] is True  # the token never reaches the page
    assert fake_zendesk.writes() == []


def test_sidebar_app_shows_the_escalation_checklist(app_page, fake_zendesk) -> None:
    fake_zendesk.add_ticket(43, "Amazon", "Connecting Amazon: An error has occurred. I cleared cookies.")
    page = app_page(43)
    page.locator("#result").wait_for()
    checklist = page.locator("#checklist").inner_text()
    assert "✓ Merchant cleared browser cache and cookies" in checklist
    assert "✗ Amazon merchant ID: MISSING" in checklist and "Do not escalate yet" in checklist


def test_sidebar_app_says_when_the_service_refuses(app_page, fake_zendesk) -> None:
    fake_zendesk.add_ticket(44, "Amazon", "x")
    page = app_page(44, token="wrong-token")
    page.get_by_text("Could not load the suggestion (HTTP 401).").wait_for()

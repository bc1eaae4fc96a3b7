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
  get: function (paths) { __zaf.push(["get", paths]); return Promise.resolve(%(ticket)s); },
  metadata: function () { return Promise.resolve({ settings: { service_url: %(service)s } }); },
  request: function (opts) {
    __zaf.push(["request", opts.url, opts.type, opts.headers.Authorization, !!opts.secure, JSON.parse(opts.data)]);
    var headers = { Authorization: opts.headers.Authorization.replace("{{setting.agent_token}}", %(token)s),
                    "Content-Type": opts.contentType };
    return fetch(opts.url, { method: opts.type, headers: headers, body: opts.data })
      .then(function (r) { return r.ok ? r.json() : Promise.reject({ status: r.status }); });
  },
  invoke: function (name, arg) { __zaf.push(["invoke", name, arg]); return Promise.resolve({}); }
}; } };
"""


def zaf_ticket(ticket_id: int, description: str, *, subject: str = "Amazon", name: str | None = "Lee Smith",
               agent_locale: str = "en-US", requester_locale: str | None = "en-US", comments: list | None = None) -> dict:
    """What the Apps framework gives the sidebar for the open ticket (ZAF property paths)."""
    return {"ticket.id": ticket_id, "ticket.subject": subject, "ticket.description": description,
            "ticket.createdAt": "2026-11-20T18:00:00Z", "ticket.requester.name": name,
            "ticket.requester.locale": requester_locale, "currentUser.locale": agent_locale,
            "ticket.comments": comments if comments is not None else [
                {"id": 1, "value": f"<p>{description}</p>", "author": {"id": 7, "role": "end-user"}}]}


def comment(cid: int, html: str, role: str = "end-user") -> dict:
    return {"id": cid, "value": html, "author": {"id": 7 if role == "end-user" else 9, "role": role}}


@pytest.fixture(scope="module")
def built_app(tmp_path_factory):
    """The sidebar app exactly as `amazon-triage zendesk app` ships it, unpacked."""
    from plugin.app_package.build import build, from_zip, read_source, to_zip

    package, report = build(read_source(ROOT / "zendesk_app"), "https://triage.acme.test")
    assert report.ok, report.errors
    target = tmp_path_factory.mktemp("zendesk_app")
    for rel, data in from_zip(to_zip(package)).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    return target


@pytest.fixture
def app_page(page, live_app, built_app):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(built_app))
    handler.log_message = lambda *a: None
    static = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()

    def open_for(ticket: dict, token: str = AGENT, width: int = 320):
        stub = ZAF_STUB % {"ticket": json.dumps(ticket), "service": json.dumps(live_app.config["BASE"]), "token": json.dumps(token)}
        page.set_viewport_size({"width": width, "height": 800})
        page.route("https://static.zdassets.com/**", lambda route: route.fulfill(body=stub, content_type="text/javascript"))
        page.goto(f"http://127.0.0.1:{static.server_port}/assets/iframe.html")
        return page

    yield open_for
    static.shutdown()
    static.server_close()


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_sidebar_app_shows_the_suggestion_and_inserts_it(app_page, fake_zendesk) -> None:
    page = app_page(zaf_ticket(42, "Linking Amazon: The account connection timed out."))
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
    assert request[1].endswith("/api/suggest") and request[2] == "POST"
    assert request[3] == "Bearer {{setting.agent_token}}" and request[4] is True  # the token never reaches the page
    assert request[5] == {"id": 42, "subject": "Amazon", "description": "Linking Amazon: The account connection timed out.",
                          "requester_name": "Lee Smith", "requester_locale": "en-US", "created_at": "2026-11-20T18:00:00Z"}
    assert fake_zendesk.calls() == []  # the suggestion cost the service no Zendesk call
    assert no_horizontal_overflow(page)
    shot(page, "sidebar-timeout")


def test_sidebar_app_shows_what_the_escalation_still_needs(app_page, fake_zendesk) -> None:
    page = app_page(zaf_ticket(43, "Connecting Amazon: An error has occurred. I cleared cookies."))
    page.locator("#result").wait_for()
    state = page.locator("#esc-state")
    assert state.inner_text() == ("Not ready: ask the merchant for the Amazon merchant ID and "
                                  "the time (with time zone) of the last attempt.")
    assert page.locator("#esc-merchant-id").inner_text() == "missing"
    checklist = page.locator("#checklist").inner_text()
    assert "✓ Merchant cleared browser cache and cookies" in checklist
    assert "✗ Amazon merchant ID: MISSING" in checklist
    assert fake_zendesk.calls() == []


def test_sidebar_app_shows_a_ready_escalation_with_merchant_id_and_utc_time(app_page) -> None:
    page = app_page(zaf_ticket(45, "Connecting Amazon: An error has occurred. Merchant ID A2EUQ1WTGCTBG2, "
                                   "last tried on 20 November 2026 at 3:15pm EST."))
    page.locator("#result").wait_for()
    assert page.locator("#esc-state").inner_text() == "Ready to escalate"
    assert page.locator("#esc-merchant-id").inner_text() == "A2EUQ1WTGCTBG2"
    assert page.locator("#esc-time").inner_text() == "20 November 2026 at 3:15pm EST = 2026-11-20 20:15 UTC"
    assert no_horizontal_overflow(page) and page.evaluate(OVERLAPS, ["#result > *", "dl > *", "#reply-box > *"]) == []
    shot(page, "sidebar-ready")


def test_sidebar_app_reads_the_requesters_later_replies(app_page) -> None:
    first = "Connecting Amazon: An error has occurred."
    page = app_page(zaf_ticket(48, first, comments=[
        comment(1, f"<p>{first}</p>"),
        comment(2, "<p>Suggested reply (amazon-triage): ask for merchant ID A9ZZZZZZZZZZZ9</p>", role="agent"),
        comment(3, "<div>My merchant ID is <b>A2EUQ1WTGCTBG2</b>.<script>window.__ran = 1</script></div>"),
    ]))
    page.locator("#result").wait_for()
    assert page.locator("#esc-merchant-id").inner_text() == "A2EUQ1WTGCTBG2"  # from the reply, not the agent's note
    assert page.locator("#esc-state").inner_text().startswith("Not ready: ask the merchant for the time")
    [request] = [c for c in page.evaluate("window.__zaf") if c[0] == "request"]
    assert request[5]["description"] == first + "\n\nMy merchant ID is A2EUQ1WTGCTBG2."
    assert page.evaluate("window.__ran") is None  # a comment's markup is only read, never run


def test_sidebar_app_waits_for_text(app_page) -> None:
    page = app_page(zaf_ticket(49, "", subject="", comments=[]))
    page.get_by_text("This ticket has no text yet.").wait_for()
    assert [c for c in page.evaluate("window.__zaf") if c[0] == "request"] == []


def test_sidebar_app_speaks_the_agents_language(app_page) -> None:
    page = app_page(zaf_ticket(46, "Connecting Amazon: An error has occurred.", agent_locale="de-CH"))
    page.locator("#result").wait_for()
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.get_by_role("button", name="In Antwort einfügen").is_visible()
    assert page.locator("#l-escalation").inner_text() == "Eskalation an Codisto"
    assert page.locator("#esc-state").inner_text().startswith("Nicht bereit")
    shot(page, "sidebar-de")
    page = app_page(zaf_ticket(46, "Connecting Amazon: An error has occurred.", agent_locale="ja"))
    page.locator("#result").wait_for()
    assert page.get_by_role("button", name="返信に挿入").is_visible()
    page = app_page(zaf_ticket(46, "Connecting Amazon: An error has occurred.", agent_locale="pt-BR"))
    page.locator("#result").wait_for()
    assert page.get_by_role("button", name="Insert into reply").is_visible()  # no Portuguese labels: English


def test_sidebar_app_says_when_nothing_matched(app_page) -> None:
    page = app_page(zaf_ticket(47, "Where is my invoice?"))
    page.get_by_text("No known Amazon connection error in this ticket.").wait_for()
    assert page.locator("#result").is_hidden()


def test_sidebar_app_says_when_the_service_refuses(app_page) -> None:
    page = app_page(zaf_ticket(44, "x"), token="wrong-token")
    page.get_by_text("Could not load the suggestion (HTTP 401).").wait_for()


# --- every admin page at a desktop and a phone width --------------------------------------------

WIDTHS = (1280, 390)
# Boxes that must not overlap their siblings (same parent), and what each page must show.
GROUPS = ["main > *", "header > *", "header nav li", ".cards > li", ".legend > li", ".filters > div",
          "table.stack tbody tr", "figure > *", ".pairs > *", "form > *"]
OVERLAPS = """(groups) => {
  const bad = [];
  for (const sel of groups) {
    const els = [...document.querySelectorAll(sel)].filter(e => {
      const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.position !== "absolute";
    });
    for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
      if (els[i].parentElement !== els[j].parentElement) continue;
      const a = els[i].getBoundingClientRect(), b = els[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) bad.push(sel + ": " + els[i].outerHTML.slice(0, 60) + " / " + els[j].outerHTML.slice(0, 60));
    }
  }
  return bad;
}"""
CLIPPED = """() => [...document.querySelectorAll("main *")].filter(e => {
  const s = getComputedStyle(e);
  return e.scrollWidth > e.clientWidth + 1 && !["auto", "scroll"].includes(s.overflowX) && s.overflowX !== "visible"
         && e.tagName !== "svg";
}).map(e => e.outerHTML.slice(0, 80))"""


def shot(page, name: str) -> None:
    """With SCREENSHOT_DIR set, keep a full-page screenshot to look at."""
    import os

    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def assert_laid_out(page, name: str) -> None:
    shot(page, name)
    assert no_horizontal_overflow(page), f"{name}: the page scrolls sideways"
    assert page.evaluate(OVERLAPS, GROUPS) == [], name
    assert page.evaluate(CLIPPED) == [], name


@pytest.fixture
def seeded_app(live_app):
    from .dashboard_seed import seed, seed_corrections

    rt = live_app.extensions["amazon_triage"]
    seed(rt.store)
    seed_corrections(rt.fstore)
    return live_app


ADMIN_PAGES = [
    ("overview", "/admin/", "Overview", ["#chart-per-day", "#chart-funnel", "#chart-reliability", "#latency", ".cards"]),
    ("patterns", "/admin/patterns", "Patterns", ["table"]),
    ("try", "/admin/try", "Try it", ["form"]),
    ("decisions", "/admin/decisions", "Decisions", ["#decisions tbody tr", "td[data-label=Evidence] q"]),
    ("decisions-missing", "/admin/decisions?escalation=missing&error=generic_error", "Decisions", ["#decisions .bad"]),
    ("decision", "/admin/decisions/1001", "Ticket #1001", ["#why", "#comment"]),
    ("decision-missing", "/admin/decisions/999", "Ticket #999", ["[role=alert]", "main ul"]),
    ("dead", "/admin/dead", "Dead letters", ["table"]),
    ("corrections", "/admin/corrections", "Agents' corrections", ["#stats tbody tr", "#recent tbody tr"]),
    ("missed", "/admin/missed", "Missed tickets", [".missed .source", ".missed button"]),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_admin_page_reads_well(page, seeded_app, width) -> None:
    base = seeded_app.config["BASE"]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/admin/login")
    assert_laid_out(page, f"admin-login-{width}")
    log_in(page, base)
    for name, path, heading, selectors in ADMIN_PAGES:
        page.goto(base + path)
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), name
        for selector in selectors:
            assert page.locator(selector).first.is_visible(), f"{name}: {selector}"
        assert_laid_out(page, f"admin-{name}-{width}")
    assert page.get_by_role("button", name="Log out").is_visible()
    # Try it with a result, the page admins use most.
    page.goto(f"{base}/admin/try")
    page.get_by_label("Ticket text (plain text or HTML)").fill("Connecting Amazon: An error has occurred. " * 3
                                                                + "Merchant ID A2EUQ1WTGCTBG2, tried 3:15pm EST.")
    page.get_by_role("button", name="Try").click()
    page.locator("#evidence mark").first.wait_for()
    assert_laid_out(page, f"admin-try-result-{width}")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Admin token").wait_for()
    page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url


def test_the_overview_charts_scale_to_the_screen(page, seeded_app) -> None:
    base = seeded_app.config["BASE"]
    log_in(page, base)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/admin/")
        main_width = page.evaluate("(() => { const m = document.querySelector('main'), s = getComputedStyle(m);"
                                   " return m.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); })()")
        box = page.locator("#chart-per-day").bounding_box()
        assert box["width"] == pytest.approx(min(main_width, 46 * 16), abs=2)  # the figure's max-width is 46rem
        assert box["height"] == pytest.approx(box["width"] * 300 / 720, abs=2)
        bars = page.locator("#chart-per-day rect")
        assert bars.count() >= 30 and bars.first.bounding_box()["height"] > 0


def test_decision_filters_work_in_the_browser(page, seeded_app) -> None:
    base = seeded_app.config["BASE"]
    log_in(page, base)
    page.get_by_role("link", name="Decisions").click()
    page.get_by_label("Error").select_option("generic_error")
    page.get_by_label("Escalation").select_option("ready")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#decisions tbody tr")
    assert rows.count() > 0
    for text in rows.all_inner_texts():
        assert "generic_error" in text and "ready" in text and "A2EUQ1WTGCTBG2" in text
    link = rows.first.get_by_role("link", name="in Zendesk")
    assert link.get_attribute("href").startswith("https://acme.zendesk.com/agent/tickets/")
    page.get_by_label("Received from").fill("2026-11-02")
    page.get_by_label("to", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Filter").click()
    assert "'from' is after 'to'" in page.get_by_role("alert").inner_text()

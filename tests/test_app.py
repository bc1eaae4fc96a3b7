"""The application factory itself: what it wires, and that it wires nothing else."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from plugin.web import extensions

from .conftest import ROOT


def test_factory_wires_blueprints_extensions_and_json_errors(app) -> None:
    assert set(app.blueprints) == {"webhook", "health", "admin", "admin_api", "agent"}
    assert app.extensions["amazon_triage"].settings.zendesk_subdomain == "acme"
    assert app.extensions["amazon_triage_web"].runtime is app.extensions["amazon_triage"]
    assert "csrf" in app.extensions
    with app.test_request_context():
        assert extensions.runtime() is app.extensions["amazon_triage"]
    r = app.test_client().get("/nope")
    assert r.status_code == 404 and r.get_json()["error"] == "Not Found"


def test_two_apps_do_not_share_state(make_app) -> None:
    one, two = make_app(), make_app(ADMIN_TOKEN="t")
    assert one.extensions["amazon_triage"] is not two.extensions["amazon_triage"]
    assert one.extensions["amazon_triage_web"].throttle is not two.extensions["amazon_triage_web"].throttle
    assert one.test_client().get("/admin/").status_code == 404
    assert two.test_client().get("/admin/").status_code == 302


def test_logging_is_configured_once(make_app) -> None:
    root = logging.getLogger()
    make_app()
    handlers = list(root.handlers)
    make_app()
    assert root.handlers == handlers


def test_blueprints_never_import_the_factory() -> None:
    """flaskr's rule: the factory imports the blueprints, never the other way round (no cycle)."""
    for path in sorted((ROOT / "plugin" / "web").glob("*.py")):
        if path.name == "app.py":
            continue
        tree = ast.parse(Path(path).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert "app" not in imported and "plugin.web.app" not in imported, path.name


def test_an_unexpected_error_is_a_json_500_without_details(app, caplog) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    app.testing = False
    r = app.test_client().get("/boom")
    assert r.status_code == 500 and r.get_json() == {"error": "Internal Server Error",
                                                     "message": "the request could not be processed"}
    assert "secret detail" not in r.text


def test_the_readme_address_answers_with_the_admin_pages_or_what_is_here(client, make_app) -> None:
    # README: "on http://127.0.0.1:8000"; opening it gave a 404 telling the admin to check the spelling.
    r = client.get("/")
    assert r.status_code == 200 and r.get_json()["webhook"] == "POST /webhooks/zendesk"
    assert "set ADMIN_TOKEN" in r.get_json()["admin"]
    with_admin = make_app(ADMIN_TOKEN="admin-token-for-tests").test_client().get("/")
    assert with_admin.status_code == 302 and with_admin.headers["Location"] == "/admin/"

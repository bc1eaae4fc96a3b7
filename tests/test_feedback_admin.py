"""/admin/corrections, /admin/missed and /admin/api/stats, as an admin sees them."""

from __future__ import annotations

from datetime import datetime, timezone

from plugin.core.corrections import Correction
from plugin.core.delivery import Delivery

from .test_admin import ADMIN, admin, admin_app, csrf  # noqa: F401  (fixtures)

WHEN = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)


def seed(app) -> None:
    rt = app.extensions["amazon_triage"]
    rt.store.record_delivery(Delivery(7, "trigger", "ticket:7"))
    rt.store.finish(7, "done", matched=["generic_error"], evidence=[{"error": "generic_error", "evidence": []}])
    rt.fstore.finish(7, 1, "seeded", found=[(Correction(7, "generic_error", "removed", WHEN, 777, ("An error",)), "", "")])
    rt.fstore.finish(8, 2, "seeded", found=[(Correction(8, "staging_mode", "added", WHEN, 777), "Amazon",
                                             "my seller account might still be in staging mode")])


def test_stats_need_the_bearer_token_and_count_corrections(admin_app) -> None:  # noqa: F811
    seed(admin_app)
    client = admin_app.test_client()
    assert client.get("/admin/api/stats").status_code == 401
    body = client.get("/admin/api/stats", headers={"Authorization": f"Bearer {ADMIN}"}).get_json()
    assert body["errors"]["generic_error"].items() >= {"matched": 1, "kept": 0, "removed_by_agents": 1, "added_by_agents": 0}.items()
    assert body["errors"]["staging_mode"]["added_by_agents"] == 1 and body["corrections"] == 2


def test_the_pages_show_the_counts_and_missed_tickets_can_be_tried(admin, admin_app) -> None:  # noqa: F811
    seed(admin_app)
    page = admin.get("/admin/corrections")
    assert page.status_code == 200 and "removed (we were wrong)" in page.text and "An error" in page.text
    missed = admin.get("/admin/missed")
    assert missed.status_code == 200 and "staging mode" in missed.text
    tried = admin.post("/admin/try", data={"csrf_token": csrf(missed.text), "subject": "Amazon",
                                           "description": "my seller account might still be in staging mode"})
    assert tried.status_code == 200 and "staging_mode" in tried.text


def test_without_corrections_the_page_says_its_figures_are_no_measurement_yet(admin, admin_app) -> None:  # noqa: F811
    rt = admin_app.extensions["amazon_triage"]
    rt.store.record_delivery(Delivery(9, "trigger", "ticket:9"))
    rt.store.finish(9, "done", matched=["staging_mode"], evidence=[{"error": "staging_mode", "evidence": []}])
    page = admin.get("/admin/corrections")
    assert page.status_code == 200 and 'id="no-corrections"' in page.text
    seed(admin_app)
    assert 'id="no-corrections"' not in admin.get("/admin/corrections").text

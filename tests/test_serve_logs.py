"""What a running `serve` writes to its log: no query strings, ticket text or secrets (issue 7)."""

from __future__ import annotations

import pytest
import requests

from .conftest import SECRET, signed_headers, trigger_body, wait_for

pytestmark = pytest.mark.slow


def test_the_log_keeps_paths_and_statuses_but_no_query_ticket_text_or_secret(service_config, start_server, fake_zendesk) -> None:
    proc, base = start_server({**service_config, "ADMIN_TOKEN": "admin-token-in-logs?"}, probe="/readyz?probe=QUERYMARK")
    text = "TICKETTEXTMARK Your account is not a Professional Amazon seller account"
    body = trigger_body(71, subject="Amazon", description=text)
    fake_zendesk.add_ticket(71, "Amazon", text)
    assert requests.post(f"{base}/webhooks/zendesk", data=body, headers=signed_headers(body), timeout=5).status_code == 202
    r = requests.get(f"{base}/admin/decisions?status=done",
                     headers={"Authorization": "Bearer admin-token-in-logs?"}, timeout=5)
    assert r.status_code == 200
    wait_for(lambda: len(fake_zendesk.writes(71)) == 1, timeout=30)
    proc.stop()
    log = proc.output()
    # The access log (logger plugin.access): method, path without its query, status, duration.
    assert "plugin.access: GET /readyz 200" in log and "plugin.access: POST /webhooks/zendesk 202" in log
    for leak in ("QUERYMARK", "TICKETTEXTMARK", SECRET, "admin-token-in-logs", service_config["ZENDESK_API_TOKEN"]):
        assert leak not in log, leak

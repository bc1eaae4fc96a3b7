"""The README's first-lines examples work as written: the unsigned delivery and the signing recipe."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from .conftest import ROOT, SECRET

README = (ROOT / "README.md").read_text()


def test_the_unsigned_example_delivery_is_accepted_in_dry_run(make_app) -> None:
    body = re.search(r"-d '(\{\"ticket\".*?\})'\n", README).group(1)
    client = make_app(ZENDESK_SUBDOMAIN="", ZENDESK_EMAIL="", ZENDESK_API_TOKEN="", ZENDESK_WEBHOOK_SECRET="").test_client()
    r = client.post("/webhooks/zendesk", data=body, headers={"Content-Type": "application/json"})
    assert json.loads(body)["ticket"]["id"] == "101"
    assert r.status_code == 202 and r.get_json() == {"status": "accepted", "ticket_id": 101}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the README's recipe uses openssl")
def test_the_signing_recipe_makes_a_signature_the_webhook_accepts(make_app) -> None:
    lines = [line.strip() for line in README.splitlines() if line.strip().startswith(("BODY=", "TS=", "SIG="))]
    assert [line.split("=", 1)[0] for line in lines] == ["BODY", "TS", "SIG"]
    script = "\n".join(lines) + '\nprintf "%s\\n%s\\n%s" "$TS" "$SIG" "$BODY"\n'
    out = subprocess.run(["bash", "-c", script], env={"ZENDESK_WEBHOOK_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True).stdout
    ts, sig, body = out.split("\n", 2)
    client = make_app().test_client()  # credentials and ZENDESK_WEBHOOK_SECRET=SECRET: signatures required
    headers = {"Content-Type": "application/json", "X-Zendesk-Webhook-Signature": sig,
               "X-Zendesk-Webhook-Signature-Timestamp": ts}
    r = client.post("/webhooks/zendesk", data=body.encode(), headers=headers)
    assert r.status_code == 202, r.get_json()
    headers["X-Zendesk-Webhook-Signature"] = sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")
    assert client.post("/webhooks/zendesk", data=body.encode(), headers=headers).status_code == 401

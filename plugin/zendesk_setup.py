"""`amazon-triage zendesk setup|status`: the webhook and trigger, created or updated idempotently.

Both are found again by name, so running setup twice changes nothing the second time. The signing
secret is written to the instance folder, where the service reads it when ZENDESK_WEBHOOK_SECRET
is not set, or printed once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenpy.lib.api_objects import Trigger, Webhook

from .core.models import MARKER_TAG
from .zendesk import ZendeskClient

WEBHOOK_NAME = "amazon-triage"
TRIGGER_TITLE = "amazon-triage: triage new tickets"
TRIGGER_BODY = {"ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.title}}",
                           "description": "{{ticket.description}}",
                           "requester_first_name": "{{ticket.requester.first_name}}"}}


def webhook_fields(url: str) -> dict[str, Any]:
    return {"name": WEBHOOK_NAME, "status": "active", "endpoint": url.rstrip("/") + "/webhooks/zendesk",
            "http_method": "POST", "request_format": "json", "subscriptions": ["conditional_ticket_events"],
            "description": "Amazon seller-account error triage (amazon-triage)"}


def trigger_fields(webhook_id: str) -> dict[str, Any]:
    return {
        "title": TRIGGER_TITLE, "active": True,
        "description": "Sends every new ticket to amazon-triage, once.",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"},
                               {"field": "current_tags", "operator": "not_includes", "value": MARKER_TAG}],
                       "any": []},
        "actions": [{"field": "notification_webhook", "value": [webhook_id, json.dumps(TRIGGER_BODY)]}],
    }


@dataclass
class SetupReport:
    lines: list[str] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    secret: str | None = None

    def plan(self, method: str, path: str, body: dict[str, Any]) -> None:
        self.planned.append({"method": method, "path": path, "body": body})


def _differs(current: Any, wanted: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        return json.loads(json.dumps(value, default=lambda o: o.to_dict() if hasattr(o, "to_dict") else str(o)))

    return any(norm(getattr(current, key, None)) != norm(value) for key, value in wanted.items())


def find_webhook(zendesk: ZendeskClient) -> Any | None:
    hooks = zendesk.call("list webhooks", lambda: list(zendesk.zenpy.webhooks.list(filter=WEBHOOK_NAME)))
    return next((h for h in hooks if getattr(h, "name", None) == WEBHOOK_NAME), None)


def find_trigger(zendesk: ZendeskClient) -> Any | None:
    triggers = zendesk.call("list triggers", lambda: list(zendesk.zenpy.triggers()))
    return next((t for t in triggers if getattr(t, "title", None) == TRIGGER_TITLE), None)


def setup(zendesk: ZendeskClient | None, url: str, dry_run: bool) -> SetupReport:
    """Create or update the webhook and the trigger; in dry run, only say which requests would be sent."""
    report = SetupReport()
    hook_fields = webhook_fields(url)
    hook = find_webhook(zendesk) if zendesk else None
    if hook is None:
        report.plan("POST", "/api/v2/webhooks", {"webhook": hook_fields})
        if not dry_run:
            assert zendesk is not None
            hook = zendesk.call("create webhook", zendesk.zenpy.webhooks.create, Webhook(**hook_fields))
            report.lines.append(f"webhook created: {hook.id} -> {hook_fields['endpoint']}")
    elif _differs(hook, hook_fields):
        report.plan("PUT", f"/api/v2/webhooks/{hook.id}", {"webhook": hook_fields})
        if not dry_run:
            zendesk.call("update webhook", zendesk.zenpy.webhooks.update, hook.id, Webhook(**hook_fields))  # type: ignore[union-attr]
            report.lines.append(f"webhook updated: {hook.id} -> {hook_fields['endpoint']}")
    else:
        report.lines.append(f"webhook unchanged: {hook.id} -> {hook_fields['endpoint']}")
    hook_id = hook.id if hook is not None else "<new webhook id>"
    wanted = trigger_fields(hook_id)
    trig = find_trigger(zendesk) if zendesk else None
    if trig is None:
        report.plan("POST", "/api/v2/triggers.json", {"trigger": wanted})
        if not dry_run:
            trig = zendesk.call("create trigger", zendesk.zenpy.triggers.create, Trigger(**wanted))  # type: ignore[union-attr]
            report.lines.append(f"trigger created: {trig.id} ({TRIGGER_TITLE})")
    elif _differs(trig, wanted):
        report.plan("PUT", f"/api/v2/triggers/{trig.id}.json", {"trigger": wanted})
        if not dry_run:
            zendesk.call("update trigger", zendesk.zenpy.triggers.update, Trigger(id=trig.id, **wanted))  # type: ignore[union-attr]
            report.lines.append(f"trigger updated: {trig.id} ({TRIGGER_TITLE})")
    else:
        report.lines.append(f"trigger unchanged: {trig.id} ({TRIGGER_TITLE})")
    if hook is not None and not dry_run and zendesk is not None:
        secret = zendesk.call("read webhook signing secret", zendesk.zenpy.webhooks.show_secret, hook.id)
        report.secret = getattr(secret, "secret", None)
    return report


def store_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)


def status(zendesk: ZendeskClient, secret_file: Path) -> list[str]:
    lines = []
    hook = find_webhook(zendesk)
    if hook is None:
        lines.append(f"webhook: none named {WEBHOOK_NAME!r} (run `amazon-triage zendesk setup --url https://HOST`)")
    else:
        lines.append(f"webhook: {hook.id} {getattr(hook, 'status', '?')} -> {getattr(hook, 'endpoint', '?')}")
    trig = find_trigger(zendesk)
    if trig is None:
        lines.append(f"trigger: none titled {TRIGGER_TITLE!r}")
    else:
        targets = [a.get("value", [None])[0] for a in (trig.actions or []) if isinstance(a, dict)
                   and a.get("field") == "notification_webhook"]
        points = "the webhook" if hook is not None and hook.id in targets else f"webhook(s) {targets}"
        lines.append(f"trigger: {trig.id} {'active' if trig.active else 'INACTIVE'}, notifies {points}")
    lines.append(f"signing secret file: {secret_file} {'present' if secret_file.exists() else 'absent'}")
    return lines

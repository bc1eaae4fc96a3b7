"""`amazon-triage zendesk setup|status`: the webhooks and trigger, created or updated idempotently.

Two webhooks, because Zendesk cannot connect an event-subscribed webhook to a trigger: "amazon-triage"
(trigger-connected: new tickets, through the trigger) and "amazon-triage-events" (subscribed to the
ticket events follow-ups need: comment added, tags changed). Each has its own signing secret. All are
found again by name, so running setup twice changes nothing the second time. The signing secrets are
written to the instance folder, where the service reads them when ZENDESK_WEBHOOK_SECRET /
ZENDESK_EVENTS_WEBHOOK_SECRET are not set, or printed once.
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
EVENTS_WEBHOOK_NAME = "amazon-triage-events"
EVENT_TYPES = ["zen:event-type:ticket.comment_added", "zen:event-type:ticket.tags_changed"]
TRIGGER_TITLE = "amazon-triage: triage new tickets"
TRIGGER_BODY = {"ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.title}}",
                           "description": "{{ticket.description}}",
                           "requester_first_name": "{{ticket.requester.first_name}}",
                           "requester_language": "{{ticket.requester.language}}",
                           "created_at": "{{ticket.created_at_with_timestamp}}"}}
"""created_at (ISO 8601, e.g. 2013-12-12T05:35Z, per Zendesk's placeholders reference) lets the overview time
tickets from their creation and lets "yesterday at 3pm" resolve against the day the ticket was written."""


def webhook_fields(url: str) -> dict[str, Any]:
    return {"name": WEBHOOK_NAME, "status": "active", "endpoint": url.rstrip("/") + "/webhooks/zendesk",
            "http_method": "POST", "request_format": "json", "subscriptions": ["conditional_ticket_events"],
            "description": "Amazon seller-account error triage (amazon-triage)"}


def events_webhook_fields(url: str) -> dict[str, Any]:
    return {"name": EVENTS_WEBHOOK_NAME, "status": "active", "endpoint": url.rstrip("/") + "/webhooks/zendesk",
            "http_method": "POST", "request_format": "json", "subscriptions": list(EVENT_TYPES),
            "description": "Follow-ups for amazon-triage: new comments and tag changes (amazon-triage)"}


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
    events_secret: str | None = None

    def plan(self, method: str, path: str, body: dict[str, Any]) -> None:
        self.planned.append({"method": method, "path": path, "body": body})


def _differs(current: Any, wanted: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        return json.loads(json.dumps(value, default=lambda o: o.to_dict() if hasattr(o, "to_dict") else str(o)))

    return any(norm(getattr(current, key, None)) != norm(value) for key, value in wanted.items())


def find_webhook(zendesk: ZendeskClient, name: str = WEBHOOK_NAME) -> Any | None:
    hooks = zendesk.call("list webhooks", lambda: list(zendesk.zenpy.webhooks.list(filter=name)))
    return next((h for h in hooks if getattr(h, "name", None) == name), None)


def _ensure_webhook(zendesk: ZendeskClient | None, wanted: dict[str, Any], dry_run: bool, report: SetupReport) -> Any | None:
    """Create, update or leave alone the webhook named ``wanted["name"]``; the webhook (None in a dry run)."""
    name = wanted["name"]
    hook = find_webhook(zendesk, name) if zendesk else None
    if hook is None:
        report.plan("POST", "/api/v2/webhooks", {"webhook": wanted})
        if not dry_run:
            assert zendesk is not None
            hook = zendesk.call(f"create webhook {name}", zendesk.zenpy.webhooks.create, Webhook(**wanted))
            report.lines.append(f"webhook created: {name} {hook.id} -> {wanted['endpoint']}")
    elif _differs(hook, wanted):
        report.plan("PUT", f"/api/v2/webhooks/{hook.id}", {"webhook": wanted})
        if not dry_run:
            zendesk.call(f"update webhook {name}", zendesk.zenpy.webhooks.update, hook.id, Webhook(**wanted))  # type: ignore[union-attr]
            report.lines.append(f"webhook updated: {name} {hook.id} -> {wanted['endpoint']}")
    else:
        report.lines.append(f"webhook unchanged: {name} {hook.id} -> {wanted['endpoint']}")
    return hook


def _secret(zendesk: ZendeskClient | None, hook: Any | None, dry_run: bool) -> str | None:
    if hook is None or dry_run or zendesk is None:
        return None
    secret = zendesk.call("read webhook signing secret", zendesk.zenpy.webhooks.show_secret, hook.id)
    return getattr(secret, "secret", None)


def find_trigger(zendesk: ZendeskClient) -> Any | None:
    triggers = zendesk.call("list triggers", lambda: list(zendesk.zenpy.triggers()))
    return next((t for t in triggers if getattr(t, "title", None) == TRIGGER_TITLE), None)


def setup(zendesk: ZendeskClient | None, url: str, dry_run: bool) -> SetupReport:
    """Create or update the webhooks and the trigger; in dry run, only say which requests would be sent."""
    report = SetupReport()
    hook = _ensure_webhook(zendesk, webhook_fields(url), dry_run, report)
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
    events = _ensure_webhook(zendesk, events_webhook_fields(url), dry_run, report)
    report.secret = _secret(zendesk, hook, dry_run)
    report.events_secret = _secret(zendesk, events, dry_run)
    return report


def events_secret_path(instance_path: str | Path) -> Path:
    """Where setup stores the events webhook's signing secret (read when ZENDESK_EVENTS_WEBHOOK_SECRET is unset)."""
    return Path(instance_path) / "events_webhook_secret"


def store_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)


def status(zendesk: ZendeskClient, secret_file: Path, events_secret_file: Path | None = None) -> list[str]:
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
    events = find_webhook(zendesk, EVENTS_WEBHOOK_NAME)
    if events is None:
        lines.append(f"events webhook: none named {EVENTS_WEBHOOK_NAME!r}: follow-ups (replies completing an "
                     "escalation, agents' corrections) are off until setup is run")
    else:
        subscribed = set(getattr(events, "subscriptions", None) or ())
        missing = [e for e in EVENT_TYPES if e not in subscribed]
        lines.append(f"events webhook: {events.id} {getattr(events, 'status', '?')} -> {getattr(events, 'endpoint', '?')}"
                     + (f", NOT subscribed to {' '.join(missing)}" if missing else ", comment added + tags changed"))
    lines.append(f"signing secret file: {secret_file} {'present' if secret_file.exists() else 'absent'}")
    if events_secret_file is not None:
        lines.append(f"events signing secret file: {events_secret_file} {'present' if events_secret_file.exists() else 'absent'}")
    return lines

"""parse_webhook on raw bytes, without Flask: one error type carrying the answer's status."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plugin.core.delivery import Delivery, TicketFacts
from plugin.web.payloads import Ignored, WebhookError, parse_webhook
from plugin.web.signature import sign

JSON = {"Content-Type": "application/json"}


def signed(body: bytes, secret: str = "s") -> dict[str, str]:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**JSON, "X-Zendesk-Webhook-Signature": sign(body, stamp, secret), "X-Zendesk-Webhook-Signature-Timestamp": stamp}


def test_trigger_body_gives_a_typed_delivery() -> None:
    body = b'{"ticket": {"id": "9", "subject": "S", "tags": "a b", "description": "{{ticket.description}}"}}'
    assert parse_webhook(signed(body), body, ("s",)) == Delivery(9, "trigger", "ticket:9", TicketFacts(subject="S", tags=("a", "b")))


def test_salvaged_template_and_ignored_event() -> None:
    body = b'{"ticket": {"id": "10", "description": "broken "quote""}}'
    assert parse_webhook(JSON, body) == Delivery(10, "trigger", "ticket:10")
    assert isinstance(parse_webhook(JSON, b'{"type": "zen:event-type:other", "detail": {}}'), Ignored)


@pytest.mark.parametrize(("headers", "body", "status"), [
    ({"Content-Type": "text/plain"}, b"{}", 415),
    (JSON, b'{"ticket": {"id": "1"}}', 401),
    (JSON, b"null", 400),
    (JSON, b"[" * 5000, 400),
])
def test_each_problem_is_one_error_type_with_its_status(headers, body, status) -> None:
    secrets = ("s",) if status == 401 else ()
    with pytest.raises(WebhookError) as caught:
        parse_webhook(headers, body, secrets)
    assert caught.value.status == status

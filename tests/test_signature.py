"""Fixed vectors for Zendesk's webhook signature (base64 HMAC-SHA256 of timestamp + body)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from plugin.web.signature import SignatureError, sign, verify

BODY = b'{"ticket": {"id": "35436"}}'
STAMP = "2026-11-26T10:00:00Z"
NOW = datetime(2026, 11, 26, 10, 1, tzinfo=timezone.utc)
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
# Computed independently: printf '%s%s' "$STAMP" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
KNOWN = "2kNvaE57pq6jT+PznrGYPFGeymMJ4NKPcYPZrsbWlYs="


def headers(signature: str = KNOWN, stamp: str = STAMP) -> dict[str, str]:
    return {"X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": stamp}


def test_known_vector() -> None:
    assert sign(BODY, STAMP, SECRET) == KNOWN
    verify(BODY, headers(), SECRET, now=NOW)


@pytest.mark.parametrize(
    ("body", "hdrs", "secret", "now", "reason"),
    [
        (BODY + b" ", headers(), SECRET, NOW, "does not match"),
        (BODY, headers(), "wrong-secret", NOW, "does not match"),
        (BODY, headers(), SECRET, NOW + timedelta(minutes=10), "away from now"),
        (BODY, headers(), SECRET, NOW - timedelta(minutes=10), "away from now"),
        (BODY, {}, SECRET, NOW, "missing"),
        (BODY, {"X-Zendesk-Webhook-Signature": KNOWN}, SECRET, NOW, "missing"),
        (BODY, headers(stamp="1700000000"), SECRET, NOW, "not an ISO-8601 time"),
        (BODY, headers(stamp="2026-11-26T10:00:00"), SECRET, NOW, "no time zone"),
        (BODY, headers(signature="not base64 at all é"), SECRET, NOW, "does not match"),
    ],
    ids=["tampered-body", "wrong-secret", "stale", "future", "no-headers", "no-timestamp", "unix-seconds",
         "naive-time", "garbage-signature"],
)
def test_rejections(body: bytes, hdrs: dict[str, str], secret: str, now: datetime, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(body, hdrs, secret, now=now)


def test_any_of_several_secrets() -> None:
    verify(BODY, headers(), ["rotated-out", SECRET], now=NOW)
    verify(BODY, headers(), (SECRET, "new"), now=NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify(BODY, headers(), ["a", "b"], now=NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify(BODY, headers(), [], now=NOW)

"""Prove a webhook call comes from Zendesk: HMAC-SHA256 over timestamp + raw body.

A pure function of (body, headers, secrets, now), after gidgethub and stripe-python: it runs on the
raw bytes before any JSON parsing and raises one exception type whose message is safe to return.
Several secrets may be valid at once (a rotation, or a trigger webhook and an event webhook).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


class SignatureError(Exception):
    """The call is not proven to be Zendesk's; the message names the reason."""


def sign(body: bytes, timestamp: str, secret: str) -> str:
    digest = hmac.digest(secret.encode("utf-8"), timestamp.encode("utf-8") + body, "sha256")  # one-shot, in C
    return base64.b64encode(digest).decode("ascii")


def parse_timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise SignatureError(f"{TIMESTAMP_HEADER} has no time zone")
    return moment


def verify(body: bytes, headers: Mapping[str, str], secrets: str | Iterable[str], now: datetime | None = None,
           tolerance_seconds: int = 300) -> None:
    """Raise SignatureError unless the signature is fresh and valid for one of the secrets."""
    candidates = [secrets] if isinstance(secrets, str) else [s for s in secrets if s]
    signature = headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    moment = parse_timestamp(timestamp)
    now = now or datetime.now(timezone.utc)
    skew = abs((now - moment).total_seconds())
    if skew > tolerance_seconds:
        raise SignatureError(f"signature timestamp is {skew:.0f} s away from now (limit {tolerance_seconds} s)")
    given = signature.strip().encode("utf-8", "replace")
    # Compare against every secret (no early exit), each in constant time.
    matches = [hmac.compare_digest(sign(body, timestamp, secret).encode("ascii"), given) for secret in candidates]
    if not any(matches):
        raise SignatureError("signature does not match")

"""Admin sessions kept server-side, in the store's database, so logging out ends them everywhere.

The cookie carries only a random session id (signed by Flask); the table keeps its SHA-256 and an
expiry. Nothing in the cookie is derived from the admin token, so a stolen cookie gives no way to
guess the token offline, and logging out (or the session's expiry) ends it for every process.
Each row also carries a tag of the admin token it was opened under (an HMAC keyed by the session
key, so the database holds nothing guessable either): a new ADMIN_TOKEN ends every older session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..store import admin_sessions


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class AdminSessions:
    def __init__(self, engine: Engine, lifetime_seconds: int = 8 * 3600, *, key: str = "", admin_token: str = "") -> None:
        self.engine = engine
        self.lifetime = timedelta(seconds=lifetime_seconds)
        self.token_tag = hmac.new(key.encode(), b"admin-token:" + admin_token.encode(), hashlib.sha256).hexdigest()

    def start(self) -> str:
        """A new session; returns its id, for the cookie. Expired sessions are swept here."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(admin_sessions.delete().where(admin_sessions.c.expires_at < now))
            conn.execute(admin_sessions.insert().values(id_hash=_hash(session_id), token_tag=self.token_tag, created_at=now,
                                                        expires_at=now + self.lifetime))
        return session_id

    def valid(self, session_id: object) -> bool:
        if not isinstance(session_id, str) or not 0 < len(session_id) <= 100:
            return False
        with self.engine.connect() as conn:
            expires = conn.execute(sa.select(admin_sessions.c.expires_at)
                                   .where(admin_sessions.c.id_hash == _hash(session_id))
                                   .where(admin_sessions.c.token_tag == self.token_tag)).scalar()
        return expires is not None and _aware(expires) > datetime.now(timezone.utc)

    def end(self, session_id: object) -> None:
        if isinstance(session_id, str):
            with self.engine.begin() as conn:
                conn.execute(admin_sessions.delete().where(admin_sessions.c.id_hash == _hash(session_id)))

    def end_all(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(admin_sessions.delete())

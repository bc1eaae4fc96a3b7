"""A month of decisions for the admin pages' tests: several errors, escalations in every state, retries, dead letters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from plugin.core.delivery import Delivery, TicketFacts
from plugin.store import DONE, NO_MATCH, dead_letters, decisions, utcnow

ERRORS = ("generic_error", "connection_timeout", "staging_mode", "under_review")
READY = {"required": True, "missing": [], "merchant_id": "A2EUQ1WTGCTBG2", "timestamp": "3:15pm EST",
         "timestamp_utc": "2026-11-20T20:15:00Z"}


def _backdate(store: Any, ticket_id: int, received: datetime, took: timedelta) -> None:
    with store.engine.begin() as conn:
        conn.execute(decisions.update().where(decisions.c.ticket_id == ticket_id).values(
            created_at=received, updated_at=received + took))


SEEDED = sum(day % 4 + 1 for day in range(30))
"""Triaged tickets seed() creates: 1 to 4 a day."""


def seed(store: Any, now: datetime | None = None) -> None:
    """Tickets 1000+ over the last 30 days; every fifth one is a generic error needing an escalation."""
    now = now or utcnow()
    ticket = 1000
    for day in range(30):
        for k in range(day % 4 + 1):
            ticket += 1
            error = ERRORS[(day + k) % len(ERRORS)]
            # On the day's own calendar date (the overview counts by UTC day): k hours earlier, unless
            # that crosses midnight (a run between 00:00 and 03:00 UTC), then k seconds after it.
            that_day = now - timedelta(days=day)
            midnight = that_day.replace(hour=0, minute=0, second=0, microsecond=0)
            received = max(that_day - timedelta(hours=k), midnight + timedelta(seconds=k))
            created = received - timedelta(seconds=20 + 7 * k)
            facts = TicketFacts(created_at=created.isoformat()) if k % 3 != 2 else TicketFacts()
            store.record_delivery(Delivery(ticket, "trigger", f"seed-{ticket}", facts))
            store.claim(ticket, 60)
            tags = [f"amazon_error_{error}", "amazon_triage_done"]
            escalation = None
            if error == "generic_error":
                if k % 2:
                    tags.append("amazon_escalation_ready")
                    escalation = READY
                else:
                    tags += ["amazon_escalation_missing_merchant_id", "amazon_escalation_missing_timestamp"]
                    escalation = {"required": True, "missing": ["merchant_id", "timestamp"], "merchant_id": None,
                                  "timestamp": None, "timestamp_utc": None}
            evidence = [{"error": error, "score": 0.97, "evidence": [
                {"regex": "banner", "text": "An error has occurred" if error == "generic_error" else error.replace("_", " "),
                 "start": 0, "end": 10, "score": 0.97}]}]
            update = {"tags": tags, "comment": "Suggested reply (amazon-triage): ...", "public": False,
                      **({"escalation": escalation} if escalation else {})}
            store.finish(ticket, DONE, matched=[error], evidence=evidence, update=update)
            _backdate(store, ticket, received, timedelta(seconds=3 + k * 40))
    # Unmatched tickets, a retried one, and dead letters.
    for t in (2001, 2002):
        store.record_delivery(Delivery(t, "trigger", f"seed-{t}"))
        store.claim(t, 60)
        store.finish(t, NO_MATCH, matched=[], evidence=[])
    store.record_delivery(Delivery(2003, "trigger", "seed-2003"))
    store.claim(2003, 60)
    store.retry_later(2003, now + timedelta(minutes=5), "update ticket 2003: Zendesk answered 503")
    store.claim(2003, 0)
    store.retry_later(2003, now + timedelta(minutes=5), "update ticket 2003: Zendesk answered 503")
    for t, days_ago in ((2004, 1), (2005, 6)):
        store.record_delivery(Delivery(t, "trigger", f"seed-{t}"))
        store.claim(t, 60)
        store.dead_letter(t, f"update ticket {t}: Zendesk answered 500 after 6 attempts", 6)
        with store.engine.begin() as conn:
            conn.execute(dead_letters.update().where(dead_letters.c.ticket_id == t).values(
                created_at=now - timedelta(days=days_ago)))
            conn.execute(decisions.update().where(decisions.c.ticket_id == t).values(
                created_at=now - timedelta(days=days_ago), attempts=6))


def seed_corrections(fstore: Any, now: datetime | None = None) -> None:
    """Agents' corrections for /admin/corrections and /admin/missed: one removed tag, one missed ticket with its text."""
    from plugin.core.corrections import Correction

    when = (now or utcnow()) - timedelta(hours=2)
    fstore.finish(1001, 1, "seeded", found=[(Correction(1001, "generic_error", "removed", when, 90210,
                                                         ("An error has occurred",)), "", "")])
    fstore.finish(3001, 2, "seeded", found=[(Correction(3001, "staging_mode", "added", when, 90210), "Amazon channel",
                                             "Connecting the Amazon channel in my Shopify store, it says my seller "
                                             "account might still be in stagging mode. Merchant token A2EUQ1WTGCTBG2.")])


__all__ = ["ERRORS", "SEEDED", "seed", "seed_corrections"]

"""The background use case: one queued ticket becomes at most one Zendesk write.

Ports come in as arguments (store, Zendesk client or None in dry run, pattern registry, a scheduler),
so tests drive it with real SQLite and the fake Zendesk, and the queue adapter stays thin.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .config import Settings
from .core.classify import Classification, classify
from .core.decide import DecisionSettings
from .core.tickets import TicketDataError, ticket_from_mapping
from .metrics import count_classification
from .registry import PatternRegistry
from .store import DONE, DRY_RUN, NO_MATCH, SKIPPED, Store, utcnow
from .zendesk import (
    Conflict,
    Permanent,
    RateLimited,
    TicketState,
    Transient,
    ZendeskClient,
)

log = logging.getLogger(__name__)
MAX_CONFLICTS = 3
Schedule = Callable[[int, float], None]


@dataclass(frozen=True)
class Outcome:
    ticket_id: int
    status: str
    detail: str = ""


def backoff(attempt: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter around the nominal delay."""
    nominal = min(settings.backoff_max_seconds, settings.backoff_seconds * 2 ** max(0, attempt - 1))
    return nominal * (0.5 + (rng or random).random())


class Triage:
    def __init__(self, settings: Settings, store: Store, registry: PatternRegistry,
                 zendesk: ZendeskClient | None, schedule: Schedule, decision: DecisionSettings = DecisionSettings()) -> None:
        self.settings, self.store, self.registry, self.zendesk = settings, store, registry, zendesk
        self.schedule, self.decision = schedule, decision
        self._me: int | None = None

    def _my_user_id(self) -> int | None:
        if self.zendesk is not None and self._me is None:
            try:
                self._me = self.zendesk.me_id()
            except (Transient, Permanent, RateLimited):
                return None
        return self._me

    def run(self, ticket_id: int) -> Outcome:
        row = self.store.claim(ticket_id, self.settings.lease_seconds)
        if row is None:
            return Outcome(ticket_id, "skipped", "already handled or being handled")
        delivery = self.store.delivery(row.delivery_id)
        payload = delivery["payload"] if delivery else {}
        try:
            outcome = self._work(ticket_id, payload, retrying=row.attempts > 1)
        except RateLimited as exc:
            delay = exc.retry_after if exc.retry_after is not None else backoff(row.attempts, self.settings)
            return self._again(ticket_id, row.attempts, str(exc), delay, count_attempt=False)
        except Transient as exc:
            return self._again(ticket_id, row.attempts, str(exc), backoff(row.attempts, self.settings))
        except Permanent as exc:
            self.store.dead_letter(ticket_id, str(exc), row.attempts)
            log.error("ticket %s dead-lettered: %s", ticket_id, exc)
            return Outcome(ticket_id, "dead", str(exc))
        except Exception as exc:  # a bug must not lose the ticket: retry, then dead-letter
            log.exception("ticket %s: unexpected %s", ticket_id, type(exc).__name__)
            return self._again(ticket_id, row.attempts, f"internal error: {type(exc).__name__}", backoff(row.attempts, self.settings))
        log.info("ticket %s: %s %s", ticket_id, outcome.status, outcome.detail)
        return outcome

    def _again(self, ticket_id: int, attempts: int, error: str, delay: float, count_attempt: bool = True) -> Outcome:
        if count_attempt and attempts >= self.settings.max_attempts:
            self.store.dead_letter(ticket_id, error, attempts)
            log.error("ticket %s dead-lettered after %d attempts: %s", ticket_id, attempts, error)
            return Outcome(ticket_id, "dead", error)
        self.store.retry_later(ticket_id, utcnow() + timedelta(seconds=delay), error)
        self.schedule(ticket_id, delay)
        log.warning("ticket %s: %s; retrying in %.1f s", ticket_id, error, delay)
        return Outcome(ticket_id, "retry", error)

    def _classify(self, data: dict[str, Any]) -> Classification:
        ticket = ticket_from_mapping(data)
        result = classify(ticket, self.registry.current(), self.decision)
        count_classification(result)
        return result

    def _finish_skipped(self, ticket_id: int, status: str, detail: str) -> Outcome:
        self.store.finish(ticket_id, status, last_error=detail)
        return Outcome(ticket_id, status, detail)

    def _work(self, ticket_id: int, payload: dict[str, Any], retrying: bool = False) -> Outcome:
        data = {"id": ticket_id, **payload.get("ticket", {})}
        state: TicketState | None = None
        if not (data.get("subject") or data.get("description")):
            if self.zendesk is None:
                return self._finish_skipped(ticket_id, SKIPPED,
                                            "payload has no ticket text and there are no Zendesk credentials to fetch it")
            state = self.zendesk.ticket(ticket_id)
            data.update(subject=state.subject, description=state.description, tags=list(state.tags),
                        created_at=state.created_at)
        marker = self.decision.marker_tag
        if marker in data.get("tags", ()):
            # On a retry the marker is most likely our own write that landed after our side timed out.
            if retrying:
                return self._finish_skipped(ticket_id, DONE, "an earlier attempt had landed")
            return self._finish_skipped(ticket_id, SKIPPED, f"already carries {marker}")
        actors = payload.get("actor_ids") or ()
        if actors and self._my_user_id() in actors:
            return self._finish_skipped(ticket_id, SKIPPED, "created by our own API user")
        try:
            result = self._classify(data)
        except TicketDataError as exc:
            return self._finish_skipped(ticket_id, SKIPPED, str(exc))
        fingerprint = self.registry.fingerprint
        if result.update.is_empty:
            self.store.finish(ticket_id, NO_MATCH, errors=[], evidence=[], patterns=fingerprint)
            return Outcome(ticket_id, NO_MATCH)
        errors = list(result.update.errors)
        evidence = result.to_json()["matches"]
        if self.settings.dry_run:
            self.store.finish(ticket_id, DRY_RUN, errors=errors, evidence=evidence,
                              update=self._record(result, None), patterns=fingerprint)
            log.info("DRY RUN ticket %s: would add tags %s and one %s comment", ticket_id,
                     " ".join(result.update.tags), "public" if result.update.public else "internal")
            return Outcome(ticket_id, DRY_RUN, " ".join(errors))
        written = self._write(ticket_id, data, result, state)
        if written is None:
            self.store.finish(ticket_id, DONE, errors=errors, evidence=evidence,
                              last_error=f"{marker} was already set", patterns=fingerprint)
            return Outcome(ticket_id, DONE, "marker already present: nothing written")
        self.store.finish(ticket_id, DONE, errors=errors, evidence=evidence, update=written, patterns=fingerprint)
        return Outcome(ticket_id, DONE, " ".join(errors))

    def _write(self, ticket_id: int, data: dict[str, Any], result: Classification,
               state: TicketState | None) -> dict[str, Any] | None:
        """One safe update (re-read on 409); None when the ticket already carries our marker."""
        assert self.zendesk is not None
        macro_bodies = {mid: self.zendesk.macro_comment(ticket_id, mid) for mid in result.update.macro_ids}
        for _ in range(MAX_CONFLICTS):
            state = state or self.zendesk.ticket(ticket_id)
            if self.decision.marker_tag in state.tags:
                return None
            if not data.get("requester_first_name") and state.requester_id:
                name = self.zendesk.first_name(state.requester_id)
                if name:
                    data["requester_first_name"] = name
                    result = self._classify(data)
            tags = list(dict.fromkeys([*state.tags, *result.update.tags]))
            try:
                self.zendesk.update(ticket_id, body=result.update.comment(macro_bodies), public=result.update.public,
                                    tags=tags, updated_stamp=state.updated_at)
            except Conflict:
                state = None
                continue
            return self._record(result, macro_bodies, tags)
        raise Transient(f"ticket {ticket_id} kept changing under us ({MAX_CONFLICTS} conflicts in a row)")

    @staticmethod
    def _record(result: Classification, macro_bodies: dict[int, str] | None, tags: list[str] | None = None) -> dict[str, Any]:
        update = result.update.to_json()
        update["comment"] = result.update.comment(macro_bodies)
        update["escalation"] = result.escalation.to_json()
        if tags is not None:
            update["sent_tags"] = tags
        return update


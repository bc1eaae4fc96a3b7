"""The background use case: one queued ticket becomes at most one Zendesk write.

Each attempt is gather -> decide -> write -> record: claim the ticket (one store read, which brings
the typed delivery), gather the text (payload, or one ticket read) and, best-effort, the requester's
first name and macro texts; ask the pure core (``core.plan``) whether to skip or what to write; make
one safe write (re-read and re-plan on 409); record the decision once.

Ports come in as arguments (store, Zendesk client or None in dry run, pattern registry, a scheduler),
so tests drive it with real SQLite and the fake Zendesk, and the queue adapter stays thin.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

from .config import Settings
from .core.classify import Classification, classify
from .core.decide import DecisionSettings
from .core.delivery import Delivery
from .core.plan import DONE, Rules, Seen, Skip, Write, plan
from .core.tickets import TicketDataError, ticket_from_mapping
from .logs import bind_delivery
from .registry import PatternRegistry
from .store import Store, utcnow
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
TIMEOUT_RETRIES = 2
"""How many more tries a ticket gets when a pattern ran out of time on it, before what was found is used:
a time-out usually means a starved machine (a burst, a reload), and a later try finds it quieter,
while a suggestion written from a partial result would miss an error (or post an incomplete reply)."""
Schedule = Callable[[int, float], None]
NO_TEXT = "payload has no ticket text and there are no Zendesk credentials to fetch it"
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    ticket_id: int
    status: str
    detail: str = ""
    timed_out: tuple[str, ...] = ()
    """Patterns that ran out of time on an attempt put off for that reason (metrics count them)."""


class _TimedOut(Exception):
    """A pattern ran out of time on this attempt: try the ticket again later rather than act on part of it."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        super().__init__(f"pattern(s) {', '.join(patterns)} ran out of time")
        self.patterns = patterns


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

    def run(self, ticket_id: int) -> Outcome:
        claim = self.store.claim(ticket_id, self.settings.lease_seconds)
        if claim is None:
            return Outcome(ticket_id, "skipped", "already handled or being handled")
        row = claim.row
        delivery = claim.delivery or Delivery(ticket_id, "trigger", f"ticket:{ticket_id}")
        bind_delivery(delivery.dedupe_key)
        try:
            outcome = self._attempt(delivery, attempt=row.attempts)
        except _TimedOut as exc:
            delay = backoff(row.attempts, self.settings)
            return replace(self._again(ticket_id, row.attempts, str(exc), delay), timed_out=exc.patterns)
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

    def _rules(self) -> Rules:
        return Rules(self.registry.current(), self.decision, dry_run=self.settings.dry_run)

    # --- gather -------------------------------------------------------------------------

    def _attempt(self, delivery: Delivery, attempt: int) -> Outcome:
        ticket_id, facts = delivery.ticket_id, delivery.ticket
        state = self.zendesk.ticket(ticket_id) if not facts.has_text and self.zendesk is not None else None
        seen = Seen(tags=state.tags if state else (facts.tags or ()), retrying=attempt > 1,
                    own_user=self._own_user(delivery.actor_ids), first_name=facts.requester_first_name,
                    problem="" if state or facts.has_text else NO_TEXT)
        rules = self._rules()
        classification = None
        if not seen.problem:
            data: dict[str, Any] = {"id": ticket_id, **facts.to_json()}
            if state is not None:
                data.update(subject=state.subject, description=state.description, tags=list(state.tags),
                            created_at=state.created_at)
            try:
                classification = classify(ticket_from_mapping(data), rules.patterns, self.decision,
                                          self.settings.detect_options)
            except TicketDataError as exc:
                seen = replace(seen, problem=str(exc))
            if classification is not None and classification.timed_out and attempt <= min(TIMEOUT_RETRIES, self.settings.max_attempts - 1):
                raise _TimedOut(classification.timed_out)
        decision = plan(seen, classification, rules)
        macro_texts: dict[int, str] | None = None
        if isinstance(decision, Write) and decision.status == DONE:
            assert classification is not None
            decision, macro_texts = self._write(ticket_id, seen, classification, state, rules)
        return self._record(ticket_id, decision, classification, macro_texts)

    def _own_user(self, actor_ids: tuple[int, ...]) -> bool:
        if not actor_ids or self.zendesk is None:
            return False
        if self._me is None:
            self._me = self._optional("current user", self.zendesk.me_id)
        return self._me is not None and self._me in actor_ids

    def _optional(self, what: str, read: Callable[[], T]) -> T | None:
        """A read the triage can do without: on failure, log (no ticket text) and carry on without it."""
        try:
            return read()
        except (Permanent, Transient, RateLimited) as exc:
            log.warning("optional read failed, going on without it: %s (%s)", what, exc)
            return None

    # --- write --------------------------------------------------------------------------

    def _write(self, ticket_id: int, seen: Seen, classification: Classification, state: TicketState | None,
               rules: Rules) -> tuple[Skip | Write, dict[int, str]]:
        """One safe update, re-read and re-planned on 409; a Skip when the ticket now carries the marker."""
        zendesk = self.zendesk
        assert zendesk is not None
        macro_texts: dict[int, str] = {}
        for macro_id in classification.update.macro_ids:
            text = self._optional(f"macro {macro_id}", lambda m=macro_id: zendesk.macro_comment(ticket_id, m))
            if text:
                macro_texts[macro_id] = text
        name_read = seen.first_name is not None
        for _ in range(MAX_CONFLICTS):
            state = state or zendesk.ticket(ticket_id)
            if not name_read and state.requester_id:
                name_read = True
                seen = replace(seen, first_name=self._optional(f"requester {state.requester_id}",
                                                               lambda uid=state.requester_id: zendesk.first_name(uid)))
            seen = replace(seen, tags=state.tags)
            decision = plan(seen, classification, rules)
            if isinstance(decision, Skip):
                return decision, macro_texts
            try:
                zendesk.update(ticket_id, body=decision.update.comment(macro_texts), public=decision.update.public,
                               tags=list(decision.tags), updated_stamp=state.updated_at)
            except Conflict:
                state = None
                continue
            return decision, macro_texts
        raise Transient(f"ticket {ticket_id} kept changing under us ({MAX_CONFLICTS} conflicts in a row)")

    # --- record -------------------------------------------------------------------------

    def _record(self, ticket_id: int, decision: Skip | Write, classification: Classification | None,
                macro_texts: dict[int, str] | None) -> Outcome:
        facts: dict[str, Any] = {}
        if classification is not None:
            facts = {"matched": list(classification.update.matched), "evidence": classification.to_json()["matches"],
                     "patterns": self.registry.fingerprint, "timed_out": list(classification.timed_out)}
            if classification.timed_out:
                log.warning("ticket %s: pattern(s) %s ran out of time; their matches may be missing",
                            ticket_id, ", ".join(classification.timed_out))
        if isinstance(decision, Skip):
            self.store.finish(ticket_id, decision.status, last_error=decision.reason or None, **facts)
            return Outcome(ticket_id, decision.status, decision.reason)
        update = decision.update.to_json()
        update["comment"] = decision.update.comment(macro_texts)
        update["escalation"] = classification.escalation.to_json() if classification else None
        if macro_texts is not None:
            update["sent_tags"] = list(decision.tags)
        else:
            log.info("DRY RUN ticket %s: would add tags %s and one %s comment", ticket_id,
                     " ".join(decision.update.tags), "public" if decision.update.public else "internal")
        self.store.finish(ticket_id, decision.status, update=update, **facts)
        return Outcome(ticket_id, decision.status, " ".join(decision.update.matched))

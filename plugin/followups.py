"""The follow-up use case: a ticket's new deliveries (comments, tag changes) become at most one write.

Gather (the deliveries since the last run; the new comments in one read, only when the tags say a
comment could matter), decide (``core.followup.follow_up``, ``core.corrections.corrections``), write
once (safe update; a 409 re-reads the ticket and decides again, which is also what makes a retry
after a lost answer write nothing), record once. Our own API user's changes never cause a read or a
write.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .config import Settings
from .core.changes import COMMENT, TAGS
from .core.corrections import Correction, corrections
from .core.decide import DecisionSettings
from .core.followup import FollowupState, FollowupUpdate, flagged_missing, follow_up, state_after_triage
from .followup_store import FollowupStore, Pending
from .registry import PatternRegistry
from .store import PROCESSING, QUEUED, RETRY, Store, utcnow
from .zendesk import Conflict, Permanent, RateLimited, Transient, ZendeskClient
from .zendesk_followup import FollowupReader

log = logging.getLogger(__name__)
MAX_CONFLICTS = 3
Schedule = Callable[[int, float], None]


@dataclass(frozen=True)
class FollowupOutcome:
    ticket_id: int
    status: str
    detail: str = ""


class FollowUp:
    def __init__(self, settings: Settings, store: Store, fstore: FollowupStore, registry: PatternRegistry,
                 zendesk: ZendeskClient | None, schedule: Schedule, decision: DecisionSettings = DecisionSettings()) -> None:
        self.settings, self.store, self.fstore, self.registry = settings, store, fstore, registry
        self.zendesk, self.schedule, self.decision = zendesk, schedule, decision
        self.reader = FollowupReader(zendesk) if zendesk is not None else None
        self._me: int | None = None

    def me(self) -> int | None:
        if self.zendesk is not None and self._me is None:
            try:
                self._me = self.zendesk.me_id()
            except (Transient, Permanent, RateLimited):
                return None
        return self._me

    def run(self, ticket_id: int) -> FollowupOutcome:
        row = self.fstore.claim(ticket_id, self.settings.lease_seconds)
        if row is None:
            return FollowupOutcome(ticket_id, "skipped", "no follow-up due, or another worker has it")
        pending = self.fstore.pending(ticket_id, row.handled_delivery_id)
        handled = max([row.handled_delivery_id, *(p.delivery_id for p in pending)])
        try:
            outcome, state, update, wrote, found = self._work(ticket_id, row.state, pending)
        except RateLimited as exc:
            delay = exc.retry_after if exc.retry_after is not None else self._backoff(row.attempts)
            return self._again(ticket_id, str(exc), delay)
        except Transient as exc:
            if row.attempts >= self.settings.max_attempts:
                return self._give_up(ticket_id, handled, f"{exc} (after {row.attempts} attempts)")
            return self._again(ticket_id, str(exc), self._backoff(row.attempts))
        except Permanent as exc:
            return self._give_up(ticket_id, handled, str(exc))
        except Exception as exc:  # a bug must not lose the deliveries: they stay pending for a retry
            log.exception("ticket %s follow-up: unexpected %s", ticket_id, type(exc).__name__)
            if row.attempts >= self.settings.max_attempts:
                return self._give_up(ticket_id, handled, f"internal error: {type(exc).__name__}")
            return self._again(ticket_id, f"internal error: {type(exc).__name__}", self._backoff(row.attempts))
        delivery_of = {(c.error, c.kind): d for c, d in found}
        again = self.fstore.finish(ticket_id, handled, outcome, state, update, wrote,
                                   [(c, *self._text(pending, d)) for c, d in found], delivery_of)
        log.info("ticket %s follow-up: %s", ticket_id, outcome)
        if again:
            self.schedule(ticket_id, 0)
        return FollowupOutcome(ticket_id, "written" if wrote else "nothing", outcome)

    @staticmethod
    def _text(pending: list[Pending], delivery_id: int) -> tuple[str, str]:
        change = next((p.change for p in pending if p.delivery_id == delivery_id), None)
        return (change.subject, change.description) if change else ("", "")

    def _backoff(self, attempt: int) -> float:
        nominal = min(self.settings.backoff_max_seconds, self.settings.backoff_seconds * 2 ** max(0, attempt - 1))
        return nominal * (0.5 + random.random())

    def _again(self, ticket_id: int, error: str, delay: float) -> FollowupOutcome:
        self.fstore.retry_later(ticket_id, utcnow() + timedelta(seconds=delay), error)
        self.schedule(ticket_id, delay)
        log.warning("ticket %s follow-up: %s; retrying in %.1f s", ticket_id, error, delay)
        return FollowupOutcome(ticket_id, "retry", error)

    def _give_up(self, ticket_id: int, handled: int, error: str) -> FollowupOutcome:
        """A permanent failure (the ticket was deleted...): logged and recorded; the deliveries stay stored."""
        log.warning("ticket %s follow-up dropped: %s", ticket_id, error)
        if self.fstore.finish(ticket_id, handled, f"dropped: {error}"):
            self.schedule(ticket_id, 0)
        return FollowupOutcome(ticket_id, "dropped", error)

    # --- gather, decide, write ------------------------------------------------------------------

    def _work(self, ticket_id: int, remembered: FollowupState | None, pending: list[Pending]
              ) -> tuple[str, FollowupState | None, dict[str, Any] | None, bool, list[tuple[Correction, int]]]:
        if not pending:
            return "no new deliveries", remembered, None, False, []
        me = self.me()
        decision = self.store.decision(ticket_id)
        if decision is None:
            return ("a follow-up for a ticket we never saw: ignored (tickets created while we were away are "
                    "found by the reconciliation)"), remembered, None, False, []
        if decision.status in (QUEUED, RETRY, PROCESSING):
            raise Transient(f"the ticket's first triage is still {decision.status}")
        state = remembered or state_after_triage(ticket_id, decision.matched, (decision.update or {}).get("escalation"))
        others = [p for p in pending if me is None or p.change.actor_id != me]
        found = self._corrections(ticket_id, state, decision, [p for p in others if p.change.kind == TAGS], me)
        notes = [f"{len(found)} correction(s)"] if found else []
        if len(others) < len(pending):
            notes.append(f"{len(pending) - len(others)} change(s) by our own API user ignored")
        comments = [p for p in others if p.change.kind == COMMENT]
        latest = pending[-1].change
        tags = next((p.change.tags for p in reversed(pending) if p.change.tags is not None), None)
        if not comments:
            return "; ".join(notes or ["nothing to do"]), state, None, False, found
        if tags is not None and not self._could_matter(tags):
            return "; ".join([*notes, "new comment(s) on a ticket needing nothing more"]), state, None, False, found
        if self.reader is None:
            return "; ".join([*notes, "no Zendesk credentials: comments not read"]), state, None, False, found
        read = self.reader.comments_since(ticket_id, state.last_comment_id, me)
        if not read.complete:
            notes.append(f"read only the newest {len(read.comments)} comments")
        stamp = latest.updated_at
        for _ in range(MAX_CONFLICTS):
            if tags is None or stamp is None:
                current = self.zendesk.ticket(ticket_id)  # type: ignore[union-attr]
                tags, stamp = list(current.tags), current.updated_at
            result = follow_up(state, tags, read.comments, self.registry.current(), me, settings=self.decision,
                               options=self.settings.detect_options)
            if not result.update.write:
                return "; ".join([*notes, result.reason]), result.state, None, False, found
            if self.settings.dry_run:
                log.info("DRY RUN ticket %s: follow-up would add %s, remove %s and one internal note", ticket_id,
                         " ".join(result.update.add_tags), " ".join(result.update.remove_tags))
                return "; ".join([*notes, "DRY RUN " + result.reason]), result.state, self._record(result.update, tags), False, found
            try:
                self._write(ticket_id, result.update, tags, stamp)
            except Conflict:
                tags = stamp = None
                continue
            return "; ".join([*notes, result.reason]), result.state, self._record(result.update, tags), True, found
        raise Transient(f"ticket {ticket_id} kept changing under us ({MAX_CONFLICTS} conflicts in a row)")

    def _could_matter(self, tags: tuple[str, ...] | list[str]) -> bool:
        """A comment can only change something on a flagged escalation, or on a ticket with no error yet."""
        return bool(flagged_missing(tags, self.decision)) or not any(t.startswith("amazon_error_") for t in tags)

    def _write(self, ticket_id: int, update: FollowupUpdate, tags: list[str] | tuple[str, ...], stamp: str | None) -> None:
        assert self.zendesk is not None
        self.zendesk.update(ticket_id, body=update.note, public=False, tags=update.tags_after(tags), updated_stamp=stamp)

    @staticmethod
    def _record(update: FollowupUpdate, tags: list[str] | tuple[str, ...]) -> dict[str, Any]:
        return {**update.to_json(), "sent_tags": update.tags_after(tags)}

    def _corrections(self, ticket_id: int, state: FollowupState, decision: Any, changes: list[Pending],
                     me: int | None) -> list[tuple[Correction, int]]:
        known = {p.id for p in self.registry.current().error_patterns}
        evidence = {m.get("error"): [e.get("text", "") for e in m.get("evidence", [])] for m in decision.evidence
                    if isinstance(m, dict)}
        out = []
        for p in changes:
            at = utcnow()
            for c in corrections(ticket_id, state.errors, p.change.added, p.change.removed, p.change.actor_id, me, at,
                                 known, evidence):
                out.append((c, p.delivery_id))
        return out

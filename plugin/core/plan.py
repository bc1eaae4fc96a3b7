"""The worker's one decision: skip a ticket (and say why, with which status) or write one update.

Everything the worker gathered (ticket text and tags, who caused the event, whether this is a
retry, the requester's first name) comes in; a ``Skip`` or a ``Write`` goes out. The same function
runs again on every fresh read of the ticket before writing (after a 409 too), so the marker and
merge rules hold for what Zendesk has now, not for what the payload said.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .classify import Classification
from .decide import DecisionSettings, decide
from .models import TicketUpdate
from .patterns import PatternSet

# Statuses a decision can be in; the first three are still to be worked on.
QUEUED, RETRY, PROCESSING = "queued", "retry", "processing"
DONE, NO_MATCH, DRY_RUN, SKIPPED, DEAD = "done", "no_match", "dry_run", "skipped", "dead"
OPEN = (QUEUED, RETRY, PROCESSING)
FINAL = (DONE, NO_MATCH, DRY_RUN, SKIPPED, DEAD)


@dataclass(frozen=True)
class Seen:
    """What the worker knows of the ticket at this moment."""

    tags: tuple[str, ...] = ()
    retrying: bool = False
    """An earlier attempt was claimed: its write may have landed even though it failed on our side."""
    own_user: bool = False
    """The event was caused by the API user we write as."""
    first_name: str | None = None
    """The requester's first name, if known (payload or users endpoint); None gives a neutral greeting."""
    problem: str = ""
    """Why the ticket cannot be classified (no text to read, malformed data); empty when it can."""


@dataclass(frozen=True)
class Rules:
    patterns: PatternSet
    decision: DecisionSettings = DecisionSettings()
    dry_run: bool = False


@dataclass(frozen=True)
class Skip:
    status: str
    reason: str = ""


@dataclass(frozen=True)
class Write:
    update: TicketUpdate
    tags: tuple[str, ...]
    """The ticket's tags with ours merged in, in order: what the one write sends."""
    status: str = DONE
    """DRY_RUN when the rules say not to write: the worker records the update instead."""


def merge_tags(current: tuple[str, ...], ours: tuple[str, ...]) -> tuple[str, ...]:
    """Keep every tag the ticket has (an agent's may have been added meanwhile), then ours, no duplicates."""
    return tuple(dict.fromkeys([*current, *ours]))


def plan(seen: Seen, classification: Classification | None, rules: Rules) -> Skip | Write:
    marker = rules.decision.marker_tag
    if marker in seen.tags:
        # On a retry the marker is most likely our own write that landed after our side timed out.
        if seen.retrying:
            return Skip(DONE, "an earlier attempt had landed")
        return Skip(SKIPPED, f"already carries {marker}")
    if seen.own_user:
        return Skip(SKIPPED, "created by our own API user")
    if seen.problem or classification is None:
        return Skip(SKIPPED, seen.problem or "nothing to classify")
    update = classification.update
    if update.is_empty:
        return Skip(NO_MATCH)
    if seen.first_name and seen.first_name != classification.ticket.requester_first_name:
        # Only the wording changes: the detection and escalation found earlier are reused.
        ticket = replace(classification.ticket, requester_first_name=seen.first_name)
        update = decide(ticket, classification.detection, classification.escalation, rules.patterns, rules.decision,
                        classification.reply_language)
    return Write(update, merge_tags(seen.tags, update.tags), DRY_RUN if rules.dry_run else DONE)

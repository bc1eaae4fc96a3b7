"""The worker's one pure decision: skip (with the status and why) or the write, with merged tags."""

from __future__ import annotations

from plugin.core.classify import classify
from plugin.core.models import MARKER_TAG, Ticket
from plugin.core.plan import DONE, DRY_RUN, NO_MATCH, SKIPPED, Rules, Seen, Skip, Write, merge_tags, plan

TIMEOUT = "Amazon: The account connection timed out."


def test_marker_means_skip_or_an_earlier_attempt_that_landed(patterns) -> None:
    c = classify(Ticket(id=1, description=TIMEOUT), patterns)
    assert plan(Seen(tags=("x", MARKER_TAG)), c, Rules(patterns)) == Skip(SKIPPED, f"already carries {MARKER_TAG}")
    assert plan(Seen(tags=(MARKER_TAG,), retrying=True), c, Rules(patterns)) == Skip(DONE, "an earlier attempt had landed")


def test_own_user_and_unreadable_tickets_are_skipped_with_the_reason(patterns) -> None:
    c = classify(Ticket(id=1, description=TIMEOUT), patterns)
    assert plan(Seen(own_user=True), c, Rules(patterns)) == Skip(SKIPPED, "created by our own API user")
    assert plan(Seen(problem="no text"), None, Rules(patterns)) == Skip(SKIPPED, "no text")


def test_no_match_writes_nothing(patterns) -> None:
    c = classify(Ticket(id=1, description="Where is my invoice?"), patterns)
    assert plan(Seen(), c, Rules(patterns)) == Skip(NO_MATCH)


def test_write_keeps_the_agents_tags_first_and_ours_once(patterns) -> None:
    c = classify(Ticket(id=1, description=TIMEOUT), patterns)
    decision = plan(Seen(tags=("vip", "amazon_error")), c, Rules(patterns))
    assert isinstance(decision, Write) and decision.status == DONE
    assert decision.tags == ("vip", "amazon_error", "amazon_error_connection_timeout", MARKER_TAG)
    assert merge_tags(("a", "b"), ("b", "c")) == ("a", "b", "c")


def test_gathered_name_is_greeted_and_a_missing_one_is_neutral(patterns) -> None:
    c = classify(Ticket(id=1, description=TIMEOUT), patterns)
    named = plan(Seen(first_name="Ana"), c, Rules(patterns))
    unnamed = plan(Seen(), c, Rules(patterns))
    assert isinstance(named, Write) and named.update.greeting == "Hi Ana,"
    assert isinstance(unnamed, Write) and unnamed.update.greeting == "Hi there,"
    assert named.update.tags == unnamed.update.tags


def test_dry_run_is_a_write_recorded_not_sent(patterns) -> None:
    c = classify(Ticket(id=1, description=TIMEOUT), patterns)
    decision = plan(Seen(), c, Rules(patterns, dry_run=True))
    assert isinstance(decision, Write) and decision.status == DRY_RUN


def test_a_name_read_later_keeps_the_reply_language(english_copy) -> None:
    import shutil
    from pathlib import Path

    from plugin.core.delivery import TicketFacts
    from plugin.core.patterns import load_patterns
    from plugin.core.tickets import ticket_from_mapping

    shutil.copytree(Path(__file__).parent / "data" / "overlay_de", english_copy / "i18n" / "de")
    german = load_patterns(english_copy)
    facts = TicketFacts.from_json({"description": "Amazon says my seller account might still be in staging mode",
                                   "requester_locale": "de-AT"})
    c = classify(ticket_from_mapping({"id": 9, **facts.to_json()}), german)
    decision = plan(Seen(first_name="Lena"), c, Rules(german))
    assert isinstance(decision, Write) and decision.update.greeting == "Hallo Lena,"
    assert decision.update.language == "de"

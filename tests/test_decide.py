"""Deciding the ticket update from what was found."""

from __future__ import annotations

from pathlib import Path

from plugin.core.classify import classify
from plugin.core.decide import DecisionSettings
from plugin.core.models import Ticket
from plugin.core.patterns import load_patterns

GENERIC = "Connecting Amazon fails with: An error has occurred."


def test_unmatched_ticket_needs_no_write(patterns) -> None:
    update = classify(Ticket(id=1, description="Where is my invoice?"), patterns).update
    assert update.is_empty
    assert update.tags == ()
    assert update.matched == ()


def test_matched_ticket_gets_error_tags_marker_and_internal_note(patterns) -> None:
    ticket = Ticket(id=7, description="Amazon: The account connection timed out.", requester_first_name="Ana")
    update = classify(ticket, patterns).update
    assert update.matched == ("connection_timeout",)
    assert update.tags == ("amazon_error", "amazon_error_connection_timeout", "amazon_triage_done")
    assert update.public is False
    comment = update.comment()
    assert comment.startswith("Suggested reply (amazon-triage):\n\nHi Ana,")
    assert "15 minutes" in comment
    assert "Why amazon-triage suggested this:" in comment
    assert "regex 'banner' matched \"The account connection timed out\"" in comment


def test_generic_error_without_fields_is_flagged_and_checklist_says_what_is_missing(patterns) -> None:
    update = classify(Ticket(id=8, description=GENERIC), patterns).update
    assert "amazon_escalation_missing_merchant_id" in update.tags
    assert "amazon_escalation_missing_timestamp" in update.tags
    assert "amazon_escalation_ready" not in update.tags
    notes = update.agent_notes
    assert "[ ] Amazon merchant ID: MISSING" in notes
    assert "[ ] Time of the last connection attempt, with time zone: MISSING" in notes
    assert "Do not escalate yet" in notes


def test_generic_error_with_both_fields_is_ready(patterns) -> None:
    text = GENERIC + " Merchant ID A2EUQ1WTGCTBG2, tried 26 Nov 2026 14:05 AEDT after clearing cookies."
    update = classify(Ticket(id=9, description=text), patterns).update
    assert "amazon_escalation_ready" in update.tags
    assert not any(t.startswith("amazon_escalation_missing") for t in update.tags)
    assert "[x] Amazon merchant ID: A2EUQ1WTGCTBG2" in update.agent_notes
    assert "(= 2026-11-26T03:05:00Z)" in update.agent_notes
    assert '[x] Merchant cleared browser cache and cookies: "clearing cookies"' in update.agent_notes


def test_only_merchant_id_missing(patterns) -> None:
    update = classify(Ticket(id=9, description=GENERIC + " Last try at 22:10 UTC."), patterns).update
    assert "amazon_escalation_missing_merchant_id" in update.tags
    assert "amazon_escalation_missing_timestamp" not in update.tags


def _with_reply(patterns_copy: Path, pattern_id: str, reply: str) -> None:
    path = patterns_copy / f"{pattern_id}.toml"
    text = path.read_text()
    start = text.index("[reply]")
    end = text.index("[examples]")
    path.write_text(text[:start] + reply + "\n" + text[end:])


def test_public_reply_has_no_agent_notes(patterns_copy: Path) -> None:
    _with_reply(patterns_copy, "connection_timeout", '[reply]\nvisibility = "public"\nbody = "Start again, $first_name, and finish within 15 minutes."\n')
    ps = load_patterns(patterns_copy)
    update = classify(Ticket(id=3, description="Amazon: The account connection timed out."), ps).update
    assert update.public is True
    assert update.comment() == "Hi there,\n\nStart again, there, and finish within 15 minutes.\n\nKind regards"


def test_mixed_visibility_falls_back_to_internal(patterns_copy: Path) -> None:
    _with_reply(patterns_copy, "connection_timeout", '[reply]\nvisibility = "public"\nbody = "Start again."\n')
    ps = load_patterns(patterns_copy)
    text = "Amazon: The account connection timed out. Then: The account you are connecting to is not a Professional Amazon seller account"
    update = classify(Ticket(id=3, description=text), ps).update
    assert update.matched == ("not_professional", "connection_timeout")
    assert update.public is False


def test_macro_reply_uses_the_macro_comment(patterns_copy: Path) -> None:
    _with_reply(patterns_copy, "staging_mode", '[reply]\nzendesk_macro_id = 4242\n')
    ps = load_patterns(patterns_copy)
    update = classify(Ticket(id=3, description="Amazon seller account is in staging mode"), ps).update
    assert update.macro_ids == (4242,)
    assert "Macro text here" in update.comment({4242: "Macro text here"})


def test_settings_change_marker_and_explanation(patterns) -> None:
    settings = DecisionSettings(marker_tag="done_x", explain=False)
    update = classify(Ticket(id=1, description="Amazon: account connection timed out"), patterns, settings).update
    assert update.tags[-1] == "done_x"
    assert "Why amazon-triage" not in update.comment()


def test_admins_change_the_greeting_in_reply_parts(patterns_copy: Path) -> None:
    path = patterns_copy / "reply_parts.toml"
    path.write_text(path.read_text().replace('greeting = "Hi $first_name,"', 'greeting = "Hello $first_name!"'))
    update = classify(Ticket(id=1, description="Amazon: account connection timed out", requester_first_name="Ana"),
                      load_patterns(patterns_copy)).update
    assert update.reply_text().startswith("Hello Ana!")

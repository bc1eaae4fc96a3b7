"""The follow-up decision: escalations completing themselves, and errors first seen in a reply."""

from __future__ import annotations

from plugin.core.followup import Comment, Facts, FollowupState, follow_up, state_after_triage

ME, MERCHANT, AGENT = 900001, 501, 777
FLAGGED = ["amazon_error", "amazon_error_generic_error", "amazon_escalation_missing_merchant_id",
           "amazon_escalation_missing_timestamp", "amazon_triage_done", "vip"]
GENERIC = FollowupState(7, ("generic_error",))


def test_a_reply_with_the_merchant_id_removes_that_flag_and_says_what_is_still_missing(patterns) -> None:
    result = follow_up(GENERIC, FLAGGED, [Comment(11, "My merchant ID is A2EUQ1WTGCTBG2.", MERCHANT)], patterns, me=ME)
    assert result.update.remove_tags == ("amazon_escalation_missing_merchant_id",)
    assert result.update.add_tags == ()
    assert result.update.still_missing == ("timestamp",)
    assert "A2EUQ1WTGCTBG2" in result.update.note and "Still missing" in result.update.note
    assert result.state.facts.merchant_id == "A2EUQ1WTGCTBG2" and result.state.last_comment_id == 11


def test_the_second_reply_completes_the_escalation_with_one_ready_to_paste_note(patterns) -> None:
    first = follow_up(GENERIC, FLAGGED, [Comment(11, "Merchant ID A2EUQ1WTGCTBG2, I cleared the cache.", MERCHANT)],
                      patterns, me=ME)
    tags = first.update.tags_after(FLAGGED)
    second = follow_up(first.state, tags, [Comment(11, "ignored: already read", MERCHANT),
                                           Comment(12, "Last try was 26 Nov 2026 14:05 AEDT", MERCHANT)], patterns, me=ME)
    final = second.update.tags_after(tags)
    assert "amazon_escalation_ready" in final and not any(t.startswith("amazon_escalation_missing") for t in final)
    assert final[:2] == ["amazon_error", "amazon_error_generic_error"] and "vip" in final
    note = second.update.note
    assert note.startswith("amazon-triage: escalation ready for Codisto")
    assert "A2EUQ1WTGCTBG2" in note and "2026-11-26T03:05:00Z (UTC)" in note and '"26 Nov 2026 14:05 AEDT"' in note
    assert "cleared the cache" in note and second.update.ready


def test_both_facts_in_one_reply_complete_at_once(patterns) -> None:
    result = follow_up(GENERIC, FLAGGED, [Comment(3, "ID A2EUQ1WTGCTBG2, tried at 26 Nov 2026 14:05 AEDT", MERCHANT)],
                       patterns, me=ME)
    assert set(result.update.remove_tags) == {"amazon_escalation_missing_merchant_id", "amazon_escalation_missing_timestamp"}
    assert result.update.add_tags == ("amazon_escalation_ready",)


def test_nothing_new_writes_nothing(patterns) -> None:
    seen = FollowupState(7, ("generic_error",), last_comment_id=12)
    assert not follow_up(seen, FLAGGED, [Comment(12, "Merchant ID A2EUQ1WTGCTBG2", MERCHANT)], patterns, me=ME).update.write
    chat = follow_up(GENERIC, FLAGGED, [Comment(13, "Any news? Thanks", MERCHANT)], patterns, me=ME)
    assert not chat.update.write and chat.state.last_comment_id == 13


def test_our_own_notes_never_count_as_evidence(patterns) -> None:
    ours = Comment(20, "Escalation checklist ... merchant ID A2EUQ1WTGCTBG2 at 26 Nov 2026 14:05 AEDT", ME)
    quoted = Comment(21, "amazon-triage: the merchant's reply gave the merchant ID A2EUQ1WTGCTBG2.", AGENT)
    result = follow_up(GENERIC, FLAGGED, [ours, quoted], patterns, me=ME)
    assert not result.update.write and result.reason == "only our own comments are new"
    assert result.state.last_comment_id == 21


def test_an_error_first_seen_in_a_reply_is_triaged_then_once(patterns) -> None:
    quiet = FollowupState(9)
    text = "Now connecting Amazon says: The account connection timed out."
    result = follow_up(quiet, ["billing"], [Comment(5, text, MERCHANT)], patterns, me=ME)
    assert result.update.new_errors == ("connection_timeout",)
    assert set(result.update.add_tags) >= {"amazon_error_connection_timeout", "amazon_triage_done"}
    assert result.update.note.startswith("Suggested reply (amazon-triage)")
    again = follow_up(result.state, result.update.tags_after(["billing"]), [Comment(6, text, MERCHANT)], patterns, me=ME)
    assert again.update.new_errors == () and not again.update.write


def test_state_after_triage_keeps_the_facts_found_at_creation() -> None:
    state = state_after_triage(4, ["generic_error"], {"merchant_id": "A2EUQ1WTGCTBG2", "timestamp": None,
                                                      "timestamp_utc": None, "checks": {"reconnected": "reconnected"}})
    assert state.facts == Facts("A2EUQ1WTGCTBG2", "A2EUQ1WTGCTBG2", None, None, {"reconnected": "reconnected"})
    assert FollowupState.from_json(state.to_json()) == state

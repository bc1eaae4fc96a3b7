"""Replies that read the ticket: ask only for what is still missing, one reply for several errors, a safe greeting."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.core.classify import classify
from plugin.core.models import Ticket
from plugin.core.names import MAX_LENGTH, clean_name
from plugin.core.patterns import PatternSetError, load_patterns

ERROR = "Connecting my Amazon account fails with: An error has occurred."
STEP_RECONNECT = "Try connecting the Amazon channel again."
STEP_CACHE = "Clear your browser's cache and cookies, then try once more."
STEP_BROWSER = "Try connecting from a different browser."


def reply(patterns, text: str, name: str | None = "Ana") -> str:
    return classify(Ticket(id=1, description=text, requester_first_name=name), patterns).update.reply_text()


def test_nothing_done_nothing_given_gets_the_full_reply_with_all_three_steps_and_both_asks(patterns) -> None:
    text = reply(patterns, ERROR)
    assert text.startswith("Hi Ana,\n\n")
    assert "1. Try connecting the Amazon channel again." in text
    assert "2. Clear your browser's cache and cookies" in text
    assert "3. If it still fails, try connecting from a different browser." in text
    assert "merchant ID (Seller Central > Settings > Account Info > Merchant Token)" in text
    assert "including your time zone" in text
    assert text.endswith("\n\nKind regards")


def test_steps_already_taken_are_thanked_for_not_repeated(patterns) -> None:
    text = reply(patterns, ERROR + " I reconnected twice and cleared the cache and cookies, no luck.")
    assert "Thank you for already trying to connect again and clearing your browser's cache and cookies." in text
    assert "Could you please:\n1. Try connecting from a different browser." in text
    assert STEP_RECONNECT not in text
    assert STEP_CACHE not in text
    assert "If the error is still there after that, please reply with your Amazon merchant ID" in text


def test_a_merchant_id_already_given_is_not_asked_for_again(patterns) -> None:
    text = reply(patterns, ERROR + " My merchant ID is A2EUQ1WTGCTBG2.")
    assert "Thanks as well for sending your merchant ID (A2EUQ1WTGCTBG2)." in text
    assert "please reply with the date and time of your latest attempt, including your time zone" in text
    assert "Merchant Token" not in text
    for step in (STEP_RECONNECT, STEP_CACHE, STEP_BROWSER):
        assert step in text


def test_time_given_but_no_merchant_id_asks_only_for_the_id(patterns) -> None:
    text = reply(patterns, ERROR + " Tried again, cleared cookies, used Firefox too. Last attempt 22:10 UTC.")
    assert "Thanks as well for sending the time of your last attempt (22:10 UTC)." in text
    assert "Could you please" not in text
    assert "As the error is still there, please reply with your Amazon merchant ID" in text
    assert "time zone" not in text


def test_both_facts_given_but_steps_left_asks_for_the_steps_only(patterns) -> None:
    text = reply(patterns, ERROR + " Merchant ID A2EUQ1WTGCTBG2, tried 26 Nov 2026 14:05 AEDT.")
    assert "your merchant ID (A2EUQ1WTGCTBG2) and the time of your last attempt (26 Nov 2026 14:05 AEDT)" in text
    assert "just let us know: we already have the details" in text
    assert "please reply with" not in text


def test_everything_done_and_given_gets_we_are_escalating_with_the_summary(patterns) -> None:
    text = reply(patterns, ERROR + " I reconnected, cleared cache and cookies and tried another browser. "
                                   "Merchant ID A2EUQ1WTGCTBG2, last attempt 26 Nov 2026 14:05 AEDT.")
    assert "Thank you for already trying to connect again, clearing your browser's cache and cookies and trying another browser." in text
    assert "We are escalating this to Codisto's engineering team now with these details:" in text
    assert "- Amazon merchant ID: A2EUQ1WTGCTBG2" in text
    assert "- Last attempt: 26 Nov 2026 14:05 AEDT (2026-11-26 03:05 UTC)" in text
    for asked in ("Could you please", "please reply with", STEP_RECONNECT, STEP_CACHE, STEP_BROWSER):
        assert asked not in text


def test_everything_done_tells_the_agent_to_escalate_now(patterns) -> None:
    ticket = Ticket(id=1, description=ERROR + " I reconnected, cleared cache and cookies and tried another browser. "
                                              "Merchant ID A2EUQ1WTGCTBG2, last attempt 26 Nov 2026 14:05 AEDT.")
    update = classify(ticket, patterns).update
    assert "amazon_escalation_ready" in update.tags
    assert "the merchant has tried every step: escalate to Codisto now" in update.agent_notes


def test_several_errors_give_one_reply_with_an_intro_and_a_section_each(patterns) -> None:
    text = reply(patterns, "Connecting Amazon: my seller account might still be in staging mode. "
                           "And the other store says An error has occurred when I connect Amazon.")
    assert text.count("Hi Ana,") == 1
    assert text.count("Kind regards") == 1
    assert ("It mentions more than one problem with connecting your Amazon account: staging mode and "
            "\"An error has occurred\". Here is what to do about each of them.") in text
    staging = text.index("About staging mode:\nIt looks like your Amazon seller account is still in staging mode.")
    generic = text.index("About \"An error has occurred\":\n")
    assert text.index("Here is what to do") < staging < generic < text.index("Kind regards")


def test_a_single_error_has_no_intro_and_no_heading(patterns) -> None:
    text = reply(patterns, "Amazon: The account connection timed out.")
    assert "more than one problem" not in text
    assert "About " not in text


def test_the_internal_note_keeps_reply_then_checklist_then_why(patterns) -> None:
    comment = classify(Ticket(id=1, description=ERROR + " Merchant ID A2EUQ1WTGCTBG2."), patterns).update.comment()
    order = [comment.index(s) for s in ("Suggested reply (amazon-triage):", "Hi there,", "Kind regards",
                                        "Escalation checklist", "Why amazon-triage suggested this:")]
    assert order == sorted(order)


def test_an_unfit_name_gets_the_neutral_greeting(patterns) -> None:
    assert reply(patterns, ERROR, name="x" * 5000).startswith("Hi there,\n\n")
    assert reply(patterns, ERROR, name="ana@example.com").startswith("Hi there,")
    assert reply(patterns, ERROR, name="Ana\u202e").startswith("Hi Ana,\n\n")


def test_a_broken_phrase_is_reported_with_file_key_and_line(patterns_copy: Path) -> None:
    path = patterns_copy / "reply_parts.toml"
    path.write_text(path.read_text().replace('steps_done = "Thank you for already $steps."',
                                             'steps_done = "Thank you for already $step."'))
    with pytest.raises(PatternSetError) as caught:
        load_patterns(patterns_copy)
    message = str(caught.value)
    assert "reply_parts.toml:" in message and "reply_parts.steps_done" in message and "'step'" in message


def test_check_lists_errors_and_flags_the_composer_has_no_words_for(patterns_copy: Path) -> None:
    from plugin.core.checks import missing_phrases

    path = patterns_copy / "reply_parts.toml"
    path.write_text(path.read_text().replace('staging_mode = "staging mode"\n', "").replace(
        'other_browser = "trying another browser"\n', ""))
    warnings = missing_phrases(load_patterns(patterns_copy))
    keys = {m.key for m in warnings if m.path == path}
    assert keys == {"reply_parts.problems.staging_mode", "reply_parts.done.other_browser"}
    assert all(m.line > 1 for m in warnings if m.path == path)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_whatever_the_name_the_greeting_is_short_and_free_of_control_characters(raw: str) -> None:
    name = clean_name(raw)
    assert name is None or (0 < len(name) <= MAX_LENGTH and name == name.strip())
    assert name is None or not any(unicodedata.category(ch)[0] == "C" or ch in "\n\r\t@<>$" for ch in name)

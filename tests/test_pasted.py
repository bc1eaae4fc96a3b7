"""Pasted documents (plugin/core/pasted.py): a report, a chat, notes or a forwarded onboarding mail pasted under
the merchant's own lines names errors as its subject matter; its hits count only when the merchant points at
them, when a banner was copied with its icon, or when the merchant names no error of their own but says the
connection fails."""

from __future__ import annotations

import pytest

from plugin.core.detect import PASTED_REASON, DetectOptions, detect
from plugin.core.pasted import find_pasted
from plugin.core.patterns import load_patterns

from .conftest import PATTERNS_DIR

_SET = load_patterns(PATTERNS_DIR)
_ROOMY = DetectOptions(timeout=10.0)
"""The guard is tested here, not the time budget (a loaded machine must not turn a judgement into a time-out)."""
assert _SET.pasted is not None and _SET.pasted.examples is not None
_SPEC = _SET.pasted.examples[1]
EXAMPLES = [pytest.param(kind, text, id=f"{lang}-{kind}-{i}")
            for lang, ex in _SPEC.examples.items()
            for kind, texts in (("vetoed", ex.vetoed), ("kept", ex.kept))
            for i, text in enumerate(texts)]


@pytest.mark.parametrize(("kind", "text"), EXAMPLES)
def test_pasted_example(kind: str, text: str) -> None:
    found = detect(text, _SET, _ROOMY)
    if kind == "vetoed":
        assert not found.matches, [m.evidence[0].text for m in found.matches]
        assert any(s.reason == PASTED_REASON for s in found.suppressed)
    else:
        assert found.matches


def _found(text: str) -> set[str]:
    return set(detect(text, _SET, _ROOMY).matched)


def test_an_agency_report_between_rules_names_no_error_of_the_merchant() -> None:
    text = ("Hi, our agency asked me to send you their report. Our only problem: when I click connect it says "
            "the account connection timed out.\n\n"
            "---- pasted from the report ----\n"
            "Weekly Marketplace Report – Week 47\n"
            "- Staging mode banner seen on 12 Nov, cleared by Amazon on 14 Nov\n"
            "- Client asked whether a Professional seller account is required\n"
            "----\n\nThanks, Gemma")
    assert _found(text) == {"connection_timeout"}


def test_the_merchant_pointing_at_a_numbered_item_keeps_only_that_item() -> None:
    text = ("Notes from our ops meeting below. Point 2 is our problem.\n\n"
            "Ops sync 26/11\n"
            "1. Amazon UK store: \"Your seller account may still be in staging mode\"\n"
            "2. Amazon connection: Sam sees \"The account you are connecting to is not a Professional Amazon "
            "seller account\"\n"
            "3. Website banner\n")
    assert _found(text) == {"not_professional"}
    # Pointing at the whole paste ("gets this error") keeps every error it shows.
    assert _found(text.replace("Point 2 is our problem.", "Sam gets this error.")) == {"not_professional", "staging_mode"}


def test_a_forwarded_onboarding_mail_from_the_support_side_is_documentation() -> None:
    text = ("Where do I map Home & Kitchen categories?\n\n"
            "---------- Forwarded message ---------\n"
            "From: Codisto Onboarding <hello@codisto.com>\n"
            "Subject: Day 3: Connecting Amazon\n\n"
            "A few sellers see \"Your seller account may still be in staging mode\": it clears within 24 hours.")
    assert _found(text) == set()


def test_a_forwarded_mail_from_amazon_stays_the_merchants_evidence() -> None:
    text = ("Forwarding what Amazon sent us, is this why your app won't connect?\n\n"
            "---------- Forwarded message ---------\n"
            "From: Amazon.co.uk <seller-performance@amazon.co.uk>\n"
            "Subject: Your Amazon.co.uk selling account\n\n"
            "We have deactivated your Amazon.co.uk selling account.")
    pasted = find_pasted(text, _SET.pasted)
    assert pasted.spans == ()


def test_a_chat_is_pasted_only_when_the_merchant_says_so() -> None:
    chat = ("Priya [10:32]: tried the Amazon connect\n"
            "Priya [10:32]: it says \"Your seller account may still be in staging mode\"\n"
            "Tom [10:35]: odd\n")
    # Without an intro line the chat is the ticket itself (a support chat's transcript): it counts.
    assert _found(chat) == {"staging_mode"}
    # Pasted under the merchant's own different question, nobody pointing at it: documentation.
    assert _found("Where are my FBA orders? Pasting our Slack chat about last month below:\n\n" + chat) == set()
    # "my colleague gets this error": the merchant points at it.
    assert _found("My colleague Priya gets this error, pasting our Slack chat:\n\n" + chat) == {"staging_mode"}


def test_a_colleague_telling_the_error_as_current_in_the_paste_counts() -> None:
    text = ("Pasting the WhatsApp chat with our VA, not sure what to make of it.\n\n"
            "[27/11/2026, 08:14] Maria: tried to link Amazon for you\n"
            "[27/11/2026, 08:15] Maria: it still says Your seller account may still be in staging mode\n")
    assert _found(text) == {"staging_mode"}


def test_a_banners_own_still_is_no_report() -> None:
    text = ("Category mapping question: where is Home & Kitchen? Pasting the release notes below.\n\n"
            "v4.12\n"
            "New: a clearer message when your seller account may still be in staging mode\n")
    assert _found(text) == set()


def test_a_merchant_saying_the_connection_fails_and_naming_no_error_owns_the_paste() -> None:
    chat = ("Pasting the Slack chat with the team below.\n\n"
            "Priya [10:32]: tried the Amazon connect\n"
            "Priya [10:33]: Your seller account may still be in staging mode\n")
    assert _found("Hi, we can't connect Amazon. " + chat) == {"staging_mode"}
    assert _found("Hi, a question about invoices. " + chat) == set()


def test_a_ticked_checklist_item_says_a_check_passed() -> None:
    text = ("Still getting \"An error has occurred\" on Amazon. Merchant ID A2XKQ7PL9MZ3TB.\n\n"
            "[x] Staging mode banner gone from Seller Central\n"
            "[x] Cleared cache\n")
    assert "staging_mode" not in _found(text)
    pasted = find_pasted(text, _SET.pasted)
    assert pasted.covers(text.index("Staging mode"), text.index("Staging mode") + len("Staging mode"))


def test_a_ticked_item_in_the_merchants_voice_is_their_report() -> None:
    text = "Your checklist:\n\n[x] I reconnected and Amazon says the account connection timed out\n[x] Cleared cache\n"
    assert _found(text) == {"connection_timeout"}


def test_a_banner_copied_with_its_icon_counts_inside_a_paste() -> None:
    text = ("Pasting the agency report below, no idea.\n\n"
            "Report week 47\n"
            "⚠ Your seller account may still be in staging mode.\n")
    assert _found(text) == {"staging_mode"}


def test_each_line_with_a_notice_icon_is_kept_whole_once() -> None:
    """Icons are found in one search over the ticket; each line holding one (or two) is kept once, whole."""
    text = "⚠ first\nplain\n(!) second ⚠ again\nno\nlast ❌"
    lines = text.split("\n")
    starts = [text.index(x) for x in lines]
    want = tuple((starts[i], starts[i] + len(lines[i])) for i in (0, 2, 4))
    assert find_pasted(text, _SET.pasted).kept == want


def test_no_rules_nothing_is_pasted() -> None:
    assert find_pasted("----\nanything\n----", None).spans == ()


def test_a_block_the_merchant_announces_with_a_colon_is_theirs() -> None:
    report = ("\n\nAnd the agency's weekly report, pasted below:\n\n"
              "Report week 47\n"
              "- Staging mode: Your seller account may still be in staging mode (UK, cleared)\n")
    text = ("Amazon won't take us. The message:\n"
            "-----\n"
            "The account you are connecting to is not a Professional Amazon seller account\n"
            "-----" + report)
    assert _found(text) == {"not_professional"}
    # Announced as a document ("the report:"), a block stays pasted.
    assert _found("Where do we map Home & Kitchen categories? Here is the agency report:\n-----\n" + report[report.index("Report"):] + "-----") == set()


def test_a_time_out_when_the_paste_is_judged_again_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second judgement of a paste the merchant owns runs through the same path as the first: a pattern
    that overruns its budget there is reported in ``timed_out``, not only in ``failures``."""
    import plugin.core.detect as detect_module

    text = ("Hi, we can't connect Amazon. Pasting the Slack chat with the team below.\n\n"
            "Priya [10:32]: tried the Amazon connect\nPriya [10:33]: Your seller account may still be in staging mode")
    assert detect(text, _SET, _ROOMY).matched == ("staging_mode",)
    real, calls = detect_module.match_pattern, []

    def second_staging_run_times_out(pattern, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(pattern.id)
        if pattern.id == "staging_mode" and calls.count("staging_mode") == 2:
            raise TimeoutError("regex timed out")
        return real(pattern, *args, **kwargs)

    monkeypatch.setattr(detect_module, "match_pattern", second_staging_run_times_out)
    found = detect(text, _SET, _ROOMY)
    assert not found.matches
    assert found.timed_out == ("staging_mode",)
    assert [f.pattern for f in found.failures] == ["staging_mode"]


def test_a_checklist_quoted_from_the_support_side_names_no_error_even_when_the_merchant_says_still() -> None:
    """'Still get ...' takes up the merchant's own banner, not the items of the agent's checklist quoted below it
    (ticked or still to do, "> [x]" / "> [ ]")."""
    text = ("Went through your list, see below. Still get the red \"An error has occurred\" banner every time.\n\n"
            "> Troubleshooting checklist (from your previous reply)\n"
            "> [x] Check Seller Central for staging mode / vacation settings (not on vacation)\n"
            "> [x] Check Performance Notifications for requests for additional information (nothing there)\n"
            "> [ ] If \"Couldn't connect, contact Amazon\" appears, open a case with Seller Support (n/a)")
    assert _found(text) == {"generic_error"}


@pytest.mark.parametrize("text", [
    "Checkliste abgearbeitet, trotzdem kommt: Verbindung nicht möglich, wenden Sie sich an Amazon.\n\n"
    "✅ Professionelles Verkäuferkonto (kein Einzelanbieter)\n✅ Konto nicht im Staging-Modus",
    "Went through the checklist, still: Couldn't connect, contact Amazon.\n\n"
    "[x] Professional plan, not Individual\n[x] Not in staging mode",
])
def test_a_hit_running_into_a_checklist_item_is_the_items(text: str) -> None:
    """Words of the merchant's line joined to the words of the ticked item below it make no error of theirs."""
    assert _found(text) == {"contact_amazon"}


def test_forum_posts_under_a_handle_belong_to_the_paste_even_in_the_first_person() -> None:
    # "moda_sorrento: a me diceva ..." is a forum user's post, not the merchant writing again: the block runs on
    # over every handle's post and ends at the merchant's own paragraph.
    text = ("prima di scrivervi ho letto questa discussione sul forum venditori, la incollo:\n\n"
            "Forum venditori Amazon › «Errore collegamento Codisto»\n\n"
            "moda_sorrento: a me diceva che non era un account Professionale, sono passata al piano Professionale.\n\n"
            "vini_langhe: io avevo «La connessione dell'account è scaduta», rifatto in fretta e ok.\n\n"
            "Il mio caso è diverso. Al primo tentativo l'app mi ha dato il banner «Impossibile connettersi, "
            "contatta Amazon».")
    assert _found(text) == {"contact_amazon"}
    # A time is no handle: "10:32" opens no post.
    assert find_pasted("x\n10:32: I get it", _SET.pasted).spans == ()

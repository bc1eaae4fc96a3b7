"""Amazon context from more than the word "Amazon": IDs, Seller Central, another error, tags, brand, form."""

from __future__ import annotations

from plugin.core.classify import classify
from plugin.core.decide import DecisionSettings
from plugin.core.detect import detect
from plugin.core.models import Ticket

TERSE = "still the same 'an error has occurred' when connecting. last tried 3pm EST yesterday"


def test_no_context_no_match(patterns) -> None:
    assert detect(TERSE, patterns).matched == ()


def test_admin_configured_tags_brands_and_forms_give_context(patterns) -> None:
    settings = DecisionSettings(amazon_context_tags=frozenset({"amazon_channel"}),
                                amazon_context_brands=frozenset({77}), amazon_context_forms=frozenset({5}))
    for ticket in (Ticket(id=1, description=TERSE, tags=("amazon_channel",)),
                   Ticket(id=2, description=TERSE, brand_id=77), Ticket(id=3, description=TERSE, form_id=5)):
        assert classify(ticket, patterns, settings).detection.matched == ("generic_error",)
    assert classify(Ticket(id=4, description=TERSE, tags=("other",), brand_id=1), patterns, settings).detection.matched == ()


def test_amazon_ticket_flag_in_detect(patterns) -> None:
    assert detect(TERSE, patterns, amazon_ticket=True).matched == ("generic_error",)


def test_another_amazon_error_gives_context(patterns) -> None:
    far = "We sell candles and soaps, ship daily, and our team of three handles everything. " * 5
    alone = f"{far}Later, when connecting again, an error has occurred."
    assert detect(alone, patterns).matched == ()
    text = f"The account you are connecting to is not a Professional Amazon seller account. {alone}"
    assert set(detect(text, patterns).matched) == {"not_professional", "generic_error"}


def test_the_subject_gives_amazon_context_to_a_distant_error(patterns) -> None:
    from plugin.core.models import Ticket as T

    body = "We sell candles and soaps and ship daily. " * 8 + "When connecting the channel an error has occurred."
    assert classify(T(id=5, subject="Help please", description=body), patterns).detection.matched == ()
    assert classify(T(id=6, subject="Amazon channel", description=body), patterns).detection.matched == ("generic_error",)

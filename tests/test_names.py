"""The greeting uses the requester's name only when it is a plausible, bounded, printable name."""

from __future__ import annotations

import pytest

from plugin.core.classify import classify
from plugin.core.models import Ticket
from plugin.core.names import MAX_LENGTH, clean_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Lee", "Lee"),
        ("  Anne-Marie  ", "Anne-Marie"),
        ("José", "José"),
        ("Jose\u0301", "José"),  # combining accent, composed
        ("山田", "山田"),
        ("O'Brien", "O'Brien"),
        ("Mary Ann", "Mary Ann"),
        ("Lee\u0000\u0007", "Lee"),  # control characters stripped
        ("Lee\u202eevil", "Leeevil"),  # a bidi override is not printed
        ("Lee\u200b", "Lee"),  # zero-width space
        ("Lee\nP.S. click here", "Lee P.S. click here"),  # line breaks folded, never a new line in the greeting
        ("x" * (MAX_LENGTH + 1), None),  # unbounded: neutral greeting
        ("Bartholomew " + "y" * 60, "Bartholomew"),  # long: its first word
        ("lee@example.com", None),
        ("Visit https://spam.example", None),
        ("{{ticket.requester.first_name}}", None),  # an unrendered placeholder
        ("$first_name", None),
        ("<b>Lee</b>", None),
        ("12345", None),
        ("", None),
        ("\u0000\u0001", None),
        (None, None),
        (42, None),
    ],
)
def test_clean_name(raw, name) -> None:
    assert clean_name(raw) == name


def test_the_reply_falls_back_to_a_neutral_greeting(patterns) -> None:
    text = "Amazon: The account connection timed out."
    hostile = classify(Ticket(description=text, requester_first_name="Lee\r\nBcc: x@example.com"), patterns)
    assert hostile.update.greeting == "Hi there,"
    long = classify(Ticket(description=text, requester_first_name="A" * 5000), patterns)
    assert long.update.greeting == "Hi there,"
    fine = classify(Ticket(description=text, requester_first_name="Lee\u0007"), patterns)
    assert fine.update.greeting == "Hi Lee,"

"""Whatever a ticket holds (mixed scripts, right-to-left text, emoji, invisible characters, 1 MB),
detection answers in time and never raises; evidence quotes what the merchant wrote."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.core.classify import classify
from plugin.core.detect import DetectOptions, detect
from plugin.core.models import Ticket
from plugin.core.normalize import normalize

PIECES = st.sampled_from([
    "Amazon", " seller account ", "staging mode", "stagging", "An error has occurred", "\u200b", "\u202e", "\u2066",
    "\u200f", "مرحبا بالعالم", "שלום", "大口出品", "セラーセントラル", "😀", "👍🏽", "\n> ", "\nOn Mon, Bob wrote:\n",
    "-----Original Message-----", "&gt;", "<p>", "</p>", "<br>", "Ａｍａｚｏｎ", "A1QX 7PZR 3KLM 9T", "14:32 Uhr MEZ", ".",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=40))
def test_any_mixture_gives_an_answer(parts: list[str]) -> None:
    from plugin.core.patterns import load_patterns
    from tests.conftest import PATTERNS_DIR

    patterns = _cached(PATTERNS_DIR, load_patterns)
    raw = "".join(parts)
    result = classify(Ticket(id=1, description=raw), patterns)
    for m in result.detection.matches:
        for ev in m.evidence:
            assert result.source[ev.start:ev.end] == ev.text


_CACHE: dict = {}


def _cached(key, build):
    if key not in _CACHE:
        _CACHE[key] = build(key)
    return _CACHE[key]


def test_invisible_and_bidi_characters_are_removed_but_evidence_is_honest(patterns) -> None:
    raw = "Amazon says my seller account might still be in sta\u200bging\u202e mode"
    assert "\u202e" not in normalize(raw).text and "\u200b" not in normalize(raw).text
    found = detect(raw, patterns)
    assert found.matched == ("staging_mode",)
    assert "sta\u200bging" in found.matches[0].evidence[0].text


def test_a_one_megabyte_ticket_answers_within_the_time_limits(patterns) -> None:
    raw = ("Amazon seller account staging \u202e مرحبا 😀 stagging error occured > quoted\n" * 14_000)[:1_000_000]
    start = time.perf_counter()
    result = classify(Ticket(id=2, description=raw), patterns, options=DetectOptions(timeout=0.25))
    elapsed = time.perf_counter() - start
    assert result.detection.truncated
    assert elapsed < 8 * 0.25 + 2.0

"""Properties over arbitrary text: classify never raises and its output stays bounded."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core.classify import classify
from plugin.core.models import Ticket
from plugin.core.normalize import normalize

FRAGMENTS = st.sampled_from([
    "An error has occurred", "amazon", "connect", "<br>", "&amp;", "> ", "\n", "staging mode", "A2EUQ1WTGCTBG2",
    "3:15pm EST", "not a Professional Amazon seller account", "\u2019", "<p>", "</b>", "timed out", "review",
])
TEXT = st.lists(st.one_of(st.text(max_size=40), FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=TEXT, description=TEXT)
def test_classify_never_raises_and_stays_bounded(patterns, subject: str, description: str) -> None:
    ticket = Ticket(id=1, subject=subject, description=description)
    result = classify(ticket, patterns)
    assert len(result.detection.matches) <= len(patterns.error_patterns)
    assert result.failures == ()
    source = result.source
    for match in result.detection.matches:
        for ev in match.evidence:
            assert 0 <= ev.start <= ev.end <= len(source)
            assert ev.text == source[ev.start:ev.end]
    assert set(result.update.matched) == set(result.detection.matched)
    result.to_json()


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=200))
def test_evidence_mapping_stays_inside_the_source(raw: str) -> None:
    n = normalize(raw)
    for start in range(0, len(n.text) + 1, 7):
        s, e = n.source_span(start, len(n.text))
        assert 0 <= s <= e <= len(n.source)


@settings(max_examples=500, deadline=None)
@given(raw=st.lists(st.one_of(st.text(max_size=20), st.sampled_from(["\n> ", "> >", "\r\n", "&amp;", "\u00a0", "\u2019", " \t", "<br>"])), max_size=30).map("".join))
def test_fast_normalisation_equals_the_position_tracking_replay(raw: str) -> None:
    n = normalize(raw)
    assert n._rebuilt[0] == n.text

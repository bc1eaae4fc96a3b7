"""The one-pass anchor index finds exactly what a str.find per anchor would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.core.anchors import AnchorIndex, WordIndex

ALPHABET = "ab c'-"


def brute(text: str, anchors: set[str], limit: int) -> dict[str, list[int]]:
    return {a: [p for p in range(len(text)) if text.startswith(a, p)][:limit] for a in anchors}


@settings(max_examples=400, deadline=None)
@given(anchors=st.sets(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=8),
       text=st.text(ALPHABET, max_size=60), limit=st.integers(1, 10))
def test_index_equals_brute_force(anchors: set[str], text: str, limit: int) -> None:
    assert AnchorIndex(anchors, limit).scan(text) == brute(text, anchors, limit)


def test_nested_and_overlapping_anchors() -> None:
    text = "not a professional seller account you"
    anchors = {"pro", "professional", "seller account", "account you", "not a", "a"}
    assert AnchorIndex(anchors, 50).scan(text) == brute(text, anchors, 50)


def test_empty_index() -> None:
    assert AnchorIndex([], 5).scan("anything") == {}


@settings(max_examples=300, deadline=None)
@given(words=st.sets(st.text(ALPHABET, min_size=1, max_size=5), max_size=8), text=st.text(ALPHABET, max_size=60))
def test_word_index_finds_the_words_a_text_holds(words: set[str], text: str) -> None:
    index = WordIndex(words)
    assert index.found(text) == {w for w in index.words if w in text}

"""LeadingFinder (plugin/core/leading.py): a case-insensitive regex tried only where its first strings occur
finds exactly what ``finditer`` finds, including on texts whose characters lower differently from how
``regex`` matches them."""

from __future__ import annotations

import json
import random

import pytest
import regex

from plugin.core import leading, prefilter
from plugin.core.leading import LeadingFinder
from plugin.core.patterns import first_match, load_patterns, starts_of

from .conftest import PATTERNS_DIR

_FLAGS = regex.IGNORECASE | regex.V0
_SET = load_patterns(PATTERNS_DIR)
assert _SET.pasted is not None
_CUES = LeadingFinder(_SET.pasted.cues)


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


def test_the_cues_get_first_strings() -> None:
    """The shipped cues are tried place by place (else this speed-up silently does nothing)."""
    assert _CUES._automaton is not None  # noqa: SLF001


@pytest.mark.parametrize("text", [
    "It says: here is the report, pasted below",
    "HERE IS what I COPIED",
    "\u017fays here",            # long s: regex takes it for "s", str.lower keeps it
    "\u0130C\u0130 voici",       # dotted capital I lowers to two characters
    "\u03a3 here \u03a3",        # final sigma lowers by its neighbours
    "\u212aopiert, unten",       # Kelvin sign: regex and str.lower both read "k"
    "Ich habe es eingefügt, HEIßT ES",
    "日本語 以下 コピーしました 貼ります",
    "invoice credit official required",  # first strings inside words: tried, no match
    "",
])
def test_same_as_finditer(text: str) -> None:
    assert _spans(_CUES.finditer(text)) == _spans(_SET.pasted.cues.finditer(text))


def test_same_as_finditer_on_random_texts() -> None:
    rng = random.Random(3)
    pieces = ["here", "HERE's", "says", "it says", "pasted", "copy", "qui", "ici", "dit", "voici", "unten", "füge",
              "eingefügt", "以下", "貼り付け", "\u017f", "\u0130", "\u212a", " ", "\n", ".", "x", "invoice", "Abajo"]
    for _ in range(500):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "\n"]) for _ in range(rng.randint(0, 30)))
        assert _spans(_CUES.finditer(text)) == _spans(_SET.pasted.cues.finditer(text)), text


def test_search_is_the_first_match() -> None:
    """The pasted intro line's words are searched line by line: the same first match as the regex's search."""
    intro = LeadingFinder(_SET.pasted.intro)
    assert intro._automaton is not None  # noqa: SLF001
    for line in ["Our agency's weekly REPORT below:", "no such words here", "", "notes and a changelog", "listing report"]:
        want = _SET.pasted.intro.search(line)
        got = intro.search(line)
        assert (got and got.span()) == (want and want.span()), line


def test_first_strings_are_spelt_on() -> None:
    """A cue's first string is spelt past a single letter ("l" of "liste", "lu"), which occurs every few
    characters, and an optional part read both ways ("list x", "lists x")."""
    starts = _CUES._alphabet and prefilter.case_insensitive_starts(_SET.pasted.cues.pattern)  # noqa: SLF001
    assert starts is not None and min(map(len, starts)) >= 2
    assert prefilter.case_insensitive_starts("(?:lists?|lu) x|ok") == frozenset({"list x", "lists x", "lu x", "ok"})


def test_a_first_string_that_matches_another_ascii_letter_is_not_used() -> None:
    """"\u017f" (long s) matches "s" case-insensitively: lowered, the first string would not find "s"."""
    finder = LeadingFinder(regex.compile("\u017fays|ok", _FLAGS))
    assert finder._automaton is None  # noqa: SLF001
    assert _spans(finder.finditer("says ok")) == [(0, 4), (5, 7)]


def test_kelvin_sign_lowers_as_it_matches() -> None:
    finder = LeadingFinder(regex.compile("\u212aelvin|ok", _FLAGS))
    assert finder._automaton is not None  # noqa: SLF001
    assert _spans(finder.finditer("kelvin ok \u212aELVIN")) == [(0, 6), (7, 9), (10, 16)]


def test_no_first_strings_searches_whole() -> None:
    finder = LeadingFinder(regex.compile(r"\w+ing", _FLAGS))
    assert finder._automaton is None  # noqa: SLF001
    assert _spans(finder.finditer("going, doing")) == [(0, 5), (7, 12)]


def test_labelled_tickets() -> None:
    texts = [json.loads(line)["description"] for line in
             (PATTERNS_DIR.parent / "tests/data/labelled_tickets.jsonl").read_text(encoding="utf-8").splitlines()]
    for text in texts:
        assert _spans(_CUES.finditer(text)) == _spans(_SET.pasted.cues.finditer(text))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 2048])
def test_starts_places_across_chunks(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every place one of the strings starts, each once and in order, however the text is cut into passes."""
    monkeypatch.setattr(leading, "CHUNK", chunk)
    starts = leading.Starts(frozenset({"ab", "abc", "bcd", "d"}))
    text = "xabcdab abcd dd"
    want = sorted({i for i in range(len(text)) for s in ("ab", "abc", "bcd", "d") if text.startswith(s, i)})
    assert list(starts.places(text, 0, len(text))) == want
    assert list(starts.places(text, 2, 12)) == [p for p in want if 2 <= p and p + 1 <= 12 and
                                                any(text.startswith(s, p) and p + len(s) <= 12 for s in ("ab", "abc", "bcd", "d"))]


def test_first_match_with_starts_is_the_search() -> None:
    """A negative's regex tried at each place its first strings occur finds the search's first match."""
    source = r"(?<!not )\b(?:solved|fixed|sorted) (?:it|now)\b|\bworks (?:again|now)\b"
    pattern = regex.compile(source)
    starts = starts_of(source)
    assert isinstance(starts, leading.Starts)
    rng = random.Random(5)
    words = ["solved", "fixed", "not", "it", "now", "works", "again", "sorted", "x", "worksnow"]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 25)))
        for lo, hi in ((0, len(text)), (3, max(3, len(text) - 4))):
            want = pattern.search(text, lo, hi)
            got = first_match(pattern, starts, text, lo, hi, lambda: 1.0)
            assert (want and want.span()) == (got and got.span()), text

"""A fuzzy twin tried only where an exact part of its pattern allows a match to start (fuzzy.py)."""

from __future__ import annotations

import random

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core import fuzzy
from plugin.core.fuzzy import fuzzy_search, fuzzy_starts
from plugin.core.patterns import PatternSet

FLAGS = regex.IGNORECASE | regex.ENHANCEMATCH

BANNER = (r"(?:amazon (?:has )?)?flagged (?:your|my|our|the|their) (?:amazon )?(?:shop|store|account|seller account) "
          r"for (?:an? )?(?:additional|further|extra|manual) review")
PATTERNS = [
    (BANNER, 3, "Amazon has flagged your seller account for additional review"),
    (r"\ban error has occurr?ed\b", 2, "An error has occurred"),
    (r"\b(?:se ha producido|ha ocurrido|se produjo|ocurri(?:ó|o)) un error\b", 2, "se ha producido un error"),
    (r"ステー?ジン[グク](?:\s?モード|中|状態|の(?:まま|状態))?とのこと", 1, "ステージング状態とのこと"),
    (r"account connection (?:has |was )?timed out", 2, "account connection has timed out"),
    (r"could(?:n'?t| not) connect\W{0,3}(?:please )?contact amazon", 3, "Couldn't connect. Please contact Amazon"),
    (r"(?:failed|fail|didn'?t pass)\W+(?:\w+\W+){0,4}?health[ -]?checks?|health[ -]?checks?\W+(?:\w+\W+){0,5}?failed",
     1, "the store failed the health check"),
]


def _twin(pattern: str, edits: int) -> regex.Pattern[str]:
    return regex.compile(f"(?:{pattern}){{e<={edits}}}", FLAGS)


def _key(m: regex.Match[str] | None) -> object:
    return None if m is None else (m.span(), m.fuzzy_counts)


def _same(pattern: str, edits: int, text: str, start: int, end: int) -> None:
    twin, starts = _twin(pattern, edits), fuzzy_starts(pattern, edits, regex.IGNORECASE)
    assert starts is not None
    expected = twin.search(text, start, end)
    assert _key(fuzzy_search(twin, starts, text, start, end, lambda: 5.0)) == _key(expected), (text[start:end], expected)


def test_a_pattern_is_cut_into_two_parts_an_edit_and_two_more() -> None:
    starts = fuzzy_starts("abcdefghijklmnop", 1, regex.IGNORECASE)
    assert starts is not None and [p.rx.pattern for p in starts.parts] == ["abcd", "efgh", "ijkl", "mnop"]
    assert [(p.before_least, p.before_most) for p in starts.parts] == [(0, 1), (3, 5), (7, 9), (11, 13)]


def test_fewer_parts_when_they_would_be_short_and_none_when_still_too_short() -> None:
    starts = fuzzy_starts("abcdefgh", 1, regex.IGNORECASE)
    assert starts is not None and [p.rx.pattern for p in starts.parts] == ["abcd", "efgh"]
    assert fuzzy_starts("abcdefg", 1, regex.IGNORECASE) is None


def test_the_banner_is_cut_where_parts_take_the_most() -> None:
    starts = fuzzy_starts(BANNER, 3, regex.IGNORECASE)
    assert starts is not None and len(starts.alternatives) == 1
    assert "".join(p.rx.pattern for p in starts.parts) == BANNER
    assert all(p.rx.search("") is None for p in starts.parts)  # none matches the empty string
    first, second = starts.parts[:2]
    # "(?:amazon (?:has )?)?flagg" takes 5 to 16 characters: the second part begins 2 (three deletions) to 19
    # (three insertions) after the start; the first at most 3 after it (insertions).
    assert first.rx.pattern == "(?:amazon (?:has )?)?flagg"
    assert (first.before_least, first.before_most) == (0, 3)
    assert (second.before_least, second.before_most) == (5 - 3, 16 + 3)


def test_a_repeat_without_bound_only_ends_a_part() -> None:
    # Looked for at every space, "(?:[\w']+\s?){0,3}?" followed by more would try every way to cut the words.
    starts = fuzzy_starts(r"amazon ha segnalato (?:[\w']+\s?){0,3}?(?:negozio|account) per una revisione", 1,
                          regex.IGNORECASE)
    assert starts is not None
    for p in starts.parts:
        if "{0,3}?" in p.rx.pattern:
            assert p.rx.pattern.endswith("{0,3}?")
    assert fuzzy_starts(r"\bst(?:a|ae)g+e?ing?[ -]?modus", 1, regex.IGNORECASE) is None  # "g+" must end a part


def test_parts_after_an_unbounded_repeat_allow_any_start_before_them() -> None:
    starts = fuzzy_starts(r"failed\W+(?:\w+\W+){0,4}?health check", 1, regex.IGNORECASE)
    assert starts is not None
    assert starts.parts[0].before_most == 1 and starts.parts[-1].before_most >= fuzzy.UNBOUNDED
    text = "it failed, sadly, the health check"
    assert starts.spans(text, 0, len(text))[0][0] <= 3  # at "failed" (or one insertion before it)


def test_alternatives_are_cut_one_by_one() -> None:
    starts = fuzzy_starts(r"\b(?:ein fehler ist|es ist ein fehler) aufgetreten\b", 2, regex.IGNORECASE)
    assert starts is not None and [len(a) for a in starts.alternatives] == [6, 6]


def test_a_start_must_be_allowed_by_the_parts_less_the_edits() -> None:
    starts = fuzzy_starts("abcdefghijklmnop", 1, regex.IGNORECASE)  # three of the four parts must stay exact
    assert starts is not None
    assert starts.spans("abcd  efgh  ijkl  mnop", 0, 22) == []  # each part alone allows starts, no three agree
    text = "xx abcdefgXijklmnop"  # "efgh" spoilt: "abcd", "ijkl" and "mnop" agree on a start about 3
    spans = starts.spans(text, 0, len(text))
    assert spans and spans[0][0] <= 3 <= spans[0][1] and sum(b - a + 1 for a, b in spans) <= 3
    twin = _twin("abcdefghijklmnop", 1)
    assert _key(fuzzy_search(twin, starts, text, 0, len(text), lambda: 5.0)) == _key(twin.search(text))


@pytest.mark.parametrize("pattern", [
    r"(?<!not )flagged for review",  # a look-behind reads what no part holds
    r"flagged(?= for) for review",
    r"^flagged for review",
    r"(flag)ged for \1",
    r"(?i:flagged) for review",
    r"ab",  # too short to cut into three parts that each take a character
])
def test_what_cannot_be_cut_provably_is_searched_whole(pattern: str) -> None:
    assert fuzzy_starts(pattern, 2, regex.IGNORECASE) is None
    twin = _twin(pattern, 2)
    assert _key(fuzzy_search(twin, None, "xx flagged for review", 0, 21, lambda: 5.0)) == _key(twin.search("xx flagged for review"))


def test_a_window_without_any_part_is_not_searched(monkeypatch) -> None:
    starts = fuzzy_starts(BANNER, 3, regex.IGNORECASE)

    class Refuses:
        def search(self, *args, **kwargs):
            raise AssertionError("searched")

        match = search

    text = "the weather is lovely today and nothing at all was said about any store"
    assert fuzzy_search(Refuses(), starts, text, 0, len(text), lambda: 5.0) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_a_leading_insertion_is_found_as_the_whole_search_finds_it(monkeypatch, share: float) -> None:
    # A search's first position may not begin a match with an inserted character; a later one may. From 0 the
    # first try that matches is at 2, " account ... owut" with the space inserted, refined to (3, 36); a search
    # from 2 finds (3, 35) instead.
    monkeypatch.setattr(fuzzy, "FULL_SEARCH_SHARE", share)
    pattern, text = PATTERNS[4][0], "xx account connection has timed owut yy"
    twin = _twin(pattern, 2)
    assert twin.search(text).span() == (3, 36) and twin.search(text, 2).span() == (3, 35)
    for start in range(0, 5):
        _same(pattern, 2, text, start, len(text))


_LETTERS = "abcdefghijklmnopqrstuvwxyz '.-éóü"


def _perturbed(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        if not chars:
            break
        i, op = rng.randrange(len(chars)), rng.random()
        if op < 0.33:
            chars[i] = rng.choice(_LETTERS)
        elif op < 0.66:
            del chars[i]
        else:
            chars.insert(i, rng.choice(_LETTERS))
    return "".join(chars)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(PATTERNS) - 1), seed=st.integers(0, 2**32), edits=st.integers(0, 5),
       before=st.text(alphabet=_LETTERS, max_size=60), after=st.text(alphabet=_LETTERS, max_size=60),
       share=st.sampled_from([0.0, 0.6, 1.0]), cut=st.integers(0, 200))
def test_the_same_match_as_the_whole_window_search(which: int, seed: int, edits: int, before: str, after: str,
                                                   share: float, cut: int) -> None:
    pattern, max_errors, example = PATTERNS[which]
    rng = random.Random(seed)
    text = before + _perturbed(rng, example, edits) + " " + _perturbed(rng, example, rng.randrange(6)) + after
    start = min(cut % 40, len(text))
    end = max(start, len(text) - cut // 40)
    old = fuzzy.FULL_SEARCH_SHARE
    fuzzy.FULL_SEARCH_SHARE = share
    try:
        _same(pattern, max_errors, text, start, end)
    finally:
        fuzzy.FULL_SEARCH_SHARE = old


def test_every_shipped_twin_finds_what_its_whole_search_finds_in_perturbed_examples(patterns: PatternSet) -> None:
    rng = random.Random(11)
    examples = [e for p in patterns.error_patterns for e in (*p.spec.examples.match,
                                                              *(m for o in p.overlays for m in o.match))]
    cut = 0
    for p in patterns.error_patterns:
        for rx in p.regexes:
            if rx.fuzzy is None or rx.fuzzy_starts is None:
                continue
            cut += 1
            own = [e for e in examples if rx.fuzzy.search(e)] or examples[:20]
            for i in range(40):
                text = _perturbed(rng, rng.choice(own), rng.randrange(5))
                start = rng.randrange(3) if i % 2 else 0
                expected = rx.fuzzy.search(text, start, len(text))
                got = fuzzy_search(rx.fuzzy, rx.fuzzy_starts, text, start, len(text), lambda: 5.0)
                assert _key(got) == _key(expected), (p.id, rx.name, text)
    assert cut >= 20  # most twins are cut (the banners)

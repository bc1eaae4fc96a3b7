"""Find a case-insensitive regex's matches by trying it only where one of its first strings occurs.

The pasted-document cues are one large alternation of short words in six languages
(``\\b(?:below|here|...)\\b|...``) searched case-insensitively: the ``regex`` engine tries every
branch at every character (about 0.2 us a character, 0.1 ms on a 500 B ticket). The strings every
match starts with are read from the regex's parse tree (prefilter.py), found in one Aho-Corasick pass
over the lowered text, and the regex is tried only there: the same matches as ``finditer``.
"""

from __future__ import annotations

from collections.abc import Iterator

import ahocorasick
import regex

from .prefilter import case_insensitive_starts

_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CONTEXT_LOWER = "\u03a3"
"""The one character ``str.lower`` lowers by its neighbours (a final sigma): never read as safe."""


def _same(x: str, y: str) -> bool:
    """Whether ``regex`` matches pattern character ``x`` to text character ``y`` case-insensitively."""
    return regex.fullmatch(regex.escape(x), y, regex.IGNORECASE | regex.V0) is not None


class LeadingFinder:
    """``pattern.finditer(text)``, the regex tried only where one of its first strings occurs.

    Exact: every match starts with one of the strings, and a text character ``regex`` takes for one of
    their characters case-insensitively is taken for it by ``str.lower`` too (checked per character,
    once; a text holding another, "ſ" for "s", is searched whole). The regex tried at a place reads the
    text around it as a search does (look-behinds and ``\\b`` see before it).
    """

    def __init__(self, pattern: regex.Pattern[str]) -> None:
        self.pattern = pattern
        self._automaton: ahocorasick.Automaton | None = None
        self._alphabet: frozenset[str] = frozenset()
        self._safe: dict[str, bool] = {}
        starts = case_insensitive_starts(pattern.pattern) if pattern.flags & regex.IGNORECASE else None
        if starts is None or any(len(s.lower()) != len(s) for s in starts):
            return
        self._alphabet = frozenset(ch for s in starts for ch in s)
        if not all(self._plain(ch) for ch in _ASCII_LETTERS):
            return  # a first string's "K" (Kelvin) or "ſ" matches an ASCII letter that lowers otherwise
        self._automaton = ahocorasick.Automaton()
        for s in {s.lower() for s in starts}:
            self._automaton.add_word(s, len(s))
        self._automaton.make_automaton()

    def _plain(self, y: str) -> bool:
        """Whether every first-string character ``regex`` matches to ``y`` lowers as ``y`` does."""
        low = y.lower()
        return all(not _same(x, y) or (len(low) == 1 and x.lower() == low) for x in self._alphabet)

    def _lowered(self, text: str) -> str | None:
        """The text lowered, place for place, when that finds every place a match may start; else None."""
        if not text.isascii():
            safe = self._safe
            for ch in set(text):
                known = safe.get(ch)
                if known is None:
                    known = safe[ch] = ch.isascii() or (ch != _CONTEXT_LOWER and self._plain(ch))
                if not known:
                    return None
        return text.lower()

    def finditer(self, text: str) -> Iterator[regex.Match[str]]:
        """The matches ``self.pattern.finditer(text)`` gives, in order."""
        low = None if self._automaton is None else self._lowered(text)
        if low is None or self._automaton is None:
            yield from self.pattern.finditer(text)
            return
        places = sorted({end - n + 1 for end, n in self._automaton.iter(low)})
        pos = 0
        for place in places:
            if place < pos:
                continue
            m = self.pattern.match(text, place)
            if m is not None:
                yield m
                pos = m.end()

    def search(self, text: str) -> regex.Match[str] | None:
        """The match ``self.pattern.search(text)`` gives: the leftmost, so the first ``finditer`` yields."""
        return next(self.finditer(text), None)


CHUNK = 2048
"""Characters read per Aho-Corasick pass when looking for a first match: a long ticket's first
match is usually near its start, and the rest of it need not be read."""


class Starts:
    """The places one of some strings occurs (the strings every match of a regex searched on the
    lowered text starts with), in order, found by an Aho-Corasick pass read a chunk at a time."""

    __slots__ = ("_automaton", "_longest")

    def __init__(self, strings: frozenset[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for s in strings:
            self._automaton.add_word(s, len(s))
        self._automaton.make_automaton()
        self._longest = max(map(len, strings))

    def places(self, target: str, start: int, end: int) -> Iterator[int]:
        """Every place in ``[start:end]`` where one of the strings starts and lies wholly before ``end``."""
        reach = self._longest - 1
        lo = start
        while lo < end:
            hi = min(end, lo + CHUNK)
            # A string starting before ``hi`` ends before ``hi + reach``: this pass sees all of them.
            found = {e - n + 1 for e, n in self._automaton.iter(target, lo, min(end, hi + reach))}
            yield from sorted(p for p in found if p < hi)
            lo = hi

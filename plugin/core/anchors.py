"""Find every anchor of a pattern set, and its common misspellings, in one pass over the text.

Separate ``str.find`` scans cost one pass per anchor; an Aho-Corasick automaton costs one pass in
all, however many patterns, languages and misspelt variants there are.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Iterable

import ahocorasick

_SECOND = operator.itemgetter(1)

MIN_TYPO_LEN = 6
"""Shorter anchors get no misspelt variants: "flag" or "temps" minus a letter match half the language."""
MIN_TWO_TYPOS_LEN = 12
"""Two edits only in long words ("professional" -> "porfesional"): the variants grow with the square."""
MIN_PHRASE_LEN = 10
_TYPO_CHARS = re.compile(r"[a-zß-ɏ]+")
"""Latin letters, accented ones too (German, French, Spanish, Italian); never CJK, which has no words to misspell this way."""
_PHRASE = re.compile(r"[a-zß-ɏ]+(?: [a-zß-ɏ]+)+")
_VOWELS = "aeiouy"


def _one_edit(word: str, vowels: bool = True) -> set[str]:
    """Dropped, doubled and swapped letters, and a stray vowel: the typos merchants make."""
    out = set()
    for i in range(len(word)):
        if 0 < i < len(word) - 1:
            # Dropping the first or last letter only finds the word's own middle ("rofessiona").
            out.add(word[:i] + word[i + 1:])
        if word[i].isalpha():
            out.add(word[:i + 1] + word[i] + word[i + 1:])
        if i + 1 < len(word) and word[i] != word[i + 1]:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    if vowels:
        for i in range(1, len(word)):
            for v in _VOWELS:
                out.add(word[:i] + v + word[i:])
    return out


def typo_variants(anchor: str) -> dict[str, int]:
    """Misspellings of an anchor (one edit; two for long anchors), each with its edit count."""
    if len(anchor) < MIN_TYPO_LEN:
        return {}
    if not _TYPO_CHARS.fullmatch(anchor):
        # A phrase ("account connection"): one dropped, doubled or swapped letter inside a word.
        if len(anchor) < MIN_PHRASE_LEN or not _PHRASE.fullmatch(anchor):
            return {}
        return {v: 1 for v in _one_edit(anchor, vowels=False) if _PHRASE.fullmatch(v) and len(v) >= MIN_PHRASE_LEN - 1}
    found = dict.fromkeys((v for v in _one_edit(anchor) if len(v) >= MIN_TYPO_LEN), 1)
    if len(anchor) >= MIN_TWO_TYPOS_LEN:
        for v in _one_edit(anchor, vowels=False):
            for w in _one_edit(v, vowels=False):
                if w not in found and len(w) >= MIN_TWO_TYPOS_LEN - 2:
                    found[w] = 2
    found.pop(anchor, None)
    return found


def _inside(start: int, end: int, starts: list[int], ends: list[int]) -> bool:
    """Whether [start, end) lies within one of the sorted spans (``ends`` is the running maximum)."""
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and ends[i] >= end


class AnchorIndex:
    """Every anchor, and (with ``typos``) its common misspellings, found in one pass over the text.

    An Aho-Corasick automaton (pyahocorasick, in C) reports every key ending at every position,
    overlapping ones included, in time linear in the text whatever the number of keys.
    """

    def __init__(self, anchors: Iterable[str], limit: int, typos: bool = False) -> None:
        self.anchors = frozenset(anchors)
        self.limit = limit
        # variant -> [(anchor, edits)]; a variant inside another anchor is never a typo of it.
        self.variants: dict[str, list[tuple[str, int]]] = {}
        if typos:
            joined = "\n".join(self.anchors)
            for anchor in sorted(self.anchors):
                for variant, edits in typo_variants(anchor).items():
                    if variant not in joined:
                        self.variants.setdefault(variant, []).append((anchor, edits))
        self._automaton: ahocorasick.Automaton | None = None
        keys = self.anchors | self.variants.keys()
        if keys:
            self._automaton = ahocorasick.Automaton()
            for key in keys:
                self._automaton.add_word(key, (key, key in self.anchors, tuple(self.variants.get(key, ()))))
            self._automaton.make_automaton()

    def scan(self, lowered: str) -> dict[str, list[int]]:
        """Start positions of every anchor (at most ``limit`` each); absent anchors have none."""
        found = self.scan_with_typos(lowered)[0]
        return {a: found.get(a, []) for a in self.anchors}

    def scan_with_typos(self, lowered: str) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, int, int]]]]:
        """Exact hits per anchor found (absent anchors are left out), and misspelt hits per anchor
        as (start, length, edits)."""
        hits: dict[str, list[int]] = {}
        typos: dict[str, list[tuple[int, int, int]]] = {}
        if self._automaton is None or not lowered:
            return hits, typos
        limit = self.limit
        for end, (key, exact, variant_of) in self._automaton.iter(lowered):
            pos = end - len(key) + 1
            if exact:
                found = hits.setdefault(key, [])
                if len(found) < limit:
                    found.append(pos)
            for anchor, edits in variant_of:
                near = typos.setdefault(anchor, [])
                if len(near) < limit:
                    near.append((pos, len(key), edits))
        for found in hits.values():
            found.sort()
        if typos:
            # A "variant" inside a correctly written anchor ("connect" in "connecting") is no typo.
            spans = sorted((p, p + len(a)) for a, found in hits.items() for p in found)
            if spans:
                starts = [s for s, _ in spans]
                ends = list(itertools.accumulate((e for _, e in spans), max))
                for near in typos.values():
                    near[:] = [t for t in near if not _inside(t[0], t[0] + t[1], starts, ends)]
            for near in typos.values():
                near.sort()
            typos = {a: near for a, near in typos.items() if near}
        return hits, typos


class WordIndex:
    """Which of many words a text holds anywhere, in one pass (the words negatives and contexts need,
    see prefilter.py): a short ticket then answers "is this word here?" from a set."""

    MIN_LEN = 3
    """Shorter strings ("is", "?") occur everywhere: in the pass they would only slow it; they are
    looked up one by one with ``in`` (those not plain ASCII only in a text that is not)."""

    def __init__(self, words: Iterable[str]) -> None:
        every = frozenset(w for w in words if w)
        self.words = every
        self._short = tuple(sorted(w for w in every if len(w) < self.MIN_LEN))
        self._short_ascii = tuple(w for w in self._short if w.isascii())
        self._single = frozenset(w for w in self._short if len(w) == 1)
        self._single_ascii = frozenset(w for w in self._short_ascii if len(w) == 1)
        self._pairs = tuple(w for w in self._short if len(w) != 1)
        self._pairs_ascii = tuple(w for w in self._short_ascii if len(w) != 1)
        self._automaton: ahocorasick.Automaton | None = None
        long = [w for w in every if len(w) >= self.MIN_LEN]
        if long:
            self._automaton = ahocorasick.Automaton()
            for word in long:
                self._automaton.add_word(word, word)
            self._automaton.make_automaton()

    def found(self, lowered: str) -> set[str]:
        """The words that occur in ``lowered``."""
        out = set() if self._automaton is None else set(map(_SECOND, self._automaton.iter(lowered)))
        ascii_only = lowered.isascii()
        singles, pairs = (self._single_ascii, self._pairs_ascii) if ascii_only else (self._single, self._pairs)
        if singles:
            out.update(singles.intersection(lowered))  # one pass over the text's characters
        out.update([w for w in pairs if w in lowered])
        return out

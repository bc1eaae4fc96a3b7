"""Find every anchor of a pattern set in one pass over the text.

Separate ``str.find`` scans cost one pass per anchor; a regex shaped like a trie of all anchors
costs one pass in all, however many patterns admins add. Searching again from one past each hit
finds every start position (anchors may overlap), and the longest anchor found at a position implies
the shorter ones that are its prefixes. (No leading lookahead: the regex engine can then skip ahead
to the anchors' first letters.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _trie_regex(words: Iterable[str]) -> str:
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(root)


MIN_TYPO_LEN = 5
"""Shorter anchors get no misspelt variants: "flag" minus a letter matches half the language."""
MIN_TWO_TYPOS_LEN = 8
_TYPO_CHARS = re.compile(r"[a-z]+")
_VOWELS = "aeiouy"


def _one_edit(word: str, vowels: bool = True) -> set[str]:
    """Dropped, doubled and swapped letters, and a stray vowel: the typos merchants make."""
    out = set()
    for i in range(len(word)):
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
    if len(anchor) < MIN_TYPO_LEN or not _TYPO_CHARS.fullmatch(anchor):
        return {}
    found = dict.fromkeys((v for v in _one_edit(anchor) if len(v) >= MIN_TYPO_LEN - 1), 1)
    if len(anchor) >= MIN_TWO_TYPOS_LEN:
        for v in _one_edit(anchor, vowels=False):
            for w in _one_edit(v, vowels=False):
                if w not in found and len(w) >= MIN_TWO_TYPOS_LEN - 2:
                    found[w] = 2
    found.pop(anchor, None)
    return found


class AnchorIndex:
    """Every anchor, and (with ``typos``) its common misspellings, found in one pass over the text."""

    def __init__(self, anchors: Iterable[str], limit: int, typos: bool = False) -> None:
        self.anchors = frozenset(anchors)
        self.limit = limit
        # variant -> [(anchor, edits)]; exact anchors are never variants of each other.
        self.variants: dict[str, list[tuple[str, int]]] = {}
        if typos:
            for anchor in sorted(self.anchors):
                for variant, edits in typo_variants(anchor).items():
                    if variant not in self.anchors:
                        self.variants.setdefault(variant, []).append((anchor, edits))
        keys = self.anchors | self.variants.keys()
        self._regex = re.compile(_trie_regex(sorted(keys))) if keys else None
        # The longest key found at a position implies every key that is its prefix.
        self._implied = {k: [k[:n] for n in range(1, len(k) + 1) if k[:n] in keys] for k in keys}

    def scan(self, lowered: str) -> dict[str, list[int]]:
        """Start positions of every anchor (at most ``limit`` each); absent anchors have none."""
        return self.scan_with_typos(lowered)[0]

    def scan_with_typos(self, lowered: str) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, int, int]]]]:
        """Exact hits per anchor, and misspelt hits per anchor as (start, length, edits)."""
        hits: dict[str, list[int]] = {a: [] for a in self.anchors}
        typos: dict[str, list[tuple[int, int, int]]] = {}
        if self._regex is None:
            return hits, typos
        search = self._regex.search
        variants = self.variants
        m = search(lowered)
        while m is not None:
            pos = m.start()
            for key in self._implied[m.group()]:
                found = hits.get(key)
                if found is not None and len(found) < self.limit:
                    found.append(pos)
                for anchor, edits in variants.get(key, ()):
                    near = typos.setdefault(anchor, [])
                    if len(near) < self.limit:
                        near.append((pos, len(key), edits))
            m = search(lowered, pos + 1)
        if typos:
            # A "variant" that is only the start of the anchor itself written correctly is no typo.
            for anchor, near in typos.items():
                exact = hits.get(anchor, ())
                near[:] = [t for t in near if not any(p <= t[0] < p + len(anchor) for p in exact)]
        return hits, typos

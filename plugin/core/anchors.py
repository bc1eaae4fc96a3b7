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


class AnchorIndex:
    def __init__(self, anchors: Iterable[str], limit: int) -> None:
        self.anchors = frozenset(anchors)
        self.limit = limit
        self._regex = re.compile(_trie_regex(sorted(self.anchors))) if self.anchors else None
        self._implied = {a: [b for b in self.anchors if a.startswith(b)] for a in self.anchors}

    def scan(self, lowered: str) -> dict[str, list[int]]:
        """Start positions of every anchor (at most ``limit`` each); absent anchors have none."""
        hits: dict[str, list[int]] = {a: [] for a in self.anchors}
        if self._regex is None:
            return hits
        search = self._regex.search
        m = search(lowered)
        while m is not None:
            pos = m.start()
            for anchor in self._implied[m.group()]:
                found = hits[anchor]
                if len(found) < self.limit:
                    found.append(pos)
            m = search(lowered, pos + 1)
        return hits

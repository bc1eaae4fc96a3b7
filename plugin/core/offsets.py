"""Map positions in rewritten text back to the text the merchant wrote.

Normalisation deletes and replaces characters; evidence must still be quoted as written. Each
rewrite stage records only the spans it changed, so an unchanged ASCII ticket costs nothing.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# An edit is (new_start, new_end, old_start, old_end): plain tuples, one per changed span.
Edit = tuple[int, int, int, int]


@dataclass(frozen=True)
class OffsetMap:
    """Positions of one rewrite stage: new text index -> old text index."""

    edits: tuple[Edit, ...] = ()
    _keys: tuple[int, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, edits: list[Edit]) -> OffsetMap:
        return cls(tuple(edits), tuple(e[0] for e in edits))

    def _edit_before(self, pos: int) -> Edit | None:
        i = bisect.bisect_right(self._keys, pos) - 1
        return self.edits[i] if i >= 0 else None

    def start(self, pos: int) -> int:
        e = self._edit_before(pos)
        if e is None:
            return pos
        new_start, new_end, old_start, old_end = e
        if pos >= new_end:
            return old_end + (pos - new_end)
        return old_start + (pos - new_start) * (old_end - old_start) // max(new_end - new_start, 1)

    def end(self, pos: int) -> int:
        if pos <= 0:
            return 0
        e = self._edit_before(pos - 1)
        if e is None or pos > e[1]:
            return self.start(pos - 1) + 1
        if pos == e[1]:
            return e[3]
        return self.start(pos)


def rewrite_constant(text: str, pattern: re.Pattern[str], new: str) -> tuple[str, OffsetMap]:
    """Like ``pattern.sub(new, text)`` for a pattern that never matches ``new`` itself, with the map."""
    spans = [m.span() for m in pattern.finditer(text)]
    if not spans:
        return text, OffsetMap()
    width = len(new)
    edits: list[Edit] = []
    kept: list[str] = []
    shift = last = 0
    for s, e in spans:
        edits.append((s + shift, s + shift + width, s, e))
        shift += width - (e - s)
        kept.append(text[last:s])
        last = e
    kept.append(text[last:])
    # The text between the matches, joined by ``new``: what sub() writes, without a second search.
    return (new.join(kept) if "\\" not in new else pattern.sub(new, text)), OffsetMap.of(edits)


def rewrite(text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> tuple[str, OffsetMap]:
    """Like ``pattern.sub(repl, text)``, also returning where each change came from."""
    parts: list[str] = []
    edits: list[Edit] = []
    last = 0
    shift = 0
    for m in pattern.finditer(text):
        new = repl(m)
        old = m.group()
        if new == old:
            continue
        s, e = m.span()
        parts.append(text[last:s])
        parts.append(new)
        ns = s + shift
        edits.append((ns, ns + len(new), s, e))
        shift += len(new) - len(old)
        last = e
    if not edits:
        return text, OffsetMap()
    parts.append(text[last:])
    return "".join(parts), OffsetMap.of(edits)

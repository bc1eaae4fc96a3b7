"""Map positions in rewritten text back to the text the merchant wrote.

Normalisation deletes and replaces characters; evidence must still be quoted as written. Each
rewrite stage records only the spans it changed, so an unchanged ASCII ticket costs nothing.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    new_start: int
    new_end: int
    old_start: int
    old_end: int


@dataclass(frozen=True)
class OffsetMap:
    """Positions of one rewrite stage: new text index -> old text index."""

    edits: tuple[Edit, ...] = ()
    _keys: tuple[int, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, edits: list[Edit]) -> OffsetMap:
        return cls(tuple(edits), tuple(e.new_start for e in edits))

    def _edit_before(self, pos: int) -> Edit | None:
        i = bisect.bisect_right(self._keys, pos) - 1
        return self.edits[i] if i >= 0 else None

    def start(self, pos: int) -> int:
        e = self._edit_before(pos)
        if e is None:
            return pos
        if pos >= e.new_end:
            return e.old_end + (pos - e.new_end)
        old_len, new_len = e.old_end - e.old_start, e.new_end - e.new_start
        return e.old_start + (pos - e.new_start) * old_len // max(new_len, 1)

    def end(self, pos: int) -> int:
        if pos <= 0:
            return 0
        e = self._edit_before(pos - 1)
        if e is None or pos > e.new_end:
            return self.start(pos - 1) + 1
        if pos == e.new_end:
            return e.old_end
        return self.start(pos)


def rewrite(text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> tuple[str, OffsetMap]:
    """Like ``pattern.sub(repl, text)``, also returning where each change came from."""
    parts: list[str] = []
    edits: list[Edit] = []
    last = 0
    new_len = 0
    for m in pattern.finditer(text):
        s, e = m.span()
        new = repl(m)
        if new == m.group():
            continue
        parts.append(text[last:s])
        new_len += s - last
        parts.append(new)
        edits.append(Edit(new_len, new_len + len(new), s, e))
        new_len += len(new)
        last = e
    if not edits:
        return text, OffsetMap()
    parts.append(text[last:])
    return "".join(parts), OffsetMap.of(edits)

"""Spans of text, (start, end) pairs: the one way they are merged."""

from __future__ import annotations

from collections.abc import Iterable


def merged(spans: Iterable[tuple[int, int]], touching: bool = True) -> list[tuple[int, int]]:
    """The spans sorted and merged where they overlap; ``touching``: also where one ends right before the next
    begins (ranges whose ends are both included: (2, 4) and (5, 9) make (2, 9))."""
    gap = 1 if touching else 0
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out

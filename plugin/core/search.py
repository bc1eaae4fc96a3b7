"""Run one admin-written regex over a ticket cheaply and with a time limit.

Exact anchor words (``str.find``) locate the few windows where a pattern could match; the regex
(and its costly fuzzy twin) runs only inside them, so cost follows the text's length and the
number of anchor hits, not the pattern's cleverness. Every call carries a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from .normalize import NormalizedText
from .patterns import CompiledRegex

MAX_ANCHOR_HITS = 200


class Deadline:
    """A time budget shared by the regex calls of one pattern on one ticket."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"regex timed out (budget {self.seconds * 1000:.0f} ms)")
        return left


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    errors: int
    match: regex.Match[str]


def anchor_windows(lowered: str, rx: CompiledRegex) -> list[tuple[int, int]]:
    """Merged windows around anchor hits that hold at least ``min_anchors`` distinct anchors."""
    spec = rx.spec
    hits: list[tuple[int, int, int]] = []
    for i, anchor in enumerate(spec.anchors):
        pos = lowered.find(anchor)
        count = 0
        while pos != -1 and count < MAX_ANCHOR_HITS:
            hits.append((pos, pos + len(anchor), i))
            pos = lowered.find(anchor, pos + 1)
            count += 1
    if not hits:
        return []
    hits.sort()
    windows: list[tuple[int, int]] = []
    size = len(lowered)
    cur_s = cur_e = -1
    seen: set[int] = set()
    for s, e, i in hits:
        ws, we = max(0, s - spec.window), min(size, e + spec.window)
        if ws <= cur_e:
            cur_e = max(cur_e, we)
            seen.add(i)
            continue
        if cur_e >= 0 and len(seen) >= spec.min_anchors:
            windows.append((cur_s, cur_e))
        cur_s, cur_e, seen = ws, we, {i}
    if len(seen) >= spec.min_anchors:
        windows.append((cur_s, cur_e))
    return windows


def scan(rx: CompiledRegex, text: NormalizedText, deadline: Deadline) -> Iterator[Found]:
    """Yield exact matches in each window, or the best fuzzy one where no exact match is found."""
    for ws, we in anchor_windows(text.lowered, rx):
        exact = False
        for m in rx.exact.finditer(text.text, ws, we, timeout=deadline.remaining()):
            if m.end() > m.start():
                exact = True
                yield Found(m.start(), m.end(), 0, m)
        if not exact and rx.fuzzy is not None:
            m = rx.fuzzy.search(text.text, ws, we, timeout=deadline.remaining())
            if m is not None and m.end() > m.start():
                yield Found(m.start(), m.end(), sum(m.fuzzy_counts), m)


def search_near(pattern: regex.Pattern[str], text: str, start: int, end: int, window: int,
                deadline: Deadline) -> regex.Match[str] | None:
    """Search ``window`` characters either side of a span; 0 means the whole text."""
    if window == 0:
        return pattern.search(text, timeout=deadline.remaining())
    return pattern.search(text, max(0, start - window), min(len(text), end + window),
                          timeout=deadline.remaining())

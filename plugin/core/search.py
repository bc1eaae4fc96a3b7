"""Run one admin-written regex over a ticket cheaply and with a time limit.

Exact anchor words (``str.find``) locate the few windows where a pattern could match; the regex
(and its costly fuzzy twin) runs only inside them, so cost follows the text's length and the
number of anchor hits, not the pattern's cleverness. Every call carries a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import regex

from .normalize import NormalizedText
from .patterns import MAX_ANCHOR_HITS, CompiledNegative, CompiledRegex

MAX_FUZZY_WINDOWS = 6


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
    typos: int
    match: regex.Match[str]


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    anchors: int
    """How many distinct anchors the window holds: the best place to spend a fuzzy search."""


def anchor_windows(text: NormalizedText, rx: CompiledRegex) -> list[Window]:
    """Windows around anchor hits holding at least ``min_anchors`` distinct anchors.

    Neighbouring hits share a window, but no window grows past four times ``window``, so a text
    dense with anchors yields many bounded windows rather than one that covers everything.
    """
    spec = rx.spec
    hits: list[tuple[int, int, int]] = []
    for i, anchor in enumerate(spec.anchors):
        hits.extend((pos, pos + len(anchor), i) for pos in text.find_all(anchor, MAX_ANCHOR_HITS))
    if not hits:
        return []
    hits.sort()
    size, limit = len(text.lowered), 4 * spec.window
    windows: list[Window] = []
    cur_s = cur_e = -1
    seen: set[int] = set()
    for s, e, i in hits:
        ws, we = max(0, s - spec.window), min(size, e + spec.window)
        if ws <= cur_e and we - cur_s <= limit:
            cur_e = max(cur_e, we)
            seen.add(i)
            continue
        if cur_e >= 0 and len(seen) >= spec.min_anchors:
            windows.append(Window(cur_s, cur_e, len(seen)))
        cur_s, cur_e, seen = (max(ws, cur_e - spec.window) if ws <= cur_e else ws), we, {i}
    if len(seen) >= spec.min_anchors:
        windows.append(Window(cur_s, cur_e, len(seen)))
    return windows


def scan(rx: CompiledRegex, text: NormalizedText, deadline: Deadline) -> Iterator[Found]:
    """Yield the exact matches; only when there is none, the best fuzzy match of the likeliest windows."""
    windows = anchor_windows(text, rx)
    last_end = -1
    exact = False
    for w in windows:
        for m in rx.exact.finditer(text.text, max(w.start, last_end), w.end, timeout=deadline.remaining()):
            if m.end() > m.start():
                exact = True
                last_end = m.end()
                yield Found(m.start(), m.end(), sum(m.fuzzy_counts), m)
    if exact or rx.fuzzy is None:
        return
    likeliest = sorted(windows, key=lambda w: (-w.anchors, w.start))[:MAX_FUZZY_WINDOWS]
    for w in sorted(likeliest, key=lambda w: w.start):
        m = rx.fuzzy.search(text.text, w.start, w.end, timeout=deadline.remaining())
        if m is not None and m.end() > m.start():
            yield Found(m.start(), m.end(), sum(m.fuzzy_counts), m)


def first_veto(negatives: Iterable[CompiledNegative], found: Found, text: NormalizedText, deadline: Deadline,
               regex_name: str | None = None) -> tuple[CompiledNegative, regex.Match[str]] | None:
    """The first negative that matches near a hit (and applies to its regex), with its match."""
    for neg in negatives:
        if regex_name is not None and neg.spec.regexes and regex_name not in neg.spec.regexes:
            continue
        m = search_near(neg.regex, text.text, found.start, found.end, neg.spec.window, deadline)
        if m is not None:
            return neg, m
    return None


def search_near(pattern: regex.Pattern[str], text: str, start: int, end: int, window: int,
                deadline: Deadline) -> regex.Match[str] | None:
    """Search ``window`` characters either side of a span; 0 means the whole text."""
    if window == 0:
        return pattern.search(text, timeout=deadline.remaining())
    return pattern.search(text, max(0, start - window), min(len(text), end + window),
                          timeout=deadline.remaining())

"""Run one admin-written regex over a ticket cheaply and with a time limit.

Exact anchor words (``str.find``) locate the few windows where a pattern could match; the regex
(and its costly fuzzy twin) runs only inside them, so cost follows the text's length and the
number of anchor hits, not the pattern's cleverness. Every call carries a timeout.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import regex

from .cues import ENGLISH_CUES
from .fuzzy import fuzzy_search
from .normalize import SHORT_TEXT, NormalizedText
from .patterns import MAX_ANCHOR_HITS, Clauses, CompiledNegative, CompiledRegex, Vetoes, compile_seconds
from .prefilter import Requirement
from .shops import speaks_of_another_shop
from .thread import Layout

MAX_FUZZY_WINDOWS = 6


class _Collector:
    """Seconds the garbage collector has stopped this process, counted from the first Deadline on.

    A full collection walks every object a loaded pattern set holds (about 760,000: 0.3-0.5 s on
    this machine), and it stops every thread wherever it stands: counted in a pattern's budget, it
    turned the ticket being read at that moment into a time-out, and so into a missed error.
    """

    paused = 0.0
    _began = 0.0
    _watching = False

    @classmethod
    def watch(cls) -> None:
        if not cls._watching:
            cls._watching = True
            gc.callbacks.append(cls._on_collect)

    @classmethod
    def _on_collect(cls, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            cls._began = time.monotonic()
        else:
            cls.paused += time.monotonic() - cls._began


class Deadline:
    """A time budget shared by the regex calls of one pattern on one ticket; time this thread spends
    compiling a branch on its first use (patterns.compile_seconds), and time the garbage collector
    stops the process (_Collector), are not counted."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._compiled_before = compile_seconds()
        _Collector.watch()
        self._paused_before = _Collector.paused

    def remaining(self) -> float:
        left = (self.end + (compile_seconds() - self._compiled_before) + (_Collector.paused - self._paused_before)
                - time.monotonic())
        if left <= 0:
            raise TimeoutError(f"regex timed out (budget {self.seconds * 1000:.0f} ms)")
        return left


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    typos: int
    match: regex.Match[str]


class Window(NamedTuple):
    start: int
    end: int
    anchors: int
    """How many distinct anchors the window holds: the best place to spend a fuzzy search."""


def anchor_windows(text: NormalizedText, rx: CompiledRegex, typos: bool = False) -> list[Window]:
    """Windows around anchor hits holding at least ``min_anchors`` distinct anchors.

    Neighbouring hits share a window, but no window grows past four times ``window``, so a text
    dense with anchors yields many bounded windows rather than one that covers everything. With
    ``typos``, misspelt anchors ("stagging") count as hits too.
    """
    spec = rx.spec
    hits: list[tuple[int, int, int]] = []
    present = None if typos else text.anchors_present(rx.anchor_set)
    if present is not None:
        # Only the anchors the ticket holds (each at its places in the list of anchors).
        slots = rx.anchor_slots
        for anchor, found in present:
            n = len(anchor)
            for i in slots[anchor]:
                hits.extend([(pos, pos + n, i) for pos in found])
    else:
        for i, anchor in enumerate(spec.anchors):
            found = text.find_all(anchor, MAX_ANCHOR_HITS)
            if found:
                n = len(anchor)
                hits.extend([(pos, pos + n, i) for pos in found])
            if typos:
                hits.extend((pos, pos + length, i) for pos, length, _ in text.typos_of(anchor))
    if not hits:
        return []
    hits.sort()
    lowered = text.lowered
    size, window, limit, least = len(lowered), spec.window, 4 * spec.window, spec.min_anchors
    windows: list[Window] = []
    cur_s = cur_e = -1
    seen: set[int] = set()
    for s, e, i in hits:
        ws, we = max(0, s - window), min(size, e + window)
        if ws <= cur_e and we - cur_s <= limit:
            if we > cur_e:
                cur_e = we
            seen.add(i)
            continue
        if cur_e >= 0 and len(seen) >= least:
            windows.append(Window(cur_s, _word_end(lowered, cur_e), len(seen)))
        cur_s, cur_e, seen = (max(ws, cur_e - window) if ws <= cur_e else ws), we, {i}
    if len(seen) >= least:
        windows.append(Window(cur_s, _word_end(lowered, cur_e), len(seen)))
    return windows


_WORD_TAIL = regex.compile(r"\w{1,40}")


def _some_branch(text: NormalizedText, clauses: tuple[Clauses, ...], start: int, end: int) -> bool:
    """Whether some alternative of a regex finds a string of each of its clauses in ``lowered[start:end]``."""
    holds = text.holds
    for branch in clauses:
        for need in branch:
            if not holds(need, start, end):
                break
        else:
            return True
    return False


def _nowhere(text: NormalizedText, need: Requirement, clauses: tuple[Clauses, ...] | None) -> bool:
    """Whether a short text holds nowhere the words every exact match needs, so that no anchor window
    can (a set lookup per ticket: the windows need not be built). A long text is not asked whole:
    its words are looked for in the windows only."""
    if len(text.lowered) > SHORT_TEXT:
        return False
    size = len(text.lowered)
    return not text.holds(need, 0, size) or (clauses is not None and not _some_branch(text, clauses, 0, size))


def _anchors_held(text: NormalizedText, rx: CompiledRegex) -> int:
    """How many of the regex's anchors (by place, as a window counts them) the text holds spelt right: no window
    holds more. (A large number when the anchors were not all looked for in one pass: then unknown.)"""
    present = text.anchors_present(rx.anchor_set)
    if present is None:
        return len(rx.spec.anchors)
    slots = rx.anchor_slots
    return sum([len(slots[anchor]) for anchor, _ in present])


def _word_end(lowered: str, end: int) -> int:
    """A window never ends inside a word: a regex stopped there would take "A1MZ4RT8KQ2W" of
    "A1MZ4RT8KQ2WVP" for a whole token (its lookarounds see the window's end as the text's)."""
    if end == 0 or not lowered[end - 1 : end].isalnum():
        return end
    m = _WORD_TAIL.match(lowered, end)
    return m.end() if m else end


def _corrected(text: NormalizedText, rx: CompiledRegex, w: Window) -> tuple[str, list[tuple[int, int]], int] | None:
    """The window with its misspelt anchors written right, the shifts to map positions back, and
    the edits made; None when the window holds no typo."""
    typos = sorted(
        (pos, length, edits, anchor)
        for anchor in rx.spec.anchors for pos, length, edits in text.typos_of(anchor)
        if w.start <= pos and pos + length <= w.end
    )
    if not typos:
        return None
    out: list[str] = []
    shifts: list[tuple[int, int]] = []  # (position in the corrected window, original minus corrected from there on)
    cursor, delta, edits_made, clen = w.start, 0, 0, 0
    for pos, length, edits, anchor in sorted(typos, key=lambda t: (t[0], t[2], -t[1])):
        if pos < cursor:
            continue
        piece = text.text[cursor:pos]
        out.append(piece)
        clen += len(piece)
        shifts.append((clen, delta))
        out.append(anchor)
        clen += len(anchor)
        edits_made += edits
        delta += length - len(anchor)
        shifts.append((clen, delta))
        cursor = pos + length
    out.append(text.text[cursor:w.end])
    return "".join(out), shifts, edits_made


def _back(pos: int, shifts: list[tuple[int, int]], origin: int) -> int:
    """A position in a corrected window, in the ticket's text."""
    d = 0
    for at, shift in shifts:
        if pos >= at:
            d = shift
    return origin + pos + d


def _typo_matches(text: NormalizedText, rx: CompiledRegex, windows: list[Window], deadline: Deadline) -> Iterator[Found]:
    """The exact regex over windows whose misspelt anchors were written right (linear: the
    misspellings were found in the same one pass as the anchors)."""
    for w in windows:
        fixed = _corrected(text, rx, w)
        if fixed is None:
            continue
        corrected, shifts, edits = fixed
        m = rx.exact.search(corrected, timeout=deadline.remaining())
        if m is None or m.end() <= m.start():
            continue

        start = _back(m.start(), shifts, w.start)
        yield Found(start, max(start + 1, _back(m.end(), shifts, w.start)), edits, m)


def scan(rx: CompiledRegex, text: NormalizedText, deadline: Deadline) -> Iterator[Found]:
    """Yield the exact matches; when there is none, matches with misspelt anchors written right;
    then the best fuzzy match of the likeliest windows."""
    if not text.may_hold(rx.anchor_set):
        return
    # The words the regex needs besides its anchors: a window without them cannot match.
    folded = text.folds_plainly
    need = rx.need if folded else None
    starts = rx.starts if folded else None
    clauses = rx.clauses if folded else None
    nowhere = _nowhere(text, need, clauses)
    if nowhere and not (text.has_typos and any(text.typos_of(a) for a in rx.spec.anchors)):
        if rx.fuzzy is None:
            return  # (no window can pass the checks below, and no misspelt or fuzzy reading is tried)
        if _anchors_held(text, rx) < min(2, len(rx.spec.anchors)):
            return  # (only the fuzzy twin is left, and no window can hold the anchors it asks for, see below)
    windows = anchor_windows(text, rx)
    last_end = -1
    exact = False
    for w in () if nowhere else windows:
        pos = max(w.start, last_end)
        if not text.holds(need, pos, w.end):
            continue
        if clauses is not None and not _some_branch(text, clauses, pos, w.end):
            continue
        if rx.chars is not None and ((rx.chars_beyond_ascii and text.ascii)
                                     or rx.chars.search(text.text, pos, w.end) is None):
            continue
        if starts is not None:
            # No match starts before the first of its first strings (one finditer from there finds the
            # same matches: a look-behind or \b at a place reads the text before ``pos`` too).
            first = starts.search(text.lowered, pos, w.end)
            if first is None:
                continue
            pos = first.start()
        for m in rx.exact.finditer(text.text, pos, w.end, timeout=deadline.remaining()):
            if m.end() > m.start():
                exact = True
                last_end = m.end()
                yield Found(m.start(), m.end(), sum(m.fuzzy_counts), m)
    if exact:
        return
    if text.has_typos and any(text.typos_of(a) for a in rx.spec.anchors):
        typo_windows = anchor_windows(text, rx, typos=True)
        found_typo = False
        for found in _typo_matches(text, rx, typo_windows, deadline):
            found_typo = True
            yield found
        if found_typo:
            return
        windows = typo_windows
    if rx.fuzzy is None:
        return
    # The costly fuzzy twin runs only where two of the regex's anchors meet (or its only one).
    needed = min(2, len(rx.spec.anchors))
    likeliest = sorted((w for w in windows if w.anchors >= needed), key=lambda w: (-w.anchors, w.start))[:MAX_FUZZY_WINDOWS]
    fuzzy_need = rx.fuzzy_need if folded else None
    for w in sorted(likeliest, key=lambda w: w.start):
        if fuzzy_need is not None and not fuzzy_need.found_in(text.lowered, w.start, w.end):
            continue
        m = fuzzy_search(rx.fuzzy, rx.fuzzy_starts, text.text, w.start, w.end, deadline.remaining)
        if m is not None and m.end() > m.start():
            yield Found(m.start(), m.end(), sum(m.fuzzy_counts), m)


def first_veto(negatives: Iterable[CompiledNegative] | Vetoes, found: Found, text: NormalizedText, deadline: Deadline,
               regex_name: str | None = None,
               layout: Callable[[], Layout] | None = None,
               turn: regex.Pattern[str] = ENGLISH_CUES.turn) -> tuple[CompiledNegative, regex.Match[str]] | None:
    """The first negative that matches near a hit (and applies to its regex), with its match.

    A negative scoped to the sentence or clause looks only there (``layout`` gives the ticket's
    sentences; without it the window is used). A window negative's words before a ``turn`` to what is happening
    now ("... is gone. But now ...", "店舗Aは直りました。店舗Bは今も「…」と出ます": the old error solved, another shop's or
    system's trouble) do not veto a hit after it.
    """
    # The hit's sentence, clause and windows, found once for all its negatives (``text`` and ``lowered`` have
    # the same length, so a window is the same in either).
    spans: dict[object, tuple[int, int]] = {}
    size, start, end = len(text.lowered), found.start, found.end
    holds = text.holds
    for neg in _may_occur(negatives, text, regex_name):
        scope = neg.spec.scope
        key = neg.spec.window if scope == "window" or layout is None else scope
        span = spans.get(key)
        if span is None:
            if key == "sentence":
                span = layout().sentence(start, end)  # type: ignore[misc]
            elif key == "clause":
                span = layout().clause(start, end)  # type: ignore[misc]
            else:
                span = window_around(size, start, end, neg.spec.window)
            spans[key] = span
        s, e = span
        # A negative's words (neg.need) are looked for in the lowered text, which it is searched in.
        if not holds(neg.need, s, e):
            continue
        m = neg.search(text, s, e, deadline.remaining)
        if m is not None:
            if neg.spec.scope == "window" and m.end() <= found.start and turn.search(text.text, m.end(), found.start):
                continue
            if neg.spec.scope == "window" and _other_item(text, found, m):
                continue
            if speaks_of_another_shop(text, (found.start, found.end), m.span()):
                continue
            return neg, m
    return None


LIST_ITEM = regex.compile(r"\n[ \t>]*(?:\(?\d{1,2}[.)]|\(?[a-h]\)|[•▪◦*-])[ \t]+\S")
"""A line opening an item of a numbered or bulleted list ("2) Bottega Sarda: ...", "- Shop B: ...")."""


BLANK_LINE = regex.compile(r"\n[ \t]*\n")


def _other_item(text: NormalizedText, found: Found, m: regex.Match[str]) -> bool:
    """Whether a window negative's match and the hit lie in different items of a list: an agency's "3) Shop C: all
    solved" says nothing of shop B's error in the item above. A paragraph after the list ("No connection has been
    tried yet.") speaks for every item."""
    lo, hi = (m.end(), found.start) if m.end() <= found.start else (found.end, m.start())
    if hi <= lo or "\n" not in text.source:
        return False
    s, e = text.source_span(lo, hi)
    items = list(LIST_ITEM.finditer(text.source, s, e))
    item = items[-1] if items else None
    # The later of the two must be in the item that starts between them (no blank line after the item's start).
    return item is not None and BLANK_LINE.search(text.source, item.end(), e) is None


def _may_occur(negatives: Iterable[CompiledNegative] | Vetoes, text: NormalizedText,
               regex_name: str | None) -> Iterable[CompiledNegative]:
    """The negatives that apply to the regex and whose words the ticket holds (see
    CompiledNegative.may_occur): for a pattern's tuple of them, sorted out once per ticket and
    regex, not again at each hit."""
    if isinstance(negatives, Vetoes):  # already those of the regex
        key: tuple[object, ...] = ("may occur", id(negatives))
        known = text.searched.get(key)
        if known is None or known[0] is not negatives:
            known = text.searched[key] = (negatives, negatives.may_occur(text))
        return known[1]  # type: ignore[no-any-return]
    if not isinstance(negatives, tuple):
        return [n for n in negatives if _applies(n, regex_name) and n.may_occur(text)]
    key = ("may occur", id(negatives), regex_name)
    known = text.searched.get(key)
    if known is None or known[0] is not negatives:  # (kept with its tuple, whose id cannot then be reused)
        known = (negatives, tuple(n for n in negatives if _applies(n, regex_name) and n.may_occur(text)))
        text.searched[key] = known
    return known[1]  # type: ignore[no-any-return]


def _applies(neg: CompiledNegative, regex_name: str | None) -> bool:
    return regex_name is None or not neg.spec.regexes or regex_name in neg.spec.regexes


def window_around(size: int, start: int, end: int, window: int) -> tuple[int, int]:
    """``window`` characters either side of a span; 0 means the whole text."""
    return (0, size) if window == 0 else (max(0, start - window), min(size, end + window))

"""Where a fuzzy twin's match can start, found with exact regexes: its costly search runs only there.

A fuzzy twin ``(?:P){e<=N}`` is tried by the ``regex`` engine at every position of a window, each try
exploring the edits (several µs a position for a long banner). Pigeonhole: cut P into k consecutive
parts, none of which can match the empty string; an edit spoils one part at most, so a match with at
most N edits holds at least k-N parts exactly, each matching as a regex of its own inside the match,
where the match's start allows: part j begins between what the parts before it can span at the least
(less N deletions) and at the most (plus N insertions) after the start. The exact parts are cheap to
look for (``overlapped``: every position where one matches); the twin is tried only at the positions
that k-N parts allow, in order, and the first that matches is where the window's search would have
stopped too; the twin's search from there gives its very match.

Only a pattern whose matches read nothing but the characters they take (and ``\\b``, ``\\B`` beside
them) is cut: no look-around, no ``^``/``$``, no back reference, no inline flag. A part after an
unbounded repeat (``\\W+``) allows any start before it. Each part is read from the standard library's
parse tree (see prefilter.py); anything it does not read as ``regex`` does gives no parts, and the
twin searches the whole window as before.

Why the answer is the same (``regex``'s ``_regex.c``): a search tries position after position, each
try starting afresh (stacks, groups, guards and fuzzy counts reset), and a try reads the text before
its position the same whatever ``pos`` the search began at (``\\b`` sees the character before
``pos``). One thing differs at the search's first position: there a match may not begin with an
inserted character (``permit_insertion``), elsewhere it may, as in ``match``. So ``match`` at a later
position makes the very try the search makes there, and the search's answer is the search from one
position earlier (a try there, allowed less than ``match`` was, fails too), which then makes that try
and refines what it finds as before (ENHANCEMATCH refines inside the first match's span).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import regex

from .prefilter import _class_end, _p, _parse_tree, _top_level, split_alternatives, splittable
from .spans import merged

if _p is not None:
    from .prefilter import _c

PARTS_PER_EDIT = 2
"""A pattern is cut into this many parts per edit allowed, plus as many (fewer when it is too short): with
2(N+1) parts, N+2 stay exact in every match. More parts allow fewer starts where the exact pieces are
scattered (an adversarial text full of anchors: the under_review banner 1.8 -> 0.3 ms), but each part
shorter is found more often; three per edit was slower."""
MIN_PART = 4
"""Parts that take fewer characters than this are found too often to rule starts out (a short pattern's
twin is cheap anyway): the pattern is cut into fewer parts, or not at all."""
UNBOUNDED = 10**9
"""The most characters a part is taken to match when it has no bound (``\\W+``): the parts after it allow
any start before them in the window."""
MAX_TOKENS = 400
_QUANTIFIER = re.compile(r"(?:[*+?]|\{[0-9]*,?[0-9]*\})[?+]?")
_MULTI_ESCAPE = frozenset("xuUNpPgk0123456789")
"""Escapes longer than one character after the backslash: not cut (no pattern uses them)."""


@dataclass(frozen=True)
class Part:
    rx: regex.Pattern[str]
    before_most: int
    """How far before this part's exact match the whole match can start (the parts before it at their
    longest, plus every edit an insertion)."""
    before_least: int
    """How far before it the match starts at the least (the parts before it at their shortest, less every edit)."""


@dataclass(frozen=True)
class FuzzyStarts:
    """Per alternative of a fuzzy twin's pattern, its exact parts, ``need`` of which every match of
    that alternative holds (the parts less the edits: an edit spoils one part at most)."""

    alternatives: tuple[tuple[Part, ...], ...]
    edits: int

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for alt in self.alternatives for p in alt)

    def spans(self, text: str, start: int, end: int, timeout: float | None = None) -> list[tuple[int, int]]:
        """Sorted, disjoint ranges [a, b] (both ends included) of ``text[start:end]`` outside which no
        match of the twin searched in that window starts."""
        out: list[tuple[int, int]] = []
        for alternative in self.alternatives:
            out += _agreed(alternative, len(alternative) - self.edits, text, start, end, timeout)
        if len(self.alternatives) > 1:
            out = merged(out)
        return out


def _allowed(part: Part, text: str, start: int, end: int, timeout: float | None) -> list[tuple[int, int]]:
    """The starts one part's exact matches allow, as sorted disjoint ranges."""
    most, least = part.before_most, part.before_least
    out: list[tuple[int, int]] = []
    for m in part.rx.finditer(text, start, end, overlapped=True, timeout=timeout):
        o = m.start()
        if o - least < start:
            continue
        a, b = max(start, o - most), o - least
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], b)  # (matches come in order: a and b only grow)
        else:
            out.append((a, b))
    return out


def _agreed(parts: tuple[Part, ...], need: int, text: str, start: int, end: int,
            timeout: float | None) -> list[tuple[int, int]]:
    """The starts that at least ``need`` of the parts allow, as sorted disjoint ranges."""
    if need <= 1:
        found: list[tuple[int, int]] = []
        for part in parts:
            found += _allowed(part, text, start, end, timeout)
        return merged(found)
    events: list[tuple[int, int]] = []
    missing = len(parts) - need
    for part in parts:
        ranges = _allowed(part, text, start, end, timeout)
        if not ranges:
            missing -= 1
            if missing < 0:
                return []
        for a, b in ranges:
            events.append((a, 1))
            events.append((b + 1, -1))
    events.sort()
    out: list[tuple[int, int]] = []
    count, opened = 0, -1
    for at, step in events:
        before = count
        count += step
        if before < need <= count:
            opened = at
        elif count < need <= before:
            if out and opened <= out[-1][1] + 1:
                out[-1] = (out[-1][0], at - 1)
            else:
                out.append((opened, at - 1))
    return out


FULL_SEARCH_SHARE = 0.6
"""When the allowed positions are more than this share of the window from the first of them on, one
search from the first (in C) costs less than a try at each (a Python call each)."""


def fuzzy_search(fuzzy: regex.Pattern[str], starts: FuzzyStarts | None, text: str, start: int, end: int,
                 remaining: Callable[[], float]) -> regex.Match[str] | None:
    """``fuzzy.search(text, start, end)``, trying only where ``starts`` allows a match to start."""
    if starts is None:
        return fuzzy.search(text, start, end, timeout=remaining())
    spans = starts.spans(text, start, end, remaining())
    if not spans:
        return None
    first = spans[0][0]
    allowed = sum(b - a + 1 for a, b in spans)
    if allowed > FULL_SEARCH_SHARE * (end - first):
        return fuzzy.search(text, _before(first, start), end, timeout=remaining())
    match = fuzzy.match
    for a, b in spans:
        for q in range(a, b + 1):
            if match(text, q, end, timeout=remaining()) is not None:
                return fuzzy.search(text, _before(q, start), end, timeout=remaining())
    return None


def _before(q: int, start: int) -> int:
    """Where to search from for the try at ``q`` that a search from ``start`` makes: ``start`` itself,
    else one position before ``q`` (where no match starts), so that ``q`` is not the search's first
    position, where a leading insertion is not allowed."""
    return q if q == start else q - 1


def _tokens(source: str) -> list[str] | None:
    """The top-level items of a regex with no top-level ``|``, each with its quantifier; None when it
    cannot be read plainly."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            if i + 1 >= n or source[i + 1] in _MULTI_ESCAPE:
                return None
            j = i + 2
        elif ch == "[":
            close = _class_end(source, i)
            if close is None:
                return None
            j = close + 1
        elif ch == "(":
            inner = _top_level(source[i + 1:])
            if inner is None or inner[1] >= n - i - 1:
                return None
            j = i + 1 + inner[1] + 1
        elif ch in ")|*+?{}":
            return None
        else:
            j = i + 1
        q = _QUANTIFIER.match(source, j)
        if q is not None:
            j = q.end()
        elif j < n and source[j] == "{":
            return None
        out.append(source[i:j])
        i = j
        if len(out) > MAX_TOKENS:
            return None
    return out


def _flat(tokens: list[str]) -> list[str] | None:
    """Tokens with each plain group (non-capturing, not repeated, no ``|`` inside) opened into its items."""
    out: list[str] = []
    for t in tokens:
        if t.startswith("(?:") and t.endswith(")"):
            body = t[3:-1]
            top = _top_level(body)
            if top is not None and not top[0] and top[1] == len(body):
                inner = _tokens(body)
                if inner is None:
                    return None
                flat = _flat(inner)
                if flat is None:
                    return None
                out.extend(flat)
                continue
        out.append(t)
    return out


_ALLOWED_AT = (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY) if _p is not None else ()


def _plain(items: object) -> bool:
    """Whether a parse tree holds only what reads the characters it takes: characters, classes,
    alternations, plain groups, repeats, and ``\\b``/``\\B``."""
    for op, av in items:  # type: ignore[attr-defined]
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
            continue
        if op is _c.AT:
            if av not in _ALLOWED_AT:
                return False
        elif op is _c.BRANCH:
            if not all(_plain(b) for b in av[1]):  # type: ignore[index]
                return False
        elif op is _c.SUBPATTERN:
            if av[1] or av[2] or not _plain(av[3]):  # type: ignore[index]
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            if not _plain(av[2]):  # type: ignore[index]
                return False
        else:
            return False
    return True


class _Token(NamedTuple):
    source: str
    least: int
    most: int
    firm: bool
    """Whether a part may begin with it: it takes at least one character, and at most a bounded number."""
    costly: bool
    """Whether it repeats without bound (``\\W+``, ``(?:\\w+\\W+){0,4}?``): followed by more in its part,
    every way it can match is tried before the part fails, at every place the part begins
    (``(?:[\\w']+\\s?){0,3}?`` after a space cuts every word in every way). It may only end a part."""


def _token(source: str) -> _Token | None:
    """A token's widths (the most capped at ``UNBOUNDED``); None when it is not plain (see ``_plain``)."""
    tree = _parse_tree(source)
    if tree is None or tree[1] & ~(_c.SRE_FLAG_UNICODE) or not tree[0] or not _plain(tree[0]):
        return None
    lo, hi = _p.SubPattern(_p.State(), list(tree[0])).getwidth()
    return _Token(source, lo, min(hi, UNBOUNDED), lo >= 1 and hi < UNBOUNDED, hi >= UNBOUNDED)


def _may_part(tokens: list[_Token], i: int, j: int) -> bool:
    """Whether tokens[i:j] may be a part: begun by a firm token (the first part excepted, unless it begins
    with a costly one), a costly token followed by nothing but costly ones."""
    if not (tokens[i].firm or (i == 0 and not tokens[i].costly)):
        return False
    tail = False
    for t in tokens[i:j]:
        if t.costly:
            tail = True
        elif tail:
            return False
    return True


def _split(tokens: list[_Token], pieces: int) -> tuple[int, list[int]] | None:
    """Where to cut the tokens into ``pieces`` consecutive parts (see ``_may_part``): the cut making the
    shortest part's least width longest. Returns that width and the index each part begins at; None when
    no cut can."""
    n = len(tokens)
    prefix = [0]
    for t in tokens:
        prefix.append(prefix[-1] + t.least)

    @functools.lru_cache(maxsize=None)
    def best(i: int, k: int) -> tuple[int, tuple[int, ...]] | None:
        # Tokens i.. into k parts: (the shortest part's least width, the cut points).
        if k == 1:
            return (prefix[n] - prefix[i], (i,)) if _may_part(tokens, i, n) else None
        found: tuple[int, tuple[int, ...]] | None = None
        for j in range(i + 1, n - k + 2):
            if not _may_part(tokens, i, j):
                continue
            rest = best(j, k - 1)
            if rest is None:
                continue
            score = min(prefix[j] - prefix[i], rest[0])
            if found is None or score > found[0]:
                found = (score, (i, *rest[1]))
        return found

    if pieces > n:
        return None
    result = best(0, pieces)
    return None if result is None else (result[0], list(result[1]))


Compile = Callable[[str, int], regex.Pattern[str]]


def _parts_of(alternative: str, edits: int, flags: int, compile: Compile) -> list[Part] | None:
    sources = _tokens(alternative)
    sources = None if sources is None else _flat(sources)
    if not sources:
        return None
    tokens = [_token(t) for t in sources]
    if any(t is None for t in tokens):
        return None
    sure = [t for t in tokens if t is not None]
    cuts = None
    for pieces in range(PARTS_PER_EDIT * (edits + 1), edits, -1):
        found = _split(sure, pieces)
        if found is not None and found[0] >= MIN_PART:
            cuts = found[1]
            break
    if cuts is None:
        return None
    parts: list[Part] = []
    for a, b in itertools.pairwise([*cuts, len(sure)]):
        most = sum(t.most for t in sure[:a])
        least = sum(t.least for t in sure[:a])
        try:
            rx = compile("".join(t.source for t in sure[a:b]), flags)
        except regex.error:
            return None
        parts.append(Part(rx, most + edits, max(0, least - edits)))
    return parts


def fuzzy_starts(pattern: str, edits: int, flags: int, compile: Compile = regex.compile) -> FuzzyStarts | None:
    """The exact parts of ``pattern`` (compiled with ``flags``) for its twin ``(?:pattern){e<=edits}``;
    None when it cannot be cut provably (see the module's doc)."""
    if _p is None or edits < 1 or not splittable(pattern) or flags & ~(regex.IGNORECASE | regex.ENHANCEMATCH):
        return None
    tree = _parse_tree(pattern)
    if tree is None or tree[1] & ~(_c.SRE_FLAG_UNICODE) or not _plain(tree[0]):
        return None
    alternatives = split_alternatives(pattern) or [pattern]
    cut: list[tuple[Part, ...]] = []
    for alternative in alternatives:
        found = _parts_of(alternative, edits, flags & regex.IGNORECASE, compile)
        if found is None:
            return None
        cut.append(tuple(found))
    return FuzzyStarts(tuple(cut), edits)

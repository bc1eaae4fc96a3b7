"""Literal words a regex cannot match without, so a search can be skipped when none is there.

Most negatives and contexts are alternations of phrases that start at any word (``\\b(?:jetzt|nun)
...``): the regex engine tries every branch at every word, although the text holds none of their
words. ``str.find`` for the words each branch needs is many times cheaper, and when none occurs in
the window the regex cannot match there, so the answer is the same without running it.

The requirement is read from the regex's parse tree (the standard library's parser; the ``regex``
module has no public one). It is conservative: anything the parser reads differently from
``regex``, or does not know, gives no requirement, and the regex simply always runs. Only regexes
matched case-sensitively (on the lowered text) get one, so a literal means exactly that string.
"""

from __future__ import annotations

import functools
import itertools
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick

try:  # The parser behind ``re``; private, so its absence only turns the prefilter off.
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - other Python versions
    _p = None  # type: ignore[assignment]

MAX_ALTERNATIVES = 64
"""More alternative words than this cost more to look for than the regex does."""

Requirement = frozenset[str] | None
"""Strings one of which lies inside every match; None: unknown (always run the regex)."""

# Syntax that ``regex`` reads differently from ``re``'s parser (fuzzy "{e<=1}", POSIX "[[:alpha:]]",
# nested sets) or that ties one part of a pattern to another (back references, recursion).
_FOREIGN_ESCAPE = re.compile(r"\\[1-9gGpPLmMX]")
_FOREIGN_GROUP = re.compile(r"\{(?![0-9]*,?[0-9]*\})|\[\[|\(\?(?:P[=>]|[&R(|0-9+-])")
_ESCAPED = re.compile(r"\\.", re.DOTALL)


def _foreign(source: str) -> bool:
    """Whether the source uses syntax ``re``'s parser reads differently (or ties parts together)."""
    return bool(_FOREIGN_ESCAPE.search(source) or _FOREIGN_GROUP.search(_ESCAPED.sub("__", source)))


_NAMED_GROUP = re.compile(r"\\.|\(\?P?<(?![=!])\w+>", re.DOTALL)


def _parsed(source: str) -> tuple[list[tuple[object, object]], int] | None:
    """The parse tree's top items and global flags; None for anything unknown or foreign.

    Group names are dropped first: ``regex`` allows a name twice ("hour" in two branches), ``re``
    does not, and no analysis here needs them (back references are refused as foreign).
    """
    found = _parse_tree(source)
    return None if found is None else (list(found[0]), found[1])


@functools.lru_cache(maxsize=16384)
def _parse_tree(source: str) -> tuple[tuple[tuple[object, object], ...], int] | None:
    """_parsed, remembered: each analysis of a regex parses it, and so does every load of a set."""
    if _p is None or _foreign(source):
        return None
    plain = _NAMED_GROUP.sub(lambda m: m.group() if m.group().startswith("\\") else "(", source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = _p.parse(plain, 0)
    except Exception:  # noqa: BLE001 - anything the stdlib parser refuses is simply not analysed
        return None
    if parsed.state.flags & _c.SRE_FLAG_LOCALE:
        return None
    return tuple(parsed.data), parsed.state.flags


MIN_AVOIDED = 4
"""Shorter words to avoid ("a", "id") would make every string look sure to be present."""


class _Choice:
    """Which of two requirements is more selective: none of its strings is a word the text surely
    holds where the regex is searched (``avoid``: the pattern's anchors, beside every hit), then a
    longer shortest string, then fewer strings."""

    def __init__(self, avoid: frozenset[str]) -> None:
        self.avoid = frozenset(a for a in avoid if len(a) >= MIN_AVOIDED)

    def _key(self, need: frozenset[str]) -> tuple[bool, int, int]:
        sure = any(s in a or a in s for s in need for a in self.avoid)
        return (not sure, min(map(len, need)), -len(need))

    def better(self, a: Requirement, b: Requirement) -> Requirement:
        if a is None:
            return b
        if b is None:
            return a
        return b if self._key(b) > self._key(a) else a


_PLAIN = _Choice(frozenset())


def _sequence(items: Iterable[tuple[object, object]], choice: _Choice = _PLAIN) -> Requirement:
    best: Requirement = None
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))  # type: ignore[arg-type]
            continue
        if op is _c.AT:
            continue  # zero width (\b, ^): the letters either side stay next to each other in the match
        if run:
            best = choice.better(best, frozenset({"".join(run)}))
            run = []
        best = choice.better(best, _node(op, av, choice))
    if run:
        best = choice.better(best, frozenset({"".join(run)}))
    return best


def _node(op: object, av: object, choice: _Choice) -> Requirement:
    if op is _c.SUBPATTERN:
        _group, add, remove, body = av  # type: ignore[misc]
        if (add | remove) & (_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_LOCALE):
            return None
        return _sequence(body, choice)
    if op is _c.ATOMIC_GROUP:
        return _sequence(av, choice)  # type: ignore[arg-type]
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, _high, body = av  # type: ignore[misc]
        return _sequence(body, choice) if low >= 1 else None
    if op is _c.BRANCH:
        _, branches = av  # type: ignore[misc]
        needs = [_sequence(b, choice) for b in branches]
        if any(n is None for n in needs):
            return None
        union = frozenset().union(*needs)  # type: ignore[arg-type]
        return union if len(union) <= MAX_ALTERNATIVES else None
    if op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # type: ignore[attr-defined]
        return frozenset(chr(v) for _, v in av)  # type: ignore[attr-defined]
    return None


def required_literals(source: str, avoid: frozenset[str] = frozenset()) -> Requirement:
    """Strings one of which every match of ``source`` (compiled case-sensitively) contains.

    ``avoid``: words sure to be near where the regex is searched; strings holding them (or held by
    them) are chosen only when nothing else is required.
    """
    if source.startswith("\\G"):
        # "Searched from here on" (zero width): every match of the rest holds what the rest needs.
        source = source[2:]
    parsed = _parsed(source)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE:
        return None
    need = _sequence(parsed[0], _Choice(avoid) if avoid else _PLAIN)
    if need is None or "" in need or any(len(ch.lower()) != 1 for s in need for ch in s):
        return None
    return need


_TIED_ESCAPE = re.compile(r"\\[1-9gG]")
_TIED_GROUP = re.compile(r"\(\?(?:P[=>]|[&R(|0-9+-])|\(\?[a-zA-Z^]+\)")


def splittable(term: str) -> bool:
    """Whether one term of an alternation ``(?:a)|(?:b)`` matches alone where it matched joined: no
    back reference or recursion across terms, no inline flag that would reach the other terms."""
    return not (_TIED_ESCAPE.search(term) or _TIED_GROUP.search(_ESCAPED.sub("__", term)))


def folded_literals(source: str, avoid: frozenset[str] = frozenset()) -> Requirement:
    """For a regex matched case-insensitively on the normalised text: the strings one of which
    every match holds, lower-cased, to look for in the lowered text. Only plain ASCII strings: for
    those, ``regex``'s case-insensitive match and ``str.lower`` agree on every character a
    normalised text can hold except "İ" (see ``SEARCH_TRAPS``), where the caller must not use them."""
    plain = without_fuzziness(source)  # fuzzy groups need nothing; the rest of the regex still does
    need = None if plain is None else required_literals(plain, avoid)
    if need is None or not all(s.isascii() for s in need):
        return None
    return frozenset(s.lower() for s in need)


SEARCH_TRAPS = ("\u0130",)
"""In a normalised text (NFKC), the characters ``regex`` matches case-insensitively to an ASCII
letter that ``str.lower`` leaves alone ("İ" ~ i): with one present, folded literals do not apply."""


PIECE = 4
"""Length of the pieces a fuzzy regex's words are cut into: long enough to be rare, short enough
for there to be many."""


@dataclass(frozen=True)
class Pieces:
    """Pieces of the words every match of a regex holds; a match with up to ``edits`` edits still
    holds at least ``least`` of them whole (an edit breaks at most one piece)."""

    strings: tuple[str, ...]
    least: int

    def found_in(self, text: str, start: int, end: int) -> bool:
        missing = len(self.strings) - self.least
        for piece in self.strings:
            if text.find(piece, start, end) == -1:
                missing -= 1
                if missing < 0:
                    return False
        return True


def _runs(items: Iterable[tuple[object, object]], out: list[str]) -> None:
    """The literal runs every match holds, each once, in the order of the pattern."""
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))  # type: ignore[arg-type]
            continue
        if op is _c.AT:
            continue
        if run:
            out.append("".join(run))
            run = []
        if op is _c.SUBPATTERN and not (av[1] or av[2]):  # type: ignore[index]
            _runs(av[3], out)  # type: ignore[index]
        elif op is _c.ATOMIC_GROUP:
            _runs(av, out)  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            _runs(av[2], out)  # type: ignore[index]
    if run:
        out.append("".join(run))


def fuzzy_pieces(source: str, edits: int) -> Pieces | None:
    """For ``(?:source){e<=edits}`` matched case-insensitively: pieces of the plain ASCII words the
    pattern always holds (lower-cased, see ``folded_literals``), or None when there are too few."""
    items = _parse(source)
    if items is None:
        return None
    runs: list[str] = []
    _runs(items, runs)
    out: list[str] = []
    for run in runs:
        if not run.isascii() or len(run) < PIECE - 1:
            continue
        count = max(1, len(run) // PIECE)
        step = len(run) / count
        out.extend(run[round(i * step):round((i + 1) * step)].lower() for i in range(count))
    if len(out) <= edits:
        return None
    return Pieces(tuple(out), len(out) - edits)


MIN_AUTOMATON = 14
"""Strings of a requirement from which one Aho-Corasick pass over a window costs less than a ``str.find`` per
string (a long ticket's windows, see NormalizedText.holds; on benchmarks/detect.py's 10 KB tickets, per
window: 4.5 against 7.9 us for 21-40 strings, 4.7 against 5.9 for 14-16, but 2.7 against 2.3 for 11-13)."""


@functools.lru_cache(maxsize=8192)
def need_automaton(need: frozenset[str]) -> ahocorasick.Automaton:
    """An automaton that finds every string of a requirement (see MIN_AUTOMATON); built once per requirement."""
    automaton = ahocorasick.Automaton()
    for s in need:
        automaton.add_word(s, s)
    automaton.make_automaton()
    return automaton


def may_match(need: Requirement, text: str, start: int = 0, end: int | None = None) -> bool:
    """False only when no required string lies wholly within ``text[start:end]``."""
    if need is None:
        return True
    end = len(text) if end is None else end
    find = text.find
    for s in need:  # a loop, not any() over a generator: this runs for every negative near every hit
        if find(s, start, end) != -1:
            return True
    return False


MAX_RANGE = 5000
"""Character ranges wider than this are not checked one by one (the term is then not "whole words")."""


def _word_only(items: Iterable[tuple[object, object]], is_word: Callable[[str], bool]) -> bool:
    """Whether every character these nodes can match is a word character (``is_word``)."""
    for op, av in items:
        if op is _c.LITERAL:
            if not is_word(chr(av)):  # type: ignore[arg-type]
                return False
        elif op is _c.IN:
            for o, v in av:  # type: ignore[attr-defined]
                if o is _c.LITERAL and is_word(chr(v)):
                    continue
                if o is _c.RANGE and v[1] - v[0] <= MAX_RANGE and all(is_word(chr(x)) for x in range(v[0], v[1] + 1)):
                    continue
                if o is _c.CATEGORY and v in (_c.CATEGORY_WORD, _c.CATEGORY_DIGIT):
                    continue
                return False
        elif op is _c.BRANCH:
            if not all(_word_only(b, is_word) for b in av[1]):  # type: ignore[index]
                return False
        elif op is _c.SUBPATTERN:
            if av[1] or av[2] or not _word_only(av[3], is_word):  # type: ignore[index]
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if not _word_only(av[2], is_word):  # type: ignore[index]
                return False
        else:
            return False
    return True


def _parse(term: str) -> list[tuple[object, object]] | None:
    """The top items of a term with no global flags and nothing tying it to other terms, an outer
    non-capturing group unwrapped."""
    parsed = None if not splittable(term) else _parsed(term)
    if parsed is None:
        return None
    items = parsed[0]
    while len(items) == 1 and items[0][0] is _c.SUBPATTERN and not (items[0][1][1] or items[0][1][2]):  # type: ignore[index]
        items = list(items[0][1][3])  # type: ignore[index]
    return items


_BOUNDARY = (_c.AT, _c.AT_BOUNDARY) if _p is not None else ()


def _shape(items: list[tuple[object, object]], is_word: Callable[[str], bool]) -> frozenset[str] | None:
    """For a sequence starting with ``\\b``: frozenset() when every match is one whole word, the one
    word that starts every match when it is a literal word then punctuation ("j'" + more), None else."""
    if len(items) < 2 or tuple(items[0]) != _BOUNDARY:
        return None
    if tuple(items[-1]) == _BOUNDARY and len(items) >= 3:
        body = items[1:-1]
        if _word_only(body, is_word) and _p.SubPattern(_p.State(), body).getwidth()[0] >= 1:
            return frozenset()
    word = []
    for op, av in items[1:]:
        if op is not _c.LITERAL:
            return None
        ch = chr(av)  # type: ignore[arg-type]
        if is_word(ch):
            word.append(ch)
            continue
        # Punctuation right after the word: every match starts with exactly that word.
        return frozenset({"".join(word)}) if word and ch.isascii() else None
    return None


def marker_shape(term: str, is_word: Callable[[str], bool]) -> frozenset[str] | None:
    """How a marker term matches, for counting its matches word by word (see language.py).

    ``frozenset()``: every match is exactly one whole word (``\\bund\\b``, ``\\bmein\\w*\\b``), so a
    word's verdict can be remembered. A set of words: besides whole words, some matches start with
    one of these words followed by punctuation (``\\bj'\\w+``, ``\\b(?:è|e')\\b``): only there must
    the regex run in the text. None: any other shape (count with the regex).
    """
    items = _parse(term)
    if items is None:
        return None
    firsts: set[str] = set()
    # \b(?:a|b)\b is \ba\b or \bb\b (tried in that order at the same place): judge each.
    if len(items) >= 2 and tuple(items[0]) == _BOUNDARY and items[1][0] is _c.BRANCH:
        sequences = [[items[0], *alt, *items[2:]] for alt in items[1][1][1]]  # type: ignore[index]
    else:
        sequences = [items]
    for seq in sequences:
        shape = _shape(seq, is_word)
        if shape is None:
            return None
        firsts |= shape
    return frozenset(firsts)


Ranges = frozenset[tuple[int, int]]


def _char_sets(items: Iterable[tuple[object, object]]) -> Ranges | None:
    """Characters (as code point ranges) one of which every match of the sequence holds; None: unknown."""
    best: Ranges | None = None
    for op, av in items:
        found: Ranges | None = None
        if op is _c.LITERAL:
            found = frozenset({(av, av)})  # type: ignore[arg-type]
        elif op is _c.IN and all(o in (_c.LITERAL, _c.RANGE) or (o, v) == (_c.CATEGORY, _c.CATEGORY_DIGIT)
                                 for o, v in av):  # type: ignore[attr-defined]
            found = frozenset(DIGITS if o is _c.CATEGORY else (v, v) if o is _c.LITERAL else tuple(v)
                              for o, v in av)  # type: ignore[attr-defined,misc]
        elif op is _c.SUBPATTERN and not (av[1] or av[2]):  # type: ignore[index]
            found = _char_sets(av[3])  # type: ignore[index]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            found = _char_sets(av[2])  # type: ignore[index]
        elif op is _c.BRANCH:
            parts = [_char_sets(b) for b in av[1]]  # type: ignore[index]
            found = None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        if found is not None and (best is None or _rank(found) < _rank(best)):
            best = found
    return best


_COMMON = " .,'\n"
"""Characters in nearly every window of every ticket."""


def _rank(ranges: Ranges) -> tuple[bool, int]:
    """Letters, spaces and full stops last (every text has them), then the narrowest."""
    return _everywhere(ranges), _width(ranges)


def _everywhere(ranges: Ranges) -> bool:
    return any(_has_ascii_letter(lo, hi) or any(lo <= ord(c) <= hi for c in _COMMON) for lo, hi in ranges)


DIGITS = (-1, -1)
"""Stands for ``\\d`` among the ranges (every Unicode digit, as ``regex`` reads it)."""


def _width(ranges: Ranges) -> int:
    return sum(10 if (lo, hi) == DIGITS else hi - lo + 1 for lo, hi in ranges)


def _has_ascii_letter(lo: int, hi: int) -> bool:
    return any(lo <= b and a <= hi for a, b in ((0x41, 0x5A), (0x61, 0x7A)))


def required_chars(source: str) -> str | None:
    """A character class (``[...]``) one of whose characters every match of ``source`` holds, when
    it is narrow and holds no ASCII letter (digits, a script such as kana): searching for it is one
    fast pass. None otherwise."""
    parsed = None if not splittable(source) else _parsed(source)
    if parsed is None:
        return None
    ranges = _char_sets(parsed[0])
    if not ranges or _width(ranges) > MAX_RANGE or _everywhere(ranges):
        return None  # letters, spaces and full stops are in every text: no use looking for them first
    return "[" + "".join("\\d" if (lo, hi) == DIGITS else f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}"
                         for lo, hi in sorted(ranges)) + "]"


def _class_end(source: str, i: int) -> int | None:
    """Where the character class opening at ``source[i]`` closes (its ``]``: one right after ``[`` or
    ``[^`` is a member); None when it never does."""
    n = len(source)
    j = i + 1
    if j < n and source[j] == "^":
        j += 1
    if j < n and source[j] == "]":
        j += 1
    while j < n and source[j] != "]":
        j += 2 if source[j] == "\\" else 1
    return j if j < n else None


def _top_level(source: str, stop: int | None = None) -> tuple[list[int], int] | None:
    """Positions of the ``|`` at depth 0 of ``source`` and where depth 0 ends (a ``)`` closing an
    outer group, or the end); None when the source cannot be read plainly."""
    bars: list[int] = []
    depth, i, n = 0, 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            end = _class_end(source, i)
            if end is None:
                return None
            i = end
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return bars, i
            depth -= 1
        elif ch == "|" and depth == 0:
            bars.append(i)
        i += 1
    return (bars, n) if depth == 0 else None


def _cut(source: str, bars: list[int]) -> list[str]:
    edges = [-1, *bars, len(source)]
    return [source[a + 1:b] for a, b in itertools.pairwise(edges)]


MAX_BRANCHES = 80
"""More branches than this cost more in words looked for than the one regex does."""


def _alternatives(source: str) -> list[str] | None:
    top = _top_level(source)
    if top is None or top[1] != len(source):
        return None
    bars, _ = top
    if bars:
        out: list[str] = []
        for part in _cut(source, bars):
            sub = _alternatives(part)
            if sub is None:
                return None
            out.extend(sub)
        return out
    for prefix in ("\\b", ""):
        if not source.startswith(prefix + "(?:"):
            continue
        body_at = len(prefix) + 3
        inner = _top_level(source[body_at:])
        if inner is None or inner[1] >= len(source) - body_at:
            return [source]
        bars, close = inner
        body, rest = source[body_at:body_at + close], source[body_at + close + 1:]
        if rest[:1] in ("?", "*", "+", "{"):
            return [source]  # a repeated group tries its branches, then more or fewer of them
        if bars:
            out = []
            for alt in _cut(body, bars):
                sub = _alternatives(f"{prefix}(?:{alt}){rest}")
                if sub is None:
                    return None
                out.extend(sub)
            return out
        if not prefix and not rest:
            return _alternatives(body)
        return [source]
    return [source]


def split_alternatives(source: str) -> list[str] | None:
    """The branches of a regex that is an alternation, possibly after ``\\b`` or inside a group with
    more after it (``\\b(?:a|b)\\b`` -> ``\\b(?:a)\\b``, ``\\b(?:b)\\b``), each standing alone; None
    when it is not one, or when a branch alone might match differently.

    At each position the regex tries its branches in this order before moving on, so its first match
    is the leftmost of the branches' first matches, the earliest branch winning a tie (see
    ``first_of_branches``). The prefix must be zero-width and sure (``\\b`` or nothing) for that.
    """
    if not splittable(source) or "\\K" in source:
        return None
    if _parsed(source) is None:
        return None
    parts = _alternatives(source)
    if parts is None or len(parts) < 2 or len(parts) > MAX_BRANCHES:
        return None
    return parts


Clauses = tuple[frozenset[str], ...]
"""Sets of strings: every match holds one string of each set."""


MAX_EXACT = 32
"""Strings a run of fixed words may spell before it is cut ("(?:you can|please) (?:mark|close)" -> 4)."""
_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT) if _p is not None else ()


def _exact_sequence(items: Iterable[tuple[object, object]]) -> set[str] | None:
    """Every string the sequence can match, when they are few; None: more, or unknown."""
    out = {""}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the letters either side stay next to each other
        found = _exact_node(op, av)
        if found is None:
            return None
        out = {a + b for a in out for b in found}
        if len(out) > MAX_EXACT:
            return None
    return out


def _exact_node(op: object, av: object) -> set[str] | None:
    if op is _c.LITERAL:
        return {chr(av)}  # type: ignore[arg-type]
    if op is _c.SUBPATTERN:
        _group, add, remove, body = av  # type: ignore[misc]
        return None if add or remove else _exact_sequence(body)
    if op is _c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:  # type: ignore[index]
            found = _exact_sequence(alt)
            if found is None:
                return None
            out |= found
        return out if len(out) <= MAX_EXACT else None
    if op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # type: ignore[attr-defined]
        return {chr(v) for _, v in av}  # type: ignore[attr-defined]
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] in (0, 1) and av[1] == 1:  # type: ignore[index]
        found = _exact_sequence(av[2])  # type: ignore[index]
        return None if found is None else found | {""} if av[0] == 0 else found  # type: ignore[index]
    return None


def _minimal(strings: set[str]) -> frozenset[str]:
    """Drop the strings that hold another of the set: finding that one is enough."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


def _clauses_of(items: Iterable[tuple[object, object]], out: list[frozenset[str]]) -> None:
    run = {""}  # what the fixed nodes since the last other one spell

    def close() -> None:
        if "" not in run:
            out.append(_minimal(run))

    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        found = _exact_node(op, av)
        if found is not None:
            joined = {a + b for a in run for b in found}
            if len(joined) <= MAX_EXACT:
                run = joined
                continue
            close()
            run = found
            continue
        close()
        run = {""}
        if op is _c.SUBPATTERN:
            _group, add, remove, body = av  # type: ignore[misc]
            if not (add | remove) & (_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_LOCALE):
                _clauses_of(body, out)
        elif op is _c.ATOMIC_GROUP:
            _clauses_of(av, out)  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if av[0] >= 1:  # type: ignore[index]
                _clauses_of(av[2], out)  # type: ignore[index]
        else:
            need = _node(op, av, _PLAIN)
            if need is not None:
                out.append(need)
    close()


def required_clauses(source: str) -> Clauses | None:
    """For a regex matched case-sensitively: sets of strings such that every match holds one string
    of each (``(?:now|finally) it works`` -> {now, finally}, {" it works"}); None: unknown."""
    parsed = _parsed(source)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE:
        return None
    out: list[frozenset[str]] = []
    _clauses_of(parsed[0], out)
    clean = []
    for need in out:
        if "" in need or any(len(ch.lower()) != 1 for s in need for ch in s):
            continue
        if need not in clean and not any(len(s) < 2 and not s.strip() for s in need):
            clean.append(need)
    # The longest shortest string first: the rarest words rule a branch out soonest.
    clean.sort(key=lambda need: -min(map(len, need)))
    return tuple(clean)


def _leading(items: Iterable[tuple[object, object]]) -> set[str] | None:
    """Strings one of which every match of the sequence starts with (zero-width items before it
    aside); None: unknown, or a match may start with something else."""
    run: list[str] = []
    items = list(items)
    for i, (op, av) in enumerate(items):
        if op is _c.LITERAL:
            run.append(chr(av))  # type: ignore[arg-type]
            continue
        if run:
            break
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the match still starts with what follows
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] == 0:  # type: ignore[index]
            # "(?:amazon has )?blocked": a match starts with the optional part or with what follows it.
            head, rest = _leading(av[2]), _leading(items[i + 1:])  # type: ignore[index]
            return None if head is None or rest is None else head | rest
        if op is _c.SUBPATTERN:
            _group, add, remove, body = av  # type: ignore[misc]
            return None if add or remove else _leading(body)
        if op is _c.ATOMIC_GROUP:
            return _leading(av)  # type: ignore[arg-type]
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            return _leading(av[2]) if av[0] >= 1 else None  # type: ignore[index]
        if op is _c.BRANCH:
            out: set[str] = set()
            for alt in av[1]:  # type: ignore[index]
                found = _leading(alt)
                if found is None:
                    return None
                out |= found
            return out
        if op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # type: ignore[attr-defined]
            return {chr(v) for _, v in av}  # type: ignore[attr-defined]
        return None
    return {"".join(run)} if run else None


def _looks_around_first(items: Iterable[tuple[object, object]]) -> bool:
    """Whether some match may begin with a look-around (``(?<!login ...)``, in any branch): the
    ``regex`` engine then cannot skip ahead to a first character, and tries the look-around at
    every position of the text."""
    for op, av in items:
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return True
        if op is _c.AT:
            continue
        if op is _c.SUBPATTERN:
            return _looks_around_first(av[3])  # type: ignore[index]
        if op is _c.ATOMIC_GROUP:
            return _looks_around_first(av)  # type: ignore[arg-type]
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            return _looks_around_first(av[2])  # type: ignore[index]
        if op is _c.BRANCH:
            return any(_looks_around_first(alt) for alt in av[1])  # type: ignore[index]
        return False
    return False


def leading_literals(source: str) -> Requirement:
    """For a regex matched case-sensitively whose matches may begin with a look-around: strings one
    of which every match starts with, so a match can only start where one of them occurs and the
    regex need only be tried there (see ``patterns.first_match``). None: unknown, too many strings to
    look for, or no look-around first (the engine then skips ahead to a match's first character
    faster than trying it place by place would)."""
    parsed = _parsed(source)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE or not _looks_around_first(parsed[0]):
        return None
    found = _leading(parsed[0])
    if not found or "" in found or len(found) > MAX_ALTERNATIVES or any(len(ch.lower()) != 1 for s in found for ch in s):
        return None
    return frozenset(found)


def folded_starts(source: str) -> Requirement:
    """For a regex matched case-insensitively on the normalised text: strings one of which every match
    starts with, lower-cased, to find in the lowered text where a search need begin (the engine reads a
    window of a ticket many times slower than ``re`` finds a few words in it). Only plain ASCII strings,
    as for ``folded_literals``; None: unknown, or too many strings to look for."""
    plain = without_fuzziness(source)  # a fuzzy group inside: the matches still start as the rest says
    parsed = None if plain is None else _parsed(plain)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE:
        return None
    found = _leading(parsed[0])
    if not found or "" in found or len(found) > MAX_ALTERNATIVES or not all(s.isascii() for s in found):
        return None
    return frozenset(s.lower() for s in found)


MAX_STARTS = 4096
"""First strings found by an Aho-Corasick pass (leading.py): its cost does not grow with their number."""


def case_insensitive_starts(source: str) -> Requirement:
    """For a regex compiled case-insensitively: the strings one of which every match starts with, as
    written (any script; leading.py decides which text characters they may be matched to). None:
    unknown, or a match may start with something else."""
    parsed = _parsed(source)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE:
        return None
    # Spelt on while they stay few (see _prefixes): a cue's "l" (of "l'", "liste", "lu") occurs
    # every few characters, "liste" and "lu" seldom.
    found = _prefixes(parsed[0])
    if not found or "" in found:
        found = _leading(parsed[0])
    if not found or "" in found or len(found) > MAX_STARTS:
        return None
    return frozenset(found)


MIN_START = 2
"""A one-character first string ("i") occurs every few characters: trying the regex at each costs more
than letting the engine search."""


MAX_PREFIXES = 1024
"""First strings spelt out further than the first literal run ("please" -> "please close this ticket")
while they stay this few: each longer string is rarer, so the regex is tried at fewer places."""


MAX_SPELLING_STEPS = 4000
"""Nodes ``_prefixes`` may visit for one regex (alternations followed by alternations multiply)."""


def _prefixes(items: Iterable[tuple[object, object]], budget: list[int] | None = None) -> set[str] | None:
    """Strings one of which every match of the sequence starts with, spelt through its fixed nodes
    (literals, small alternations, optional parts) for as long as they stay few: ``(?:you can|please)
    close (?:this|the) ticket`` -> 4 whole phrases where ``_leading`` gives "you can" and "please".
    Zero-width nodes consume nothing, so the letters either side stay next to each other; where the
    spelling stops, the strings so far are still prefixes of every match. "" among them: a match may
    start with anything. None: unknown (too costly to spell)."""
    budget = [MAX_SPELLING_STEPS] if budget is None else budget
    items = list(items)
    out = {""}
    for i, (op, av) in enumerate(items):
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if op in _ZERO_WIDTH:
            continue
        found = _exact_node(op, av)
        if found is not None:
            joined = {a + b for a in out for b in found}
            if len(joined) > MAX_PREFIXES:
                return _joined(out, _leading(items[i:]))
            out = joined
            continue
        rest = items[i + 1:]
        head: set[str] | None
        if op is _c.BRANCH:
            # A match is one alternative followed by the rest: each spelt on into the rest.
            head = set()
            for alt in av[1]:  # type: ignore[index]
                found = _prefixes([*alt, *rest], budget)
                if found is None:
                    return None
                head |= found
                if len(head) > MAX_PREFIXES:
                    break
        elif op is _c.SUBPATTERN and not (av[1] or av[2]):  # type: ignore[index]
            head = _prefixes([*av[3], *rest], budget)  # type: ignore[index]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, body = av  # type: ignore[misc]
            head = _prefixes(body, budget)
            if head is not None and low == 0:
                after = _prefixes(rest, budget)
                head = None if after is None else head | after
        elif op is _c.ATOMIC_GROUP:
            head = _prefixes(av, budget)  # type: ignore[arg-type]
        elif op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # type: ignore[attr-defined]
            head = {chr(v) for _, v in av}  # type: ignore[attr-defined]
        else:
            head = {""}
        if head is None:
            return None
        if len(head) > MAX_PREFIXES or len(out) * len(head) > MAX_PREFIXES:
            return _joined(out, _leading(items[i:]))  # too many: the first literal runs only
        return {a + b for a in out for b in head}
    return out


def _joined(out: set[str], head: set[str] | None) -> set[str]:
    """``out`` followed by one of ``head`` when they stay few; else ``out`` alone (still prefixes)."""
    if head is None or "" in head or len(out) * len(head) > MAX_PREFIXES:
        return out
    return {a + b for a in out for b in head}


def lowered_starts(source: str) -> Requirement:
    """For a regex matched case-sensitively on the lowered text, whether or not it begins with a
    look-around: the strings one of which every match starts with (spelt as far as they stay few, see
    ``_prefixes``), each at least ``MIN_START`` long, for an Aho-Corasick pass (leading.Starts). None:
    unknown, a string too short, or a single string (the engine finds one literal faster than the
    pass does)."""
    parsed = _parsed(source)
    if parsed is None or parsed[1] & _c.SRE_FLAG_IGNORECASE:
        return None
    found = _prefixes(parsed[0])
    if found is None:
        found = _leading(parsed[0])
    if (not found or len(found) < 2 or len(found) > MAX_STARTS or min(map(len, found)) < MIN_START
            or any(len(ch.lower()) != 1 for s in found for ch in s)):
        return None
    return frozenset(found)


def starts_finder(starts: frozenset[str]) -> re.Pattern[str]:
    """A plain regex finding the next place one of ``starts`` occurs (``re`` scans for the first
    characters of a literal alternation in C)."""
    return re.compile("|".join(re.escape(s) for s in sorted(starts, key=lambda s: (-len(s), s))))


MIN_FACTOR = 3
"""Shorter common pieces ("ing", "e ") are in every long text: looking for them rules nothing out."""
MAX_FACTORS = 3


@functools.lru_cache(maxsize=65536)
def common_factors(strings: frozenset[str]) -> tuple[str, ...]:
    """The longest pieces (at least ``MIN_FACTOR`` characters) that every string of a clause holds,
    longest first: a clause spelt out as thirty phrases ("staging site", "staging copy", ...) is
    absent from a long text when one find of "staging " fails, and else need only be looked for
    where "staging " occurs."""
    if not strings:
        return ()
    shortest = min(strings, key=lambda s: (len(s), s))
    others = [s for s in strings if s is not shortest]
    common: list[str] = []
    n = len(shortest)
    for size in range(n, MIN_FACTOR - 1, -1):
        for i in range(n - size + 1):
            piece = shortest[i:i + size]
            if any(piece in c for c in common):
                continue  # part of a longer common piece: finding that one says more
            if all(piece in s for s in others):
                common.append(piece)
        if len(common) >= MAX_FACTORS:
            break
    return tuple(common[:MAX_FACTORS])


_FUZZY_CONSTRAINT = re.compile(r"\{(?=[^}]*[eisd]\s*[<=])[^}]*\}")


def without_fuzziness(source: str) -> str | None:
    """The regex with every fuzzy group (``(?:professional){e<=2}``) replaced by one that matches any
    text, for reading what its matches need beside the fuzzy parts: a string the rest requires is in
    every match of the fuzzy regex too. The source unchanged when it has no fuzzy group; None when a
    constraint follows something other than a group."""
    if not _FUZZY_CONSTRAINT.search(source):
        return source
    out: list[str] = []
    opens: list[int] = []  # where each open group begins in ``out`` (as a length)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            out.append(source[i:i + 2])
            i += 2
            continue
        if ch == "[":
            j = _class_end(source, i)
            if j is None:
                return None
            out.append(source[i:j + 1])
            i = j + 1
            continue
        if ch == "(":
            opens.append(sum(map(len, out)))
            out.append(ch)
            i += 1
            continue
        if ch == ")":
            if not opens:
                return None
            began = opens.pop()
            out.append(ch)
            i += 1
            m = _FUZZY_CONSTRAINT.match(source, i)
            if m is not None:
                joined = "".join(out)
                out = [joined[:began], r"(?:[\s\S]*)"]
                i = m.end()
            continue
        if ch == "{" and _FUZZY_CONSTRAINT.match(source, i):
            return None
        out.append(ch)
        i += 1
    return "".join(out) if not opens else None


def branch_clauses(source: str) -> tuple[Clauses, ...] | None:
    """For a regex matched case-insensitively on the normalised text: per alternative of its top
    alternation (the whole regex when it has none), the sets of lower-cased ASCII strings one string
    of each of which every match of that alternative holds (see ``required_clauses``). A window where
    no alternative finds all its clauses holds no match. Fuzzy groups are read as any text (see
    ``without_fuzziness``). None: unknown, or some alternative needs nothing."""
    plain = without_fuzziness(source)
    if plain is None:
        return None
    parts = split_alternatives(plain) if "|" in plain else None
    out: list[Clauses] = []
    for part in parts or [plain]:
        clauses = required_clauses(part)
        if not clauses:
            return None
        if not all(s.isascii() for need in clauses for s in need):
            return None
        out.append(tuple(frozenset(s.lower() for s in need) for need in clauses))
    return tuple(out)

"""Load the admins' pattern files into one immutable, compiled PatternSet.

A set is built whole or not at all: every problem in every file is collected into one
PatternSetError, so a service can keep running the previous set and show the admin the list.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex
from pydantic import ValidationError

from .anchors import AnchorIndex, WordIndex
from .cues import ReplyCues, compile_cues
from .fuzzy import FuzzyStarts, fuzzy_starts
from .leading import Starts
from .normalize import SHORT_TEXT
from .prefilter import (
    Clauses,
    Pieces,
    Requirement,
    branch_clauses,
    folded_literals,
    folded_starts,
    fuzzy_pieces,
    leading_literals,
    lowered_starts,
    required_chars,
    required_clauses,
    required_literals,
    split_alternatives,
    splittable,
    starts_finder,
)
from .schema import (
    ContextSpec,
    ErrorPatternSpec,
    FieldExample,
    FieldSpec,
    LanguageSpec,
    NegativeSpec,
    OverlayReplySpec,
    RegexSpec,
    ReplyParts,
    ReplyPartsFile,
)
from .tomlpos import key_lines, line_of

if TYPE_CHECKING:
    from .chrome import ChromeRules
    from .language import WordMarkers
    from .listing import ListingRules
    from .normalize import NormalizedText
    from .pasted import PastedRules
    from .stances import StanceRules, Stances

FIELDS_DIR = "fields"
I18N_DIR = "i18n"
REPLY_PARTS_FILE = "reply_parts.toml"
"""The English phrases of the reply composer; not an error pattern although it sits beside them."""
STANCES_FILE = "stances.toml"
"""The English stances (see stances.py); not an error pattern either."""
LISTING_FILE = "listing.toml"
"""The shapes of lists of errors (see listing.py)."""
PASTED_FILE = "pasted.toml"
"""The words that tell pasted documents from the merchant's own lines (see pasted.py)."""
NOT_PATTERNS = frozenset({REPLY_PARTS_FILE, STANCES_FILE, LISTING_FILE, PASTED_FILE})
MAX_ANCHOR_HITS = 200
"""Occurrences of one anchor worth looking at; past that a ticket is noise, not a message."""


@dataclass(frozen=True)
class PatternFileError:
    path: Path
    key: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class PatternSetError(Exception):
    """One or more pattern files are invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[PatternFileError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(e) for e in problems))


@dataclass(frozen=True)
class CompiledRegex:
    spec: RegexSpec
    exact: regex.Pattern[str]
    fuzzy: regex.Pattern[str] | None
    need: Requirement = None
    """Lower-case ASCII strings one of which every exact match holds (see prefilter.py); None: unknown."""
    fuzzy_need: Pieces | None = None
    """For the fuzzy twin: pieces of the words it always holds, enough of which survive ``max_errors`` edits."""
    chars: regex.Pattern[str] | None = None
    """A character class every exact match holds (digits for a time): a window without one is skipped."""
    starts: re.Pattern[str] | None = field(default=None, compare=False)
    """Finds, in the lowered text, the strings one of which every exact match starts with: a window is
    searched from the first of them on, and not at all without one (see prefilter.folded_starts)."""
    clauses: tuple[Clauses, ...] | None = field(default=None, compare=False)
    """Per alternative of the regex, the lower-case ASCII strings one of each set of which its matches
    hold (see prefilter.branch_clauses): a window where no alternative finds all of them is skipped."""
    fuzzy_starts: FuzzyStarts | None = field(default=None, compare=False)
    """For the fuzzy twin: exact parts one of which every match holds, so that it is tried only where a
    match can start (see fuzzy.py); None: it searches its windows whole."""

    @property
    def name(self) -> str:
        return self.spec.name

    @functools.cached_property
    def anchor_set(self) -> frozenset[str]:
        return frozenset(self.spec.anchors)

    @functools.cached_property
    def chars_beyond_ascii(self) -> bool:
        """Whether ``chars`` finds no ASCII character (kana): an ASCII text then holds none."""
        return beyond_ascii(self.chars)

    def may_window(self, seen: set[str]) -> bool:
        """Whether the anchors among ``seen`` (found spelt right or not) fill enough places of the list of
        anchors for a window to hold ``min_anchors`` of them: no window (exact, misspelt or fuzzy, see
        search.anchor_windows) counts more places than the whole text holds."""
        least = self.spec.min_anchors
        if least <= 1:
            return True
        slots = self.anchor_slots
        return sum([len(slots[a]) for a in self.anchor_set.intersection(seen)]) >= least

    @functools.cached_property
    def anchor_slots(self) -> dict[str, tuple[int, ...]]:
        """Each anchor's places in the list of anchors (a window counts its anchors by place)."""
        slots: dict[str, list[int]] = {}
        for i, anchor in enumerate(self.spec.anchors):
            slots.setdefault(anchor, []).append(i)
        return {a: tuple(ix) for a, ix in slots.items()}


@dataclass(frozen=True)
class CompiledContext:
    spec: ContextSpec
    regex: regex.Pattern[str]
    on_lowered: bool = False
    """Search ``NormalizedText.lowered`` (the regex was compiled case-sensitive, see compile_lowered)."""
    terms: tuple[tuple[regex.Pattern[str], Requirement], ...] = ()
    """Each term alone with the words it needs (empty: search the joined regex). A context only
    asks whether some term occurs, so the terms whose words are absent are never run."""

    @classmethod
    def build(cls, spec: ContextSpec) -> CompiledContext:
        compiled, lowered = compile_lowered("|".join(f"(?:{t})" for t in spec.terms))
        terms: tuple[tuple[regex.Pattern[str], Requirement], ...] = ()
        if lowered and all(splittable(t) for t in spec.terms):
            try:
                terms = tuple((regex.compile(t), required_literals(t)) for t in spec.terms)
            except regex.error:  # a term that only compiles joined to its neighbours: search them joined
                terms = ()
        return cls(spec, compiled, lowered, terms)

    def occurs(self, text: NormalizedText, start: int, end: int, remaining: Callable[[], float]) -> bool:
        """Whether the joined regex would find a match in ``[start:end]`` of the ticket (``remaining``
        gives the time left, and raises TimeoutError when there is none)."""
        target = text.lowered if self.on_lowered else text.text
        if not self.terms:
            return self.regex.search(target, start, end, timeout=remaining()) is not None
        for term, need in self.terms:  # terms exist only for a context searched on the lowered text
            if text.holds(need, start, end) and term.search(target, start, end, timeout=remaining()) is not None:
                return True
        return False


@dataclass(frozen=True)
class CompiledNegative:
    spec: NegativeSpec
    regex: regex.Pattern[str]
    on_lowered: bool = False
    need: Requirement = None
    """Strings one of which any match contains (see prefilter.py); None: always search."""
    branches: tuple[tuple[Branch, Clauses], ...] = ()
    """The regex's alternatives alone, each with the words it needs (see prefilter.split_alternatives);
    empty: search the regex whole. A negative of many phrases runs only the phrases whose words are
    all in the window, instead of trying every phrase at every word."""
    starts: re.Pattern[str] | Starts | None = field(default=None, compare=False)
    """Finds the strings one of which every match starts with (see starts_of): the regex searched
    whole is tried only there."""

    def live(self, text: NormalizedText) -> tuple[tuple[Branch, Clauses], ...]:
        """The branches whose words all occur somewhere in the ticket (remembered per ticket)."""
        found = text.live_branches.get(id(self))
        if found is None:
            if len(text.lowered) > SHORT_TEXT:
                holds = text.clause_occurs
            elif self._indexed(text):
                found = text.live_branches[id(self)] = self._live_in(text.words_found)
                return found
            else:
                holds = text.holds
            found = text.live_branches[id(self)] = tuple(b for b in self.branches if all(holds(need) for need in b[1]))
        return found  # type: ignore[return-value]

    def _live_in(self, words: set[str]) -> tuple[tuple[Branch, Clauses], ...]:
        """The branches each of whose clauses holds one of ``words`` (the short ticket's words found,
        when they are the whole answer): only the branches whose first clause does are looked at,
        found from the words themselves, instead of every branch of the negative."""
        strings, by_first, free = self._by_first_clause
        picked = strings.intersection(words)
        if not picked and not free:
            return ()
        rows = set(free).union(*(by_first[s] for s in picked))
        branches, rest = self.branches, self._later_clauses
        out = []
        for i in sorted(rows):  # (loops, not nested generators: this runs for every negative a hit asks about)
            for need in rest[i]:
                if need.isdisjoint(words):
                    break
            else:
                out.append(branches[i])
        return tuple(out)

    @functools.cached_property
    def _later_clauses(self) -> tuple[Clauses, ...]:
        """Per branch, its clauses after the first (the first picked the branch, see _live_in)."""
        return tuple(clauses[1:] for _, clauses in self.branches)

    @functools.cached_property
    def _by_first_clause(self) -> tuple[frozenset[str], dict[str, tuple[int, ...]], tuple[int, ...]]:
        """The strings of the branches' first clauses, the branches (by index) each of them is in,
        and the branches that need no word."""
        by_first: dict[str, list[int]] = {}
        free: list[int] = []
        for i, (_, clauses) in enumerate(self.branches):
            if not clauses:
                free.append(i)
            for s in clauses[0] if clauses else ():
                by_first.setdefault(s, []).append(i)
        return frozenset(by_first), {s: tuple(rows) for s, rows in by_first.items()}, tuple(free)

    @functools.cached_property
    def strings(self) -> frozenset[str]:
        """Every string this negative's need and its branches' clauses name."""
        return frozenset({s for _, clauses in self.branches for need in clauses for s in need} | set(self.need or ()))

    def _indexed(self, text: NormalizedText) -> bool:
        """Whether the short ticket's word index looked for every string this negative needs: its
        words found are then the whole answer, one set operation per clause (remembered per index)."""
        keys = text.word_keys
        known = self.__dict__.get("_indexed_by")
        if known is None or known[0] is not keys:
            known = (keys, self.strings <= keys)
            self.__dict__["_indexed_by"] = known  # a frozen dataclass: a cache beside its fields
        return known[1]  # type: ignore[no-any-return]

    def may_occur(self, text: NormalizedText) -> bool:
        """False when the regex cannot match anywhere in a short ticket: no word it needs is there
        (a long ticket is not read whole for this: its windows are looked at instead)."""
        if len(text.lowered) > SHORT_TEXT:
            return True
        if self.need is not None and self._indexed(text):
            if self.need.isdisjoint(text.words_found):
                return False
        elif not text.holds(self.need):
            return False
        return not self.branches or bool(self.live(text))

    def search(self, text: NormalizedText, start: int, end: int,
               remaining: Callable[[], float]) -> regex.Match[str] | None:
        """The regex's first match in ``[start:end]`` of the text it is searched in (remembered per
        ticket: every hit of a pattern asks its whole-ticket negatives again)."""
        key = (id(self), start, end)
        known = text.searched.get(key)
        if known is None or known[0] is not self:  # (kept with the negative, whose id cannot then be reused)
            known = text.searched[key] = (self, self._search(text, start, end, remaining))
        return known[1]  # type: ignore[no-any-return]

    def _search(self, text: NormalizedText, start: int, end: int,
                remaining: Callable[[], float]) -> regex.Match[str] | None:
        target = text.lowered if self.on_lowered else text.text
        long = len(text.lowered) > SHORT_TEXT
        if not self.branches or (long and (start > 0 or end < len(target))):
            # A long ticket's words are known only for the whole ticket (see NormalizedText.clause_occurs):
            # looking for each branch's words in every window would cost more than the one regex.
            return first_match(self.regex, self.starts, target, start, end, remaining)
        best: regex.Match[str] | None = None
        holds = text.holds
        searched = text.searched
        for branch, clauses in self.live(text):
            # Over a whole long ticket, live() found every clause already.
            if not long and not all(holds(need, start, end) for need in clauses):
                continue
            # Languages share branches ("staging ... or live"): each is searched once per place.
            key = (branch.source, start, end)
            if key in searched:
                m = searched[key]
            else:
                m = branch.search(target, start, end, remaining)
                if branch.alone:
                    searched[key] = m
            # The whole regex takes the leftmost match; at the same place, the earlier branch.
            if m is not None and (best is None or m.start() < best.start()):  # type: ignore[union-attr]
                best = m  # type: ignore[assignment]
                if m.start() == start:  # type: ignore[union-attr]
                    break
        return best


class Vetoes:
    """A pattern's negatives that apply to one of its regexes, in order. Which of them may occur in a
    short ticket is found from the ticket's words (a map from each word to the negatives needing it)
    instead of asking every negative: a pattern has up to a hundred, a ticket holds the words of a few."""

    __slots__ = ("negatives", "_plan")

    def __init__(self, negatives: tuple[CompiledNegative, ...]) -> None:
        self.negatives = negatives
        self._plan: tuple[frozenset[str], frozenset[str], dict[str, tuple[int, ...]], tuple[int, ...],
                          frozenset[int]] | None = None

    def __iter__(self) -> Iterator[CompiledNegative]:
        return iter(self.negatives)

    def may_occur(self, text: NormalizedText) -> tuple[CompiledNegative, ...]:
        """``tuple(n for n in self.negatives if n.may_occur(text))``, the same answer."""
        if len(text.lowered) > SHORT_TEXT:
            return self.negatives  # a long ticket's negatives may all occur (see may_occur)
        keys = text.word_keys
        plan = self._plan
        if plan is None or plan[0] is not keys:
            plan = self._plan = self._plan_for(keys)
        _, strings, by_word, others, indexed = plan
        words = text.words_found
        rows = set(others).union(*(by_word[s] for s in strings.intersection(words)))
        out = []
        live = text.live_branches
        for i in sorted(rows):
            n = self.negatives[i]
            if i in indexed:
                # Picked by its words, it has passed may_occur's word check already; its branches are found
                # from the words too (CompiledNegative.live for a short ticket whose index looked for them all).
                if n.branches:
                    found = live.get(id(n))
                    if found is None:
                        found = live[id(n)] = n._live_in(words)  # noqa: SLF001
                    if not found:
                        continue
                out.append(n)
            elif n.may_occur(text):
                out.append(n)
        return tuple(out)

    def _plan_for(self, keys: frozenset[str]) -> tuple[frozenset[str], frozenset[str], dict[str, tuple[int, ...]],
                                                      tuple[int, ...], frozenset[int]]:
        """For the words a ticket's index looked for (``keys``): the negatives whose words are all
        among them, by each string of their need, and the others, which are asked one by one."""
        by_word: dict[str, list[int]] = {}
        others: list[int] = []
        for i, n in enumerate(self.negatives):
            if n.need is not None and n.strings <= keys:  # n._indexed(text)
                for s in n.need:
                    by_word.setdefault(s, []).append(i)
            else:
                others.append(i)
        return (keys, frozenset(by_word), {s: tuple(rows) for s, rows in by_word.items()}, tuple(others),
                frozenset(i for rows in by_word.values() for i in rows))


FIRST_TRIES = 16
"""Places ``first_match`` tries the regex at before it lets the regex search on by itself (a window
dense with a match's first words, "it", gains nothing from being read place by place)."""


PLACE_TRIES = 24
"""Places of an Aho-Corasick pass (leading.Starts) the regex is tried at, one call each, before the
engine searches the rest of the window itself."""


def first_match(pattern: regex.Pattern[str], starts: re.Pattern[str] | Starts | None, target: str, start: int,
                end: int, remaining: Callable[[], float]) -> regex.Match[str] | None:
    """``pattern.search(target, start, end)``, the regex tried only where ``starts`` finds a string
    every match starts with. The same match: a match cannot start elsewhere, and the regex tried at
    one place reads the text around it as a search does there (look-behinds and ``\\b`` see before
    ``pos``, ``^`` and ``\\A`` only the text's start; ``\\G``, which would not, gets no ``starts``)."""
    if starts is None:  # no known first strings: the plain search
        return pattern.search(target, start, end, timeout=remaining())
    if isinstance(starts, Starts):  # every place, found in one pass: cheaper than the engine's search
        tries = 0
        for place in starts.places(target, start, end):
            if tries == PLACE_TRIES:
                # A window dense with first strings ("stock" in a stock report): past this many places
                # the engine searches on by itself from the next one (no match starts before it).
                return pattern.search(target, place, end, timeout=remaining())
            tries += 1
            m = pattern.match(target, place, end, timeout=remaining())
            if m is not None:
                return m
        return None
    pos = start
    for _ in range(FIRST_TRIES):
        found = starts.search(target, pos, end)
        if found is None:
            return None
        m = pattern.match(target, found.start(), end, timeout=remaining())
        if m is not None:
            return m
        pos = found.start() + 1
    found = starts.search(target, pos, end)
    return None if found is None else pattern.search(target, found.start(), end, timeout=remaining())


@dataclass(frozen=True)
class Overlay:
    """Where one language's part of a pattern or field came from, and the examples it must pass."""

    lang: str
    path: Path
    match: tuple[str, ...] = ()
    no_match: tuple[str, ...] = ()
    field_match: tuple[FieldExample, ...] = ()


@dataclass(frozen=True)
class Language:
    """One language of patterns/i18n: how to recognise it and how its threads quote."""

    spec: LanguageSpec
    path: Path
    markers: regex.Pattern[str]
    quote_headers: regex.Pattern[str] | None
    words: WordMarkers | None = field(default=None, compare=False)
    """Counts the markers word by word, when every marker is one whole word (see language.py)."""
    script: regex.Pattern[str] | None = field(default=None, compare=False)
    """A character class every marker match holds (Japanese: kana): without one, no marker occurs."""

    @property
    def lang(self) -> str:
        return self.spec.lang

    @functools.cached_property
    def script_beyond_ascii(self) -> bool:
        """Whether ``script`` finds no ASCII character: an ASCII text then holds no marker."""
        return beyond_ascii(self.script)


@dataclass(frozen=True)
class ErrorPattern:
    spec: ErrorPatternSpec
    path: Path
    regexes: tuple[CompiledRegex, ...]
    contexts: tuple[CompiledContext, ...]
    negatives: tuple[CompiledNegative, ...]
    replies: dict[str, OverlayReplySpec] = field(default_factory=dict, compare=False)
    """The reply translated, by language; English is ``spec.reply``."""
    overlays: tuple[Overlay, ...] = ()
    stances: dict[str, StanceRules] = field(default_factory=dict, compare=False)
    """By regex name, the stance rules that may veto its hits (all but the opted-out; see stances.py)."""

    def reply_body(self, lang: str) -> tuple[str | None, int | None, str]:
        """Body, macro id and the language actually used (English when no translation exists).

        A pattern whose English reply names a ``zendesk_macro_id`` keeps that macro: the admin chose it
        and it is the team's own text. A translated body never replaces it; only a translation naming
        its own macro (the team's macro for that language) does.
        """
        translated = self.replies.get(lang)
        english = self.spec.reply
        if translated is not None and (english.zendesk_macro_id is None or translated.zendesk_macro_id is not None):
            return translated.body, translated.zendesk_macro_id, lang
        return english.body, english.zendesk_macro_id, "en"

    @property
    def id(self) -> str:
        return self.spec.id

    @functools.cached_property
    def anchor_set(self) -> frozenset[str]:
        return frozenset(a for r in self.regexes for a in r.spec.anchors)

    @functools.cached_property
    def regexes_by_anchor(self) -> dict[str, tuple[int, ...]]:
        """For each anchor, the regexes (by index) that need it."""
        out: dict[str, list[int]] = {}
        for i, r in enumerate(self.regexes):
            for a in r.anchor_set:
                out.setdefault(a, []).append(i)
        return {a: tuple(ix) for a, ix in out.items()}

    @functools.cached_property
    def _vetoes(self) -> dict[str, Vetoes]:
        return {r.name: Vetoes(tuple(n for n in self.negatives if not n.spec.regexes or r.name in n.spec.regexes))
                for r in self.regexes}

    def vetoes(self, regex_name: str) -> Vetoes | tuple[CompiledNegative, ...]:
        """The negatives that apply to the regex named (all of them for a name it does not have)."""
        return self._vetoes.get(regex_name, self.negatives)

    def regexes_seen(self, seen: set[str]) -> tuple[CompiledRegex, ...]:
        """The regexes one of whose anchors is among ``seen``, in order, that can have a window (the others
        cannot match: see CompiledRegex.may_window; a foreign banner's lone "amazon" starts none)."""
        by_anchor = self.regexes_by_anchor
        found = {i for a in self.anchor_set.intersection(seen) for i in by_anchor[a]}
        regexes = self.regexes
        return tuple(rx for rx in (regexes[i] for i in sorted(found)) if rx.may_window(seen))

    @property
    def priority(self) -> int:
        return self.spec.priority

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.spec.effective_tags())


@dataclass(frozen=True)
class FieldPattern:
    spec: FieldSpec
    path: Path
    regexes: tuple[CompiledRegex, ...]
    negatives: tuple[CompiledNegative, ...]
    zones: dict[str, str] = field(default_factory=dict, compare=False)
    """The base zones plus every language's (lower-case names)."""
    relative_days: dict[str, int] = field(default_factory=dict, compare=False)
    months: dict[str, int] = field(default_factory=dict, compare=False)
    dayparts: dict[str, str] = field(default_factory=dict, compare=False)
    """Every language's words for the morning / afternoon beside an hour ("nachmittags" = "pm")."""
    numbers: dict[str, int] = field(default_factory=dict, compare=False)
    """Every language's hours and minutes in words ("drei" = 3, "media" = 30)."""
    overlays: tuple[Overlay, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class PatternSet:
    """Errors in priority order plus the field extractors; safe to share between threads."""

    error_patterns: tuple[ErrorPattern, ...]
    fields: tuple[FieldPattern, ...] = ()
    fingerprint: str = ""
    directory: Path | None = None
    languages: tuple[Language, ...] = ()
    reply_parts: ReplyParts = field(default_factory=ReplyParts, compare=False)
    """The English phrases the composer puts around the replies (greeting, intro, escalation sentences)."""
    stances: Stances | None = field(default=None, compare=False)
    """Every language's stances with their examples (each pattern holds the rules it applies)."""
    chrome: ChromeRules | None = field(default=None, compare=False)
    """Every language's page chrome words (see chrome.py): None, no chrome is told apart."""
    listing: ListingRules | None = field(default=None, compare=False)
    """The shapes of lists of errors (see listing.py): None, no list is told apart."""
    pasted: PastedRules | None = field(default=None, compare=False)
    """The words that tell pasted documents (see pasted.py): None, nothing is told apart as pasted."""
    _by_id: dict[str, ErrorPattern] = field(default_factory=dict, repr=False, compare=False)
    anchors: AnchorIndex = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    quote_headers: regex.Pattern[str] | None = field(default=None, repr=False, compare=False)
    """Every language's quote headers in one regex (English ones are built into thread.py)."""

    words: WordIndex = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    """Every word a negative, a context or a regex needs (see prefilter.py), found in one pass per ticket."""

    follow_up: regex.Pattern[str] | None = field(default=None, repr=False, compare=False)
    """Every language's follow-up cues ("immer noch"), beside the built-in ones of thread.py."""

    cues: ReplyCues = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    """How a reply answers the thread ("yes, that's the one", "but now"), English's and every language's (cues.py)."""

    def __post_init__(self) -> None:
        self._by_id.update({p.id: p for p in self.error_patterns})
        if self.cues is None:
            object.__setattr__(self, "cues", compile_cues(la.spec.reply_cues for la in self.languages))
        cues = [c for la in self.languages for c in la.spec.followup_cues]
        if cues and self.follow_up is None:
            object.__setattr__(self, "follow_up", regex.compile("|".join(f"(?:{c})" for c in cues), regex.IGNORECASE))
        heads = [h for la in self.languages for h in la.spec.quote_headers]
        if heads and self.quote_headers is None:
            object.__setattr__(self, "quote_headers", regex.compile(
                "|".join(f"(?:{h})" for h in heads), regex.IGNORECASE | regex.MULTILINE))
        if self.anchors is None:
            words = {a for p in self.error_patterns for r in p.regexes for a in r.spec.anchors}
            object.__setattr__(self, "anchors", AnchorIndex(words, MAX_ANCHOR_HITS, typos=True))
        if self.words is None:
            object.__setattr__(self, "words", WordIndex(_needed_words(self)))

    def __repr__(self) -> str:
        return f"PatternSet({len(self.error_patterns)} errors, {len(self.fields)} fields, fingerprint={self.fingerprint!r})"

    def language(self, lang: str) -> Language | None:
        return next((la for la in self.languages if la.lang == lang), None)

    def get(self, pattern_id: str) -> ErrorPattern | None:
        return self._by_id.get(pattern_id)

    def field(self, kind: str) -> tuple[FieldPattern, ...]:
        return tuple(f for f in self.fields if f.spec.kind == kind)


def _needed_words(patterns: PatternSet) -> set[str]:
    needs: list[Requirement] = []
    for p in patterns.error_patterns:
        needs += [r.need for r in p.regexes] + [n.need for n in p.negatives]
        needs += [c for r in p.regexes for clauses in r.clauses or () for c in clauses]
        needs += [c for n in p.negatives for _, clauses in n.branches for c in clauses]
        needs += [need for c in p.contexts for _, need in c.terms]
    rules = patterns.stances.rules if patterns.stances is not None else ()
    needs += [r.negative.need for r in rules] + [c for r in rules for _, clauses in r.negative.branches for c in clauses]
    for f in patterns.fields:
        needs += [r.need for r in f.regexes] + [n.need for n in f.negatives]
        needs += [c for n in f.negatives for _, clauses in n.branches for c in clauses]
    return {w for need in needs if need for w in need}


def _flags(spec: RegexSpec) -> int:
    return 0 if spec.case_sensitive else regex.IGNORECASE


@functools.lru_cache(maxsize=8192)
def _compile(source: str, flags: int = 0) -> regex.Pattern[str]:
    """regex.compile, remembered across loads: a reload after a one-line edit, or every app a test
    suite builds, recompiles only what changed (``regex``'s own cache holds 500; a set has thousands).
    Compiled patterns are immutable, so sets may share them."""
    return regex.compile(source, flags)


def compile_regex(spec: RegexSpec) -> CompiledRegex:
    """Compile one named regex; its fuzzy twin allows ``max_errors`` edits to the whole pattern."""
    exact = _compile(spec.pattern, _flags(spec))
    fuzzy = None
    if spec.max_errors:
        fuzzy = _compile(f"(?:{spec.pattern}){{e<={spec.max_errors}}}", _flags(spec) | regex.ENHANCEMATCH)
    need = folded_literals(spec.pattern, frozenset(spec.anchors))
    chars = required_chars(spec.pattern)
    starts = folded_starts(spec.pattern)
    return CompiledRegex(spec, exact, fuzzy, need, fuzzy_pieces(spec.pattern, spec.max_errors) if fuzzy is not None else None,
                         _compile(chars, _flags(spec)) if chars else None, starts_finder(starts) if starts else None,
                         branch_clauses(spec.pattern),
                         fuzzy_starts(spec.pattern, spec.max_errors, _flags(spec), _compile) if fuzzy is not None else None)


_ASCII = "".join(map(chr, range(128)))


def beyond_ascii(chars: regex.Pattern[str] | None) -> bool:
    """Whether a character class's regex (with its flags) finds nothing among the ASCII characters."""
    return chars is not None and chars.search(_ASCII) is None


_ESCAPES = regex.compile(r"\\(?:[pPN]\{[^}]*\}|.)", regex.DOTALL)


def lower_case_only(source: str) -> bool:
    """Whether a regex holds no upper-case letter outside its escapes (\\W, \\S, \\p{Lu} ...): then it
    finds the same on the lowered text without IGNORECASE, which the regex module runs faster."""
    plain = _ESCAPES.sub("", source)
    return plain == plain.lower() and "(?-i" not in source


def _compile_terms(terms: list[str]) -> regex.Pattern[str]:
    return _compile("|".join(f"(?:{t})" for t in terms), regex.IGNORECASE)


def compile_lowered(source: str) -> tuple[regex.Pattern[str], bool]:
    """The regex to search with, and whether it must be run on the lowered text."""
    if lower_case_only(source):
        return _compile(source), True
    return _compile(source, regex.IGNORECASE), False


class _Compiling(threading.local):
    seconds = 0.0
    """Per thread (the class's value until the thread first compiles: no failed lookup per call)."""


_compiling = _Compiling()


def compile_seconds() -> float:
    """Seconds this thread has spent compiling branches on first use (see Branch).

    A ticket's time budget leaves them out (search.Deadline): a one-off cost of the process, which on
    a busy machine can outlast a whole budget, must not turn the first ticket that needs a branch
    into a time-out, and so into a missed error.
    """
    return _compiling.seconds


class Branch:
    """One alternative of a negative, compiled the first time a ticket holds all its words.

    A pattern set has thousands of these and most are never searched in a given process: compiling
    them all at load doubled the time a service takes to start or reload its patterns.
    """

    __slots__ = ("source", "whole", "_compiled", "_starts")

    @property
    def alone(self) -> bool:
        """Whether the branch was compiled by itself (not replaced by its whole regex): only then
        is its match the same wherever its source appears."""
        return self._compiled is not None and self._compiled is not self.whole

    def __init__(self, source: str, whole: regex.Pattern[str]) -> None:
        self.source, self.whole = source, whole
        self._compiled: regex.Pattern[str] | None = None
        self._starts: re.Pattern[str] | Starts | None = None
        """Finds where a match may start, when it may begin with a look-around (see first_match)."""

    def search(self, target: str, start: int, end: int, remaining: Callable[[], float]) -> regex.Match[str] | None:
        """The branch's first match in ``target[start:end]`` (``remaining`` gives the time left)."""
        compiled = self._compiled
        if compiled is None:
            began = time.perf_counter()
            try:
                compiled = regex.compile(self.source)
                self._starts = starts_of(self.source)
            except regex.error:  # a branch that only compiles with its neighbours: the whole regex instead
                compiled = self.whole
            self._compiled = compiled  # two threads racing here compile the same thing twice: harmless
            _compiling.seconds = compile_seconds() + (time.perf_counter() - began)
        return first_match(compiled, self._starts, target, start, end, remaining)


def split_branches(source: str, whole: regex.Pattern[str]) -> tuple[tuple[Branch, Clauses], ...]:
    """The alternatives of a regex searched case-sensitively on the lowered text, each with the words
    it needs; empty when it does not split (see prefilter.split_alternatives)."""
    parts = split_alternatives(source)
    if parts is None:
        return ()
    return tuple((Branch(part, whole), required_clauses(part) or ()) for part in parts)


def starts_of(source: str) -> re.Pattern[str] | Starts | None:
    """Where ``first_match`` tries a regex searched on the lowered text: every place one of its first
    strings occurs (found in one pass), or, when one is a single character, the places a plain regex
    finds for a regex that may begin with a look-around; None: let the engine search."""
    strings = lowered_starts(source)
    if strings:
        return Starts(strings)
    strings = leading_literals(source)
    return starts_finder(strings) if strings else None


def _compile_negative(spec: NegativeSpec) -> CompiledNegative:
    compiled, lowered = compile_lowered(spec.pattern)
    return CompiledNegative(spec, compiled, lowered, required_literals(spec.pattern) if lowered else None,
                            split_branches(spec.pattern, compiled) if lowered else (),
                            starts_of(spec.pattern) if lowered else None)


class _FileLoader:
    """Collects the problems of one file with their lines."""

    def __init__(self, path: Path, problems: list[PatternFileError]) -> None:
        self.path = path
        self.problems = problems
        self.text = ""
        self._index: dict[tuple[str | int, ...], int] = {}

    def fail(self, loc: tuple[str | int, ...], message: str, line: int | None = None) -> None:
        key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
        self.problems.append(PatternFileError(self.path, key, line or line_of(self._index, loc), message))

    def read(self) -> dict[str, Any] | None:
        try:
            self.text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            line = self.path.read_bytes().count(b"\n", 0, exc.start) + 1
            self.fail((), f"cannot read the file: not UTF-8 text ({exc.reason} at byte {exc.start})", line=line)
            return None
        except OSError as exc:
            self.fail((), f"cannot read the file: {exc}")
            return None
        self._index = key_lines(self.text)
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            self.fail((), f"not valid TOML: {exc}", line=line)
            return None
        except RecursionError:  # tomllib recurses per nested array or inline table
            self.fail((), "not valid TOML: arrays or tables nested too deeply")
            return None

    def validate(self, model: type[ErrorPatternSpec] | type[FieldSpec], data: dict[str, Any]) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = f"unknown key (allowed here: {_allowed_keys(model, loc)})"
                self.fail(loc, msg)
            return None

    def spec(self, model: type[ErrorPatternSpec] | type[FieldSpec]) -> Any:
        """The file read and validated, its id checked against its name; None after reporting why."""
        data = self.read()
        spec = self.validate(model, data) if data is not None else None
        if spec is not None and spec.id != self.path.stem:
            self.fail(("id",), f"id {spec.id!r} must equal the file name {self.path.stem!r}")
            return None
        return spec

    def compile(self, loc: tuple[str | int, ...], build: Any, *args: Any) -> Any:
        try:
            return build(*args)
        except (regex.error, OverflowError, RecursionError, ValueError) as exc:
            self.fail(loc, f"regex does not compile: {exc}")
            return None


def read_guard_file(path: Path, model: type[Any], problems: list[PatternFileError]) -> Any | None:
    """A guard's one data file (listing.toml, pasted.toml) validated as ``model``: None when the directory
    has none (that guard is off) or it is invalid (its problems recorded with file, key and line)."""
    if not path.is_file():
        return None
    loader = _FileLoader(path, problems)
    data = loader.read()
    return loader.validate(model, data) if data is not None else None


def _line_from_message(message: str) -> int:
    found = regex.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1


def _allowed_keys(model: type[Any], loc: tuple[str | int, ...]) -> str:
    sub: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(sub, "model_fields", {}).get(part)
        if info is None:
            return "see patterns/README.md"
        annotation = info.annotation
        args = getattr(annotation, "__args__", None)
        sub = args[0] if args else annotation
    return ", ".join(getattr(sub, "model_fields", {})) or "see patterns/README.md"


def _compile_regexes(loader: _FileLoader, specs: list[RegexSpec]) -> tuple[CompiledRegex, ...] | None:
    compiled = [loader.compile(("regex", i, "pattern"), compile_regex, s) for i, s in enumerate(specs)]
    return None if any(c is None for c in compiled) else tuple(compiled)


def _compile_negatives(loader: _FileLoader, specs: list[NegativeSpec]) -> tuple[CompiledNegative, ...] | None:
    compiled = [loader.compile(("negative", i, "pattern"), _compile_negative, s) for i, s in enumerate(specs)]
    return None if any(c is None for c in compiled) else tuple(compiled)


def load_error_pattern(path: Path, problems: list[PatternFileError]) -> ErrorPattern | None:
    loader = _FileLoader(path, problems)
    spec = loader.spec(ErrorPatternSpec)
    if spec is None:
        return None
    regexes = _compile_regexes(loader, spec.regex)
    negatives = _compile_negatives(loader, spec.negative)
    contexts = [
        loader.compile(("context", i, "terms"), CompiledContext.build, c)
        for i, c in enumerate(spec.context)
    ]
    if regexes is None or negatives is None or any(c is None for c in contexts):
        return None
    return ErrorPattern(spec, path, regexes, tuple(contexts), negatives)


def load_field_pattern(path: Path, problems: list[PatternFileError]) -> FieldPattern | None:
    loader = _FileLoader(path, problems)
    spec = loader.spec(FieldSpec)
    if spec is None:
        return None
    if spec.kind == "timestamp":
        from .timestamps import check_zones

        for name, problem in check_zones(spec.zones):
            loader.fail(("zones", name), problem)
    regexes = _compile_regexes(loader, spec.regex)
    negatives = _compile_negatives(loader, spec.negative)
    if regexes is None or negatives is None:
        return None
    return FieldPattern(spec, path, regexes, negatives, zones={k.lower(): v for k, v in spec.zones.items()})


def with_prefilters(pattern: ErrorPattern) -> ErrorPattern:
    """The words each negative needs, chosen among those that are not the pattern's own anchors nor
    its Amazon context's words: a negative is only searched beside a hit, where the anchors always
    are and "Amazon" usually is. (Any choice gives the same result; this one skips more searches.)"""
    usual = {s for c in pattern.contexts if c.spec.name.startswith("amazon") for _, need in c.terms for s in need or ()}
    avoid = pattern.anchor_set | frozenset(usual)
    negatives = tuple(
        dataclasses.replace(n, need=required_literals(n.spec.pattern, avoid)) if n.on_lowered else n
        for n in pattern.negatives
    )
    return dataclasses.replace(pattern, negatives=negatives)


def share_amazon_context(patterns: list[ErrorPattern]) -> list[ErrorPattern]:
    """Every whole-ticket "amazon..." context gets the union of their terms: one question ("is this
    about an Amazon seller account?"), answered once per ticket instead of once per pattern."""
    terms: list[str] = []
    for p in patterns:
        for c in p.contexts:
            if c.spec.name.startswith("amazon") and c.spec.window == 0:
                terms += [t for t in c.spec.terms if t not in terms]
    if not terms:
        return patterns
    shared: dict[tuple[str, ...], CompiledContext] = {}
    out = []
    for p in patterns:
        contexts = []
        for c in p.contexts:
            if c.spec.name.startswith("amazon") and c.spec.window == 0:
                spec = c.spec.model_copy(update={"terms": terms})
                built = shared.get(tuple(terms))
                c = CompiledContext(spec, built.regex, built.on_lowered, built.terms) if built else CompiledContext.build(spec)
                shared[tuple(terms)] = c
            contexts.append(c)
        out.append(dataclasses.replace(p, contexts=tuple(contexts)))
    return out


def pattern_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The error files and the field files of a patterns directory, sorted (reply_parts.toml is neither)."""
    errors = sorted(p for p in directory.glob("*.toml") if p.name not in NOT_PATTERNS)
    return errors, sorted((directory / FIELDS_DIR).glob("*.toml"))


def reply_parts_file(directory: Path) -> list[Path]:
    """The English reply phrases file, when the directory has one (for loading, fingerprints and reloads)."""
    path = directory / REPLY_PARTS_FILE
    return [path] if path.is_file() else []


def load_reply_parts(path: Path, problems: list[PatternFileError]) -> ReplyParts:
    """The English phrases from ``path``; the built-in English where the file is silent or broken."""
    loader = _FileLoader(path, problems)
    data = loader.read()
    spec = loader.validate(ReplyPartsFile, data) if data is not None else None  # type: ignore[arg-type]
    return spec.reply_parts if spec is not None else ReplyParts()


def all_pattern_files(directory: Path) -> list[Path]:
    """Every file a pattern set is built from, language overlays included (for fingerprints and reloads)."""
    errors, fields = pattern_files(directory)
    stances = [directory / STANCES_FILE] if (directory / STANCES_FILE).is_file() else []
    from .chrome import chrome_files
    listing = [directory / name for name in (LISTING_FILE, PASTED_FILE) if (directory / name).is_file()]
    return [*errors, *fields, *reply_parts_file(directory), *stances, *sorted((directory / I18N_DIR).glob("*/*.toml")),
            *sorted((directory / I18N_DIR).glob("*/" + FIELDS_DIR + "/*.toml")), *chrome_files(directory), *listing]


_LOADED: dict[tuple[str, str], PatternSet] = {}
_LOADED_LOCK = threading.Lock()
LOADED_KEPT = 4
"""Pattern sets kept per process, by directory and content: loading compiles for seconds."""


def pattern_digest(directory: Path) -> str:
    """The hash of every file a set is built from, with its name: equal digests build equal sets."""
    digest = hashlib.sha256()
    for p in all_pattern_files(directory):
        digest.update(str(p.relative_to(directory)).encode() + b"\0")
        try:
            digest.update(p.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()


def loaded_before(directory: Path, digest: str) -> PatternSet | None:
    """The set an earlier load in this process built from these very files, if it is still kept."""
    with _LOADED_LOCK:
        return _LOADED.get((str(directory.resolve()), digest))


def keep_loaded(directory: Path, digest: str, patterns: PatternSet) -> None:
    """Remember a set for ``loaded_before`` (the newest ``LOADED_KEPT`` are kept)."""
    with _LOADED_LOCK:
        _LOADED[(str(directory.resolve()), digest)] = patterns
        while len(_LOADED) > LOADED_KEPT:
            del _LOADED[next(iter(_LOADED))]


def load_patterns(directory: str | Path) -> PatternSet:
    """Load and compile every file; raise PatternSetError listing all problems.

    A directory whose files are byte for byte what an earlier call in this process loaded gives that
    call's set again (a PatternSet is immutable and shared between threads already): a reload with
    nothing changed, a second app or worker thread in one process, costs a hash of the files instead
    of seconds of compiling.
    """
    directory = Path(directory)
    problems: list[PatternFileError] = []
    if not directory.is_dir():
        raise PatternSetError([PatternFileError(directory, "", 1, "patterns directory does not exist")])
    error_files, field_files = pattern_files(directory)
    if not error_files:
        problems.append(PatternFileError(directory, "", 1, "no pattern files (*.toml) in this directory"))
    digest = pattern_digest(directory)
    cached = loaded_before(directory, digest)
    if cached is not None:
        return cached
    loaded_set = _load_patterns(directory, error_files, field_files, problems, digest[:16])
    keep_loaded(directory, digest, loaded_set)
    return loaded_set


def _load_patterns(directory: Path, error_files: list[Path], field_files: list[Path],
                   problems: list[PatternFileError], fingerprint: str) -> PatternSet:
    loaded = [load_error_pattern(p, problems) for p in error_files]
    fields = [load_field_pattern(p, problems) for p in field_files]
    reply_parts = next((load_reply_parts(p, problems) for p in reply_parts_file(directory)), ReplyParts())
    seen: dict[str, Path] = {}
    for p in loaded:
        if p is not None:
            if p.id in seen:
                problems.append(PatternFileError(p.path, "id", 1, f"id {p.id!r} is also used by {seen[p.id]}"))
            seen[p.id] = p.path
    kinds = [f.spec.kind for f in fields if f is not None]
    for kind in ("merchant_id", "timestamp"):
        if field_files and kinds.count(kind) > 1:
            problems.append(PatternFileError(directory / FIELDS_DIR, "kind", 1, f"more than one field of kind {kind!r}"))
    from .overlays import load_languages

    broken = frozenset([p.stem for p, pattern in zip(error_files, loaded, strict=True) if pattern is None]
                       + [f"{FIELDS_DIR}/{p.stem}" for p, field in zip(field_files, fields, strict=True) if field is None])
    languages, loaded, fields = load_languages(directory / I18N_DIR, loaded, fields, problems, broken)
    from .stances import load_stances, with_stances

    stances = load_stances(directory, [(la.spec, la.path) for la in languages], problems)
    loaded = [with_stances(p, stances, problems) if p is not None else None for p in loaded]
    from .chrome import CHROME_DIR, load_chrome

    chrome = load_chrome(directory / CHROME_DIR, problems)
    from .listing import load_listing

    listing = load_listing(directory, problems)
    from .pasted import load_pasted

    pasted = load_pasted(directory, problems)
    if problems:
        raise PatternSetError(problems)
    ordered = share_amazon_context(sorted((p for p in loaded if p is not None), key=lambda p: (p.priority, p.id)))
    ordered = [with_prefilters(p) for p in ordered]
    return PatternSet(
        error_patterns=tuple(ordered),
        fields=tuple(f for f in fields if f is not None),
        fingerprint=fingerprint,
        directory=directory,
        languages=languages,
        reply_parts=reply_parts,
        stances=stances,
        chrome=chrome,
        listing=listing,
        pasted=pasted,
    )

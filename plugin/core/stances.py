"""Stances: the merchant's position towards an error they name, shared by every error pattern.

"I watched a video where someone got 'Couldn't connect, contact Amazon'. I haven't installed yet",
"it is NOT the 'not a Professional seller account' thing", "last month we had X, solved since",
"the channel is connected and orders come through fine": none of these says WHICH error, so none
belongs in one pattern's file. Each language writes each stance once, as data (patterns/stances.toml
for English, the ``[stances]`` table of ``i18n/<lang>/language.toml``), and every hit of every error
pattern is checked against all of them, unless the pattern or the regex opts out (``skip_stances``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from .patterns import (
    STANCES_FILE,
    CompiledNegative,
    ErrorPattern,
    PatternFileError,
    Vetoes,
    _compile_negative,
    _compile_terms,
    _FileLoader,
)
from .schema import LanguageSpec, NegativeSpec, StanceExamples, StancesFile, StanceSpec
from .search import window_around
from .shops import speaks_of_another_shop
from .thread import CLAUSE_BREAK

if TYPE_CHECKING:
    from .normalize import NormalizedText
    from .search import Deadline, Found
    from .thread import Layout



@dataclass(frozen=True)
class StanceRule:
    """One language's way of writing one stance, compiled; shared by every pattern it applies to."""

    stance: str
    spec: StanceSpec
    lang: str
    path: Path
    negative: CompiledNegative
    unless: regex.Pattern[str] | None = None

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class StanceExampleSet:
    """A stance's examples in one file, for ``check`` and the tests."""

    stance: str
    path: Path
    examples: StanceExamples


@dataclass(frozen=True)
class Stances:
    rules: tuple[StanceRule, ...] = ()
    examples: tuple[StanceExampleSet, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(r.stance for r in self.rules)


def _compile_rule(stance: str, spec: StanceSpec, lang: str, path: Path) -> StanceRule:
    ticket = spec.scope in ("ticket", "subject")
    negative = _compile_negative(NegativeSpec(
        name=spec.name, pattern=spec.pattern, window=0 if ticket else spec.window,
        scope="window" if ticket else spec.scope))
    unless = _compile_terms(spec.unless) if spec.unless else None
    return StanceRule(stance, spec, lang, path, negative, unless)


def _rules(loader: _FileLoader, table: dict[str, list[StanceSpec]], examples: dict[str, StanceExamples],
           lang: str) -> tuple[list[StanceRule], list[StanceExampleSet]]:
    rules: list[StanceRule] = []
    for stance, specs in table.items():
        names: set[str] = set()
        for i, spec in enumerate(specs):
            if spec.name in names:
                loader.fail(("stances", stance, i, "name"), f"stance {stance!r} already has a way named {spec.name!r}")
                continue
            names.add(spec.name)
            rule = loader.compile(("stances", stance, i, "pattern"), _compile_rule, stance, spec, lang, loader.path)
            if rule is not None:
                rules.append(rule)
    sets = []
    for stance, ex in examples.items():
        if stance not in table:
            loader.fail(("stance_examples", stance), f"examples for stance {stance!r}, which this file does not write "
                                                     f"(add [[stances.{stance}]] or move the examples)")
            continue
        sets.append(StanceExampleSet(stance, loader.path, ex))
    return rules, sets


def load_stances(directory: Path, languages: Iterable[tuple[LanguageSpec, Path]],
                 problems: list[PatternFileError]) -> Stances:
    """The English stances of ``directory/stances.toml`` (when there is one) and every language's."""
    rules: list[StanceRule] = []
    examples: list[StanceExampleSet] = []
    path = directory / STANCES_FILE
    if path.is_file():
        loader = _FileLoader(path, problems)
        data = loader.read()
        spec = loader.validate(StancesFile, data) if data is not None else None  # type: ignore[arg-type]
        if spec is not None:
            r, e = _rules(loader, spec.stances, spec.stance_examples, "en")
            rules += r
            examples += e
    for language, lpath in languages:
        r, e = _rules(_FileLoader(lpath, problems), language.stances, language.stance_examples, language.lang)
        rules += r
        examples += e
    return Stances(tuple(rules), tuple(examples))


@dataclass(eq=False)
class StanceRules:
    """The stance rules that may veto one regex's hits (all but those it opts out of; the regexes making the same
    choice share one), with a plan per ticket language: built once per pattern set, when a ticket of that language
    first asks, and dropped with the set on reload."""

    rules: tuple[StanceRule, ...]
    _plans: dict[str | None, tuple[tuple[StanceRule, ...], Vetoes]] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def plan(self, lang: str | None) -> tuple[tuple[StanceRule, ...], Vetoes]:
        """The rules of ``lang`` (and English) and their negatives as Vetoes: which may occur in a short ticket is
        then found from its words (a map from each word to the rules needing it), not by asking each rule."""
        known = self._plans.get(lang)
        if known is None:  # (threads may both build it: the same plan, and a dict store is atomic)
            of_lang = tuple(r for r in self.rules if lang is None or r.lang in (lang, "en"))
            known = self._plans[lang] = (of_lang, Vetoes(tuple(r.negative for r in of_lang)))
        return known


def with_stances(pattern: ErrorPattern, stances: Stances, problems: list[PatternFileError]) -> ErrorPattern:
    """The pattern with, for each of its regexes, the stance rules that may veto its hits; an opt-out
    naming no known stance is reported (a typo would silently keep the stance on)."""
    known = stances.names
    loader = _FileLoader(pattern.path, problems)
    for name in pattern.spec.skip_stances:
        if name not in known:
            loader.fail(("skip_stances",), f"no stance named {name!r} (known: {', '.join(sorted(known)) or 'none'})", line=1)
    by_regex: dict[str, StanceRules] = {}
    shared: dict[tuple[int, ...], StanceRules] = {tuple(map(id, stances.rules)): StanceRules(stances.rules)}
    skip_all = set(pattern.spec.skip_stances)
    for rx in pattern.regexes:
        for name in rx.spec.skip_stances:
            if name not in known:
                loader.fail(("regex", rx.name, "skip_stances"), f"no stance named {name!r} "
                            f"(known: {', '.join(sorted(known)) or 'none'})", line=1)
        skip = skip_all | set(rx.spec.skip_stances)
        kept = tuple(r for r in stances.rules if r.stance not in skip)
        key = tuple(map(id, kept))
        if key not in shared:
            shared[key] = StanceRules(kept)
        by_regex[rx.name] = shared[key]  # one per choice: see _may_occur
    return dataclasses.replace(pattern, stances=by_regex)


def stance_veto(rules: StanceRules, found: Found, text: NormalizedText, deadline: Deadline,
                layout: Callable[[], Layout], lang: str | None = None,
                unless_from: int = 0, subject_end: int = 0) -> tuple[StanceRule, regex.Match[str]] | None:
    """The first stance rule whose words are around the hit (and not lifted by its ``unless``), with its
    match; with ``lang``, only the rules of that language and English. ``unless_from``: where the merchant's
    current words start for an ``unless`` (after a reply's "Re: ..." subject, which repeats the thread's old
    problem); ``subject_end``: where the ticket's subject ends (0: none, then its first line is read instead)."""
    sentence = clause = None  # the hit's sentence and clause: found once for all the rules that read them
    for rule in _may_occur(rules, text, lang):
        neg = rule.negative
        if rule.spec.scope == "ticket":
            m = _own_match(rule, text, deadline, layout)
        elif rule.spec.scope == "subject":
            e = subject_end or _first_line_end(layout(), len(text.lowered))
            m = neg.search(text, 0, e, deadline.remaining) if text.holds(neg.need, 0, e) else None
        else:
            if rule.spec.scope == "window":
                s, e = window_around(len(text.lowered), found.start, found.end, rule.spec.window)
            elif rule.spec.scope == "sentence":
                if sentence is None:
                    sentence = stance_sentence(layout(), found.start, found.end)
                s, e = sentence
            else:
                if clause is None:
                    clause = whole_quote_clause(layout(), found.start, found.end)
                s, e = clause
            m = neg.search(text, s, e, deadline.remaining) if text.holds(neg.need, s, e) else None
        if m is not None and not _lifted(rule, text, deadline, layout, unless_from) \
                and not speaks_of_another_shop(text, (found.start, found.end), m.span()):
            return rule, m
    return None


def _first_line_end(layout: Layout, end: int) -> int:
    starts = layout.line_starts
    return starts[1] if len(starts) > 1 else end


_QUOTED = regex.compile(r'"[^"\n]{1,300}"|«[^»\n]{1,300}»|„[^“”"\n]{1,300}[“”"]|“[^”\n]{1,300}”|「[^」\n]{1,300}」|『[^』\n]{1,300}』')


_QUOTE_ENDS_SENTENCE = regex.compile(r'[.!?。！？]["»”」』](?=\s)|」。')


def stance_sentence(layout: Layout, start: int, end: int) -> tuple[int, int]:
    """The sentence holding a span, as ``Layout.sentence`` finds it, but also ended where a quotation
    ends one ('... seller account." I chose the plan back then'): a quoted banner's closing mark
    hides its full stop, and the next sentence's words are no stance towards the banner."""
    s, e = layout.sentence(start, end)
    for m in _QUOTE_ENDS_SENTENCE.finditer(layout.text, s, e):
        if m.end() <= start:
            s = m.end()
        elif m.start() >= end - 1:
            e = m.end()
            break
    while s < start and layout.text[s] == " ":
        s += 1
    return s, e


def whole_quote_clause(layout: Layout, start: int, end: int) -> tuple[int, int]:
    """The clause holding a span, split as ``Layout.clause`` splits it but never inside quotation marks:
    "it is NOT the 'Couldn't connect, contact Amazon' thing" is one clause, whichever part a regex hit."""
    s, e = stance_sentence(layout, start, end)
    text = layout.text
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text, s, e)]
    cs, ce = s, e
    for m in CLAUSE_BREAK.finditer(text, s, e):
        if any(qs < m.start() < qe for qs, qe in quoted) or start < m.end() and m.start() < end:
            continue
        if m.end() <= start:
            cs = m.end()
        elif m.start() >= end:
            ce = m.start()
            break
    while cs < start and text[cs] == " ":
        cs += 1
    return cs, ce


MAX_QUOTED_SKIPS = 20
"""Matches in quoted text passed over before a ticket-wide stance gives up (an agent's long quote)."""
TICKET_CHARS = 2500
"""How far into a ticket a ``ticket`` stance (and an ``unless``) is looked for: the merchant states it in
their new message, at the top; what lies further down is older mail, signatures and pasted logs."""


def _may_occur(rules: StanceRules, text: NormalizedText, lang: str | None) -> tuple[StanceRule, ...]:
    """The rules of the ticket's language (and English) whose words the ticket holds: sorted out once
    per ticket and set of rules (a pattern's regexes share one), not again at every hit."""
    key = ("stance rules", id(rules), lang)
    known = text.searched.get(key)
    if known is None or known[0] is not rules:  # (kept with its rules, whose id cannot then be reused)
        of_lang, vetoes = rules.plan(lang)
        may = {id(n) for n in vetoes.may_occur(text)}
        known = text.searched[key] = (rules, tuple(
            r for r in of_lang if id(r.negative) in may and (r.spec.scope != "ticket" or _may_open(r, text))))
    return known[1]  # type: ignore[no-any-return]


def _may_open(rule: StanceRule, text: NormalizedText) -> bool:
    """Whether a ``ticket`` rule's words are in the part of the ticket it reads (its first ``TICKET_CHARS``):
    a long ticket's are not looked for in its opening by ``may_occur``, which asks about the whole text."""
    return len(text.lowered) <= TICKET_CHARS or text.holds(rule.negative.need, 0, TICKET_CHARS)


def _own_match(rule: StanceRule, text: NormalizedText, deadline: Deadline,
               layout: Callable[[], Layout]) -> regex.Match[str] | None:
    """The rule's first match in the merchant's own words (remembered per ticket: every hit asks again)."""
    key = ("stance own", id(rule))
    known = text.searched.get(key)
    if known is not None and known[0] is rule:
        return known[1]  # type: ignore[no-any-return]
    end = min(len(text.lowered), TICKET_CHARS)

    def matches() -> Iterator[regex.Match[str]]:
        pos = 0
        for _ in range(MAX_QUOTED_SKIPS):
            m = rule.negative.search(text, pos, end, deadline.remaining)
            if m is None:
                return
            yield m
            pos = max(m.end(), m.start() + 1)

    found = _first_own(matches(), layout())
    text.searched[key] = (rule, found)
    return found


def _lifted(rule: StanceRule, text: NormalizedText, deadline: Deadline, layout: Callable[[], Layout],
            start: int = 0) -> bool:
    """Whether the merchant's own words from ``start`` on state what lifts this rule's veto (a current failure)."""
    if rule.unless is None:
        return False
    key = ("stance unless", id(rule), start)
    known = text.searched.get(key)
    if known is not None and known[0] is rule:
        return bool(known[1])
    lifted = _first_own(rule.unless.finditer(text.text, start, TICKET_CHARS, timeout=deadline.remaining()),
                        layout()) is not None
    text.searched[key] = (rule, lifted)
    return lifted


def _first_own(matches: Iterable[regex.Match[str]], shape: Layout) -> regex.Match[str] | None:
    """The first match in the merchant's own words: quoted earlier mail is passed over."""
    for m in matches:
        if not shape.is_quoted(m.start(), max(m.end(), m.start() + 1)):
            return m
    return None

"""Which language a ticket is written in, and which language its reply should be in.

The reply goes out in the requester's Zendesk locale when it is one we have ("de-CH" -> de), else
in the language the ticket is written in, else in English. Texts meant for the agent (checklist,
explanation) are in the agent's language, a setting.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import regex

from .prefilter import marker_shape

if TYPE_CHECKING:
    from .normalize import NormalizedText
    from .patterns import Language, PatternSet

ENGLISH = "en"
SAMPLE_CHARS = 800
"""The language shows in the first few thousand characters; counting further only costs time."""
MIN_MARKERS = 2

_ENGLISH_MARKERS = re.compile(
    r"\b(?:the|and|is|are|my|i|it|to|you|your|not|have|has|with|this|that|what|when|please|can|"
    r"cannot|we|our|but|of|for|get|still|says?|tried|when|thanks?)\b",
    re.IGNORECASE,
)
"""Common English words. ("can't" counts once, as "can": the apostrophe ends the word.)"""
_RE_WORD = re.compile(r"\w+")
_REGEX_WORD = regex.compile(r"\w+")
MAX_KNOWN_WORDS = 50_000
"""Words remembered per marker set (whether the markers match them); past this the memory starts over."""
_Memo = tuple[dict[str, bool], set[str]]


class WordMarkers:
    """Counts a marker regex's matches in a text word by word (see prefilter.marker_shape).

    When every marker is one whole word (``\\bund\\b``, ``\\bmein\\w*\\b``), the matches are exactly
    the words the regex matches whole: whether it matches a word is remembered, so the regex runs on
    each distinct word once instead of trying all its branches at every word of every ticket. A few
    markers may start with a word and go on past it (``\\bj'\\w+``): at those words (``starts``) the
    regex itself is run where the word stands, as findall would.
    """

    def __init__(self, markers: re.Pattern[str] | regex.Pattern[str], starts: frozenset[str] = frozenset()) -> None:
        self.markers = markers
        self.starts: re.Pattern[str] | regex.Pattern[str] | None = None
        if starts:
            source = "|".join(re.escape(w) for w in sorted(starts))
            self.starts = (regex.compile(source, markers.flags) if isinstance(markers, regex.Pattern)
                           else re.compile(source, markers.flags))
        # (verdict per word, the words judged True): a pair that is only ever added to, the set
        # first, and replaced whole when full, so a thread reading one pair always sees it agree.
        self.known: _Memo = ({}, set())
        self.begins: _Memo = ({}, set())

    @staticmethod
    def _judge(memo: _Memo, word: str, pattern: re.Pattern[str] | regex.Pattern[str]) -> bool:
        found = pattern.fullmatch(word) is not None
        if found:
            memo[1].add(word)
        memo[0][word] = found
        return found

    def _learn(self, attr: str, words: Counter[str], pattern: re.Pattern[str] | regex.Pattern[str]) -> _Memo:
        """The memo ``attr`` with every one of ``words`` judged."""
        memo: _Memo = getattr(self, attr)
        new: Iterable[str] = set(words).difference(memo[0])  # (in C: the set's words looked up in the dict)
        if new and len(memo[0]) + len(new) >= MAX_KNOWN_WORDS:  # type: ignore[arg-type]
            memo = ({}, set())
            setattr(self, attr, memo)
            new = list(words)
        for word in new:
            self._judge(memo, word, pattern)
        return memo

    def count(self, words: Counter[str]) -> int:
        """The matches among ``words`` (the text's words and how often each occurs); only when no
        marker goes past a word (``starts`` empty)."""
        hits = self._learn("known", words, self.markers)[1]
        return sum(words[w] for w in hits.intersection(words))

    def any_begins(self, words: Counter[str]) -> bool:
        """Whether a marker may run past one of these words (else ``count`` is exact)."""
        if self.starts is None:
            return False
        return not self._learn("begins", words, self.starts)[1].isdisjoint(words)

    def count_in(self, sample: str, tokens: Iterable[regex.Match[str]]) -> int:
        """The matches in ``sample``, whose words (by the same word characters) are ``tokens``."""
        total, last_end = 0, 0
        known, begins, starts = self.known, self.begins, self.starts
        if len(known[0]) >= MAX_KNOWN_WORDS - SAMPLE_CHARS:
            known = self.known = ({}, set())
        if len(begins[0]) >= MAX_KNOWN_WORDS - SAMPLE_CHARS:
            begins = self.begins = ({}, set())
        for token in tokens:
            start = token.start()
            if start < last_end:
                continue  # inside the previous match ("ai" of "j'ai")
            word = token.group()
            may_begin = begins[0].get(word)
            if may_begin is None and starts is not None:
                may_begin = self._judge(begins, word, starts)
            if may_begin:
                found = self.markers.match(sample, start)
                if found is not None:
                    total += 1
                    last_end = found.end()
                continue
            hit = known[0].get(word)
            if hit is None:
                hit = self._judge(known, word, self.markers)
            if hit:
                total += 1
                last_end = token.end()
        return total


_ENGLISH_WORDS = WordMarkers(_ENGLISH_MARKERS)


def word_markers(markers: regex.Pattern[str], terms: list[str]) -> WordMarkers | None:
    """A word-by-word counter for a language's markers, when every term has a shape that allows it."""
    shapes = [marker_shape(t, lambda c: _REGEX_WORD.fullmatch(c) is not None) for t in terms]
    if any(shape is None for shape in shapes):
        return None
    return WordMarkers(markers, frozenset().union(*shapes))  # type: ignore[arg-type]


def marker_count(language: Language, sample: str, words: Counter[str], tokens: Iterable[regex.Match[str]]) -> int:
    """How often the language's markers occur in ``sample`` (``words``, ``tokens``: its words, by ``regex``)."""
    if language.words is not None:
        if language.words.starts is None or not language.words.any_begins(words):
            return language.words.count(words)
        return language.words.count_in(sample, tokens)
    if language.script is not None and ((language.script_beyond_ascii and sample.isascii())
                                        or language.script.search(sample) is None):
        return 0
    return len(language.markers.findall(sample))


LANGUAGE_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr", "francais": "fr",
    "spanish": "es", "español": "es", "espanol": "es", "italian": "it", "italiano": "it",
    "japanese": "ja", "日本語": "ja",
}
"""Language names as Zendesk's ``{{ticket.requester.language}}`` placeholder may give them (the locale's
name, "Deutsch", or its English name), for the languages replies are written in."""


def base_language(locale: str | None) -> str | None:
    """"de-CH", "fr_ca", "JA" -> "de", "fr", "ja"; "Deutsch", "Español (España)" -> "de", "es";
    None for anything that is no locale."""
    if not locale or not isinstance(locale, str):
        return None
    found = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$", locale)
    if found:
        return found.group(1).lower()
    name = re.split(r"[(\-–,/]", locale, maxsplit=1)[0].strip().casefold()
    return LANGUAGE_NAMES.get(name)


class _Tokens:
    """The words of a sample as ``regex`` matches, found when first asked for."""

    def __init__(self, sample: str) -> None:
        self.sample = sample
        self._tokens: list[regex.Match[str]] | None = None

    def __iter__(self) -> Iterator[regex.Match[str]]:
        if self._tokens is None:
            self._tokens = list(_REGEX_WORD.finditer(self.sample))
        return iter(self._tokens)


def detect_language(text: str, patterns: PatternSet) -> str:
    """The language whose markers occur most often; English unless another clearly wins."""
    sample = text[:SAMPLE_CHARS]
    re_words = Counter(_RE_WORD.findall(sample))
    best, best_count = ENGLISH, _ENGLISH_WORDS.count(re_words)
    english = best_count
    # In plain ASCII both engines' \w+ find the same words; the tokens themselves are needed
    # only where a marker may run past a word.
    tokens = _Tokens(sample)
    words = re_words if sample.isascii() else Counter(t.group() for t in tokens)
    for language in patterns.languages:
        count = marker_count(language, sample, words, tokens)
        if count >= MIN_MARKERS and count > best_count and count > english * 0.8:
            best, best_count = language.lang, count
    return best


def ticket_language(text: NormalizedText, patterns: PatternSet) -> str:
    """``detect_language`` of a normalised ticket, remembered with it: detection asks it for the stances
    (the merchant's own words, so only their language's ways and English's are looked for), the reply again."""
    key = ("language",)
    known = text.searched.get(key)
    if known is None or known[0] is not patterns:
        known = text.searched[key] = (patterns, detect_language(text.text, patterns))
    return known[1]  # type: ignore[no-any-return]


def reply_language(locale: str | None, detected: str | None, patterns: PatternSet) -> str:
    """The requester's locale when we have that language, else the detected language, else English."""
    known = {ENGLISH, *(la.lang for la in patterns.languages)}
    for candidate in (base_language(locale), detected):
        if candidate in known:
            return candidate  # type: ignore[return-value]
    return ENGLISH

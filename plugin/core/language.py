"""Which language a ticket is written in, and which language its reply should be in.

The reply goes out in the requester's Zendesk locale when it is one we have ("de-CH" -> de), else
in the language the ticket is written in, else in English. Texts meant for the agent (checklist,
explanation) are in the agent's language, a setting.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import regex

from .prefilter import whole_word

if TYPE_CHECKING:
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


class WordMarkers:
    """Counts a marker regex's matches in a text by its words, when every marker term is one whole
    word (``\\bund\\b``, ``\\bmein\\w*\\b``): the matches are then exactly the words the regex
    matches whole, and whether it matches a word is remembered. The regex runs on a word once, not
    with all its branches at every word of every ticket."""

    def __init__(self, markers: re.Pattern[str] | regex.Pattern[str]) -> None:
        self.markers = markers
        self.known: dict[str, bool] = {}

    def count(self, words: Counter[str]) -> int:
        total = 0
        known = self.known
        for word, times in words.items():
            hit = known.get(word)
            if hit is None:
                if len(known) >= MAX_KNOWN_WORDS:
                    known.clear()
                hit = known[word] = self.markers.fullmatch(word) is not None
            if hit:
                total += times
        return total


_ENGLISH_WORDS = WordMarkers(_ENGLISH_MARKERS)


def words_only(terms: list[str], module: str = "regex") -> bool:
    """Whether every term is one whole word, by the word characters of ``module`` ("re" or "regex")."""
    word = _RE_WORD if module == "re" else _REGEX_WORD
    return all(whole_word(t, lambda c: word.fullmatch(c) is not None) for t in terms)


def marker_count(language: Language, sample: str, words: Counter[str]) -> int:
    """How often the language's markers occur in ``sample`` (``words``: its words, by ``regex``)."""
    if language.words is not None:
        return language.words.count(words)
    if language.script is not None and language.script.search(sample) is None:
        return 0
    return len(language.markers.findall(sample))


def base_language(locale: str | None) -> str | None:
    """"de-CH", "fr_ca", "JA" -> "de", "fr", "ja"; None for anything that is no locale."""
    if not locale or not isinstance(locale, str):
        return None
    found = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$", locale)
    return found.group(1).lower() if found else None


def detect_language(text: str, patterns: PatternSet) -> str:
    """The language whose markers occur most often; English unless another clearly wins."""
    sample = text[:SAMPLE_CHARS]
    best, best_count = ENGLISH, _ENGLISH_WORDS.count(Counter(_RE_WORD.findall(sample)))
    english = best_count
    words = Counter(_REGEX_WORD.findall(sample))
    for language in patterns.languages:
        count = marker_count(language, sample, words)
        if count >= MIN_MARKERS and count > best_count and count > english * 0.8:
            best, best_count = language.lang, count
    return best


def reply_language(locale: str | None, detected: str | None, patterns: PatternSet) -> str:
    """The requester's locale when we have that language, else the detected language, else English."""
    known = {ENGLISH, *(la.lang for la in patterns.languages)}
    for candidate in (base_language(locale), detected):
        if candidate in known:
            return candidate  # type: ignore[return-value]
    return ENGLISH

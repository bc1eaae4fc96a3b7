"""Which language a ticket is written in, and which language its reply should be in.

The reply goes out in the requester's Zendesk locale when it is one we have ("de-CH" -> de), else
in the language the ticket is written in, else in English. Texts meant for the agent (checklist,
explanation) are in the agent's language, a setting.
"""

from __future__ import annotations

import re

from .patterns import PatternSet

ENGLISH = "en"
SAMPLE_CHARS = 800
"""The language shows in the first few thousand characters; counting further only costs time."""
MIN_MARKERS = 2

_ENGLISH_MARKERS = re.compile(
    r"\b(?:the|and|is|are|my|i|it|to|you|your|not|have|has|with|this|that|what|when|please|can|can't|"
    r"cannot|we|our|but|of|for|get|still|says?|tried|when|thanks?)\b",
    re.IGNORECASE,
)


def base_language(locale: str | None) -> str | None:
    """"de-CH", "fr_ca", "JA" -> "de", "fr", "ja"; None for anything that is no locale."""
    if not locale or not isinstance(locale, str):
        return None
    found = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$", locale)
    return found.group(1).lower() if found else None


def detect_language(text: str, patterns: PatternSet) -> str:
    """The language whose markers occur most often; English unless another clearly wins."""
    sample = text[:SAMPLE_CHARS]
    best, best_count = ENGLISH, len(_ENGLISH_MARKERS.findall(sample))
    english = best_count
    for language in patterns.languages:
        count = len(language.markers.findall(sample))
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

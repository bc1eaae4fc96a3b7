"""How a merchant's reply answers the thread: "yes, that's the one", "no, it isn't that", "but now ...".

English is built in; every other language brings its words in its language.toml (``[reply_cues]``), so adding a
language stays a change to data files. The words are regexes matched case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from .schema import ReplyCueWords

ENGLISH = ReplyCueWords(
    greetings=[r"hi|hello|hey"],
    yes=[r"(?:yes|yep|yeah|yup|correct)\b[\s,.!-]*(?:(?:that|it|this)(?:'s|s| is| was)? (?:exactly |definitely )?"
         r"(?:the one|the (?:same |exact )?(?:message|banner|error|wording|text)|it\b|that one)|exactly\b|that one\b"
         r"|word for word|i do\b|the very same)"],
    no=[r"(?:no|nope)\s*[,.!]\s*(?:it(?:'s| is)(?: not|n't)|that(?:'s| is)(?: not|n't)|not that)"],
    turn=[r"\b(?:but|however),? (?:now|this time|today)\b|\bnow,? however\b",
          # "no longer X but a (new) banner saying Y": the message that replaced the old one
          r"\bbut (?:instead )?(?:a|an) (?:new |different |other )?(?:banner|message|error|notice|warning)\b",
          r"\bnow (?:i get|i'?m getting|it says|it shows|there'?s|i see) (?:a|an) (?:new|different|other) "
          r"(?:banner|message|error|notice)\b"],
)


@dataclass(frozen=True)
class ReplyCues:
    affirms: regex.Pattern[str]
    """Opening a reply (after a greeting): the error the support side asked about ("do you see X?") is theirs."""
    denies: regex.Pattern[str]
    """Opening a reply: the error the support side asked about is not theirs."""
    turn: regex.Pattern[str]
    """A turn to what is happening now ("... is gone. But now ..."): what is said before it is over."""
    takes_up: regex.Pattern[str] | None = None
    """The languages' words for "the error the support side named is still mine" (English's: thread.TAKES_UP)."""

    def affirmed(self, text: str, start: int) -> bool:
        return self.affirms.match(text, start) is not None

    def denied(self, text: str, start: int) -> bool:
        return self.denies.match(text, start) is not None


def _either(terms: Iterable[str]) -> str:
    return "|".join(f"(?:{t})" for t in terms)


def compile_cues(languages: Iterable[ReplyCueWords]) -> ReplyCues:
    """English's cues and every language's, in one regex each."""
    every = [ENGLISH, *languages]
    greetings = _either(g for words in every for g in words.greetings)
    opening = rf"\W*(?:(?:{greetings})\b[^.!?\n]{{0,30}}?[,.!]\s*)?"
    return ReplyCues(
        affirms=regex.compile(f"{opening}(?:{_either(y for words in every for y in words.yes)})", regex.IGNORECASE),
        denies=regex.compile(f"{opening}(?:{_either(n for words in every for n in words.no)})", regex.IGNORECASE),
        turn=regex.compile(_either(t for words in every for t in words.turn), regex.IGNORECASE),
        takes_up=regex.compile(_either(taken), regex.IGNORECASE) if (taken := [t for w in every for t in w.takes_up]) else None,
    )


ENGLISH_CUES = compile_cues(())
"""For a ticket read without a pattern set's languages."""

"""The requester's name as a greeting may use it: bounded, printable, plausibly a name, else nothing.

The name comes from whoever wrote to support (or from a webhook placeholder that was never rendered),
so it can hold control characters, bidi overrides, an e-mail address, a URL or a paragraph. A reply
that greets with any of that looks broken or becomes a vehicle for spam; a neutral greeting is better.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 40
# Cc control, Cf format (zero-width, bidi overrides), Cs surrogates, Co private use, Cn unassigned,
# Zl/Zp line and paragraph separators.
DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
NOT_A_NAME = re.compile(r"[@<>{}\[\]\\|/$#=_*^~`%]|://|www\.", re.IGNORECASE)


def clean_name(raw: object) -> str | None:
    """A name fit for "Hi NAME,", or None (the caller falls back to its neutral greeting)."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFC", raw)
    text = "".join(" " if unicodedata.category(ch) in {"Zl", "Zp"} or ch in "\t\r\n\v\f"
                   else "" if unicodedata.category(ch) in DROPPED else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        first = text.split(" ", 1)[0]
        text = first if len(first) <= MAX_LENGTH else ""
    if not text or NOT_A_NAME.search(text) or not any(ch.isalpha() for ch in text):
        return None
    return text

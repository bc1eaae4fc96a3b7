"""Make received text storable and printable: no lone surrogates, no NUL characters.

JSON may carry ``"\\ud800"`` (a lone surrogate), which Python decodes but UTF-8 cannot encode, so
such text would fail later, on a page or in a database; PostgreSQL text cannot hold NUL at all.
"""

from __future__ import annotations

import re

_BAD = re.compile("[\ud800-\udfff\x00]")


def scrub(text: str) -> str:
    """The text with each lone surrogate and NUL replaced by U+FFFD."""
    return _BAD.sub("\ufffd", text) if _BAD.search(text) else text

"""Find the line of a key in a TOML file, so errors can point admins at it.

tomllib reports positions only for syntax errors; schema errors come back as key paths such as
``("regex", 1, "pattern")``. This index maps those paths to line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"']+)\s*=")
_TRIPLE = re.compile(r"'''|\"\"\"")


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each table and key path to the 1-based line where it is written."""
    index: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    open_quote: str | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if line.count(open_quote) % 2 == 1:
                open_quote = None
            continue
        header = _HEADER.match(line)
        if header:
            name = _split_key(header.group(2))
            if header.group(1) == "[[":
                n = array_counts.get(name, -1) + 1
                array_counts[name] = n
                table = (*name, n)
            else:
                table = name
            index.setdefault(table, lineno)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *_split_key(key.group(1)))
            index.setdefault(path, lineno)
            for i in range(len(table) + 1, len(path)):
                index.setdefault(path[:i], lineno)
            rest = line[key.end():]
            quotes = _TRIPLE.findall(rest)
            if len(quotes) % 2 == 1:
                open_quote = quotes[-1]
    return index


def line_of(index: dict[tuple[str | int, ...], int], path: Sequence[str | int]) -> int:
    """The line of the longest written prefix of ``path``; 1 when nothing of it is written."""
    path = tuple(path)
    for end in range(len(path), 0, -1):
        if path[:end] in index:
            return index[path[:end]]
    return 1

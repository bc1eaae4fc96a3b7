"""Rows of a table pasted from a spreadsheet or a status page: cells parted by tabs or " | ".

One definition for every reader: a row naming one error ("Shop B | amazon.fr | KO | <the banner>") is what
happened to that row's shop (listing.py: not a row of help links; shops.py: its own shop's words)."""

from __future__ import annotations

import regex

CELL_BREAK = regex.compile(r"\t|[ \t][|｜][ \t]|｜")
"""A table's cell border."""
MIN_CELLS = 3


def cells(line: str) -> int:
    return len(CELL_BREAK.split(line))


def is_row(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a row of a table: at least three cells, as many as the row above or below has
    (a header or another row); a line alone with two bars is a sentence with an aside, not a table."""
    n = cells(lines[i])
    return n >= MIN_CELLS and any(0 <= j < len(lines) and cells(lines[j]) == n for j in (i - 1, i + 1))


def row_at(source: str, line_start: int, line_end: int) -> bool:
    """``is_row`` for the line ``source[line_start:line_end]``, read with the lines either side of it."""
    prev_start = source.rfind("\n", 0, max(0, line_start - 1)) + 1 if line_start else -1
    next_end = source.find("\n", line_end + 1) if line_end < len(source) else -1
    lines = [source[line_start:line_end]]
    if prev_start >= 0:
        lines.insert(0, source[prev_start:line_start - 1])
    if line_end < len(source):
        lines.append(source[line_end + 1:next_end if next_end >= 0 else len(source)])
    return is_row(lines, 1 if prev_start >= 0 else 0)

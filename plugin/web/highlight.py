"""Mark evidence spans in a ticket's text for the admin page, merged where they overlap."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    text: str
    label: str | None = None
    """The errors this span is evidence for; None for plain text."""


def segments(source: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    spans = sorted((max(0, s), min(len(source), e), label) for s, e, label in spans if e > s)
    merged: list[list] = []
    for s, e, label in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            if label not in merged[-1][2]:
                merged[-1][2].append(label)
        else:
            merged.append([s, e, [label]])
    out, pos = [], 0
    for s, e, labels in merged:
        if s > pos:
            out.append(Segment(source[pos:s]))
        out.append(Segment(source[s:e], ", ".join(labels)))
        pos = e
    if pos < len(source):
        out.append(Segment(source[pos:]))
    return out

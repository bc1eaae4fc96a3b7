"""Run a pattern set over past tickets: what it finds, how it agrees with agents, what an edit changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .detect import detect
from .models import MARKER_TAG, Ticket
from .patterns import PatternSet

LABEL_PREFIX = "amazon_error_"


@dataclass
class PatternReport:
    error: str
    hits: int = 0
    samples: list[tuple[int | None, str]] = field(default_factory=list)
    tp: int = 0
    fp: int = 0
    fn: int = 0
    gained: list[int | None] = field(default_factory=list)
    lost: list[int | None] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_json(self) -> dict[str, Any]:
        return {"error": self.error, "hits": self.hits, "precision": self.precision, "recall": self.recall,
                "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "samples": [{"ticket": t, "evidence": e} for t, e in self.samples],
                "gained": self.gained, "lost": self.lost}


@dataclass
class ReplayReport:
    tickets: int = 0
    labelled: int = 0
    skipped_ours: int = 0
    patterns: dict[str, PatternReport] = field(default_factory=dict)
    compared: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"tickets": self.tickets, "labelled_by_agents": self.labelled, "excluded_from_scores": self.skipped_ours,
                "patterns": [p.to_json() for p in self.patterns.values()]}


def agent_labels(tags: Iterable[str], known: set[str]) -> set[str]:
    return {t.removeprefix(LABEL_PREFIX) for t in tags if t.startswith(LABEL_PREFIX) and t.removeprefix(LABEL_PREFIX) in known}


def replay(tickets: Iterable[Ticket], patterns: PatternSet, against: PatternSet | None = None,
           samples: int = 3, progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Scores count only when some ticket carries agent tags, and never tickets this plugin already tagged."""
    known = {p.id for p in patterns.error_patterns} | ({p.id for p in against.error_patterns} if against else set())
    report = ReplayReport(patterns={pid: PatternReport(pid) for pid in sorted(known)}, compared=against is not None)
    scored: list[tuple[set[str], set[str]]] = []
    for ticket in tickets:
        report.tickets += 1
        text = ticket.text
        found = detect(text, patterns)
        got = set(found.matched)
        for match in found.matches:
            rep = report.patterns[match.error]
            rep.hits += 1
            if len(rep.samples) < samples:
                rep.samples.append((ticket.id, match.evidence[0].text))
        if against is not None:
            before = set(detect(text, against).matched)
            for pid in got - before:
                report.patterns[pid].gained.append(ticket.id)
            for pid in before - got:
                report.patterns[pid].lost.append(ticket.id)
        if MARKER_TAG in ticket.tags:
            report.skipped_ours += 1
        else:
            labels = agent_labels(ticket.tags, known)
            report.labelled += bool(labels)
            scored.append((got, labels))
        if progress is not None:
            progress(1)
    if report.labelled:
        for got, labels in scored:
            for pid in got & labels:
                report.patterns[pid].tp += 1
            for pid in got - labels:
                report.patterns[pid].fp += 1
            for pid in labels - got:
                report.patterns[pid].fn += 1
    return report

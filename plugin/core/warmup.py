"""Warm a freshly loaded pattern set before it meets a ticket.

Why: a pattern's branches compile the first time a ticket needs them, and that compile counted against
the ticket's own time budget. On a loaded machine the first matched ticket after a worker start ran out
of time and was recorded as no match (seen in benchmarks/intake.py: "connection_timeout ran out of
time"). Running every pattern's examples, in every language, once with check's roomy budget compiles
what real tickets use most, at start rather than inside a ticket.
"""

from __future__ import annotations

from .checks import EXAMPLES
from .detect import detect_text
from .patterns import PatternSet


def warm_up(patterns: PatternSet) -> int:
    """Detect every error pattern's examples once (results unused); how many texts were run."""
    texts: list[str] = []
    for p in patterns.error_patterns:
        texts += [*p.spec.examples.match, *p.spec.examples.no_match]
        for overlay in p.overlays:
            texts += [*overlay.match, *overlay.no_match]
    for text in texts:
        detect_text(text, patterns, EXAMPLES)
    return len(texts)

"""A worker warms its pattern set on every example before the first ticket (see core/warmup.py)."""

from __future__ import annotations

from plugin.core.warmup import warm_up


def test_warm_up_runs_every_example_of_every_language(patterns) -> None:
    expected = sum(len(p.spec.examples.match) + len(p.spec.examples.no_match)
                   + sum(len(o.match) + len(o.no_match) for o in p.overlays) for p in patterns.error_patterns)
    assert expected > 8 * 6  # every error, in every language
    assert warm_up(patterns) == expected

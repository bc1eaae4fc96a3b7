"""`check` times each pattern on the adversarial text in CPU time, so a busy machine does not make it slow."""

from __future__ import annotations

import time

from plugin.core.checks import SLOW_MS, adversarial_text, time_patterns


def test_the_adversarial_text_holds_every_anchor(patterns) -> None:
    text = adversarial_text(patterns, size=200_000)
    anchors = {a for p in patterns.error_patterns for r in p.regexes for a in r.spec.anchors}
    assert all(a in text for a in anchors)


def test_a_pattern_out_of_time_is_an_error_naming_its_file(patterns) -> None:
    timings, messages = time_patterns(patterns, timeout=1e-9)
    assert {m.level for m in messages} == {"error"}
    assert {m.path for m in messages} == {p.path for p in patterns.error_patterns}
    assert all("timed out" in m.message for m in messages)
    assert set(timings) == {p.id for p in patterns.error_patterns}


def test_timings_are_cpu_time_not_wall_time(patterns, monkeypatch) -> None:
    # A clock that jumps a second per reading stands in for a machine so busy that wall time balloons.
    wall = iter(range(10**6))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(wall)))
    timings, messages = time_patterns(patterns, text="Amazon: an error has occurred. " * 20)
    assert timings and all(0 <= ms < SLOW_MS for ms in timings.values())
    assert not [m for m in messages if m.level == "warning"]

"""Live pattern reloading: edits take effect without a restart; bad edits never replace a good set."""

from __future__ import annotations

from pathlib import Path

from plugin.core.detect import detect
from plugin.registry import PatternRegistry

NEW_TEXT = "Amazon says: zebra crossing violation"


def add_pattern(directory: Path) -> None:
    text = (directory / "staging_mode.toml").read_text()
    text = text.replace('''pattern = \'\'\'\\bstaging[ -]?mode\\b\'\'\'''', '''pattern = \'\'\'\\bstaging[ -]?mode\\b|zebra crossing\'\'\'''')
    text = text.replace('anchors = ["staging"]', 'anchors = ["staging", "zebra"]')
    (directory / "staging_mode.toml").write_text(text)


def test_edit_is_picked_up_without_restart(patterns_copy: Path) -> None:
    reg = PatternRegistry(patterns_copy, check_interval=0)
    before = reg.current()
    assert detect(NEW_TEXT, before).matches == ()
    add_pattern(patterns_copy)
    after = reg.current()
    assert after.fingerprint != before.fingerprint
    assert detect(NEW_TEXT, after).matched == ("staging_mode",)
    assert detect(NEW_TEXT, before).matches == ()  # sets are immutable: a running ticket keeps its set


def test_invalid_edit_keeps_the_previous_set(patterns_copy: Path) -> None:
    reg = PatternRegistry(patterns_copy, check_interval=0)
    good = reg.current()
    (patterns_copy / "generic_error.toml").write_text("id = \"generic_error\"\n[[regex]]\nname = 1\n")
    assert reg.current() is good
    assert reg.rejected and all("generic_error.toml" in e for e in reg.rejected)
    result = reg.reload(force=True)
    assert result.problems and not result.changed


def test_checks_the_disk_at_most_every_interval(patterns_copy: Path) -> None:
    reg = PatternRegistry(patterns_copy, check_interval=3600)
    first = reg.current()
    add_pattern(patterns_copy)
    assert reg.current() is first
    assert reg.reload().changed


def test_start_on_a_broken_edit_runs_the_last_good_copy(patterns_copy: Path, tmp_path: Path) -> None:
    last_good = tmp_path / "last-good"
    PatternRegistry(patterns_copy, last_good=last_good).reload(force=True)
    (patterns_copy / "generic_error.toml").write_text("broken = [")
    restarted = PatternRegistry(patterns_copy, last_good=last_good)
    restarted.reload(force=True)
    assert restarted.ready and len(restarted.current().error_patterns) == 8
    assert restarted.rejected and "not valid TOML" in restarted.rejected[0]


def test_a_probe_never_waits_for_an_edit_to_compile(patterns_copy: Path) -> None:
    """refresh(wait=False) answers from the set in use; the edited set arrives from a background load."""
    import time

    reg = PatternRegistry(patterns_copy, check_interval=0)
    before = reg.current()
    add_pattern(patterns_copy)
    with reg._lock:  # a load already compiling elsewhere holds the lock: a waiting refresh would block here
        reg.refresh(wait=False)
        assert reg.fingerprint == before.fingerprint
    deadline = time.monotonic() + 30
    while reg.fingerprint == before.fingerprint and time.monotonic() < deadline:
        time.sleep(0.05)
    assert detect(NEW_TEXT, reg.current()).matched == ("staging_mode",)


def test_each_new_set_is_warmed_before_it_replaces_the_one_in_use(patterns_copy: Path) -> None:
    warmed: list[tuple[str, str]] = []  # (set warmed, set in use meanwhile)
    reg = PatternRegistry(patterns_copy, check_interval=0)
    reg.warm = lambda patterns: warmed.append((patterns.fingerprint, reg.fingerprint))
    first = reg.current()
    assert warmed == [(first.fingerprint, "")]
    reg.reload(force=True)  # the same files: nothing new to warm
    assert len(warmed) == 1
    add_pattern(patterns_copy)
    second = reg.current()
    assert warmed[1] == (second.fingerprint, first.fingerprint)  # warmed while the old set still served
    (patterns_copy / "generic_error.toml").write_text("id = \"generic_error\"\n[[regex]]\nname = 1\n")
    assert reg.current() is second and len(warmed) == 2  # a rejected edit is never warmed


def test_a_failing_warm_up_still_loads_the_set(patterns_copy: Path, caplog) -> None:
    def broken(_patterns) -> int:
        raise RuntimeError("boom")

    reg = PatternRegistry(patterns_copy, check_interval=0, warm=broken)
    assert reg.current().error_patterns
    assert "using them cold" in caplog.text


def test_a_worker_thread_goes_on_with_the_set_in_use_while_another_loads(patterns_copy: Path) -> None:
    """Compiling and warming a changed set take seconds: only the thread loading it waits for that."""
    import threading

    loading, release = threading.Event(), threading.Event()

    def slow_warm(_patterns) -> int:
        loading.set()
        release.wait(30)
        return 0

    reg = PatternRegistry(patterns_copy, check_interval=0)
    first = reg.current()
    reg.warm = slow_warm
    add_pattern(patterns_copy)
    loader = threading.Thread(target=reg.current)
    loader.start()
    try:
        assert loading.wait(30)
        assert reg.current() is first  # not blocked behind the load in progress
    finally:
        release.set()
        loader.join(30)
    assert detect(NEW_TEXT, reg.current()).matched == ("staging_mode",)

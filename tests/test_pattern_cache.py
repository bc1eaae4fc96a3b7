"""Compiled pattern sets on disk: a start reads the set its files built before, and never a wrong one."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from plugin.core.checks import EXAMPLES
from plugin.core.detect import detect_text
from plugin.core.patterns import PatternSet, PatternSetError, pattern_digest
from plugin.pattern_cache import SUFFIX, PatternCache

from .conftest import PATTERNS_DIR, ROOT


@pytest.fixture
def small_patterns(tmp_path: Path) -> Path:
    """One error's file: a set that builds in well under a second, for the tests that must build."""
    directory = tmp_path / "small"
    directory.mkdir()
    shutil.copy(PATTERNS_DIR / "additional_info.toml", directory)
    return directory


def every_example(patterns: PatternSet) -> list[str]:
    texts: list[str] = []
    for p in patterns.error_patterns:
        texts += [*p.spec.examples.match, *p.spec.examples.no_match]
        for overlay in p.overlays:
            texts += [*overlay.match, *overlay.no_match]
    return texts


def test_a_set_read_back_elsewhere_finds_exactly_what_the_built_one_finds(patterns: PatternSet, tmp_path: Path) -> None:
    cache = PatternCache(tmp_path / "cache")
    saved = cache.save(PATTERNS_DIR, patterns)
    elsewhere = tmp_path / "checkout" / "patterns"
    shutil.copytree(PATTERNS_DIR, elsewhere)

    read = cache.load(elsewhere)

    assert read is not patterns and read.fingerprint == patterns.fingerprint
    texts = every_example(patterns)
    assert len(texts) > 500
    differ = [t for t in texts if detect_text(t, read, EXAMPLES)[1] != detect_text(t, patterns, EXAMPLES)[1]]
    assert differ == []
    # Paths point into the folder being read, and the file names no folder it was written from.
    assert read.directory == elsewhere
    assert all(p.path.parent == elsewhere for p in read.error_patterns)
    assert str(PATTERNS_DIR).encode() not in saved.read_bytes()


def test_a_new_process_reads_the_saved_set_instead_of_compiling(patterns: PatternSet, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    PatternCache(cache_dir).save(PATTERNS_DIR, patterns)
    script = ("import logging, sys; from pathlib import Path; from plugin.pattern_cache import PatternCache; "
              "logging.basicConfig(level=logging.INFO); "
              "print(PatternCache(Path(sys.argv[1])).load(Path(sys.argv[2])).fingerprint)")
    done = subprocess.run([sys.executable, "-c", script, str(cache_dir), str(PATTERNS_DIR)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == patterns.fingerprint
    assert "read from the cache" in done.stderr and "saved to the cache" not in done.stderr


def test_an_edit_builds_a_new_entry_and_keeps_the_old(small_patterns: Path, tmp_path: Path) -> None:
    cache = PatternCache(tmp_path / "cache")
    before = cache.load(small_patterns)
    path = small_patterns / "additional_info.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("\n", "\n\n", 1), encoding="utf-8")

    after = cache.load(small_patterns)

    assert after.fingerprint != before.fingerprint
    assert len(list(cache.directory.glob("*" + SUFFIX))) == 2


def test_an_unreadable_entry_is_rebuilt_and_replaced(small_patterns: Path, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    cache = PatternCache(tmp_path / "cache")
    entry = cache.directory / (cache.key(pattern_digest(small_patterns)) + SUFFIX)
    cache.directory.mkdir()
    entry.write_bytes(b"\x80\x05 not a pickle, cut short")

    with caplog.at_level(logging.WARNING, logger="plugin.pattern_cache"):
        built = cache.load(small_patterns)

    assert [p.id for p in built.error_patterns] == ["additional_info"]
    assert "unusable" in caplog.text
    assert entry.stat().st_size > 1000  # the good set replaced the broken file


def test_invalid_files_raise_and_save_nothing(small_patterns: Path, tmp_path: Path) -> None:
    (small_patterns / "additional_info.toml").write_text('id = "additional_info"\n[[regex]]\nname = 1\n')
    cache = PatternCache(tmp_path / "cache")

    with pytest.raises(PatternSetError):
        cache.load(small_patterns)

    assert list(cache.directory.glob("*" + SUFFIX)) == []


def test_only_the_newest_entries_are_kept(small_patterns: Path, tmp_path: Path) -> None:
    cache = PatternCache(tmp_path / "cache", keep=2)
    path = small_patterns / "additional_info.toml"
    fingerprints = []
    for n in range(4):
        path.write_text(path.read_text(encoding="utf-8") + f"\n# edit {n}\n", encoding="utf-8")
        fingerprints.append(cache.load(small_patterns).fingerprint)

    assert len(set(fingerprints)) == 4
    assert len(list(cache.directory.glob("*" + SUFFIX))) == 2


def test_processes_starting_together_build_the_set_once(small_patterns: Path, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    prepared: list[str] = []
    copies = []
    for n in range(3):  # three folders with the same files: three "processes" that share nothing in memory
        copies.append(shutil.copytree(small_patterns, tmp_path / f"copy{n}"))
    loaded: list[str] = []

    def start(directory: Path) -> None:
        cache = PatternCache(tmp_path / "cache")  # its own lock file handle, as in another process
        loaded.append(cache.load(directory, prepare=lambda s: prepared.append(s.fingerprint)).fingerprint)

    with caplog.at_level(logging.INFO, logger="plugin.pattern_cache"):
        threads = [threading.Thread(target=start, args=(c,)) for c in copies]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert len(loaded) == 3 and len(set(loaded)) == 1
    assert len(prepared) == 1  # one built and warmed it; the others waited and read it
    assert caplog.text.count("saved to the cache") == 1
    assert caplog.text.count("read from the cache") == 2


def test_an_upgrade_of_a_library_the_set_holds_misses_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from plugin import pattern_cache

    before = PatternCache(tmp_path).key("same files")
    real = pattern_cache._version
    monkeypatch.setattr(pattern_cache, "_version", lambda name: "99.0" if name == "pyahocorasick" else real(name))
    assert PatternCache(tmp_path).key("same files") != before


def test_the_cache_lives_in_the_instance_folder_unless_turned_off(tmp_path: Path) -> None:
    from plugin.runtime import _registry

    from .conftest import make_settings

    base = {"INSTANCE_PATH": str(tmp_path / "instance"), "PATTERNS_DIR": str(PATTERNS_DIR)}
    assert make_settings(base).pattern_cache_dir == str((tmp_path / "instance" / "pattern-cache").resolve())
    registry = _registry(make_settings(base, PATTERN_CACHE_DIR="off"))
    assert registry.cache is None and registry.ready

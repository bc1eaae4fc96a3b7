"""The pattern set in use, swapped whole when the admins' files change and still valid.

A bad edit never replaces a working set: the previous one keeps running and its problems (``rejected``) are kept
for the admin page, the logs and /readyz.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .core.patterns import PatternSet, PatternSetError, all_pattern_files, load_patterns, pattern_digest
from .pattern_cache import PatternCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    problems: tuple[str, ...] = ()
    """Why the edit was rejected (empty when it loaded)."""
    fingerprint: str = ""


@dataclass
class PatternRegistry:
    directory: Path
    check_interval: float = 2.0
    last_good: Path | None = None
    """A copy of the last set that loaded, used when the service starts on a broken edit."""
    warm: Callable[[PatternSet], object] | None = None
    """Run on each newly loaded set before it replaces the one in use (the worker's warm-up, core/warmup.py):
    a reload then costs the first tickets after it no time budget, as a start does not."""
    cache: PatternCache | None = None
    """Compiled sets on disk (pattern_cache.py): a start or a reload to a set seen before skips compiling and warming."""
    _current: PatternSet | None = None
    _rejected: tuple[str, ...] = ()
    _signature: tuple = ()
    _checked_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _loader: threading.Thread | None = field(default=None, repr=False)
    _loader_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _disk_signature(self) -> tuple:
        files = all_pattern_files(self.directory) if self.directory.is_dir() else []
        sig = []
        for p in files:
            try:
                st = p.stat()
                sig.append((str(p.relative_to(self.directory)), st.st_mtime_ns, st.st_size))
            except OSError:
                continue
        return tuple(sig)

    def reload(self, force: bool = False, block: bool = True) -> ReloadResult:
        """Load the directory if it changed; keep the old set when the new one is invalid.

        ``block=False``: when another thread is loading (compiling and warming take seconds), return at
        once and let the caller go on with the set in use.
        """
        if not self._lock.acquire(blocking=block):
            return ReloadResult(False, self._rejected, self.fingerprint)
        try:
            return self._reload(force)
        finally:
            self._lock.release()

    def _reload(self, force: bool) -> ReloadResult:
        """The load itself, under the lock."""
        signature = self._disk_signature()
        self._checked_at = time.monotonic()
        if not force and signature == self._signature and (self._current is not None or self._rejected):
            return ReloadResult(False, self._rejected, self.fingerprint)
        self._signature = signature
        try:
            new = self._load()
        except PatternSetError as exc:
            self._rejected = tuple(str(e) for e in exc.problems)
            if self._current is None:
                self._current = self._load_last_good()
            log.error("pattern reload rejected, keeping %s: %d problem(s): %s",
                      self.fingerprint or "no patterns", len(self._rejected), "; ".join(self._rejected[:5]))
            return ReloadResult(False, self._rejected, self.fingerprint)
        self._save_last_good(new)
        changed = self._current is None or new.fingerprint != self._current.fingerprint
        if changed and self.cache is None:
            self._warm(new)
        self._current, self._rejected = new, ()
        if changed:
            log.info("patterns loaded: %d error patterns, fingerprint %s", len(new.error_patterns), new.fingerprint)
        return ReloadResult(changed, (), new.fingerprint)

    def _load(self) -> PatternSet:
        if self.cache is None:
            return load_patterns(self.directory)
        digest = pattern_digest(self.directory)
        if self._current is not None and self._current.fingerprint == digest[:16]:
            return self._current  # touched, not changed: nothing to read
        return self.cache.load(self.directory, prepare=self._warm, digest=digest)

    def _warm(self, patterns: PatternSet) -> None:
        if self.warm is None:
            return
        started = time.monotonic()
        try:
            count = self.warm(patterns)
        except Exception as exc:  # a cold set still works: only its first tickets pay the compile
            log.warning("warming patterns %s failed (%s); using them cold", patterns.fingerprint, type(exc).__name__)
            return
        log.info("patterns %s warmed up on %s examples in %.1f s", patterns.fingerprint, count, time.monotonic() - started)

    def _save_last_good(self, patterns: PatternSet) -> None:
        if self.last_good is None or (self._current is not None and self._current.fingerprint == patterns.fingerprint):
            return
        try:
            tmp = self.last_good.with_name(self.last_good.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(self.directory, tmp, ignore=shutil.ignore_patterns("*.md", ".*"))
            shutil.rmtree(self.last_good, ignore_errors=True)
            tmp.rename(self.last_good)
        except OSError as exc:
            log.warning("could not keep a copy of the good patterns: %s", exc)

    def _load_last_good(self) -> PatternSet | None:
        if self.last_good is None or not self.last_good.is_dir():
            return None
        try:
            patterns = load_patterns(self.last_good)
        except PatternSetError:
            return None
        log.warning("running on the last good patterns (%s) until the edit is fixed", patterns.fingerprint)
        return patterns

    def refresh(self, wait: bool = True) -> None:
        """Look at the files if ``check_interval`` has passed (or nothing is loaded yet).

        ``wait=True`` (a worker): the caller loads a changed set itself, unless another thread is
        already loading one: then it goes on with the set in use. ``wait=False`` (a health probe): a
        changed set loads in a background thread while the caller answers from the set in use, so a
        probe never waits for patterns to compile.
        """
        if self._current is not None and time.monotonic() - self._checked_at < self.check_interval:
            return
        if self._current is None:
            self.reload()
            return
        if wait:
            # Another thread loading a changed set holds the lock for seconds: go on with the set in use
            # (a worker thread would otherwise hold its ticket until that load is warm).
            self.reload(block=False)
            return
        with self._loader_lock:  # not _lock: a load in progress holds that one for as long as it compiles
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=self._reload_quietly, name="pattern-reload", daemon=True)
            self._loader.start()

    def _reload_quietly(self) -> None:
        try:
            self.reload()
        except Exception as exc:  # a thread has nobody to raise to; the next refresh tries again
            log.error("pattern reload failed (%s)", type(exc).__name__)

    def current(self) -> PatternSet:
        """The set to use now, refreshed as often as ``check_interval`` allows."""
        self.refresh()
        if self._current is None:
            raise PatternSetError([])  # no valid set has ever loaded: rejected says why
        return self._current

    @property
    def fingerprint(self) -> str:
        return self._current.fingerprint if self._current else ""

    @property
    def rejected(self) -> tuple[str, ...]:
        """The problems of the last rejected edit (the previous set keeps running); empty after a good load."""
        return self._rejected

    @property
    def ready(self) -> bool:
        return self._current is not None

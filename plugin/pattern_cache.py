"""Compiled pattern sets kept on disk, so a process start or a restart costs a second, not a compile.

Why: building the set (parsing and compiling thousands of regexes, the prefilters' analysis, the
warm-up) took 15-20 s per process on an idle machine and over a minute on a busy one; every web
instance and worker paid it at each start, all at once after a deploy. A pickled set reloads in
under a second: the ``regex`` module pickles its compiled code, not only the source.

The file is a pickle, so the folder must be as private as the instance folder (it lives there by
default, mode 0700): whoever can write it can run code as the service. Sets are keyed by the pattern
files' bytes and by the code that built them (plugin/core's sources, Python's and regex's versions),
never by time, so an edit or an upgrade simply misses and builds afresh. Paths inside the set are
kept relative to the patterns folder, so a copy of the same files elsewhere (a test's folder, a
second checkout) finds the same entry.
"""

from __future__ import annotations

import contextvars
import copyreg
import hashlib
import io
import logging
import os
import pickle
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePath

from filelock import FileLock, Timeout

from .core.patterns import PatternSet, keep_loaded, load_patterns, loaded_before, pattern_digest

log = logging.getLogger(__name__)

FORMAT = 1
"""Raise when the file layout changes in a way the code digest would not see."""
SUFFIX = ".pickle"
_CODE_DIR = Path(__file__).resolve().parent / "core"
_ROOT: contextvars.ContextVar[Path] = contextvars.ContextVar("pattern_root")


LIBRARIES = ("regex", "pyahocorasick", "pydantic", "pydantic-core", "python-dateutil")
"""The libraries whose objects a set holds: an upgrade of one misses the cache."""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def code_digest() -> str:
    """What built the pickled objects: their classes' source, the interpreter and the libraries' versions."""
    versions = "|".join(f"{name}={_version(name)}" for name in LIBRARIES)
    digest = hashlib.sha256(f"{FORMAT}|{sys.version}|{platform.machine()}|{versions}".encode())
    for path in sorted(_CODE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(_CODE_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _under_root(relative: str) -> Path:
    """Rebuild a path that pointed into the patterns folder under the folder now being loaded."""
    return _ROOT.get() / relative


@dataclass
class PatternCache:
    directory: Path
    """Where the pickles live: private to the service (see the module's docstring)."""
    keep: int = 4
    """Entries kept: the newest few, so an edit and its undo both stay quick."""
    lock_timeout: float = 600.0
    """How long a process waits for another that is building the same set before building it too."""

    def __post_init__(self) -> None:
        self._code = code_digest()

    def key(self, digest: str) -> str:
        return hashlib.sha256(f"{self._code}|{digest}".encode()).hexdigest()[:32]

    def load(self, patterns_dir: Path, prepare: Callable[[PatternSet], object] | None = None,
             digest: str | None = None) -> PatternSet:
        """The set built from ``patterns_dir``: from this process, from disk, or built, prepared, and saved.

        ``prepare`` (the warm-up) runs on a set only when it is built here: what it compiles is pickled
        with it. Several processes starting together build it once: the others wait on a file lock
        and then read what the first saved. Invalid files raise PatternSetError and save nothing.
        """
        digest = digest or pattern_digest(patterns_dir)  # the caller may have hashed the files already
        known = loaded_before(patterns_dir, digest)
        if known is not None:
            return known
        path = self.directory / (self.key(digest) + SUFFIX)
        found = self._read(path, patterns_dir)
        if found is None:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                with FileLock(str(path) + ".lock", timeout=self.lock_timeout):
                    found = self._read(path, patterns_dir) or self._build(path, patterns_dir, prepare)
            except Timeout:
                log.warning("pattern cache lock %s held for over %.0f s; building without it", path.name, self.lock_timeout)
                found = self._build(path, patterns_dir, prepare)
        keep_loaded(patterns_dir, digest, found)
        return found

    def save(self, patterns_dir: Path, patterns: PatternSet) -> Path:
        """Save a set built from ``patterns_dir`` (and warmed, if the processes reading it should not warm it)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / (self.key(pattern_digest(patterns_dir)) + SUFFIX)
        self._write(path, patterns_dir, patterns)
        return path

    def _read(self, path: Path, patterns_dir: Path) -> PatternSet | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("pattern cache %s unreadable (%s); building the set", path.name, type(exc).__name__)
            return None
        started = time.monotonic()
        token = _ROOT.set(patterns_dir)
        try:
            found = pickle.loads(data)
        except Exception as exc:  # a truncated or foreign file: build afresh (and overwrite it)
            log.warning("pattern cache %s unusable (%s); building the set", path.name, type(exc).__name__)
            return None
        finally:
            _ROOT.reset(token)
        if not isinstance(found, PatternSet):
            log.warning("pattern cache %s holds no pattern set; building the set", path.name)
            return None
        try:
            os.utime(path)  # pruning keeps the most recently used
        except OSError:
            pass
        log.info("patterns %s read from the cache in %.1f s", found.fingerprint, time.monotonic() - started)
        return found

    def _build(self, path: Path, patterns_dir: Path, prepare: Callable[[PatternSet], object] | None) -> PatternSet:
        built = load_patterns(patterns_dir)
        if prepare is not None:
            prepare(built)
        try:
            self._write(path, patterns_dir, built)
        except (OSError, pickle.PicklingError, RecursionError) as exc:  # the set works; only the next start pays
            log.warning("could not save patterns %s to the cache (%s)", built.fingerprint, type(exc).__name__)
        return built

    def _write(self, path: Path, patterns_dir: Path, patterns: PatternSet) -> None:
        root = Path(patterns_dir)

        def reduce_path(p: PurePath) -> tuple:
            try:
                return _under_root, (str(p.relative_to(root)),)
            except ValueError:
                return type(p), tuple(p.parts)

        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, type(root): reduce_path}
        pickler.dump(patterns)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(buffer.getbuffer())
            os.replace(tmp, path)  # readers see the old file or the whole new one, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("patterns %s saved to the cache (%.0f MB)", patterns.fingerprint, buffer.tell() / 1e6)
        self._prune(path)

    def _prune(self, newest: Path) -> None:
        def used(p: Path) -> float:
            try:
                return p.stat().st_mtime
            except OSError:  # another process pruned it meanwhile
                return 0.0

        entries = sorted(self.directory.glob("*" + SUFFIX), key=used, reverse=True)
        for old in [e for e in entries if e != newest][self.keep - 1:]:
            old.unlink(missing_ok=True)
            Path(str(old) + ".lock").unlink(missing_ok=True)

"""Shared fixtures: the shipped patterns, and a scratch copy admins' edits can be tried on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugin.core.patterns import PatternSet, load_patterns

ROOT = Path(__file__).resolve().parent.parent
PATTERNS_DIR = ROOT / "patterns"
DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def patterns() -> PatternSet:
    return load_patterns(PATTERNS_DIR)


@pytest.fixture
def patterns_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped patterns directory."""
    target = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, target)
    return target

"""The core is pure: it loads neither Flask, zenpy nor the database layer."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_adapters() -> None:
    code = (
        "import sys\n"
        "import plugin.core.classify, plugin.core.checks, plugin.core.replay, plugin.core.suggestion\n"
        "import plugin.core.followup, plugin.core.corrections\n"
        "import plugin.cli.patterns_cmds\n"
        "bad = [m for m in ('flask', 'zenpy', 'sqlalchemy', 'huey', 'requests') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

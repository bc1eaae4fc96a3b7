"""The wheel (a non-editable install) carries everything the service reads at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def shipped_files() -> set[str]:
    """Every file under plugin/, patterns/ and zendesk_app/ the commands may open (not bytecode)."""
    out = set()
    for top in ("plugin", "patterns", "zendesk_app"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                out.add(path.relative_to(ROOT).as_posix())
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("amazon_triage-*.whl")
    return built


def test_the_wheel_holds_templates_migrations_and_patterns(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "plugin/web/templates/admin/login.html" in names
    assert "plugin/migrations/script.py.mako" in names and "patterns/fields/merchant_id.toml" in names
    assert shipped_files() - names == set()


def test_an_installed_wheel_runs_from_an_empty_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    script = """
import plugin, sys
from plugin import create_app
from plugin.config import Settings
assert plugin.__file__.startswith(sys.argv[1]), plugin.__file__
app = create_app({"TESTING": True}, settings=Settings.load({"ADMIN_TOKEN": "t"}, environ={}))
rt = app.extensions["amazon_triage"]
assert rt.registry.ready and len(rt.registry.current().error_patterns) >= 8, rt.registry.rejected
page = app.test_client().get("/admin/login")
assert page.status_code == 200 and "csrf_token" in page.text, page.status_code
from plugin.cli import app_cmds
assert (app_cmds.PACKAGE_APP / "manifest.json").is_file(), app_cmds.PACKAGE_APP
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k != "PATTERNS_DIR"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run([sys.executable, "-c", script, str(site)], cwd=empty, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]

"""The instance folder and the files holding ticket text are private to the service's user."""

from __future__ import annotations

import stat

from plugin.runtime import Runtime

from .conftest import make_settings


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_and_files_are_owner_only(tmp_path, service_config) -> None:
    instance = tmp_path / "fresh" / "instance"
    settings = make_settings(service_config, INSTANCE_PATH=str(instance), DATABASE_URL="", QUEUE_PATH="")
    rt = Runtime.for_web(settings)
    rt.store.ping()
    settings.session_key()
    assert mode(instance) == 0o700
    for name in ("amazon-triage.db", "queue.db", "session_key"):
        assert mode(instance / name) == 0o600, name
    assert all(mode(p) & 0o077 == 0 for p in instance.iterdir() if p.is_file())


def test_an_existing_world_readable_database_is_made_private(tmp_path, service_config) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    for name in ("amazon-triage.db", "webhook_secret"):
        (instance / name).write_text("")
        (instance / name).chmod(0o644)
    Runtime.for_web(make_settings(service_config, INSTANCE_PATH=str(instance), DATABASE_URL="", QUEUE_PATH=""))
    assert mode(instance) == 0o700 and mode(instance / "amazon-triage.db") == 0o600
    assert mode(instance / "webhook_secret") == 0o600

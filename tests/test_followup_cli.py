"""`amazon-triage backfill` and `amazon-triage feedback export` as admins run them."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.followup_store import FollowupStore
from plugin.store import Store

from .fake_zendesk import FakeZendesk


@pytest.fixture
def env(service_config, monkeypatch) -> dict[str, str]:
    for key, value in service_config.items():
        monkeypatch.setenv(key, value)
    return service_config


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_backfill_queues_untriaged_tickets_once(env, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_ticket(1, "Amazon", "An error has occurred")
    fake_zendesk.add_ticket(2, "Amazon", "ours", tags=["amazon_triage_done"])
    result = run("backfill", "--since", "2026-11-26T08:00Z")
    assert result.exit_code == 0, result.output
    assert "in 1 request(s); queued 1 never triaged: 1" in result.output
    store = Store.from_url(env["DATABASE_URL"])
    assert store.decision(1).status == "queued" and store.decision(2) is None
    assert "queued 0 never triaged" in run("backfill", "--since", "2026-11-26T08:00Z").output


def test_backfill_explains_a_bad_time_and_missing_credentials(env, monkeypatch) -> None:
    result = run("backfill", "--since", "last tuesday")
    assert result.exit_code == 2 and "--since 'last tuesday': expected an ISO-8601 time" in result.output
    monkeypatch.setenv("ZENDESK_API_TOKEN", "")
    monkeypatch.setenv("ZENDESK_EMAIL", "")
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "")
    assert "set ZENDESK_SUBDOMAIN" in run("backfill", "--since", "24h").output


def test_feedback_export_writes_what_replay_reads(env, tmp_path) -> None:
    from plugin.core.corrections import Correction

    store = Store.from_url(env["DATABASE_URL"])
    fstore = FollowupStore(store.engine)
    when = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
    fstore.finish(3, 1, "seeded", found=[(Correction(3, "staging_mode", "added", when, 777), "Amazon",
                                          "It says my seller account might still be in staging mode")])
    out = tmp_path / "fb.jsonl"
    result = run("feedback", "export", str(out))
    assert result.exit_code == 0 and "Wrote 1 corrected ticket(s)" in result.output
    [line] = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["tags"] == ["amazon_error_staging_mode"]
    replay = run("replay", str(out), "--json")
    report = json.loads(replay.output[replay.output.index("{"):])
    staging = next(p for p in report["patterns"] if p["error"] == "staging_mode")
    assert report["labelled_by_agents"] == 1 and staging["tp"] == 1
    bad = run("feedback", "export", str(tmp_path / "missing-dir" / "x.jsonl"))
    assert bad.exit_code == 2 and "cannot write" in bad.output

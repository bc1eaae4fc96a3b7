"""Follow-ups end to end: `zendesk setup`, then the fake Zendesk fires its trigger and events at `serve`.

No test posts a webhook itself: tickets are created, merchants reply and agents edit tags in the fake,
which sends what Zendesk would send to what setup created, signed with each webhook's own secret.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest
import requests
from click.testing import CliRunner

from plugin.cli import main
from plugin.store import DONE, Store

from .conftest import free_port, wait_for
from .fake_zendesk import ME_ID, FakeZendesk

pytestmark = pytest.mark.slow
GENERIC = "When I connect Amazon I get: An error has occurred."
ADMIN = "admin-token-0123456789abcdef"


@pytest.fixture
def config(service_config, monkeypatch) -> dict[str, str]:
    """The service as an admin sets it up: secrets come from `zendesk setup`, not from the environment."""
    cfg = {**service_config, "ZENDESK_WEBHOOK_SECRET": "", "ADMIN_TOKEN": ADMIN}
    for key, value in cfg.items():
        monkeypatch.setenv(key, value)
    return cfg


def set_up(port: int) -> None:
    result = CliRunner().invoke(main, ["zendesk", "setup", "--url", f"http://127.0.0.1:{port}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def settled(fake: FakeZendesk, store: Store, tickets: list[int]) -> None:
    """Wait until every webhook call was made and every ticket's work (triage and follow-ups) is idle."""
    def idle() -> bool:
        fake.settle()
        rows = [store.decision(t) for t in tickets]
        if not all(r is not None and r.status not in ("queued", "retry", "processing") for r in rows):
            return False
        from plugin.followup_store import FollowupStore

        fs = FollowupStore(store.engine)
        return all((row := fs.row(t)) is None or row.status == "idle" for t in tickets)

    wait_for(idle, timeout=30, interval=0.2)
    # A second look after a pause: a write may have fired events still on their way.
    fake.settle()
    wait_for(idle, timeout=30, interval=0.2)


def test_an_escalation_completes_in_two_replies_and_replays_change_nothing(config, start_server, fake_zendesk: FakeZendesk) -> None:
    port = free_port()
    set_up(port)
    _, base = start_server(config, port=port)
    store = Store.from_url(config["DATABASE_URL"])
    fake_zendesk.create_ticket(1, "Amazon", GENERIC)
    settled(fake_zendesk, store, [1])
    assert store.decision(1).status == DONE and len(fake_zendesk.writes(1)) == 1
    fake_zendesk.add_comment(1, "Hi, my merchant ID is A2EUQ1WTGCTBG2. I also cleared the cache.")
    settled(fake_zendesk, store, [1])
    assert len(fake_zendesk.writes(1)) == 2
    fake_zendesk.add_comment(1, "I last tried on 26 Nov 2026 14:05 AEDT.")
    settled(fake_zendesk, store, [1])
    tags = fake_zendesk.tickets[1]["tags"]
    assert len(fake_zendesk.writes(1)) == 3
    assert "amazon_escalation_ready" in tags and not any(t.startswith("amazon_escalation_missing") for t in tags)
    ready = [c for c in fake_zendesk.tickets[1]["comments"]
             if c["author_id"] == ME_ID and c["body"].startswith("amazon-triage: escalation ready")]
    assert len(ready) == 1 and ready[0]["public"] is False and "A2EUQ1WTGCTBG2" in ready[0]["body"]
    assert all(s.status in (200, 202) for s in fake_zendesk.deliveries()), [(s.kind, s.status, s.error) for s in fake_zendesk.deliveries()]
    assert fake_zendesk.problems == []
    for sent in fake_zendesk.deliveries():
        assert fake_zendesk.replay(sent).status == 200  # every one a duplicate
    settled(fake_zendesk, store, [1])
    assert len(fake_zendesk.writes(1)) == 3 and fake_zendesk.tickets[1]["tags"] == tags


def test_tickets_created_while_the_service_was_down_are_triaged_once_without_a_delivery(
        config, start_server, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.epoch = datetime.now(timezone.utc).replace(microsecond=0)
    port = free_port()
    set_up(port)
    proc, _ = start_server(config, port=port)
    store = Store.from_url(config["DATABASE_URL"])
    wait_for(lambda: any("/incremental/" in r.path for r in fake_zendesk.calls("GET")), timeout=90)  # after the worker warms up
    proc.stop()
    for tid in (21, 22, 23):
        fake_zendesk.create_ticket(tid, "Amazon", GENERIC if tid != 23 else "Please resend my invoice.")
    fake_zendesk.settle()
    assert all(s.status == 0 for s in fake_zendesk.deliveries())  # nobody was listening
    start_server(config, port=port)
    settled(fake_zendesk, store, [21, 22, 23])
    assert [len(fake_zendesk.writes(t)) for t in (21, 22, 23)] == [1, 1, 0]
    assert store.decision(21).status == DONE and store.delivery(store.decision(21).delivery_id).source == "reconcile"


def test_agents_corrections_show_in_stats_and_the_export_replays(config, start_server, fake_zendesk: FakeZendesk, tmp_path) -> None:
    port = free_port()
    set_up(port)
    _, base = start_server(config, port=port)
    store = Store.from_url(config["DATABASE_URL"])
    fake_zendesk.create_ticket(31, "Amazon", GENERIC)
    fake_zendesk.create_ticket(32, "Amazon", "Connecting Amazon: The account connection timed out.")
    settled(fake_zendesk, store, [31, 32])
    fake_zendesk.change_tags(31, remove=["amazon_error_generic_error"], add=["amazon_error_staging_mode"])
    fake_zendesk.change_tags(32, remove=["amazon_error_connection_timeout"], add=["amazon_error_contact_amazon"])
    settled(fake_zendesk, store, [31, 32])
    auth = {"Authorization": f"Bearer {ADMIN}"}
    stats = requests.get(f"{base}/admin/api/stats", headers=auth, timeout=5).json()["errors"]
    assert stats["generic_error"]["removed_by_agents"] == 1 and stats["generic_error"]["matched"] == 1
    assert stats["staging_mode"]["added_by_agents"] == 1 and stats["contact_amazon"]["added_by_agents"] == 1
    assert stats["connection_timeout"]["precision"] == 0.0
    page = requests.get(f"{base}/admin/corrections", headers=auth, timeout=5)
    assert page.status_code == 200 and "generic_error" in page.text and "contact_amazon" in page.text
    missed = requests.get(f"{base}/admin/missed", headers=auth, timeout=5)
    assert missed.status_code == 200 and "agent/tickets/32" in missed.text
    out = tmp_path / "feedback.jsonl"
    exported = CliRunner().invoke(main, ["feedback", "export", str(out)], catch_exceptions=False)
    assert exported.exit_code == 0, exported.output
    lines = {json.loads(x)["id"]: json.loads(x)["tags"] for x in out.read_text().splitlines()}
    assert lines == {31: ["amazon_error_staging_mode"], 32: ["amazon_error_contact_amazon"]}
    replay = CliRunner().invoke(main, ["replay", str(out), "--json"], catch_exceptions=False)
    assert json.loads(replay.output[replay.output.index("{"):])["labelled_by_agents"] == 2


def test_bad_input_gets_a_log_line_no_5xx_and_nothing_lost(config, start_server, fake_zendesk: FakeZendesk) -> None:
    port = free_port()
    set_up(port)
    proc, base = start_server(config, port=port)
    store = Store.from_url(config["DATABASE_URL"])
    fake_zendesk.add_ticket(41, "Amazon", GENERIC)  # created before the service knew it: no delivery
    fake_zendesk.add_comment(41, "an update for a ticket we never saw")
    fake_zendesk.create_ticket(42, "Amazon", GENERIC)
    settled(fake_zendesk, store, [42])
    fake_zendesk.add_comment(42, "merchant ID A2EUQ1WTGCTBG2", fire=False)
    fake_zendesk.delete_ticket(42)
    fake_zendesk.tickets[42] = fake_zendesk.deleted[42]  # fire the comment event for the deleted ticket...
    fake_zendesk.add_comment(42, "a comment event for a deleted ticket")
    del fake_zendesk.tickets[42]  # ...then it is gone again: reads answer 404
    fake_zendesk.create_ticket(43, "Amazon", GENERIC)
    settled(fake_zendesk, store, [43])
    fake_zendesk.change_tags(43, add=["amazon_error_staging_mode"], actor_id=ME_ID)
    fake_zendesk.create_ticket(44, "Amazon", GENERIC)
    fake_zendesk.bulk_comments(44, 10_000)
    settled(fake_zendesk, store, [44])
    reads = len(fake_zendesk.calls("GET"))
    fake_zendesk.add_comment(44, "merchant ID A2EUQ1WTGCTBG2, last try 26 Nov 2026 14:05 AEDT")
    settled(fake_zendesk, store, [42, 43, 44])
    wait_for(lambda: "ticket 42 follow-up dropped" in proc.output(), timeout=90)
    assert all(s.status in (200, 202) for s in fake_zendesk.deliveries() if s.status), "no 5xx, no 4xx"
    out = proc.output()
    assert "ticket 41 follow-up: a follow-up for a ticket we never saw" in out
    assert "ticket 42 follow-up dropped: comments of ticket 42: not found (404)" in out
    assert "ticket 43 follow-up: 1 change(s) by our own API user ignored" in out
    assert "A2EUQ1WTGCTBG2" not in out and "An error has occurred" not in out  # no ticket text in logs
    assert len(fake_zendesk.writes(43)) == 1
    assert "amazon_escalation_ready" in fake_zendesk.tickets[44]["tags"]
    assert len([r for r in fake_zendesk.calls("GET")[reads:] if "/tickets/44/" in r.path]) == 1
    with store.engine.connect() as conn:
        import sqlalchemy as sa

        from plugin.store import deliveries
        kept = conn.execute(sa.select(sa.func.count()).select_from(deliveries).where(deliveries.c.ticket_id.in_([41, 42]))).scalar()
    assert kept >= 3  # the deliveries for the unknown and the deleted ticket are stored
    logging.getLogger(__name__).info("checked")

"""The follow-up worker on real parts: SQLite, zenpy, and the fake Zendesk firing its ticket events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from plugin.config import Settings
from plugin.core.corrections import tally
from plugin.core.delivery import Delivery
from plugin.followup_store import FollowupStore
from plugin.followups import FollowUp
from plugin.registry import PatternRegistry
from plugin.store import DONE, NO_MATCH, Store
from plugin.triage import Triage
from plugin.web.events import CHANGE_TYPES, parse_change
from plugin.zendesk import ZendeskClient

from .conftest import PATTERNS_DIR
from .fake_zendesk import AGENT_ID, COMMENT_ADDED, CREATED, ME_ID, TAGS_CHANGED, FakeZendesk

GENERIC = "When I connect Amazon I get: An error has occurred."
AUTH = ("bot@example.com/token", "api-token-test")


class World:
    """The worker's parts, and an endpoint that records the fake's events the way the intake does."""

    def __init__(self, config: dict[str, str], fake: FakeZendesk) -> None:
        self.settings = Settings.load(config, environ={})
        self.store = Store.from_url(self.settings.database_url)
        self.fstore = FollowupStore(self.store.engine)
        self.fake = fake
        self.queued: list[int] = []
        zendesk = ZendeskClient(self.settings)
        registry = PatternRegistry(PATTERNS_DIR)
        self.triage = Triage(self.settings, self.store, registry, zendesk, schedule=lambda t, d: None)
        self.follow = FollowUp(self.settings, self.store, self.fstore, registry, zendesk,
                               schedule=lambda t, d: self.queued.append(t))
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append(body)
                outer.intake(body)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/zendesk"
        requests.post(f"{fake.url}/api/v2/webhooks", auth=AUTH, timeout=5, json={"webhook": {
            "name": "events", "endpoint": url, "subscriptions": [CREATED, COMMENT_ADDED, TAGS_CHANGED]}})

    def intake(self, body: dict[str, Any]) -> None:
        if body["type"] in CHANGE_TYPES:
            change, key = parse_change(body)
            _, enqueue = self.fstore.record(change, key)
            if enqueue:
                self.queued.append(change.ticket_id)
        else:
            tid = int(body["detail"]["id"])
            self.store.record_delivery(Delivery(tid, "event", f"event:{body['id']}"))

    def work(self) -> None:
        """Let the fake's webhook calls arrive, then run every queued follow-up until none is left."""
        self.fake.settle()
        while self.queued:
            self.follow.run(self.queued.pop(0))
            self.fake.settle()

    def created(self, tid: int, text: str, **kwargs: Any) -> None:
        self.fake.create_ticket(tid, "Amazon", text, **kwargs)
        self.fake.settle()
        self.triage.run(tid)
        self.work()


@pytest.fixture
def world(service_config, fake_zendesk) -> Iterator[World]:
    w = World(service_config, fake_zendesk)
    yield w
    w.server.shutdown()
    w.server.server_close()


def test_an_escalation_completes_itself_in_two_replies(world: World) -> None:
    world.created(1, GENERIC)
    assert world.store.decision(1).status == DONE and len(world.fake.writes(1)) == 1
    world.fake.add_comment(1, "Sorry! My merchant ID is A2EUQ1WTGCTBG2. I reconnected twice already.")
    world.work()
    tags = world.fake.tickets[1]["tags"]
    assert "amazon_escalation_missing_merchant_id" not in tags and "amazon_escalation_missing_timestamp" in tags
    world.fake.add_comment(1, "The last try was 26 Nov 2026 14:05 AEDT.")
    world.work()
    tags = world.fake.tickets[1]["tags"]
    assert "amazon_escalation_ready" in tags and not any(t.startswith("amazon_escalation_missing") for t in tags)
    assert len(world.fake.writes(1)) == 3
    notes = [c["body"] for c in world.fake.tickets[1]["comments"] if c["author_id"] == ME_ID]
    ready = [n for n in notes if n.startswith("amazon-triage: escalation ready")]
    assert len(ready) == 1 and "A2EUQ1WTGCTBG2" in ready[0] and "2026-11-26T03:05:00Z" in ready[0]
    # Every delivery again (Zendesk retries, or duplicates with new invocation ids): nothing changes.
    for sent in world.fake.deliveries():
        world.fake.replay(sent, same_invocation=False)
    world.work()
    assert len(world.fake.writes(1)) == 3 and world.fake.tickets[1]["tags"] == tags


def test_our_own_changes_cost_no_read_and_no_write(world: World) -> None:
    world.created(2, GENERIC)
    reads = len(world.fake.calls("GET"))
    # The triage write fired a comment_added and a tags_changed by our own user: both were handled.
    assert world.fstore.row(2).last_outcome.endswith("change(s) by our own API user ignored")
    world.fake.change_tags(2, add=["amazon_error_staging_mode"], actor_id=ME_ID)
    world.work()
    assert len(world.fake.calls("GET")) == reads and len(world.fake.writes(2)) == 1
    assert world.fstore.corrections() == []


def test_an_error_first_shown_in_a_reply_is_triaged_then_once(world: World) -> None:
    world.created(3, "Hello, I need help with my store setup.")
    assert world.store.decision(3).status == NO_MATCH and world.fake.writes(3) == []
    world.fake.add_comment(3, "Now connecting Amazon says: The account connection timed out.")
    world.work()
    assert "amazon_error_connection_timeout" in world.fake.tickets[3]["tags"] and len(world.fake.writes(3)) == 1
    world.fake.add_comment(3, "Again: The account connection timed out.")
    world.work()
    assert len(world.fake.writes(3)) == 1


def test_agents_corrections_are_recorded_once_and_counted(world: World) -> None:
    world.created(4, GENERIC)
    world.created(5, "Hello, I need help with my store setup.")
    world.fake.change_tags(4, remove=["amazon_error_generic_error"], add=["amazon_error_staging_mode"])
    world.fake.change_tags(5, add=["amazon_error_contact_amazon"])
    world.work()
    for sent in world.fake.deliveries(TAGS_CHANGED):
        world.fake.replay(sent)
    world.work()
    rows = world.fstore.corrections()
    assert sorted((r["ticket_id"], r["error"], r["kind"], r["actor_id"]) for r in rows) == [
        (4, "generic_error", "removed", AGENT_ID), (4, "staging_mode", "added", AGENT_ID),
        (5, "contact_amazon", "added", AGENT_ID)]
    assert next(r for r in rows if r["kind"] == "removed")["evidence"] == ["An error has occurred"]
    stats = tally(world.fstore.matched(), world.fstore.history())
    assert stats["generic_error"].removed_by_agents == 1 and stats["contact_amazon"].added_by_agents == 1
    assert world.fake.writes(4) and len(world.fake.writes(4)) == 1


def test_bad_input_is_logged_and_nothing_is_lost(world: World, caplog) -> None:
    world.fake.add_ticket(6, "Amazon", GENERIC)
    world.fake.add_comment(6, "an update for a ticket we never saw")
    world.work()
    assert "never saw" in world.fstore.row(6).last_outcome
    world.created(7, GENERIC)
    world.fake.add_comment(7, "my merchant ID is A2EUQ1WTGCTBG2")
    world.fake.settle()
    world.fake.delete_ticket(7)
    world.work()
    assert world.fstore.row(7).last_outcome.startswith("dropped: comments of ticket 7: not found (404)")
    assert world.fstore.pending(7, 0)  # the deliveries are still stored
    assert "ticket 7 follow-up dropped" in caplog.text


def test_a_reply_on_a_10000_comment_ticket_reads_one_page(world: World) -> None:
    world.created(8, GENERIC)
    world.fake.bulk_comments(8, 10_000)
    world.fake.add_comment(8, "first reply")
    world.work()
    before = len(world.fake.calls("GET"))
    world.fake.add_comment(8, "merchant ID A2EUQ1WTGCTBG2 and tried 26 Nov 2026 14:05 AEDT")
    world.work()
    gets = world.fake.calls("GET")[before:]
    assert len(gets) == 1 and "/comments.json" in gets[0].path
    assert "amazon_escalation_ready" in world.fake.tickets[8]["tags"]


def test_the_feedback_export_is_what_replay_scores(world: World, tmp_path, patterns) -> None:
    from plugin.core.replay import replay
    from plugin.core.tickets import ticket_from_mapping
    from plugin.feedback import export_labelled, missed, stats

    world.created(4, GENERIC)
    world.created(9, "Hello, I need help with my store.")
    world.fake.change_tags(4, remove=["amazon_error_generic_error"], add=["amazon_error_staging_mode"])
    world.fake.change_tags(9, add=["amazon_error_contact_amazon"])
    world.work()
    table = stats(world.fstore)["errors"]
    assert table["generic_error"]["removed_by_agents"] == 1 and table["staging_mode"]["added_by_agents"] == 1
    assert sorted((m.ticket_id, m.error) for m in missed(world.fstore)) == [(4, "staging_mode"), (9, "contact_amazon")]
    assert next(m for m in missed(world.fstore) if m.ticket_id == 9).description == "Hello, I need help with my store."
    path = tmp_path / "feedback.jsonl"
    with path.open("w") as fh:
        assert export_labelled(world.fstore, fh) == 2
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert {x["id"]: x["tags"] for x in lines} == {4: ["amazon_error_staging_mode"], 9: ["amazon_error_contact_amazon"]}
    report = replay([ticket_from_mapping(x) for x in lines], patterns)
    assert report.labelled == 2 and report.patterns["contact_amazon"].fn == 1


def test_facts_given_at_creation_are_remembered_for_the_ready_note(world: World) -> None:
    world.created(12, "Connecting Amazon: An error has occurred. My merchant ID is A2EUQ1WTGCTBG2.")
    assert "amazon_escalation_missing_timestamp" in world.fake.tickets[12]["tags"]
    world.fake.add_comment(12, "It happened at 26 Nov 2026 14:05 AEDT")
    world.work()
    note = world.fake.tickets[12]["comments"][-1]
    assert note["body"].startswith("amazon-triage: escalation ready") and "A2EUQ1WTGCTBG2" in note["body"]


def test_in_dry_run_a_follow_up_is_recorded_and_nothing_is_sent(service_config, fake_zendesk) -> None:
    w = World({**service_config, "TRIAGE_DRY_RUN": "1"}, fake_zendesk)
    try:
        fake_zendesk.add_ticket(13, "Amazon", "Hello, I need help.")
        w.store.record_delivery(Delivery(13, "trigger", "ticket:13"))
        w.triage.run(13)
        w.fake.add_comment(13, "Now connecting Amazon says: The account connection timed out.")
        w.work()
        row = w.fstore.row(13)
        assert row.last_outcome.startswith("DRY RUN new error(s) connection_timeout") and row.writes == 0
        assert fake_zendesk.writes(13) == []
    finally:
        w.server.shutdown()
        w.server.server_close()

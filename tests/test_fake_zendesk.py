"""The fake Zendesk behaves as the tests need Zendesk to: it fires triggers and events, pages, exports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from plugin.web.signature import verify

from .fake_zendesk import AGENT_ID, COMMENT_ADDED, CREATED, ME_ID, TAGS_CHANGED, FakeZendesk

AUTH = ("bot@example.com/token", "api-token-test")


class Receiver:
    """A local endpoint that keeps what it is sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/zendesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def hook(fake: FakeZendesk, url: str, subscriptions: list[str]) -> str:
    reply = requests.post(f"{fake.url}/api/v2/webhooks", auth=AUTH, timeout=5,
                          json={"webhook": {"name": "t", "endpoint": url, "subscriptions": subscriptions}})
    return reply.json()["webhook"]["id"]


def test_a_trigger_fires_once_with_escaped_placeholders_and_a_valid_signature(fake_zendesk: FakeZendesk, receiver) -> None:
    hook_id = hook(fake_zendesk, receiver.url, ["conditional_ticket_events"])
    body = json.dumps({"ticket": {"id": "{{ticket.id}}", "description": "{{ticket.description}}",
                                  "name": "{{ticket.requester.first_name}}", "tags": "{{ticket.tags}}"}})
    requests.post(f"{fake_zendesk.url}/api/v2/triggers.json", auth=AUTH, timeout=5, json={"trigger": {
        "title": "new", "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"},
                                               {"field": "current_tags", "operator": "not_includes", "value": "done"}]},
        "actions": [{"field": "notification_webhook", "value": [hook_id, body]}]}})
    fake_zendesk.create_ticket(5, "Help", 'She said "An error has occurred"\nthen left', tags=["vip"], requester_name="Zoë Q")
    fake_zendesk.add_comment(5, "a reply: updates do not match Create")
    fake_zendesk.create_ticket(6, "Done already", "x", tags=["done"])
    fake_zendesk.settle()
    assert len(receiver.calls) == 1 and fake_zendesk.problems == []
    headers, raw = receiver.calls[0]
    verify(raw, headers, "secret-" + hook_id)
    assert json.loads(raw) == {"ticket": {"id": "5", "description": 'She said "An error has occurred"\nthen left',
                                          "name": "Zoë", "tags": "vip"}}


TOP_KEYS = {"account_id", "detail", "event", "id", "subject", "time", "type", "zendesk_event_version"}
DETAIL_KEYS = {"actor_id", "assignee_id", "brand_id", "created_at", "custom_status", "description", "external_id",
               "form_id", "group_id", "id", "is_public", "organization_id", "priority", "requester_id", "status",
               "subject", "submitter_id", "tags", "type", "updated_at", "via"}


def test_events_carry_the_comment_its_author_and_the_tag_change(fake_zendesk: FakeZendesk, receiver) -> None:
    hook(fake_zendesk, receiver.url, [CREATED, COMMENT_ADDED, TAGS_CHANGED])
    fake_zendesk.create_ticket(8, "Amazon", "It fails")
    comment = fake_zendesk.add_comment(8, "Internal: checking", author_id=AGENT_ID, public=False)
    fake_zendesk.change_tags(8, add=["amazon_error_staging_mode"], remove=["nope"])
    requests.put(f"{fake_zendesk.url}/api/v2/tickets/8.json", auth=AUTH, timeout=5,
                 json={"ticket": {"comment": {"body": "ours", "public": False}, "tags": ["amazon_triage_done"]}})
    fake_zendesk.settle()
    events = [json.loads(body) for _, body in receiver.calls]
    assert [e["type"] for e in events] == [CREATED, COMMENT_ADDED, TAGS_CHANGED, COMMENT_ADDED, TAGS_CHANGED]
    # The documented shapes (EVENTS_DOC): event.comment {id, body, is_public, author}, event.tags_added/removed,
    # event.meta.sequence shared by the events of one action; detail holds exactly the documented properties.
    assert events[1]["event"] == {"comment": {"id": str(comment["id"]), "body": "Internal: checking", "is_public": False,
                                              "author": {"id": str(AGENT_ID), "is_staff": True, "name": "Alex Agent"}},
                                  "meta": {"sequence": {"id": events[1]["event"]["meta"]["sequence"]["id"], "position": 1}}}
    assert {k: v for k, v in events[2]["event"].items() if k != "meta"} == {
        "tags_added": ["amazon_error_staging_mode"], "tags_removed": []}
    assert events[3]["detail"]["actor_id"] == str(ME_ID) and events[4]["event"]["tags_removed"] == ["amazon_error_staging_mode"]
    ours = [e["event"]["meta"]["sequence"] for e in events[3:]]  # one PUT: a comment and a tag change
    assert ours[0]["id"] == ours[1]["id"] != events[1]["event"]["meta"]["sequence"]["id"]
    assert [s["position"] for s in ours] == [1, 2]
    assert all(e["detail"]["id"] == "8" and e["subject"] == "zen:ticket:8" for e in events)
    assert all(set(e["detail"]) == DETAIL_KEYS and set(e) == TOP_KEYS for e in events)


def test_nothing_leaves_for_other_hosts_or_while_paused(fake_zendesk: FakeZendesk, receiver) -> None:
    hook(fake_zendesk, "https://triage.example.com/webhooks/zendesk", [CREATED])
    fake_zendesk.create_ticket(1, "a", "b")
    hook(fake_zendesk, receiver.url, [CREATED])
    fake_zendesk.paused = True
    fake_zendesk.create_ticket(2, "a", "b")
    fake_zendesk.settle()
    assert receiver.calls == []
    assert {s.error for s in fake_zendesk.deliveries()} == {"not sent: tests only call 127.0.0.1", "paused"}


def test_comments_page_newest_first_by_cursor_and_by_page(fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_ticket(3, "s", "first")
    fake_zendesk.bulk_comments(3, 250)
    url = f"{fake_zendesk.url}/api/v2/tickets/3/comments.json"
    first = requests.get(url, params={"page[size]": 100, "sort": "-created_at"}, auth=AUTH, timeout=5).json()
    assert len(first["comments"]) == 100 and first["comments"][0]["body"] == "Old message 249" and first["meta"]["has_more"]
    second = requests.get(first["links"]["next"], auth=AUTH, timeout=5).json()
    assert second["comments"][0]["body"] == "Old message 149"
    last = requests.get(url, params={"sort_order": "desc", "page": 3}, auth=AUTH, timeout=5).json()
    assert [c["body"] for c in last["comments"]][-1] == "first" and last["next_page"] is None


def test_the_incremental_export_pages_by_cursor_and_ends_its_stream(fake_zendesk: FakeZendesk) -> None:
    for tid in range(1, 6):
        fake_zendesk.add_ticket(tid, f"t{tid}", "x")
    url = f"{fake_zendesk.url}/api/v2/incremental/tickets/cursor.json"
    start = int(fake_zendesk.epoch.timestamp())
    page = requests.get(url, params={"start_time": start, "per_page": 3}, auth=AUTH, timeout=5).json()
    assert [t["id"] for t in page["tickets"]] == [1, 2, 3] and page["end_of_stream"] is False
    page = requests.get(url, params={"cursor": page["after_cursor"], "per_page": 3}, auth=AUTH, timeout=5).json()
    assert [t["id"] for t in page["tickets"]] == [4, 5] and page["end_of_stream"] is True
    quiet = requests.get(url, params={"cursor": page["after_cursor"]}, auth=AUTH, timeout=5).json()
    assert quiet["tickets"] == [] and quiet["end_of_stream"] is True and quiet["after_cursor"] == page["after_cursor"]
    fake_zendesk.delete_ticket(2)
    after = requests.get(url, params={"cursor": page["after_cursor"]}, auth=AUTH, timeout=5).json()
    assert [(t["id"], t["status"]) for t in after["tickets"]] == [(2, "deleted")]

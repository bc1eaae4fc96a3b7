"""Reading only what is new: comments after a known one, and the export one page per request."""

from __future__ import annotations

import pytest

from plugin.config import Settings
from plugin.zendesk import Permanent, RateLimited, ZendeskClient
from plugin.zendesk_followup import FollowupReader

from .fake_zendesk import ME_ID, FakeZendesk


@pytest.fixture
def reader(service_config, fake_zendesk) -> FollowupReader:
    return FollowupReader(ZendeskClient(Settings.load(service_config, environ={})))


def gets(fake: FakeZendesk) -> list[str]:
    return [r.path for r in fake.calls("GET")]


def test_a_10000_comment_ticket_costs_one_request_when_two_comments_are_new(reader, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_ticket(1, "s", "first")
    fake_zendesk.bulk_comments(1, 10_000)
    known = fake_zendesk.tickets[1]["comments"][-1]["id"]
    a = fake_zendesk.add_comment(1, "new one", fire=False)
    b = fake_zendesk.add_comment(1, "newer", fire=False)
    read = reader.comments_since(1, known)
    assert [c.id for c in read.comments] == [a["id"], b["id"]] and read.complete and read.requests == 1
    assert len(gets(fake_zendesk)) == 1 and "sort=-created_at" in gets(fake_zendesk)[0]


def test_without_a_known_comment_our_own_note_marks_where_new_ones_begin(reader, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_ticket(2, "s", "first")
    fake_zendesk.bulk_comments(2, 500)
    ours = fake_zendesk.add_comment(2, "Suggested reply (amazon-triage): ...", author_id=ME_ID, public=False, fire=False)
    reply = fake_zendesk.add_comment(2, "here is my ID", fire=False)
    read = reader.comments_since(2, None, me=ME_ID)
    assert [c.id for c in read.comments] == [ours["id"], reply["id"]] and read.requests == 1


def test_without_any_landmark_the_read_stops_after_a_few_pages(reader, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_ticket(3, "s", "first")
    fake_zendesk.bulk_comments(3, 1000)
    read = reader.comments_since(3, None, me=ME_ID, max_pages=3)
    assert read.requests == 3 and not read.complete and len(read.comments) == 300


def test_a_deleted_ticket_is_permanent_and_a_429_is_rate_limited_without_sleeping(reader, fake_zendesk: FakeZendesk) -> None:
    with pytest.raises(Permanent):
        reader.comments_since(404, None)
    fake_zendesk.inject("GET", r"/incremental/", status=429, retry_after="37")
    with pytest.raises(RateLimited) as err:
        reader.export_page(start_time=0)
    assert err.value.retry_after == 37.0


def test_the_export_is_read_one_page_per_call(reader, fake_zendesk: FakeZendesk) -> None:
    for tid in (1, 2, 3):
        fake_zendesk.add_ticket(tid, f"t{tid}", "text", tags=["x"])
    page = reader.export_page(start_time=int(fake_zendesk.epoch.timestamp()), per_page=2)
    assert [t.id for t in page.tickets] == [1, 2] and not page.end_of_stream and page.tickets[0].tags == ("x",)
    rest = reader.export_page(cursor=page.after_cursor, per_page=2)
    assert [t.id for t in rest.tickets] == [3] and rest.end_of_stream
    assert len(gets(fake_zendesk)) == 2

"""No ticket missed: the export finds what no delivery brought, queues it once, and costs one request when quiet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from plugin.config import Settings
from plugin.core.delivery import Delivery
from plugin.followup_store import FollowupStore
from plugin.reconcile import Reconciler, parse_since
from plugin.store import Store
from plugin.zendesk import ZendeskClient
from plugin.zendesk_followup import FollowupReader

from .fake_zendesk import FakeZendesk


@pytest.fixture
def parts(service_config, fake_zendesk: FakeZendesk):
    fake_zendesk.epoch = datetime.now(timezone.utc).replace(microsecond=0)
    store = Store.from_url(Settings.load(service_config, environ={}).database_url)
    fstore = FollowupStore(store.engine)
    queued: list[int] = []
    reader = FollowupReader(ZendeskClient(Settings.load(service_config, environ={})))
    return store, fstore, Reconciler(store, fstore, reader, queued.append, max_pages=5), queued


def test_tickets_created_while_away_are_queued_once_and_a_quiet_tick_is_one_request(parts, fake_zendesk) -> None:
    store, fstore, rec, queued = parts
    start = fake_zendesk.epoch - timedelta(minutes=2)
    assert rec.tick(now=start).queued == []  # first tick: the watch begins
    fake_zendesk.add_ticket(1, "Amazon", "An error has occurred")
    fake_zendesk.add_ticket(2, "Amazon", "done already", tags=["amazon_triage_done"])
    fake_zendesk.add_ticket(3, "Amazon", "a webhook brought this one")
    store.record_delivery(Delivery(3, "trigger", "ticket:3"))
    report = rec.tick()
    assert report.queued == [1] and queued == [1] and report.requests == 1
    assert store.decision(1).status == "queued"
    before = len(fake_zendesk.calls("GET"))
    quiet = rec.tick()
    assert quiet.queued == [] and quiet.requests == 1 and len(fake_zendesk.calls("GET")) == before + 1
    fake_zendesk.add_comment(1, "an update brings ticket 1 into the export again", fire=False)
    assert rec.tick().queued == [] and queued == [1]


def test_a_429_ends_the_tick_and_the_next_goes_on_from_the_saved_cursor(parts, fake_zendesk) -> None:
    store, fstore, rec, queued = parts
    rec.tick(now=fake_zendesk.epoch - timedelta(minutes=2))
    fake_zendesk.add_ticket(5, "Amazon", "text")
    fake_zendesk.inject("GET", r"/incremental/", status=429, retry_after="30")
    limited = rec.tick()
    assert limited.rate_limited == 30.0 and limited.queued == []
    assert rec.tick().queued == [5]


def test_backfill_reads_to_the_end_from_any_time(parts, fake_zendesk) -> None:
    store, fstore, rec, queued = parts
    for tid in range(10, 16):
        fake_zendesk.add_ticket(tid, "Amazon", "text")
    report = rec.backfill(fake_zendesk.epoch)
    assert report.queued == list(range(10, 16)) and fstore.cursor("reconcile") is None
    assert rec.backfill(fake_zendesk.epoch).queued == []


def test_since_takes_iso_times_and_durations() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("2026-11-26T09:00Z", now) == datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
    assert parse_since("2026-11-26", now) == datetime(2026, 11, 26, tzinfo=timezone.utc)
    for bad in ("yesterday", "2027-01-01"):
        with pytest.raises(ValueError, match="--since"):
            parse_since(bad, now)

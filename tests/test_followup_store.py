"""Follow-up state on real databases: one claim per ticket, nothing lost to a delivery arriving mid-run."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from plugin.core.changes import COMMENT, TAGS, TicketChange
from plugin.core.corrections import Correction
from plugin.core.followup import FollowupState
from plugin.followup_store import IDLE, PROCESSING, QUEUED, FollowupStore

from .test_store import store  # noqa: F401  (the SQLite / PostgreSQL fixture)


def comment(ticket_id: int, cid: int) -> TicketChange:
    return TicketChange(ticket_id, COMMENT, 501, ("a",), "2026-11-26T10:00:00Z", cid, True)


def test_changes_queue_a_ticket_once_and_duplicates_do_nothing(store) -> None:  # noqa: F811
    fs = FollowupStore(store.engine)
    first, enqueue = fs.record(comment(1, 10), "comment:1:10")
    assert first and enqueue
    assert fs.record(comment(1, 10), "comment:1:10") == (None, False)
    second, enqueue_again = fs.record(comment(1, 11), "comment:1:11")
    assert second and not enqueue_again  # already queued
    claim = fs.claim(1, 60)
    assert claim.status == PROCESSING and fs.claim(1, 60) is None
    assert [p.change.comment_id for p in fs.pending(1, claim.handled_delivery_id)] == [10, 11]
    assert fs.finish(1, second, "done", FollowupState(1, ("generic_error",), last_comment_id=11)) is False
    row = fs.row(1)
    assert row.status == IDLE and row.state.last_comment_id == 11 and fs.pending(1, row.handled_delivery_id) == []


def test_a_change_arriving_during_a_run_queues_the_ticket_again(store) -> None:  # noqa: F811
    fs = FollowupStore(store.engine)
    first, _ = fs.record(comment(2, 20), "comment:2:20")
    fs.claim(2, 60)
    fs.record(TicketChange(2, TAGS, 777, added=("x",)), "event:e1")
    assert fs.finish(2, first, "ran") is True and fs.row(2).status == QUEUED
    assert [p.change.kind for p in fs.pending(2, fs.row(2).handled_delivery_id)] == [TAGS]


def test_concurrent_changes_are_all_stored_and_one_enqueues(store) -> None:  # noqa: F811
    fs = FollowupStore(store.engine)
    results: list[tuple[int | None, bool]] = []
    threads = [threading.Thread(target=lambda i=i: results.append(fs.record(comment(3, 100 + i), f"comment:3:{100 + i}")))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fs.pending(3, 0)) == 8 and sum(enqueue for _, enqueue in results) == 1


def test_corrections_are_recorded_once_per_change_and_the_cursor_and_turns_persist(store) -> None:  # noqa: F811
    fs = FollowupStore(store.engine)
    when = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
    c = Correction(4, "generic_error", "removed", when, 777, ("An error has occurred",))
    fs.finish(4, 5, "x", found=[(c, "S", "D")])
    fs.finish(4, 5, "x again", found=[(c, "S", "D")])
    [row] = fs.corrections()
    assert row["evidence"] == ["An error has occurred"] and row["at"] == when and row["description"] == "D"
    fs.save_cursor("reconcile", "abc", when)
    assert fs.cursor("reconcile").cursor == "abc" and fs.cursor("reconcile").since == when
    assert fs.take_turn("reconcile", 300) is True and fs.take_turn("reconcile", 300) is False
    assert fs.take_turn("other", 300) is True

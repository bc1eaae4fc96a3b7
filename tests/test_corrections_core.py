"""Agents' tag changes as corrections, and the per-error counts they give."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from plugin.core.corrections import ADDED, REMOVED, corrections, labelled_line, tag_diff, tally

T0 = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
KNOWN = {"generic_error", "connection_timeout", "staging_mode"}


def test_removing_our_tag_and_adding_another_are_two_corrections() -> None:
    found = corrections(5, ["generic_error"], added=["amazon_error_staging_mode", "vip"],
                        removed=["amazon_error_generic_error", "amazon_error"], actor_id=777, me=900001, at=T0,
                        known=KNOWN, evidence={"generic_error": ["An error has occurred"]})
    assert [(c.error, c.kind) for c in found] == [("generic_error", REMOVED), ("staging_mode", ADDED)]
    assert found[0].evidence == ("An error has occurred",) and found[0].actor_id == 777


def test_our_own_tag_changes_and_unknown_tags_are_not_corrections() -> None:
    assert corrections(5, ["generic_error"], [], ["amazon_error_generic_error"], 900001, 900001, T0, KNOWN) == []
    assert corrections(5, [], ["amazon_error_made_up"], [], 777, 900001, T0, KNOWN) == []


def test_tally_gives_matched_kept_removed_added_and_the_scores() -> None:
    history = [*corrections(1, ["generic_error"], [], ["amazon_error_generic_error"], 777, 1, T0, KNOWN),
               *corrections(2, [], ["amazon_error_generic_error"], [], 777, 1, T0, KNOWN),
               *corrections(3, ["generic_error"], [], ["amazon_error_generic_error"], 777, 1, T0, KNOWN),
               *corrections(3, ["generic_error"], ["amazon_error_generic_error"], [], 777, 1, T0 + timedelta(1), KNOWN)]
    stats = tally({"generic_error": [1, 3, 4, 5]}, history, KNOWN)["generic_error"]
    assert (stats.matched, stats.kept, stats.removed_by_agents, stats.added_by_agents) == (4, 3, 1, 1)
    assert stats.precision == 0.75 and stats.recall == 0.75
    assert stats.removed_tickets == [1] and stats.missed_tickets == [2]


def test_tag_diff_and_labelled_lines() -> None:
    assert tag_diff(["a", "b"], ["b", "c"]) == (["c"], ["a"])
    line = labelled_line(2, "S", "D", ["staging_mode"])
    assert line == {"id": 2, "subject": "S", "description": "D", "tags": ["amazon_error_staging_mode"]}

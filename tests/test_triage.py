"""The worker's use case on real parts: SQLite store, zenpy client, the fake Zendesk over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugin.config import Settings
from plugin.core.delivery import Delivery, TicketFacts
from plugin.registry import PatternRegistry
from plugin.store import DEAD, DONE, DRY_RUN, NO_MATCH, RETRY, SKIPPED, Store
from plugin.triage import TIMEOUT_RETRIES, Triage
from plugin.zendesk import ZendeskClient

from .conftest import PATTERNS_DIR
from .fake_zendesk import ME_ID, FakeZendesk

GENERIC = "When I connect Amazon I get: An error has occurred."


class World:
    def __init__(self, config: dict[str, str], fake: FakeZendesk, patterns_dir: Path = PATTERNS_DIR) -> None:
        self.settings = Settings.load(config, environ={})
        self.store = Store.from_url(self.settings.database_url)
        self.fake = fake
        self.scheduled: list[tuple[int, float]] = []
        zendesk = ZendeskClient(self.settings) if not self.settings.dry_run or self.settings.has_credentials else None
        registry = PatternRegistry(patterns_dir)
        self.triage = Triage(self.settings, self.store, registry, zendesk, schedule=lambda t, d: self.scheduled.append((t, d)))

    def deliver(self, ticket_id: int, **ticket: object) -> None:
        self.store.record_delivery(Delivery(ticket_id, "trigger", f"ticket:{ticket_id}", TicketFacts.from_json(ticket)))

    def comments(self, ticket_id: int) -> list[dict]:
        return self.fake.tickets[ticket_id]["comments"][1:]


@pytest.fixture
def world(service_config, fake_zendesk) -> World:
    return World(service_config, fake_zendesk)


def test_matched_ticket_gets_one_write_with_merged_tags_and_internal_note(world: World) -> None:
    world.fake.add_ticket(1, "Amazon", GENERIC, tags=["vip", "agent_tag"])
    world.deliver(1)
    outcome = world.triage.run(1)
    assert outcome.status == DONE
    [write] = world.fake.writes(1)
    sent = write.body["ticket"]
    assert sent["safe_update"] is True and sent["updated_stamp"] == "2026-11-26T09:00:01Z"
    assert world.fake.tickets[1]["tags"] == ["vip", "agent_tag", "amazon_error", "amazon_error_generic_error",
                                             "amazon_escalation_missing_merchant_id",
                                             "amazon_escalation_missing_timestamp", "amazon_triage_done"]
    [comment] = world.comments(1)
    assert comment["public"] is False and comment["author_id"] == ME_ID
    assert comment["body"].startswith("Suggested reply (amazon-triage):\n\nHi Jane,")
    assert "Do not escalate yet" in comment["body"]
    decision = world.store.decision(1)
    assert decision.status == DONE and decision.matched == ["generic_error"] and decision.attempts == 1
    assert decision.update["sent_tags"][-1] == "amazon_triage_done"


def test_payload_text_is_used_and_unmatched_ticket_costs_no_call(world: World) -> None:
    world.deliver(2, subject="Invoice", description="Where is my invoice?")
    assert world.triage.run(2).status == NO_MATCH
    assert world.fake.calls() == []


def test_ticket_without_text_in_payload_is_fetched(world: World) -> None:
    world.fake.add_ticket(3, "Amazon", "Amazon: The account connection timed out.")
    world.deliver(3)
    assert world.triage.run(3).status == DONE
    assert [r.method for r in world.fake.calls()][:1] == ["GET"]
    assert len(world.fake.writes(3)) == 1


def test_conflict_rereads_and_keeps_the_agents_new_tag(world: World) -> None:
    world.fake.add_ticket(4, "Amazon", GENERIC, tags=["old"])
    world.deliver(4)
    world.fake.inject("PUT", r"/tickets/4\.json", status=409, times=1)
    world.fake.tickets[4]["tags"].append("added_by_agent")
    assert world.triage.run(4).status == DONE
    assert "added_by_agent" in world.fake.tickets[4]["tags"] and "old" in world.fake.tickets[4]["tags"]
    assert len(world.fake.writes(4)) == 1


def test_real_stale_stamp_conflict_is_detected(world: World) -> None:
    world.fake.add_ticket(5, "Amazon", GENERIC)
    world.deliver(5)
    state = world.triage.zendesk.ticket(5)
    world.triage.zendesk.update(5, body="agent reply", public=True, tags=["x"], updated_stamp=state.updated_at)
    assert world.triage.run(5).status == DONE
    assert world.fake.tickets[5]["tags"][0] == "x"
    assert len(world.comments(5)) == 2


def test_marker_already_present_means_no_second_reply(world: World) -> None:
    world.fake.add_ticket(6, "Amazon", GENERIC, tags=["amazon_triage_done"])
    world.deliver(6)
    assert world.triage.run(6).status == SKIPPED
    assert world.fake.writes() == []


def test_second_run_of_same_ticket_does_nothing(world: World) -> None:
    world.fake.add_ticket(7, "Amazon", GENERIC)
    world.deliver(7)
    world.triage.run(7)
    assert world.triage.run(7).status == "skipped"
    assert len(world.fake.writes(7)) == 1


@pytest.mark.parametrize("retry_after", ["3", None])
def test_429_reschedules_without_sleeping(world: World, retry_after: str | None) -> None:
    world.fake.add_ticket(8, "Amazon", GENERIC)
    world.deliver(8)
    world.fake.inject("GET", r"/tickets/8\.json", status=429, retry_after=retry_after)
    outcome = world.triage.run(8)
    assert outcome.status == RETRY
    [(ticket, delay)] = world.scheduled
    assert ticket == 8
    if retry_after:
        assert delay == 3.0
    else:
        assert 0.1 <= delay <= 0.3  # backoff with jitter around BACKOFF_SECONDS=0.2
    assert world.store.decision(8).status == RETRY
    assert world.triage.run(8).status == DONE
    assert len(world.fake.writes(8)) == 1


@pytest.mark.parametrize("fault", [{"status": 500}, {"drop": True}, {"delay": 1.5}], ids=["500", "dropped", "slow"])
def test_transient_faults_retry_then_succeed(world: World, fault: dict) -> None:
    world.fake.add_ticket(9, "Amazon", GENERIC)
    world.deliver(9)
    world.fake.inject("PUT", r"/tickets/9\.json", **fault)
    assert world.triage.run(9).status == RETRY
    assert world.triage.run(9).status == DONE
    assert len(world.comments(9)) == 1


def test_slow_answer_that_landed_is_not_written_twice(world: World) -> None:
    world.fake.add_ticket(10, "Amazon", GENERIC)
    world.deliver(10)
    world.fake.inject("PUT", r"/tickets/10\.json", delay=1.5)
    assert world.triage.run(10).status == RETRY  # our side timed out, but Zendesk applied it
    assert world.triage.run(10).status == DONE  # re-read shows the marker: nothing written
    assert len(world.comments(10)) == 1


def test_persistent_failure_ends_in_dead_letter(world: World) -> None:
    world.fake.add_ticket(11, "Amazon", GENERIC)
    world.deliver(11)
    world.fake.inject("GET", r"/tickets/11\.json", status=503, times=99)
    statuses = [world.triage.run(11).status for _ in range(4)]
    assert statuses == [RETRY, RETRY, RETRY, DEAD]
    [dead] = world.store.dead()
    assert dead["ticket_id"] == 11 and dead["attempts"] == 4 and "503" in dead["error"]
    assert world.fake.writes() == []


def test_missing_ticket_is_dead_lettered_at_once(world: World) -> None:
    world.deliver(12)
    assert world.triage.run(12).status == DEAD


def test_macro_reply_sends_only_its_comment(service_config, fake_zendesk, tmp_path) -> None:
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    path = patterns / "staging_mode.toml"
    text = path.read_text()
    path.write_text(text[: text.index("[reply]")] + "[reply]\nzendesk_macro_id = 321\n\n" + text[text.index("[examples]"):])
    world = World(service_config, fake_zendesk, patterns)
    fake_zendesk.add_macro(321, "Macro: leave staging mode via vacation settings.")
    fake_zendesk.add_ticket(13, "Amazon", "My Amazon seller account is in staging mode", tags=["keep"])
    world.deliver(13)
    assert world.triage.run(13).status == DONE
    [write] = fake_zendesk.writes(13)
    assert set(write.body["ticket"]) == {"id", "comment", "tags", "safe_update", "updated_stamp"}
    [comment] = world.comments(13)
    assert "Macro: leave staging mode via vacation settings." in comment["body"]


def test_dry_run_records_and_writes_nothing(service_config, fake_zendesk) -> None:
    world = World({**service_config, "TRIAGE_DRY_RUN": "1"}, fake_zendesk)
    world.deliver(14, subject="Amazon", description=GENERIC)
    assert world.triage.run(14).status == DRY_RUN
    decision = world.store.decision(14)
    assert "amazon_triage_done" in decision.update["tags"] and "Suggested reply" in decision.update["comment"]
    assert fake_zendesk.writes() == []


def test_own_user_is_ignored(world: World) -> None:
    world.fake.add_ticket(15, "Amazon", GENERIC)
    world.store.record_delivery(Delivery(15, "event", "e15", TicketFacts(subject="Amazon", description=GENERIC), (ME_ID,)))
    assert world.triage.run(15).status == SKIPPED
    assert world.fake.writes() == []


def test_deleted_requester_is_triaged_with_a_neutral_greeting(world: World) -> None:
    world.fake.add_ticket(16, "Amazon", GENERIC, requester_id=777)
    del world.fake.users[777]  # the users endpoint now answers 404, as for a deleted user
    world.deliver(16)
    assert world.triage.run(16).status == DONE
    [comment] = world.comments(16)
    assert comment["body"].startswith("Suggested reply (amazon-triage):\n\nHi there,")
    assert any(r.path.endswith("/users/777.json") for r in world.fake.calls("GET"))
    assert world.store.dead() == [] and len(world.fake.writes(16)) == 1


def test_name_read_failing_transiently_degrades_to_the_neutral_greeting(world: World) -> None:
    world.fake.add_ticket(17, "Amazon", GENERIC)
    world.fake.inject("GET", r"/users/501\.json", status=503, times=5)
    world.deliver(17)
    assert world.triage.run(17).status == DONE
    [comment] = world.comments(17)
    assert "Hi there," in comment["body"]


def test_payload_name_is_used_without_a_users_call(world: World) -> None:
    world.fake.add_ticket(18, "Amazon", GENERIC)
    world.deliver(18, subject="Amazon", description=GENERIC, requester_first_name="Ana")
    assert world.triage.run(18).status == DONE
    assert "Hi Ana," in world.comments(18)[0]["body"]
    assert not any("/users/" in r.path for r in world.fake.calls())


def test_deleted_macro_leaves_the_ticket_triaged_with_the_default_reply(service_config, fake_zendesk, tmp_path) -> None:
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    path = patterns / "staging_mode.toml"
    text = path.read_text()
    path.write_text(text[: text.index("[reply]")] + "[reply]\nzendesk_macro_id = 404\n\n" + text[text.index("[examples]"):])
    world = World(service_config, fake_zendesk, patterns)
    fake_zendesk.add_ticket(19, "Amazon", "My Amazon seller account is in staging mode")
    world.deliver(19)
    assert world.triage.run(19).status == DONE
    [comment] = world.comments(19)
    assert "We are looking into this Amazon connection problem" in comment["body"]
    assert world.store.dead() == []


SLOW = {"PATTERN_TIMEOUT_SECONDS": "0.25"}
"""The service's own budget, for tests of slow_patterns (the test default is generous: see conftest)."""


def slow_patterns(tmp_path: Path) -> Path:
    """connection_timeout with a context term that backtracks for seconds on long plain text."""
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    path = patterns / "connection_timeout.toml"
    path.write_text(path.read_text().replace("[reply]", "[[context]]\nname = \"slow\"\nterms = ['''(?:\\w+\\s?)+\\d$''']\n"
                                                        "window = 0\nboost = 0.0\n\n[reply]", 1))
    return patterns


def test_pattern_time_out_is_recorded_and_logged_without_ticket_text(service_config, fake_zendesk, tmp_path, caplog) -> None:
    world = World({**service_config, **SLOW}, fake_zendesk, slow_patterns(tmp_path))
    secret_words = "zebra " * 3000
    world.deliver(20, subject="Amazon", description=f"Amazon: The account connection timed out. {secret_words}")
    world.deliver(21, subject="Amazon", description="Amazon: The account connection timed out.")
    fake_zendesk.add_ticket(21, "Amazon", "Amazon: The account connection timed out.")
    with caplog.at_level("WARNING", logger="plugin.triage"):
        tries = [world.triage.run(20) for _ in range(TIMEOUT_RETRIES + 1)]
        world.triage.run(21)
    # Tried again later (as often as TIMEOUT_RETRIES allows), then what was found is recorded.
    assert [t.status for t in tries] == ["retry"] * TIMEOUT_RETRIES + [NO_MATCH]
    assert tries[0].timed_out == ("connection_timeout",) and world.scheduled[0][0] == 20
    slow, quick = world.store.decision(20), world.store.decision(21)
    assert slow.timed_out == ["connection_timeout"] and "connection_timeout" not in slow.matched
    assert slow.attempts == TIMEOUT_RETRIES + 1 and world.store.dead() == []
    assert quick.timed_out == [] and quick.matched == ["connection_timeout"]
    warnings = [r.getMessage() for r in caplog.records if "ran out of time" in r.getMessage()]
    assert len(warnings) == TIMEOUT_RETRIES + 1
    assert all("ticket 20" in w and "connection_timeout" in w for w in warnings)
    assert "zebra" not in caplog.text


def test_a_timed_out_ticket_is_not_dead_lettered_when_attempts_are_few(service_config, fake_zendesk, tmp_path) -> None:
    world = World({**service_config, **SLOW, "MAX_ATTEMPTS": "1"}, fake_zendesk, slow_patterns(tmp_path))
    world.deliver(20, subject="Amazon", description="Amazon: The account connection timed out. " + "zebra " * 3000)
    assert world.triage.run(20).status == NO_MATCH  # one attempt allowed: it is used, not spent on a retry
    assert world.store.decision(20).timed_out == ["connection_timeout"] and world.store.dead() == []


@pytest.mark.parametrize("fault", [None, {"status": 500}], ids=["written", "retried"])
def test_each_attempt_uses_the_store_twice_claim_and_record(world: World, fault: dict | None) -> None:
    import sqlalchemy as sa

    world.fake.add_ticket(22, "Amazon", GENERIC)
    world.deliver(22)
    if fault:
        world.fake.inject("PUT", r"/tickets/22\.json", **fault)
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement.split()[0].upper())  # noqa: E731
    sa.event.listen(world.store.engine, "before_cursor_execute", listener)
    try:
        world.triage.run(22)
    finally:
        sa.event.remove(world.store.engine, "before_cursor_execute", listener)
    # claim: one UPDATE and one joined SELECT (the decision and its delivery); record: one UPDATE.
    assert statements == ["UPDATE", "SELECT", "UPDATE"]

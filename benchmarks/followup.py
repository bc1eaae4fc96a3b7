"""Zendesk requests per follow-up delivery and per quiet reconciliation tick, against a naive reader.

Runs the follow-up worker and the reconciler in-process on real parts (SQLite, zenpy, the fake Zendesk
firing its ticket events to a local endpoint) and counts the requests the fake receives for each kind
of delivery. The baseline in the same run is what a naive follow-up would cost: read the ticket and
every page of its comments (zenpy's comments generator) on each delivery.
Run: .venv/bin/python benchmarks/followup.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.reconcile import Reconciler  # noqa: E402
from plugin.zendesk_followup import FollowupReader  # noqa: E402
from tests.conftest import PATTERNS_DIR, SECRET  # noqa: E402
from tests.fake_zendesk import FakeZendesk  # noqa: E402
from tests.test_followups import GENERIC, World  # noqa: E402


def counted(fake: FakeZendesk, action) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    before = list(fake.requests)
    action()
    new = fake.requests[len(before):]
    return (sum(r.method == "GET" for r in new), sum(r.method in {"PUT", "POST"} and r.status < 300 for r in new))


def main() -> None:
    fake = FakeZendesk().start()
    fake.epoch = datetime.now(timezone.utc).replace(microsecond=0)
    tmp = Path(tempfile.mkdtemp())
    config = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t",
              "ZENDESK_WEBHOOK_SECRET": SECRET, "ZENDESK_API_URL": fake.url, "INSTANCE_PATH": str(tmp),
              "DATABASE_URL": f"sqlite:///{tmp / 'triage.db'}", "QUEUE_PATH": str(tmp / "queue.db"),
              "PATTERNS_DIR": str(PATTERNS_DIR)}
    world = World(config, fake)
    world.follow.me()  # the API user's id is read once per process, not per delivery
    rows = []
    world.created(1, GENERIC)
    rows.append(("merchant reply with the merchant ID (flagged escalation)",
                 *counted(fake, lambda: (fake.add_comment(1, "My merchant ID is A2EUQ1WTGCTBG2"), world.work()))))
    rows.append(("merchant reply with the time (completes it)",
                 *counted(fake, lambda: (fake.add_comment(1, "last try 26 Nov 2026 14:05 AEDT"), world.work()))))
    rows.append(("the same deliveries replayed", *counted(fake, lambda: (
        [fake.replay(s) for s in fake.deliveries() if s.kind.endswith("comment_added")], world.work()))))
    world.created(2, GENERIC)
    fake.bulk_comments(2, 10_000)
    fake.add_comment(2, "hello?")
    world.work()
    rows.append(("reply on a 10,000-comment ticket",
                 *counted(fake, lambda: (fake.add_comment(2, "ID A2EUQ1WTGCTBG2 at 26 Nov 2026 14:05 AEDT"), world.work()))))
    rows.append(("agent tag change (a correction)",
                 *counted(fake, lambda: (fake.change_tags(1, remove=["amazon_error_generic_error"]), world.work()))))
    rows.append(("reply on a ticket needing nothing more (escalation ready)",
                 *counted(fake, lambda: (fake.add_comment(2, "thanks!"), world.work()))))
    naive_reads, _ = counted(fake, lambda: (world.follow.zendesk.ticket(2),
                                            list(world.follow.zendesk.zenpy.tickets.comments(2))))
    rec = Reconciler(world.store, world.fstore, FollowupReader(world.follow.zendesk), lambda t: None)
    rec.tick(now=fake.epoch - timedelta(minutes=5))
    rec.tick()
    quiet = counted(fake, rec.tick)
    fake.add_ticket(50, "Amazon", GENERIC)
    catch_up = counted(fake, rec.tick)

    print(f"{'delivery':<58} {'reads':>5} {'writes':>6}")
    for name, reads, writes in rows:
        print(f"{name:<58} {reads:>5} {writes:>6}")
    print(f"{'quiet reconciliation tick':<58} {quiet[0]:>5} {quiet[1]:>6}")
    print(f"{'reconciliation tick finding 1 missed ticket':<58} {catch_up[0]:>5} {catch_up[1]:>6}")
    ours = rows[3][1]
    print(f"\nbaseline (naive: ticket + every comment page) on the 10,000-comment ticket: {naive_reads} reads; "
          f"follow-up reader: {ours} read ({naive_reads / max(ours, 1):.0f}x fewer)")
    print("target: <= 1 read and <= 1 write per follow-up delivery; 1 request per quiet tick")
    world.server.shutdown()
    fake.stop()


if __name__ == "__main__":
    main()

"""The admin overview's cost as tickets pile up: 30 days of decisions whose deliveries carry 10 KB ticket texts.

Compares, in the same run, the overview's records query (the ticket's creation time read inside the
database with a JSON path) against a baseline that loads each delivery's whole payload and reads the time
in Python, and times the whole overview (queries, arithmetic, SVG). SQLite by default; set
BENCH_DATABASE_URL=postgresql+psycopg://... to run it on PostgreSQL (the tables there are dropped first).

    python benchmarks/overview.py [TICKETS ...]      # default: 1000 5000
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from plugin.core.delivery import Delivery, TicketFacts
from plugin.dashboard_data import records_query, triage_records
from plugin.store import DONE, Store, decisions, deliveries, metadata, utcnow
from plugin.web.overview import overview

TEXT = ("Connecting Amazon: An error has occurred. " * 250)[:10_000]


def seed(store: Store, n: int) -> None:
    now = utcnow()
    for t in range(1, n + 1):
        received = now - timedelta(seconds=t)
        store.record_delivery(Delivery(t, "trigger", f"b{t}", TicketFacts(
            subject="Amazon", description=TEXT, created_at=(received - timedelta(seconds=30)).isoformat())))
        store.claim(t, 60)
        store.finish(t, DONE, matched=["generic_error"], evidence=[],
                     update={"tags": ["amazon_escalation_ready"], "comment": "Suggested reply (amazon-triage): ..."})


def whole_payloads(engine: sa.Engine, since) -> int:
    """Baseline: the same rows with every payload loaded and decoded, the creation time read in Python."""
    stmt = (records_query().add_columns(deliveries.c.payload).where(decisions.c.created_at >= since))
    found = 0
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            found += bool(((row.payload or {}).get("ticket") or {}).get("created_at"))
    return found


def median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(url: str | None, n: int, tmp: str) -> None:
    if url:
        engine = sa.create_engine(url)
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    store = Store.from_url(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
    seed(store, n)
    since = utcnow() - timedelta(days=31)
    assert len(triage_records(store.engine, since)) == n and whole_payloads(store.engine, since) == n
    ours = median_ms(lambda: triage_records(store.engine, since))
    base = median_ms(lambda: whole_payloads(store.engine, since))
    page = median_ms(lambda: overview(store, utcnow()))
    print(f"{store.engine.dialect.name} {n} tickets (10 KB texts): records query {ours:.1f} ms, "
          f"baseline with whole payloads {base:.1f} ms (ratio {ours / base:.2f}); whole overview {page:.1f} ms")
    store.close()


def main(sizes: list[int]) -> None:
    import os

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            run(os.environ.get("BENCH_DATABASE_URL"), n, tmp)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000])

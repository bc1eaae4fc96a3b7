"""Precision and recall per error on the labelled tickets in tests/data."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from plugin.core.classify import classify
from plugin.core.tickets import ticket_from_mapping

from .conftest import DATA_DIR

PRECISION, RECALL = 0.98, 0.95


def _load() -> list[dict]:
    return [json.loads(line) for line in (DATA_DIR / "labelled_tickets.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def scores(patterns) -> dict[str, tuple[float, float, Counter]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for item in _load():
        got = set(classify(ticket_from_mapping(item), patterns).detection.matched)
        want = set(item["labels"])
        tp.update(got & want)
        fp.update(got - want)
        fn.update(want - got)
    result = {}
    for p in patterns.error_patterns:
        e = p.id
        result[e] = (tp[e] / max(tp[e] + fp[e], 1), tp[e] / max(tp[e] + fn[e], 1), Counter(tp=tp[e], fp=fp[e], fn=fn[e]))
    return result


def test_labelled_set_is_big_and_covers_every_error(patterns) -> None:
    items = _load()
    assert len(items) >= 80
    labels = Counter(label for item in items for label in item["labels"])
    assert all(labels[p.id] >= 6 for p in patterns.error_patterns), labels
    assert sum(1 for item in items if not item["labels"]) >= 25


@pytest.mark.parametrize("error", ["not_professional", "additional_info", "staging_mode", "under_review",
                                   "blocked_or_region", "contact_amazon", "connection_timeout", "generic_error"])
def test_precision_and_recall(scores, error: str) -> None:
    precision, recall, counts = scores[error]
    print(f"{error}: precision {precision:.2f} recall {recall:.2f} {dict(counts)}")
    assert precision >= PRECISION, counts
    assert recall >= RECALL, counts

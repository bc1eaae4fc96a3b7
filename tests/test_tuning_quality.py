"""The tuning sets (the blind rounds once their blind score was recorded) meet issue 8's targets.

Only tickets in languages the loaded patterns have are counted: English always, every other
language once its overlay is in patterns/i18n/. The holdout is never read here (see README).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from plugin.core.classify import classify
from plugin.core.detect import DetectOptions
from plugin.core.fields import extract_escalation
from plugin.core.models import Ticket
from plugin.core.normalize import normalize

from .conftest import DATA_DIR

PRECISION, RECALL, LANG_RECALL, FIELDS = 0.97, 0.90, 0.85, 0.95
ROUNDS = ("round1.jsonl", "round2.jsonl", "round3.jsonl", "round4.jsonl", "round5.jsonl", "round6.jsonl", "round7.jsonl",
          "round8.jsonl", "round9.jsonl", "round10.jsonl", "round11.jsonl", "round12.jsonl",
          "round13.jsonl", "round14.jsonl", "round15.jsonl", "round16.jsonl", "round17.jsonl", "round18.jsonl",
          "round19.jsonl", "paste20.jsonl", "round20.jsonl", "round19b.jsonl", "round21b.jsonl", "round22a.jsonl", "round22b.jsonl",
          "round22d.jsonl", "round22f.jsonl", "round23a.jsonl", "round23b.jsonl", "round23c.jsonl",
          "round24a.jsonl", "round24b.jsonl", "round24c.jsonl", "round25a.jsonl", "round25b.jsonl", "round25c.jsonl",
          "round26c.jsonl", "round27a.jsonl", "round27b.jsonl", "round28b.jsonl", "round29b.jsonl", "round30a.jsonl",
          "round31b.jsonl", "round32a.jsonl", "round32b.jsonl", "round34a.jsonl",
          "round35a.jsonl", "round36a.jsonl", "round37a.jsonl", "round38a.jsonl", "round39a.jsonl", "round40a.jsonl", "round41a.jsonl", "round42a.jsonl")
# A generous per-pattern / per-field time budget: on a loaded machine (8 sessions on 2 cores) the
# service's 0.25 s budget can run out mid-suite and turn a found error into a timeout. Quality is
# measured here, not speed (benchmarks/detect.py measures that); the thresholds above are unchanged.
BUDGET = DetectOptions(timeout=10.0)


def _rows(patterns) -> list[dict]:
    langs = {"en", *(la.lang for la in patterns.languages)}
    rows = []
    for name in ROUNDS:
        for line in (DATA_DIR / "tuning" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["lang"] in langs:
                rows.append(row)
    return rows


def _ticket(row: dict) -> Ticket:
    return Ticket(subject=row["subject"], description=row["description"],
                  created_at=datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")))


@pytest.fixture(scope="module")
def results(patterns) -> dict:
    counts: dict[str, Counter] = defaultdict(Counter)
    fields = Counter()
    failures = []
    for row in _rows(patterns):
        ticket = _ticket(row)
        result = classify(ticket, patterns, options=BUDGET)
        failures.extend(result.failures)
        got, want = set(result.detection.matched), set(row["labels"])
        for key in ("all", row["lang"]):
            counts[key].update(tp=len(got & want), fp=len(got - want), fn=len(want - got))
        if "generic_error" in want and row.get("fields"):
            esc, _ = extract_escalation(normalize(ticket.text), patterns, True, ticket.created_at,
                                        timeout=BUDGET.timeout)
            got_fields = (esc.merchant_id.value if esc.merchant_id else None, esc.timestamp_utc)
            expected = (row["fields"]["merchant_id"], row["fields"]["timestamp_utc"])
            fields.update(total=1, right=got_fields == expected,
                          misread=esc.timestamp_utc is not None and esc.timestamp_utc != expected[1])
    return {"counts": counts, "fields": fields, "failures": failures}


def test_tuning_sets_hold_tickets_in_every_loaded_language(patterns) -> None:
    langs = Counter(row["lang"] for row in _rows(patterns))
    assert langs["en"] >= 30
    for language in patterns.languages:
        assert langs[language.lang] >= 30, language.lang


def test_no_pattern_overruns_even_the_generous_budget(results) -> None:
    """A time-out with ten seconds per pattern is a runaway regex, not machine load."""
    assert results["failures"] == []


def test_precision_and_recall_overall(results) -> None:
    c = results["counts"]["all"]
    precision, recall = c["tp"] / max(c["tp"] + c["fp"], 1), c["tp"] / max(c["tp"] + c["fn"], 1)
    print(f"tuning rounds: precision {precision:.3f} recall {recall:.3f} {dict(c)}")
    assert precision >= PRECISION and recall >= RECALL, dict(c)


def test_recall_per_language(results, patterns) -> None:
    for lang in ["en", *(la.lang for la in patterns.languages)]:
        c = results["counts"][lang]
        assert c["tp"] / max(c["tp"] + c["fn"], 1) >= LANG_RECALL, (lang, dict(c))


def test_escalation_fields_and_no_date_misread(results) -> None:
    f = results["fields"]
    assert f["total"] >= 5
    assert f["right"] / f["total"] >= FIELDS, dict(f)
    assert f["misread"] == 0

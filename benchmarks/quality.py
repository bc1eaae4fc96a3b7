"""Detection quality on labelled JSONL files: precision/recall per error, per language and overall,
and the escalation fields (merchant ID and UTC time) on generic_error tickets.

Run: .venv/bin/python benchmarks/quality.py FILE... [--patterns DIR] [--misses]
Each line: {"id", "lang", "subject", "description", "created_at", "labels", "fields"?}.
Only aggregate figures are printed. --misses lists the tickets got wrong (ids, labels, found) and
refuses any file named like a holdout: a holdout is scored, never read. --by-regex adds counts only
(allowed on holdouts): for each error and regex name, the matches it carried (its hit scored best) that
were right and wrong, and for each missed error why its hits were dropped (negative, stance or context
name; "no hit" when nothing fired): which rules let unseen false positives through or cost recall.
Set TRIAGE_CODE=/path/to/a/checkout to score another version of the code (e.g. main's) with the
same script.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("TRIAGE_CODE") or str(ROOT))

from plugin.core.classify import classify  # noqa: E402
from plugin.core.detect import DetectOptions  # noqa: E402
from plugin.core.fields import extract_escalation  # noqa: E402
from plugin.core.models import Ticket  # noqa: E402
from plugin.core.normalize import normalize  # noqa: E402
from plugin.core.patterns import load_patterns  # noqa: E402

ERRORS = ("not_professional", "additional_info", "staging_mode", "under_review", "blocked_or_region",
          "contact_amazon", "connection_timeout", "generic_error")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, expected: set[str], found: set[str]) -> None:
        self.tp += len(expected & found)
        self.fp += len(found - expected)
        self.fn += len(expected - found)

    def row(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class Scores:
    tickets: int = 0
    overall: Counts = field(default_factory=Counts)
    by_error: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_lang: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    lang_tickets: Counter = field(default_factory=Counter)
    fields_total: int = 0
    fields_right: int = 0
    merchant_right: int = 0
    time_right: int = 0
    date_misreads: int = 0
    misses: list[str] = field(default_factory=list)
    regex_tp: Counter = field(default_factory=Counter)
    regex_fp: Counter = field(default_factory=Counter)
    fn_reasons: Counter = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        def c(x: Counts) -> dict[str, Any]:
            return {"precision": round(x.precision, 3), "recall": round(x.recall, 3), "tp": x.tp, "fp": x.fp, "fn": x.fn}
        return {
            "tickets": self.tickets, "overall": c(self.overall),
            "by_error": {k: c(v) for k, v in sorted(self.by_error.items())},
            "by_lang": {k: c(v) for k, v in sorted(self.by_lang.items())},
            "fields": {"tickets": self.fields_total, "both_right": self.fields_right,
                       "merchant_right": self.merchant_right, "time_right": self.time_right,
                       "date_misreads": self.date_misreads},
        }


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _ticket(row: dict[str, Any]) -> Ticket:
    return Ticket(subject=row.get("subject") or "", description=row.get("description") or "",
                  created_at=_when(row.get("created_at")))


def score(rows: list[dict[str, Any]], patterns: Any, options: DetectOptions = DetectOptions()) -> Scores:
    s = Scores()
    for row in rows:
        ticket = _ticket(row)
        result = classify(ticket, patterns, options=options)
        found = set(getattr(result.detection, "matched", None) or getattr(result.detection, "errors", ()))
        expected = set(row.get("labels") or [])
        lang = row.get("lang") or "?"
        s.tickets += 1
        s.lang_tickets[lang] += 1
        s.overall.add(expected, found)
        s.by_lang[lang].add(expected, found)
        for err in expected | found:
            s.by_error[err].add(expected & {err}, found & {err})
        _count_rules(s, result.detection, expected, found)
        if expected != found:
            s.misses.append(f"{row.get('id')} [{lang}] expected {sorted(expected)} found {sorted(found)}")
        if "generic_error" in expected and isinstance(row.get("fields"), dict):
            want = row["fields"]
            text = normalize(ticket.text)
            esc, _ = extract_escalation(text, patterns, True, ticket.created_at, timeout=options.timeout)
            got_mid = esc.merchant_id.value if esc.merchant_id else None
            got_utc = esc.timestamp_utc
            mid_ok = got_mid == want.get("merchant_id")
            utc_ok = got_utc == want.get("timestamp_utc")
            s.fields_total += 1
            s.merchant_right += mid_ok
            s.time_right += utc_ok
            s.fields_right += mid_ok and utc_ok
            if got_utc is not None and got_utc != want.get("timestamp_utc"):
                s.date_misreads += 1
            if not (mid_ok and utc_ok):
                s.misses.append(f"{row.get('id')} [{lang}] fields expected {want} got "
                                f"{{'merchant_id': {got_mid!r}, 'timestamp_utc': {got_utc!r}}}")
    return s


def _reason(reason: str) -> str:
    """The rule's kind and name from a drop reason, never the ticket's words."""
    for kind in ("negative", "required context"):
        if reason.startswith(kind + " '"):
            return f"{kind} {reason.split(chr(39))[1]}"
    if reason.startswith("stance '"):
        stance = reason.split("'")[1]
        name = reason.split("(", 1)[1].split(",")[0].replace("'", "")
        return f"stance {stance} ({name})"
    if reason.startswith("only in a quoted"):
        return "quoted only"
    return reason.split(" ", 1)[0]


def _count_rules(s: Scores, detection: Any, expected: set[str], found: set[str]) -> None:
    for m in getattr(detection, "matches", ()):
        key = (m.error, m.evidence[0].regex if m.evidence else "?")
        (s.regex_tp if m.error in expected else s.regex_fp)[key] += 1
    for err in expected - found:
        reasons = {_reason(x.reason) for x in getattr(detection, "suppressed", ()) if x.error == err}
        for r in reasons or {"no hit"}:
            s.fn_reasons[(err, r)] += 1


def rules_report(s: Scores) -> str:
    """Per error and regex name: matches right / wrong; per missed error: the rules that dropped its hits."""
    lines = ["false positives by regex (the best-scoring hit of each wrong match; right matches beside)"]
    for err, name in sorted(s.regex_fp, key=lambda k: (-s.regex_fp[k], k)):
        lines.append(f"  fp {s.regex_fp[(err, name)]:>3}  tp {s.regex_tp[(err, name)]:>4}  {err} / {name}")
    lines.append("missed errors by what dropped their hits (a miss may count under several)")
    for (err, reason), n in sorted(s.fn_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  fn {n:>3}  {err} / {reason}")
    return "\n".join(lines)


def report(name: str, s: Scores) -> str:
    lines = [f"== {name}: {s.tickets} tickets", f"overall            {s.overall.row()}"]
    for err in sorted(s.by_error, key=lambda e: (ERRORS.index(e) if e in ERRORS else 99, e)):
        lines.append(f"  {err:<18} {s.by_error[err].row()}")
    for lang in sorted(s.by_lang):
        lines.append(f"  lang {lang:<13} {s.by_lang[lang].row()}  [{s.lang_tickets[lang]} tickets]")
    if s.fields_total:
        lines.append(f"escalation fields  both right {s.fields_right}/{s.fields_total} = {s.fields_right / s.fields_total:.3f}"
                     f"  (merchant ID {s.merchant_right}, UTC time {s.time_right}); date misreads {s.date_misreads}")
    return "\n".join(lines)


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--patterns", type=Path, default=None)
    parser.add_argument("--misses", action="store_true", help="list wrong tickets (refused for holdout files)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=float, default=DetectOptions().timeout,
                        help="seconds per pattern and ticket (the service's 0.25 by default; a loaded machine "
                             "turns found errors into time-outs: give more to measure quality alone)")
    parser.add_argument("--by-regex", action="store_true", help="counts of wrong matches per regex, drops per rule")
    args = parser.parse_args(argv)
    patterns_dir = args.patterns or Path(os.environ.get("TRIAGE_CODE") or ROOT) / "patterns"
    patterns = load_patterns(patterns_dir)
    langs = ", ".join(["en", *(la.lang for la in getattr(patterns, "languages", ()))])
    print(f"patterns {patterns_dir} (fingerprint {patterns.fingerprint}; languages {langs})")
    options = DetectOptions(timeout=args.timeout)
    total_rows: list[dict[str, Any]] = []
    for path in args.files:
        rows = read_rows(path)
        total_rows += rows
        s = score(rows, patterns, options)
        print(json.dumps({"file": str(path), **s.to_json()}) if args.json else report(str(path), s))
        if args.misses:
            if "holdout" in path.name:
                print("  (misses not listed: this is a holdout file)")
            else:
                print("\n".join("  miss: " + m for m in s.misses))
    if len(args.files) > 1:
        total = score(total_rows, patterns, options)
        print(report("all files", total))
        if args.by_regex:
            print(rules_report(total))
    elif args.by_regex and args.files:
        print(rules_report(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Detection output, recorded whole, to prove an engine change (a speed-up) changes nothing.

Run: .venv/bin/python benchmarks/equivalence.py save FILE     (before the change)
     .venv/bin/python benchmarks/equivalence.py compare FILE  (after it: lists every ticket that differs)

Recorded per text, for the shipped patterns and for the English-only set: the classification
(errors, evidence spans and scores, escalation fields, tags, comment, language, reply language),
the suppressed hits with their reasons, and each field's values. Texts: the labelled set, the
tuning rounds, every pattern file's examples, the speed benchmark's generated tickets and a few
hostile ones. Blind holdouts are never read here.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from detect import tickets as bench_tickets  # noqa: E402

from plugin.core.checks import EXAMPLE_REFERENCE  # noqa: E402
from plugin.core.classify import classify  # noqa: E402
from plugin.core.fields import find_values  # noqa: E402
from plugin.core.models import Ticket  # noqa: E402
from plugin.core.normalize import normalize  # noqa: E402
from plugin.core.patterns import PatternSet, load_patterns  # noqa: E402

DATA = [ROOT / "tests/data/labelled_tickets.jsonl", *sorted((ROOT / "tests/data/tuning").glob("*.jsonl"))]
HOSTILE = [
    "Amazon \u202eerror has occurred\u202c \u200bseller\u200d account \U0001f600 not a professional",
    "أمازون خطأ Amazon: An error has occurred. 出品者アカウント 大口出品 ではありません",
    "> > An error has occurred\n> wrote:\nstill the same on amazon",
    "<p>Amazon</p><blockquote>Seller account might still be in stagging mode</blockquote>&amp; &#x41;",
]


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def texts() -> list[tuple[str, Ticket]]:
    out: list[tuple[str, Ticket]] = []
    for path in DATA:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                row = json.loads(line)
                out.append((f"{path.name}:{n}", Ticket(subject=row.get("subject") or "", description=row.get("description") or "",
                                                       created_at=_when(row.get("created_at")), locale=row.get("locale"))))
    examples = sorted({*(p.relative_to(ROOT / "patterns").as_posix() for p in (ROOT / "patterns").rglob("*.toml"))})
    import tomllib

    for rel in examples:
        data = tomllib.loads((ROOT / "patterns" / rel).read_text(encoding="utf-8"))
        ex = data.get("examples") or {}
        for kind in ("match", "no_match"):
            for i, item in enumerate(ex.get(kind) or []):
                text = item["text"] if isinstance(item, dict) else item
                out.append((f"{rel}:{kind}[{i}]", Ticket(description=text)))
    rng = random.Random(7)
    for size in (500, 10_000, 50_000):
        for i, text in enumerate(bench_tickets(rng, size)):
            out.append((f"bench{size}:{i}", Ticket(description=text)))
    for i, text in enumerate(HOSTILE):
        out.append((f"hostile:{i}", Ticket(description=text)))
    return out


def record(ticket: Ticket, patterns: PatternSet) -> dict[str, Any]:
    result = classify(ticket, patterns)
    data = result.to_json()
    data.pop("timed_out")
    data["suppressed"] = [[s.error, s.regex, s.text, s.reason] for s in result.detection.suppressed]
    data["source"] = result.source
    text = normalize(ticket.text)
    data["fields"] = {
        f.id: [[v.value, v.text, v.start, v.end, str(moment)] for v, moment in find_values(f, text, 30.0, reference=EXAMPLE_REFERENCE)]
        for f in patterns.fields
    }
    return json.loads(json.dumps(data, default=str))


def snapshot() -> dict[str, Any]:
    shipped = load_patterns(ROOT / "patterns")
    with tempfile.TemporaryDirectory() as tmp:
        english_dir = Path(tmp) / "english"
        shutil.copytree(ROOT / "patterns", english_dir, ignore=shutil.ignore_patterns("i18n"))
        english = load_patterns(english_dir)
    out: dict[str, Any] = {}
    for name, ticket in texts():
        out[f"all|{name}"] = record(ticket, shipped)
        if not name.startswith("bench"):
            out[f"en|{name}"] = record(ticket, english)
    return out


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "compare"):
        print(__doc__)
        return 2
    path = Path(sys.argv[2])
    now = snapshot()
    if sys.argv[1] == "save":
        path.write_text(json.dumps(now, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
        print(f"saved {len(now)} outputs to {path}")
        return 0
    before = json.loads(path.read_text(encoding="utf-8"))
    differ = [k for k in sorted(before.keys() | now.keys()) if before.get(k) != now.get(k)]
    for k in differ[:20]:
        print(f"DIFFERS {k}\n  before {json.dumps(before.get(k), ensure_ascii=False)[:600]}\n  now    {json.dumps(now.get(k), ensure_ascii=False)[:600]}")
    print(f"{len(now)} outputs compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())

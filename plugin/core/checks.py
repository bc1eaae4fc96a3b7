"""What ``amazon-triage check`` verifies: files load, examples behave, patterns stay fast."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import regex

from .detect import CHROME_REASON, LISTED_REASON, PASTED_REASON, DetectOptions, detect_text, match_pattern
from .fields import find_values, pick
from .normalize import normalize
from .patterns import REPLY_PARTS_FILE, ErrorPattern, FieldPattern, PatternSet, PatternSetError, load_patterns
from .schema import FieldExample, ReplyParts
from .tomlpos import key_lines, line_of

SLOW_MS = 50.0
EXAMPLE_REFERENCE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
"""The "now" of field examples: relative days ("yesterday", "gestern") resolve against it."""
ADVERSARIAL_CHARS = 50_000

# The examples say what the data must find and drop, not how fast (time_patterns measures that): a roomy time
# budget, so a loaded machine (or a regex compiled on first use) never turns a found error into a time-out and a
# failed example (seen in CI: a stance example with no hit to drop).
EXAMPLES = DetectOptions(timeout=10.0)


@dataclass(frozen=True)
class CheckMessage:
    level: Literal["error", "warning"]
    path: Path
    key: str
    line: int
    message: str

    def __str__(self) -> str:
        key = f" {self.key}:" if self.key else ""
        return f"{self.level}: {self.path}:{self.line}:{key} {self.message}"


@dataclass
class CheckReport:
    messages: list[CheckMessage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    patterns: PatternSet | None = None


@functools.lru_cache(maxsize=256)
def _file_index(path: Path, mtime_ns: int) -> tuple[str, dict[tuple[str | int, ...], int]]:
    text = path.read_text(encoding="utf-8")
    return text, key_lines(text)


def _example_line(path: Path, key: tuple[str | int, ...], example: str) -> int:
    """The line an example is written on (found by its opening words), else its key's line."""
    text, index = _file_index(path, path.stat().st_mtime_ns)
    base = line_of(index, key)
    snippet = example[:30]
    pos = text.find(snippet) if snippet else -1
    return text.count("\n", 0, pos) + 1 if pos >= 0 else base


def _error_examples(patterns: PatternSet, p: ErrorPattern, path: Path, kind: str,
                    examples: tuple[str, ...] | list[str]) -> list[CheckMessage]:
    out: list[CheckMessage] = []
    for i, example in enumerate(examples):
        detection = detect_text(example, patterns, EXAMPLES)[1]
        hit = p.id in detection.matched
        where = (path, f"examples.{kind}[{i}]", _example_line(path, ("examples", kind), example))
        for failure in detection.failures:
            out.append(CheckMessage("error", *where, f"pattern {failure.pattern!r} failed: {failure.message}"))
        if kind == "match" and not hit:
            reasons = "; ".join(s.reason for s in detection.suppressed if s.error == p.id) or "no regex matched"
            out.append(CheckMessage("error", *where, f"should match but does not ({reasons}): {example!r}"))
        elif kind == "no_match" and hit:
            ev = next(m for m in detection.matches if m.error == p.id).evidence[0]
            out.append(CheckMessage("error", *where, f"should not match but regex {ev.regex!r} matched {ev.text!r}"))
        if kind == "match":
            for other in detection.matched:
                if other != p.id:
                    out.append(CheckMessage("warning", *where, f"this example also matches {other!r}"))
    return out


def _field_examples(f: FieldPattern, path: Path, match: tuple[FieldExample, ...] | list[FieldExample],
                    no_match: tuple[str, ...] | list[str], turn: regex.Pattern[str]) -> list[CheckMessage]:
    """A field's examples read as the service reads tickets: with every loaded language's turn to "now" (cues.py)."""
    out: list[CheckMessage] = []
    for i, ex in enumerate(match):
        picked = pick(f, find_values(f, normalize(ex.text), reference=EXAMPLE_REFERENCE, turn=turn))
        got = picked[0].value if picked else None
        if got != ex.expect:
            line = _example_line(path, ("examples", "match"), ex.text)
            out.append(CheckMessage("error", path, f"examples.match[{i}]", line,
                                    f"expected {ex.expect!r} from {ex.text!r}, got {got!r}"))
    for i, text in enumerate(no_match):
        values = find_values(f, normalize(text), reference=EXAMPLE_REFERENCE, turn=turn)
        if values:
            line = _example_line(path, ("examples", "no_match"), text)
            out.append(CheckMessage("error", path, f"examples.no_match[{i}]", line,
                                    f"should find nothing in {text!r}, found {values[0][0].value!r}"))
    return out


def missing_translations(patterns: PatternSet) -> list[CheckMessage]:
    """A language without a reply for some error falls back to English: say so, as a warning."""
    out: list[CheckMessage] = []
    for language in patterns.languages:
        for p in patterns.error_patterns:
            if language.lang not in p.replies:
                out.append(CheckMessage("warning", language.path.parent / f"{p.id}.toml", "reply.body", 1,
                                        f"no {language.spec.name} ({language.lang}) reply for {p.id!r}: English is sent instead"))
        missing = sorted(reply_phrases_needed(patterns) - language.spec.reply_parts.given())
        if "list_and" in missing and "missing_and" in language.spec.reply_parts.model_fields_set:
            missing.remove("list_and")
        if missing:
            out.append(CheckMessage("warning", language.path, "reply_parts", _line(language.path, ("reply_parts",)),
                                    f"no {language.spec.name} ({language.lang}) phrase for {', '.join(missing)}: "
                                    f"English is sent instead (see patterns/README.md, Reply parts)"))
    return out


def reply_phrases_needed(patterns: PatternSet) -> frozenset[str]:
    """Every phrase the composer may use for this pattern set: the keys and one entry per error and flag."""
    keys = {k for k, info in ReplyParts.model_fields.items() if info.annotation is str and k != "missing_and"}
    keys |= {f"problems.{p.id}" for p in patterns.error_patterns}
    flags = [f.id for f in patterns.fields if f.spec.kind == "flag"]
    keys |= {f"{table}.{flag}" for table in ("steps", "done") for flag in flags}
    return frozenset(keys)


def stance_examples(patterns: PatternSet) -> list[CheckMessage]:
    """Each stance's ``vetoed`` examples must find no error and drop a hit for that stance; its ``kept``
    examples (the stance's words beside an error still current) must find one."""
    out: list[CheckMessage] = []
    for ex in patterns.stances.examples if patterns.stances is not None else ():
        for kind, examples in (("vetoed", ex.examples.vetoed), ("kept", ex.examples.kept)):
            for i, example in enumerate(examples):
                detection = detect_text(example, patterns, EXAMPLES)[1]
                where = (ex.path, f"stance_examples.{ex.stance}.{kind}[{i}]",
                         _example_line(ex.path, ("stance_examples", ex.stance, kind), example))
                dropped = [s for s in detection.suppressed if s.reason.startswith(f"stance {ex.stance!r}")]
                if kind == "vetoed" and detection.matches:
                    m = detection.matches[0]
                    out.append(CheckMessage("error", *where, f"should find no error but {m.error!r} matched "
                                                             f"{m.evidence[0].text!r}: {example!r}"))
                elif kind == "vetoed" and not dropped:
                    out.append(CheckMessage("error", *where, f"no hit was dropped for stance {ex.stance!r} "
                                                             f"(an example needs an error's words): {example!r}"))
                elif kind == "kept" and not detection.matches:
                    reasons = "; ".join(s.reason for s in detection.suppressed) or "no regex matched"
                    out.append(CheckMessage("error", *where, f"should still find an error ({reasons}): {example!r}"))
    return out


def chrome_examples(patterns: PatternSet) -> list[CheckMessage]:
    """Each chrome file's ``vetoed`` pages must find no error and drop a hit as chrome; its ``kept``
    pages (chrome around a genuine banner) must still find one (English's, and those of loaded languages)."""
    out: list[CheckMessage] = []
    for path, examples in patterns.chrome.examples if patterns.chrome is not None else ():
        if path.stem != "en" and patterns.language(path.stem) is None:
            continue  # its pages name errors in a language whose patterns are not loaded
        out += _guard_examples(patterns, path, examples.vetoed, examples.kept, CHROME_REASON,
                               "no hit was dropped as page chrome (an example needs an error's words in its chrome)")
    return out


def listing_examples(patterns: PatternSet) -> list[CheckMessage]:
    """listing.toml's ``vetoed`` tickets must find no error and drop a hit as listed; its ``kept`` ones
    (a list around a genuine banner, the merchant's own list of what they saw) must still find one."""
    examples = patterns.listing.examples if patterns.listing is not None else None
    if examples is None:
        return []
    path, spec = examples
    return _guard_examples(patterns, path, spec.examples.vetoed, spec.examples.kept, LISTED_REASON,
                           "no hit was dropped as listed (an example needs a list naming several errors)")


def pasted_examples(patterns: PatternSet) -> list[CheckMessage]:
    """pasted.toml's ``vetoed`` tickets must find no error and drop a hit as pasted; its ``kept`` ones (the
    merchant points at the paste's error, or copied a banner with its icon) must still find one."""
    examples = patterns.pasted.examples if patterns.pasted is not None else None
    if examples is None:
        return []
    path, spec = examples
    out: list[CheckMessage] = []
    for lang, ex in spec.examples.items():
        if lang != "en" and patterns.language(lang) is None:
            continue  # its tickets name errors in a language whose patterns are not loaded
        out += _guard_examples(patterns, path, ex.vetoed, ex.kept, PASTED_REASON,
                               "no hit was dropped as pasted (an example needs an error's words in a pasted block)")
    return out


def _guard_examples(patterns: PatternSet, path: Path, vetoed: Sequence[str], kept: Sequence[str],
                    reason: str, not_dropped: str) -> list[CheckMessage]:
    """A guard's examples (chrome, listing, pasted): ``vetoed`` find no error and drop a hit for ``reason``;
    ``kept`` still find one."""
    out: list[CheckMessage] = []
    for kind, texts in (("vetoed", vetoed), ("kept", kept)):
        for i, example in enumerate(texts):
            detection = detect_text(example, patterns, EXAMPLES)[1]
            where = (path, f"examples.{kind}[{i}]", _example_line(path, ("examples", kind), example))
            if kind == "vetoed" and detection.matches:
                m = detection.matches[0]
                out.append(CheckMessage("error", *where, f"should find no error but {m.error!r} matched "
                                                         f"{m.evidence[0].text!r}: {example!r}"))
            elif kind == "vetoed" and not any(s.reason == reason for s in detection.suppressed):
                out.append(CheckMessage("error", *where, f"{not_dropped}: {example!r}"))
            elif kind == "kept" and not detection.matches:
                reasons = "; ".join(s.reason for s in detection.suppressed) or "no regex matched"
                out.append(CheckMessage("error", *where, f"should still find an error ({reasons}): {example!r}"))
    return out


def run_examples(patterns: PatternSet) -> list[CheckMessage]:
    """Each pattern's examples (every language's) must behave; an example that also fires another pattern is a warning."""
    out: list[CheckMessage] = []
    for p in patterns.error_patterns:
        out += _error_examples(patterns, p, p.path, "match", p.spec.examples.match)
        out += _error_examples(patterns, p, p.path, "no_match", p.spec.examples.no_match)
        for overlay in p.overlays:
            out += _error_examples(patterns, p, overlay.path, "match", overlay.match)
            out += _error_examples(patterns, p, overlay.path, "no_match", overlay.no_match)
    for f in patterns.fields:
        out += _field_examples(f, f.path, f.spec.examples.match, f.spec.examples.no_match, patterns.cues.turn)
        for overlay in f.overlays:
            out += _field_examples(f, overlay.path, overlay.field_match, overlay.no_match, patterns.cues.turn)
    return out


def adversarial_text(patterns: PatternSet, size: int = ADVERSARIAL_CHARS) -> str:
    """A long text full of every anchor and near misses: the worst ticket a pattern can meet."""
    anchors = sorted({a for p in patterns.error_patterns for r in p.regexes for a in r.spec.anchors})
    pieces = [
        " ".join(anchors),
        "a" * 300,
        "error " * 40,
        "amazon connect " * 20,
        "An eror has ocured with the acount you are conecting. ",
        "> " * 50,
        "x" * 200 + "!",
    ]
    chunk = " ".join(pieces) + "\n"
    return (chunk * (size // len(chunk) + 1))[:size]


def time_patterns(patterns: PatternSet, text: str | None = None, timeout: float = 2.0) -> tuple[dict[str, float], list[CheckMessage]]:
    """CPU milliseconds each pattern takes on the adversarial text; slow or timed-out patterns are reported.

    CPU time of this thread, not wall time: a busy machine must not make a pattern look slow. Each
    pattern runs once untimed first, as in a running service, which has compiled what it uses (some
    branches compile the first time a ticket needs them).
    """
    normalized = normalize(text if text is not None else adversarial_text(patterns))
    timings: dict[str, float] = {}
    messages: list[CheckMessage] = []
    for p in patterns.error_patterns:
        try:
            match_pattern(p, normalized, timeout)
            start = time.thread_time()
            match_pattern(p, normalized, timeout)
        except TimeoutError:
            messages.append(CheckMessage("error", p.path, "regex", 1,
                                         f"timed out after {timeout * 1000:.0f} ms on a {len(normalized.text)}-character adversarial text"))
            timings[p.id] = timeout * 1000
            continue
        ms = (time.thread_time() - start) * 1000
        timings[p.id] = ms
        if ms > SLOW_MS:
            messages.append(CheckMessage("warning", p.path, "regex", 1,
                                         f"slow: {ms:.0f} ms of CPU on a {len(normalized.text)}-character adversarial text (aim for under {SLOW_MS:.0f} ms)"))
    return timings, messages


def _line(path: Path, key: tuple[str | int, ...]) -> int:
    try:
        return line_of(_file_index(path, path.stat().st_mtime_ns)[1], key)
    except OSError:
        return 1


def missing_phrases(patterns: PatternSet) -> list[CheckMessage]:
    """Errors and checklist flags the reply composer has no words for (it falls back to the title, or leaves the step out)."""
    out: list[CheckMessage] = []
    parts = patterns.reply_parts
    path = (patterns.directory or Path(".")) / REPLY_PARTS_FILE
    for p in patterns.error_patterns:
        if not parts.problems.get(p.id):
            out.append(CheckMessage("warning", path, f"reply_parts.problems.{p.id}", _line(path, ("reply_parts", "problems")),
                                    f"no short name for {p.id!r}: a reply answering several errors calls it by its title"))
    for f in patterns.fields:
        if f.spec.kind != "flag":
            continue
        for table, effect in (("steps", "never asks the merchant to do it"), ("done", "never thanks the merchant for it")):
            if not getattr(parts, table).get(f.id):
                out.append(CheckMessage("warning", path, f"reply_parts.{table}.{f.id}", _line(path, ("reply_parts", table)),
                                        f"no phrase for the checklist flag {f.id!r}: the reply {effect}"))
    return out


def check_directory(directory: str | Path, timing: bool = True) -> CheckReport:
    report = CheckReport()
    try:
        patterns = load_patterns(directory)
    except PatternSetError as exc:
        report.messages = [CheckMessage("error", e.path, e.key, e.line, e.message) for e in exc.problems]
        return report
    report.patterns = patterns
    report.messages.extend(run_examples(patterns))
    report.messages.extend(stance_examples(patterns))
    report.messages.extend(chrome_examples(patterns))
    report.messages.extend(listing_examples(patterns))
    report.messages.extend(pasted_examples(patterns))
    report.messages.extend(missing_translations(patterns))
    report.messages.extend(missing_phrases(patterns))
    if timing:
        report.timings_ms, slow = time_patterns(patterns)
        report.messages.extend(slow)
    return report

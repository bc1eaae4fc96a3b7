"""Find which of the known errors a ticket shows, with the evidence for each."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .models import Detection, Evidence, Match, PatternFailure, Suppressed
from .normalize import NormalizedText, normalize
from .patterns import CompiledContext, ErrorPattern, PatternSet
from .search import Deadline, Found, first_veto, scan, search_near


@dataclass(frozen=True)
class DetectOptions:
    timeout: float = 0.25
    """Seconds one pattern may spend on one ticket before it is reported as failed."""
    max_chars: int = 200_000
    """Longer texts are cut: a reply thread that long holds nothing new at its end."""


def _hit_score(found: Found, weight: float) -> float:
    length = max(found.end - found.start, 1)
    return weight * max(0.0, 1.0 - 2.0 * found.typos / length)


class _WholeTextContexts:
    """Contexts allowed anywhere in the ticket: searched at most once, and only after a hit."""

    def __init__(self, text: NormalizedText, deadline: Deadline) -> None:
        self.text, self.deadline = text, deadline
        self.found: dict[str, bool] = {}

    def __call__(self, ctx: CompiledContext) -> bool:
        if ctx.spec.name not in self.found:
            hit = ctx.regex.search(self.text.text, timeout=self.deadline.remaining())
            self.found[ctx.spec.name] = hit is not None
        return self.found[ctx.spec.name]


def _judge(pattern: ErrorPattern, found: Found, regex_name: str, weight: float, text: NormalizedText,
           deadline: Deadline, whole: _WholeTextContexts) -> tuple[float | None, str]:
    """Score one hit, or say why it does not count."""
    veto = first_veto(pattern.negatives, found, text, deadline, regex_name)
    if veto is not None:
        neg, m = veto
        return None, f"negative {neg.spec.name!r} matched {text.evidence(m.start(), m.end())!r}"
    score = _hit_score(found, weight)
    for ctx in pattern.contexts:
        if ctx.spec.window == 0:
            m = whole(ctx) or None
        else:
            m = search_near(ctx.regex, text.text, found.start, found.end, ctx.spec.window, deadline)
        if m is None and ctx.spec.required:
            where = "in the ticket" if ctx.spec.window == 0 else f"within {ctx.spec.window} characters"
            return None, f"required context {ctx.spec.name!r} not found {where}"
        if m is not None:
            score += ctx.spec.boost
    score = round(min(score, 1.0), 3)
    if score < pattern.spec.min_score:
        return None, f"score {score} below min_score {pattern.spec.min_score}"
    return score, ""


def match_pattern(pattern: ErrorPattern, text: NormalizedText, timeout: float) -> tuple[Match | None, list[Suppressed]]:
    """Run one pattern; raises TimeoutError when it overruns its budget."""
    deadline = Deadline(timeout)
    best: dict[tuple[int, int], Evidence] = {}
    suppressed: list[Suppressed] = []
    whole = _WholeTextContexts(text, deadline)
    for rx in pattern.regexes:
        for found in scan(rx, text, deadline):
            score, reason = _judge(pattern, found, rx.name, rx.spec.weight, text, deadline, whole)
            s, e = text.source_span(found.start, found.end)
            quoted = text.source[s:e]
            if score is None:
                suppressed.append(Suppressed(pattern.id, rx.name, quoted, reason))
                continue
            ev = Evidence(rx.name, s, e, quoted, score, found.typos)
            if (s, e) not in best or best[(s, e)].score < score:
                best[(s, e)] = ev
    if not best:
        return None, suppressed
    evidence = tuple(sorted(best.values(), key=lambda ev: (-ev.score, ev.start)))
    return Match(pattern.id, pattern.spec.title, pattern.tags, pattern.priority, evidence[0].score, evidence), suppressed


def detect_normalized(text: NormalizedText, patterns: PatternSet, options: DetectOptions = DetectOptions()) -> Detection:
    matches: list[Match] = []
    suppressed: list[Suppressed] = []
    failures: list[PatternFailure] = []
    timed_out: list[str] = []
    text.preload(patterns.anchors)
    for pattern in patterns.error_patterns:
        try:
            match, dropped = match_pattern(pattern, text, options.timeout)
        except TimeoutError as exc:
            failures.append(PatternFailure(pattern.id, str(exc)))
            timed_out.append(pattern.id)
            continue
        suppressed.extend(dropped)
        if match is not None:
            matches.append(match)
    matches.sort(key=lambda m: (m.priority, -m.score, m.error))
    return Detection(tuple(matches), tuple(suppressed), tuple(failures), timed_out=tuple(timed_out))


def detect_text(raw: str, patterns: PatternSet,
                options: DetectOptions = DetectOptions()) -> tuple[NormalizedText, Detection]:
    """Normalise raw ticket text (plain or HTML), cut to ``max_chars``, and detect; never raises on any str."""
    text = normalize(raw[: options.max_chars])
    result = detect_normalized(text, patterns, options)
    if len(raw) > options.max_chars:
        result = replace(result, truncated=True)
    return text, result


def detect(raw: str, patterns: PatternSet, options: DetectOptions = DetectOptions()) -> Detection:
    """Detect errors in raw ticket text (plain or HTML); never raises on any str."""
    return detect_text(raw, patterns, options)[1]

"""Find which of the known errors a ticket shows, with the evidence for each."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .chrome import PageChrome
from .cues import ENGLISH_CUES
from .fields import gives_merchant_id
from .language import ticket_language
from .listing import Listed, find_listed
from .models import Detection, Evidence, Match, PatternFailure, Suppressed
from .normalize import NormalizedText, has_ocr_noise, has_wrapped_words, normalize
from .pasted import Pasted, find_pasted
from .patterns import CompiledContext, CompiledRegex, ErrorPattern, PatternSet
from .search import Deadline, Found, first_veto, scan
from .stances import stance_veto
from .thread import _QUOTE_LINE, HYPOTHETICAL, HYPOTHETICAL_AFTER, REPLY_SUBJECT, Layout, layout_of, says_still

NEAR_FIRST = 500
"""Characters either side of a hit searched for a whole-ticket context before the whole ticket is."""
MAX_EVIDENCE = 3
"""Evidence enough for a match and its explanation: later hits of the pattern are not judged."""
CHROME_REASON = "only in a pasted page's chrome (a menu, help link, FAQ or article title)"
LISTED_REASON = "only in a list naming several errors (a page's documentation, see listing.py)"
PASTED_REASON = "only in a pasted document the merchant does not point at (see pasted.py)"
SUBJECT_REASON = "only in the subject, and the ticket's text says the same words are about something else"
AMAZON_CONTEXT = "amazon"
"""Contexts whose name starts with this say "this is about an Amazon seller account"."""


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
    """Contexts allowed anywhere in the ticket: each distinct one searched at most once per
    ticket (patterns share their "amazon" context), and only after a hit."""

    def __init__(self, text: NormalizedText, deadline: Deadline, found: dict[str, bool] | None = None) -> None:
        self.text, self.deadline = text, deadline
        self.found: dict[str, bool] = {} if found is None else found

    def __call__(self, ctx: CompiledContext, near: tuple[int, int] | None = None) -> bool:
        key = ctx.regex.pattern
        if key in self.found:
            return self.found[key]
        target = self.text.lowered if ctx.on_lowered else self.text.text
        if near is not None and len(target) > 2 * NEAR_FIRST:
            # The word "Amazon" is usually beside the error: look there before reading the whole ticket.
            s, e = max(0, near[0] - NEAR_FIRST), min(len(target), near[1] + NEAR_FIRST)
            if ctx.occurs(self.text, s, e, self.deadline.remaining):
                self.found[key] = True
                return True
        self.found[key] = ctx.occurs(self.text, 0, len(target), self.deadline.remaining)
        return self.found[key]


class TicketView:
    """What every pattern may ask of one ticket: its layout (built once, on the first hit) and
    whether something other than its words already says it is about Amazon."""

    def __init__(self, text: NormalizedText, patterns: PatternSet | None = None, amazon: bool = False,
                 subject_end: int = 0) -> None:
        self.text = text
        self.subject_end = subject_end
        """Where the subject ends in the text (0: no subject)."""
        self.reply_subject_end = subject_end if subject_end and REPLY_SUBJECT.match(text.source) else 0
        """Where a reply's subject ("Re: Tiempo agotado al conectar") ends: it repeats the thread's old problem, so
        it never says a failure is still current (0: no subject, or not a reply's)."""
        self.quote_headers = patterns.quote_headers if patterns is not None else None
        self.amazon = amazon
        self.follow_up = patterns.follow_up if patterns is not None else None
        self.cues = patterns.cues if patterns is not None else ENGLISH_CUES
        self.patterns = patterns
        self._layout: Layout | None = None
        self._chrome: PageChrome | None = None
        self._pasted: Pasted | None = None
        self.named: dict[str, list[tuple[int, int]]] = {}
        """Where each error's regexes hit in the source (before any judgement): the first pass notes them."""
        self.listed: Listed | None = None
        """The lists of errors (see listing.py), once the first pass has found where every error is named."""
        self.own_first: dict[str, int] = {}
        """Where each error's first hit in the merchant's own words starts, in the text."""
        self.own_body: dict[str, list[int]] = {}
        """Per error, where its hits in the merchant's own words below the subject start."""
        self.taken_up: set[str] = set()
        """Errors found only in a quoted support message the merchant's "same error" took up."""
        self.own_quoted: dict[str, list[int]] = {}
        """Per error found only in quotes, where its hits in the merchant's own quoted mails start: theirs, but older."""
        self.contexts: dict[str, bool] = {}
        """Whole-text contexts already searched in this ticket, by regex."""
        self.seen: set[str] | None = text.seen_of(patterns.anchors) if patterns is not None else None
        """The anchors (spelt right or not) found in the ticket, when all of the patterns' were looked
        for: a regex none of whose anchors is among them cannot match, and is not even started."""

    def takes_up(self, pattern: ErrorPattern, deadline: Deadline) -> bool:
        """Whether the merchant's own words take up an error the support side named in its quoted mail."""
        if self.layout().takes_up(self.cues.takes_up):
            return True
        return (pattern.spec.escalation_fields and self.patterns is not None
                and gives_merchant_id(self.text, self.patterns, self.layout().is_quoted, deadline))

    def in_chrome(self, start: int, end: int) -> bool:
        """Whether a span of the source lies in a pasted page's chrome (see chrome.py), found on the first ask."""
        if self._chrome is None:
            rules = self.patterns.chrome if self.patterns is not None else None
            self._chrome = PageChrome(self.text.source, rules, 1 if self.subject_end else 0)
        return self._chrome.covers(start, end)

    def in_pasted(self, start: int, end: int) -> bool:
        """Whether a span of the source lies in a pasted document the merchant does not point at (pasted.py)."""
        if self._pasted is None:
            rules = self.patterns.pasted if self.patterns is not None else None
            self._pasted = find_pasted(self.text.source, rules, 1 if self.subject_end else 0)
        return self._pasted.covers(start, end)

    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = layout_of(self.text.source, self.text.text, self.quote_headers, self.subject_end)
        return self._layout


def _judge(pattern: ErrorPattern, found: Found, regex_name: str, weight: float, text: NormalizedText,
           deadline: Deadline, whole: _WholeTextContexts, view: TicketView) -> tuple[float | None, str, bool]:
    """Score one hit, or say why it does not count (contexts first: they are cheaper than vetoes), and whether
    that is because its words are about something else (a negative marked ``elsewhere``, a stance of that kind)."""
    score = _hit_score(found, weight)
    for ctx in pattern.contexts:
        if view.amazon and ctx.spec.name.startswith(AMAZON_CONTEXT):
            score += ctx.spec.boost
            continue
        if ctx.spec.window == 0:
            present = whole(ctx, (found.start, found.end))
        else:
            target = text.lowered if ctx.on_lowered else text.text
            w = ctx.spec.window
            present = ctx.occurs(text, max(0, found.start - w), min(len(target), found.end + w), deadline.remaining)
            if not present and view.subject_end and ctx.spec.name.startswith(AMAZON_CONTEXT):
                # The ticket's subject ("Amazon connection") says what the whole ticket is about.
                present = ctx.occurs(text, 0, min(view.subject_end, found.start), deadline.remaining)
        if not present and ctx.spec.required and len(text.text) >= ctx.spec.required_from:
            where = "in the ticket" if ctx.spec.window == 0 else f"within {ctx.spec.window} characters"
            return None, f"required context {ctx.spec.name!r} not found {where}", False
        if present:
            score += ctx.spec.boost
    score = round(min(score, 1.0), 3)
    if score < pattern.spec.min_score:
        return None, f"score {score} below min_score {pattern.spec.min_score}", False
    veto = first_veto(pattern.vetoes(regex_name), found, text, deadline, regex_name, view.layout, view.cues.turn)
    if veto is not None:
        neg, m = veto
        return (None, f"negative {neg.spec.name!r} matched {text.evidence(m.start(), m.end())!r}",
                neg.spec.elsewhere)
    rules = pattern.stances.get(regex_name)
    lang = ticket_language(text, view.patterns) if rules and view.patterns is not None else None
    stance = stance_veto(rules, found, text, deadline, view.layout, lang, view.reply_subject_end,
                         view.subject_end) if rules else None
    if stance is not None:
        rule, m = stance
        return None, (f"stance {rule.stance!r} ({rule.lang} {rule.name!r}, {rule.spec.scope}) matched "
                      f"{text.evidence(m.start(), m.end())!r}"), rule.stance == "elsewhere"
    return score, "", False


def _started(pattern: ErrorPattern, text: NormalizedText, seen: set[str]) -> tuple[CompiledRegex, ...]:
    """The pattern's regexes the ticket's anchors can start (ErrorPattern.regexes_seen), found once per ticket: the
    live filter and every run of the pattern (the Amazon-context retry too) ask."""
    key = ("started", id(pattern))
    known = text.searched.get(key)
    if known is None or known[0] is not pattern:  # (kept with its pattern, whose id cannot then be reused)
        known = text.searched[key] = (pattern, pattern.regexes_seen(seen))
    return known[1]  # type: ignore[no-any-return]


def match_pattern(pattern: ErrorPattern, text: NormalizedText, timeout: float,
                  view: TicketView | None = None) -> tuple[Match | None, list[Suppressed]]:
    """Run one pattern; raises TimeoutError when it overruns its budget.

    A hit inside quoted earlier messages is context only: the pattern matches when at least one
    hit is in the merchant's own text (or in a message forwarded from Amazon).
    """
    view = view or TicketView(text)
    deadline = Deadline(timeout)
    best: dict[tuple[int, int], Evidence] = {}
    in_quotes: list[Suppressed] = []
    quoted_evidence: list[tuple[Evidence, tuple[int, int]]] = []
    suppressed: list[Suppressed] = []
    in_subject: set[tuple[int, int]] = set()
    elsewhere = False
    whole = _WholeTextContexts(text, deadline, view.contexts)
    seen = view.seen
    for rx in pattern.regexes if seen is None else _started(pattern, text, seen):
        if len(best) >= MAX_EVIDENCE:
            break
        for found in scan(rx, text, deadline):
            if len(best) >= MAX_EVIDENCE:
                break
            s, e = text.source_span(found.start, found.end)
            quoted = text.source[s:e]
            if view.listed is None:
                view.named.setdefault(pattern.id, []).append((s, e))
            elif view.listed.covers(s, e):
                suppressed.append(Suppressed(pattern.id, rx.name, quoted, LISTED_REASON))
                continue
            if view.in_chrome(s, e):
                suppressed.append(Suppressed(pattern.id, rx.name, quoted, CHROME_REASON))
                continue
            if view.in_pasted(s, e):
                suppressed.append(Suppressed(pattern.id, rx.name, quoted, PASTED_REASON))
                continue
            score, reason, about_else = _judge(pattern, found, rx.name, rx.spec.weight, text, deadline, whole, view)
            if score is None:
                suppressed.append(Suppressed(pattern.id, rx.name, quoted, reason))
                elsewhere = elsewhere or (about_else and found.start >= view.subject_end)
                continue
            ev = Evidence(rx.name, s, e, quoted, score, found.typos)
            if view.layout().is_quoted(found.start, found.end):
                in_quotes.append(Suppressed(pattern.id, rx.name, quoted, "only in a quoted earlier message"))
                quoted_evidence.append((ev, (found.start, found.end)))
                continue
            if (s, e) not in best or best[(s, e)].score < score:
                best[(s, e)] = ev
            if found.start < view.subject_end:
                in_subject.add((s, e))
            if found.start < view.own_first.get(pattern.id, found.start + 1):
                view.own_first[pattern.id] = found.start
            if found.start >= view.subject_end:
                view.own_body.setdefault(pattern.id, []).append(found.start)
    if best and elsewhere and in_subject.issuperset(best):
        # The subject ("compte Amazon suspendu ??") sums up the text below it, and the text says the same words are
        # about something else (a Prime account, another marketplace): the subject goes with it.
        suppressed.extend(Suppressed(pattern.id, ev.regex, ev.text, SUBJECT_REASON) for ev in best.values())
        best = {}
    quoted_only = not best and bool(in_quotes)
    taken_up = quoted_only and view.takes_up(pattern, deadline)  # (it reads the whole ticket)
    still = quoted_only and (taken_up or view.layout().follows_up(view.follow_up))
    if quoted_only and (still or view.cues.affirmed(text.text, view.subject_end)):
        # "Still the same" above a quoted error the merchant had: theirs, unless the quote only
        # said what to do *if* an error appears (an agent's instructions). "Yes, that's the one" answers
        # the support side's question "do you see X?": X is theirs, and nothing else quoted is.
        for ev, (qs, qe) in quoted_evidence:
            s, e = view.layout().sentence(qs, qe)
            agents = view.layout().in_agent_quote(qs, qe)
            if agents and not (taken_up or (_asks(text.text, e) and not view.cues.denied(text.text, view.subject_end))):
                # The support side's words are the merchant's only when they asked "do you still see X?",
                # or the merchant says it is still the same, or answers with the escalation facts asked for.
                continue
            if not still and not agents:
                continue
            if not HYPOTHETICAL.search(text.text, s, qs) and not HYPOTHETICAL_AFTER.match(text.text, qe):
                best[(ev.start, ev.end)] = ev
                if not agents:
                    view.own_quoted.setdefault(pattern.id, []).append(qs)
        if best:
            in_quotes = []
            if taken_up:
                view.taken_up.add(pattern.id)
    if not best:
        return None, [*suppressed, *in_quotes]
    evidence = tuple(sorted(best.values(), key=lambda ev: (-ev.score, ev.start)))
    return Match(pattern.id, pattern.spec.title, pattern.tags, pattern.priority, evidence[0].score, evidence), suppressed


def _asks(text: str, sentence_end: int) -> bool:
    return text[sentence_end:sentence_end + 3].lstrip(" »\"'」』)").startswith(("?", "？"))


def _needs_amazon(dropped: list[Suppressed]) -> bool:
    return any(s.reason.startswith(f"required context '{AMAZON_CONTEXT}") for s in dropped)


class _Runs:
    """Runs patterns over one ticket and records each that overran its budget, whichever pass ran it."""

    def __init__(self, text: NormalizedText, timeout: float) -> None:
        self.text, self.timeout = text, timeout
        self.failures: list[PatternFailure] = []
        self.timed_out: list[str] = []

    def __call__(self, pattern: ErrorPattern, view: TicketView) -> tuple[Match | None, list[Suppressed]] | None:
        """The pattern's match and dropped hits, or None when it timed out."""
        try:
            return match_pattern(pattern, self.text, self.timeout, view)
        except TimeoutError as exc:
            self.failures.append(PatternFailure(pattern.id, str(exc)))
            if pattern.id not in self.timed_out:
                self.timed_out.append(pattern.id)
            return None


def detect_normalized(text: NormalizedText, patterns: PatternSet, options: DetectOptions = DetectOptions(),
                      amazon_ticket: bool = False, subject_end: int = 0) -> Detection:
    """Every pattern over one normalised ticket.

    ``amazon_ticket``: the ticket's tags, brand or form already say it is about Amazon. Another
    error found with Amazon context says so too: patterns that failed only for want of the word
    "Amazon" are then run again with that context given.
    """
    matches: list[Match] = []
    suppressed: list[Suppressed] = []
    runs = _Runs(text, options.timeout)
    text.preload(patterns.anchors)
    seen = text.seen_of(patterns.anchors)
    live = [p for p in patterns.error_patterns if text.may_hold(p.anchor_set, patterns.anchors)
            and (seen is None or _started(p, text, seen))]
    if not live:
        # Settled: no anchor of any error, spelt right or not, is in the ticket (most tickets), or too few of
        # a regex's to start it. The word pass below costs a short ticket more than everything else together.
        return Detection()
    text.preload_words(patterns.words)
    view = TicketView(text, patterns, amazon_ticket, subject_end)
    views: dict[str, TicketView] = {}
    """The view each match was found with (the second try gives the Amazon context)."""
    retry: list[ErrorPattern] = []
    for pattern in live:
        result = runs(pattern, view)
        if result is None:
            continue
        match, dropped = result
        if match is None and not amazon_ticket and _needs_amazon(dropped):
            retry.append(pattern)
        suppressed.extend(dropped)
        if match is not None:
            matches.append(match)
            views[match.error] = view
    if matches and retry:
        given = TicketView(text, patterns, amazon=True, subject_end=subject_end)
        given._layout = view._layout  # noqa: SLF001 (the same ticket: its layout is shared)
        given._chrome = view._chrome  # noqa: SLF001
        given._pasted = view._pasted  # noqa: SLF001
        given.contexts = view.contexts
        given.named = view.named
        given.own_first, given.own_body, given.taken_up = view.own_first, view.own_body, view.taken_up
        given.own_quoted = view.own_quoted
        suppressed = _judge_again(retry, given, runs, matches, suppressed, views)
    if not matches and view._pasted is not None and view._pasted.failing:  # noqa: SLF001
        # No error outside the paste, and the merchant says the connection fails: the paste's errors are
        # theirs (see pasted.py). Each pattern whose hits were dropped as pasted is judged again.
        view._pasted = view._pasted.owned()  # noqa: SLF001
        pasted = dict.fromkeys(s.error for s in suppressed if s.reason == PASTED_REASON)
        again = [p for p in (patterns.get(error) for error in pasted) if p is not None]
        suppressed = _judge_again(again, view, runs, matches, suppressed, views)
    if view.taken_up and len(matches) > 1:
        matches, suppressed = _referred_back(matches, suppressed, view)
    if len(matches) > 1 and view._layout is not None and view._layout.newest_end:  # noqa: SLF001
        matches, suppressed = _superseded(matches, suppressed, view)
    if matches and patterns.listing is not None:
        matches, suppressed = _unlisted(matches, suppressed, runs, patterns, views)
    matches.sort(key=_rank)
    return Detection(tuple(matches), tuple(suppressed), tuple(runs.failures), timed_out=tuple(runs.timed_out))


REFERRED_BACK_REASON = "the merchant's \"same ...\" refers to another error they named before it, not to the quoted one"


def _referred_back(matches: list[Match], suppressed: list[Suppressed], view: TicketView) -> tuple[list[Match], list[Suppressed]]:
    """"Now it says X. Tried again, same banner.": "same" refers back to X, the error the merchant named just
    before it, not to the one the support side named in its quoted mail."""
    at = view.layout().first_take_up(view.cues.takes_up)
    if at is None:
        return matches, suppressed
    named_before = {m.error for m in matches if m.error not in view.taken_up and view.own_first.get(m.error, at) < at}
    if not named_before:
        return matches, suppressed
    kept = [m for m in matches if m.error not in view.taken_up]
    dropped = [Suppressed(m.error, m.evidence[0].regex, m.evidence[0].text, REFERRED_BACK_REASON)
               for m in matches if m.error in view.taken_up]
    return kept, [*suppressed, *dropped]


SUPERSEDED_REASON = "only in the merchant's earlier messages; the newest one turns to another error (\"but now ...\")"


def _superseded(matches: list[Match], suppressed: list[Suppressed], view: TicketView) -> tuple[list[Match], list[Suppressed]]:
    """"It didn't time out. BUT now it's a new message: ...": an error named only in the merchant's earlier mails
    below is over when their newest message turns to now and names another error after the turn. Their older mail
    may be quoted below the newest one ("El jue, … Héctor escribió: > …"): an error found only there goes too."""
    layout = view.layout()
    newest = layout.newest_end or 0
    turn = next((m for m in view.cues.turn.finditer(layout.text, 0, newest) if not layout.is_quoted(m.start(), m.end())),
                None)
    if turn is None:
        return matches, suppressed
    body = view.own_body
    now = [m for m in matches if any(turn.end() <= at < newest for at in body.get(m.error, ()))]
    # Errors the merchant's own older mail names and their newest message does not (a subject may repeat them;
    # errors a quoted message brought and "still" took up are not the merchant's own older words).
    # Their quoted older mail's error goes only when nothing before the turn says it is still there ("still the
    # review thing from before, but today it says ..." keeps both).
    before = layout.text[:turn.start()]
    still = says_still(before, view.follow_up)
    # An error only a reply's subject names ("Re: Zeitüberschreitung beim Verbinden") is the thread's old one too.
    older = [m for m in matches if body.get(m.error) and all(at >= newest for at in body[m.error])
             or not still and not body.get(m.error) and m.error not in view.taken_up
             and (m.error in view.own_quoted or view.own_first.get(m.error, newest) < view.reply_subject_end)]
    if not now or not older:
        return matches, suppressed
    dropped = [Suppressed(m.error, m.evidence[0].regex, m.evidence[0].text, SUPERSEDED_REASON) for m in older]
    return [m for m in matches if m not in older], [*suppressed, *dropped]


def _judge_again(again: list[ErrorPattern], view: TicketView, runs: _Runs, matches: list[Match],
                 suppressed: list[Suppressed], views: dict[str, TicketView]) -> list[Suppressed]:
    """Run patterns that found nothing once more with a view that knows more (the Amazon context given,
    the paste owned): a match joins ``matches`` and its dropped hits leave the suppressed list."""
    for pattern in again:
        result = runs(pattern, view)
        if result is None or result[0] is None:
            continue
        match = result[0]
        matches.append(match)
        views[match.error] = view
        suppressed = [s for s in suppressed if s.error != pattern.id]
    return suppressed


def _unlisted(matches: list[Match], suppressed: list[Suppressed], runs: _Runs, patterns: PatternSet,
              views: dict[str, TicketView]) -> tuple[list[Match], list[Suppressed]]:
    """Judge again, without the hits in lists of errors (see listing.py), each match with evidence in one."""
    view = next(iter(views.values()), None)
    if view is None:
        return matches, suppressed
    text = runs.text
    listed = find_listed(text.source, view.named, patterns.listing, ticket_language(text, patterns),
                         1 if view.subject_end else 0)
    if not listed.spans:
        return matches, suppressed
    kept: list[Match] = []
    for m in matches:
        pattern = patterns.get(m.error)
        inside = [listed.covers(ev.start, ev.end) for ev in m.evidence]
        if pattern is None or not any(inside):
            kept.append(m)
            continue
        if not all(inside) and len(m.evidence) < MAX_EVIDENCE:
            # Every hit was judged (fewer than MAX_EVIDENCE counted) and one outside the lists counts: a
            # second run would find the same match without the listed evidence.
            evidence = tuple(ev for ev, covered in zip(m.evidence, inside, strict=True) if not covered)
            kept.append(replace(m, score=evidence[0].score, evidence=evidence))
            continue
        again = views[m.error]
        again.listed = listed
        result = runs(pattern, again)
        if result is None:
            kept.append(m)
        elif result[0] is not None:
            kept.append(result[0])
        else:
            suppressed = [*(s for s in suppressed if s.error != m.error), *result[1]]
    return kept, suppressed


def _rank(m: Match) -> tuple[int, float, str]:
    """The order matches are reported in (and the reply composed in): priority, then the surer first."""
    return (m.priority, -m.score, m.error)


def _with_unwrapped(result: Detection, first: NormalizedText, unwrapped: NormalizedText, patterns: PatternSet,
                    options: DetectOptions, amazon_ticket: bool, subject_end: int) -> Detection:
    """Add what the ticket shows in a second reading: words a screenshot's copy wrapped across lines
    joined ("Das Amazon-Konto ist i / n dieser Region nicht re / gistriert"), or letters its text
    recognition misread read as letters ("Arnazon Seller acc0unt"). Evidence offsets are the
    merchant's own text in both readings.

    The second reading's lines no longer match the source's, so it cannot tell quoted earlier messages:
    a match it adds must have evidence outside what the first reading found quoted by the support side or
    with "> " marks (an agent's "for example 'Couldn't connect, contact Amazon' means ..." is never the
    merchant's error)."""
    second = detect_normalized(unwrapped, patterns, options, amazon_ticket, subject_end)
    if second.failures:  # a time-out in the second reading is reported like one in the first, never lost
        result = replace(result, failures=(*result.failures, *second.failures),
                         timed_out=tuple(dict.fromkeys((*result.timed_out, *second.timed_out))))
    found = set(result.matched)
    added = tuple(m for m in second.matches if m.error not in found)
    if not added:
        return result
    shape = layout_of(first.source, first.text, patterns.quote_headers, subject_end)
    agent = [first.source_span(s, e) for s, e in shape.agent_quoted]
    quoted = [first.source_span(s, e) for s, e in shape.quoted]
    source = first.source

    def older(start: int, end: int) -> bool:
        """Words the first reading found quoted by the support side, or quoted with "> " marks."""
        if any(qs <= start and end <= qe for qs, qe in agent):
            return True
        marked = _QUOTE_LINE.match(source[source.rfind("\n", 0, start) + 1:start]) is not None
        return marked and any(qs <= start and end <= qe for qs, qe in quoted)

    added = tuple(m for m in added if any(not older(ev.start, ev.end) for ev in m.evidence))
    if not added:
        return result
    errors = {m.error for m in added}
    matches = sorted((*result.matches, *added), key=_rank)
    return replace(result, matches=tuple(matches),
                   suppressed=tuple(s for s in result.suppressed if s.error not in errors))


def end_of_subject(subject: str) -> int:
    """Where the subject ends in the ticket's normalised text (``Ticket.text`` puts it first, spaces folded)."""
    return len(" ".join(subject.split()))


def detect_text(raw: str, patterns: PatternSet, options: DetectOptions = DetectOptions(),
                amazon_ticket: bool = False, subject: str = "") -> tuple[NormalizedText, Detection]:
    """Normalise raw ticket text (plain or HTML), cut to ``max_chars``, and detect; never raises on any str."""
    text = normalize(raw[: options.max_chars])
    end = end_of_subject(subject)
    result = detect_normalized(text, patterns, options, amazon_ticket, end)
    if has_wrapped_words(text.source):
        result = _with_unwrapped(result, text, normalize(raw[: options.max_chars], unwrap=True), patterns, options,
                                 amazon_ticket, end)
    if has_ocr_noise(text.text):
        result = _with_unwrapped(result, text, normalize(raw[: options.max_chars], ocr=True), patterns, options,
                                 amazon_ticket, end)
    if len(raw) > options.max_chars:
        result = replace(result, truncated=True)
    return text, result


def detect(raw: str, patterns: PatternSet, options: DetectOptions = DetectOptions(),
           amazon_ticket: bool = False) -> Detection:
    """Detect errors in raw ticket text (plain or HTML); never raises on any str."""
    return detect_text(raw, patterns, options, amazon_ticket)[1]

"""Listed errors: a list that names several different errors is documentation, not the merchant's error.

Merchants paste whole pages: a newsletter's "6 common connection problems and how to fix them", a help
centre's search results, a setup wizard's hints, the help box under the banner. Whatever words such a
page uses (chrome.py knows some, per language), its shape gives it away: several DIFFERENT errors named
one to a line in a run of parallel lines (same quoting, indent and kind of bullet), or as the items of
one row ("Popular: A · B · C"). A merchant rarely has three errors at once; when they list the two they
saw, their lines narrate ("first try: ...", "then I got ..."). A hit in such a list is dropped like
quoted mail; a line with a notice icon is the page's own message and always counts.

Which errors are named where comes from every pattern's hits (detect.py notes them in a first pass).
Positions are those of the ticket's source text (``NormalizedText.source``, as evidence is quoted).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from .schema import ListingFile
from .spans import merged
from .tables import is_row

if TYPE_CHECKING:
    from .patterns import PatternFileError

_QUOTE = regex.compile(r"(?:[ \t]*[>＞])+")
_INDENT = regex.compile(r"[ \t\u3000]*")
_MARKER = regex.compile(
    r"(?P<sym>[-−–—*•▸▹►▶›»→·◦▪▫■□☐☑☒✓✔✗✘○●◆◇+・ⓘ※]+)"
    r"|(?P<num>\(?\d{1,2}[.)．）](?!\d)|[①-⑳]|(?:Q|A)[.:：]|[a-z][)])"
)
_NOTICE = regex.compile(r"[⚠❗❕✖❌⛔🚫🔴‼⊗ⓧ]|\(!\)|^[ \t]*!")
"""A notice box's icon: the line is the page's message to the merchant, never a list of its help."""
_ROW_BREAK = regex.compile(r"[ \t]+[·•|›»/][ \t]+|[ \t]*[｜／][ \t]*|[ \t]{3,}|\t")
_LABEL = regex.compile(r"[^:：\n]{1,40}?[ \t]*[:：][ \t]*(?=\S)")
_LINE_LABEL = regex.compile(r"(\w[\w' -]{0,24}?)[ \t]*[:：][ \t]*(?=\S)")
"""A short label that opens a line ("Hint: ...", "Guida: ..."): lines opened by the same label are parallel."""
_TAIL = regex.compile(r"[^:：?？]*?[\p{Pf}\p{Pe}»」』\"']*[ \t]*[:：?？][ \t]*(?P<rest>[^:：?？\n]*?)[ \t]*[?？]?[ \t]*$")
"""What follows a title's error: its colon or question mark, then the rest of the line."""
MAX_TAIL = 4
"""Words after a title's colon or question mark at most ("que faire ?", "Here's what to try")."""
MAX_TITLE = 100
"""Characters of an unbulleted list line at most (longer: prose)."""
_SENTENCE = regex.compile(r"[.!][ \t]+\S|[。！][ \t]*\S|[.。!！][ \t]*$")
_LOG = regex.compile(r"\d{1,2}[:h時]\d{2}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")
"""A time or date: a row holding one is a log or status row (what happened), not a row of links."""


@dataclass(frozen=True)
class ListingRules:
    """The thresholds and every language's narrating words (patterns/listing.toml)."""

    list_errors: int = 3
    pair_errors: int = 2
    max_pair_item: int = 120
    row_items: int = 3
    max_item: int = 60
    narrative: Mapping[str, regex.Pattern[str]] = field(default_factory=dict)
    examples: tuple[Path, ListingFile] | None = None

    advice: Mapping[str, regex.Pattern[str]] = field(default_factory=dict)

    def narrates(self, text: str, lang: str | None) -> bool:
        """Whether a line is the merchant telling what happened to them (English's words and their language's)."""
        return _any(self.narrative, text, lang, search=True)

    def advises(self, text: str, lang: str | None) -> bool:
        """Whether a line (after its label) opens with a condition: a hint to the reader ("If ...", "Falls ...")."""
        label = _LABEL.match(text)
        return _any(self.advice, text[label.end():] if label else text, lang, search=False)


def _any(table: Mapping[str, regex.Pattern[str]], text: str, lang: str | None, search: bool) -> bool:
    for la in {"en", lang or "en"}:
        words = table.get(la)
        if words is not None and (words.search(text) if search else words.match(text)):
            return True
    return False


def build_rules(spec: ListingFile, path: Path | None = None) -> ListingRules:
    flags = regex.IGNORECASE | regex.V0

    def table(words: dict[str, list[str]], opening: bool) -> dict[str, regex.Pattern[str]]:
        lead = r"[\W_]*(?:" if opening else "(?:"
        return {la: regex.compile(lead + "|".join(f"(?:{t})" for t in terms) + ")", flags)
                for la, terms in words.items() if terms}

    return ListingRules(spec.list_errors, spec.pair_errors, spec.max_pair_item, spec.row_items, spec.max_item,
                        table(spec.narrative, False), (path, spec) if path is not None else None,
                        table(spec.advice, True))


def load_listing(directory: Path, problems: list[PatternFileError]) -> ListingRules | None:
    """``listing.toml`` of a patterns directory (None: no such file, no list is told apart)."""
    from .patterns import LISTING_FILE, read_guard_file

    path = directory / LISTING_FILE
    spec = read_guard_file(path, ListingFile, problems)
    return build_rules(spec, path) if spec is not None else None


@dataclass(frozen=True)
class _Line:
    start: int
    """Where the line's text (after quote marks, indent and bullet) starts in the source."""
    end: int
    body: str
    shape: tuple[int, int, str]
    """Quote depth, indent width and kind of bullet ("sym", "num", "label:<its words>" or ""): parallel
    lines share it."""
    notice: bool

    @property
    def item(self) -> bool:
        """Whether the line may be an item of a list: bulleted, numbered or labelled, or an indented title."""
        if self.shape[2]:
            return True
        return self.shape[1] > 0 and _title_like(self.body)


def _title_like(text: str) -> bool:
    text = text.strip()
    return len(text) <= MAX_TITLE and not _SENTENCE.search(text)


def _line(raw: str, pos: int) -> _Line | None:
    """One line of the source starting at ``pos``, its quote marks, indent and bullet set apart; None when blank."""
    text = raw.rstrip()
    if not text:
        return None
    q = _QUOTE.match(text)
    depth = q.group().count(">") + q.group().count("＞") if q else 0
    at = q.end() if q else 0
    if depth:
        at += 1 if text[at:at + 1] == " " else 0  # "> text": the space after the mark is no indent
    ind = _INDENT.match(text, at)
    width = sum(2 if c == "\u3000" else 4 if c == "\t" else 1 for c in ind.group()) if ind else 0
    at = ind.end() if ind else at
    m = _MARKER.match(text, at)
    kind = ""
    if m and (m.end() == len(text) or text[m.end()] in " \t\u3000" or m.group("num") or "\u3000" <= text[m.end()]):
        kind = "num" if m.group("num") else "sym"
        at = _INDENT.match(text, m.end()).end()  # type: ignore[union-attr]
    else:
        label = _LINE_LABEL.match(text, at)
        kind = f"label:{label.group(1).lower()}" if label and len(label.group(1).split()) <= 3 else ""
    body = text[at:]
    if body.strip():
        return _Line(pos + at, pos + len(text), body, (depth, width, kind), bool(_NOTICE.search(text)))
    return None


def _plain(raw: str) -> bool:
    """Whether a line is prose as _line would read it, told without its regexes: it opens with a letter,
    or with "> " and a letter (no further quote mark, no indent or bullet; "a)" and "Q." are numbered),
    and holds no colon (no label). It is then no blank line, its shape is (depth, 0, "") and it is no
    item of a list, nor a line under one."""
    at = 2 if raw.startswith("> ") else 0
    return (raw[at:at + 1].isalpha() and raw[at] not in "QA" and raw[at + 1:at + 2] != ")"
            and ":" not in raw and "：" not in raw)


class _Lines:
    """A ticket's source lines as _line reads them, each read on its first ask: most of a long
    ticket's lines are prose, which _groups tells from their first character (see _plain)."""

    def __init__(self, source: str) -> None:
        self.raw = source.split("\n")
        self.starts = list(itertools.accumulate((len(x) + 1 for x in self.raw), initial=0))
        self._read: dict[int, _Line | None] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> _Line | None:
        try:
            return self._read[i]
        except KeyError:
            line = self._read[i] = _line(self.raw[i], self.starts[i])
            return line

    def plain(self, i: int) -> bool:
        return _plain(self.raw[i])


_ITEM_MARK = regex.compile(r"[ \t]*(?:[-*•·–—]|\(?\d{1,2}[.)])?[ \t]*")
"""What opens a list item's line before its words: a bullet or a number."""


@dataclass(frozen=True)
class Listed:
    """The parts of one ticket's source that are lists of errors, in order."""

    spans: tuple[tuple[int, int], ...] = ()
    source: str = field(default="", compare=False, repr=False)

    def covers(self, start: int, end: int) -> bool:
        """Whether at least half of ``source[start:end]`` lies in a list of errors, or the part on its last
        line does: a hit running from a list's heading into its first item ("Common connection problems /
        - Token expired") ends in the item's words, which are the list's."""
        if not self.spans or end <= start:
            return False
        last = self.source.rfind("\n", start, end) + 1
        if last:
            last += _ITEM_MARK.match(self.source, last, end).end() - last
            if last < end and self._inside(last, end) == end - last:
                return True
        return 2 * self._inside(start, end) >= end - start

    def _inside(self, start: int, end: int) -> int:
        i = max(0, bisect.bisect_right(self.spans, (start, end)) - 1)
        inside = 0
        for s, e in self.spans[i:]:
            if s >= end:
                break
            inside += max(0, min(e, end) - max(s, start))
        return inside


def find_listed(source: str, named: Mapping[str, Iterable[tuple[int, int]]], rules: ListingRules | None,
                lang: str | None = None, skip_lines: int = 0) -> Listed:
    """The lists of errors in ``source``, given where each error is ``named`` (error id -> source spans)."""
    if rules is None or not named:
        return Listed()
    lines = _Lines(source)
    starts = lines.starts
    on_line: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    """Per line, the errors named on it with their hits."""
    for error, spans in named.items():
        for s, e in spans:
            first, last = bisect.bisect_right(starts, s) - 1, bisect.bisect_right(starts, max(s, e - 1)) - 1
            for i in range(first, last + 1):
                on_line[i].append((error, s, e))
    listed: list[tuple[int, int]] = []
    for group in _groups(lines, skip_lines):
        listed.extend(_list_spans(group, lines, on_line, rules, lang) or _advice_spans(group, lines, on_line, rules, lang))
    for i in sorted(on_line):
        if i >= len(lines) or i < skip_lines or (rules.row_items >= 2 and not _may_be_row(lines.raw[i])):
            continue
        line = lines[i]
        if line is not None and not line.notice:
            status = is_row(lines.raw, i) and len({e for e, _, _ in on_line[i]}) < rules.pair_errors
            listed.extend([] if status else _row_spans(line, rules))
    return Listed(tuple(merged(listed)), source)


def _groups(lines: _Lines, skip_lines: int) -> list[list[list[int]]]:
    """Each block's runs of parallel lines: a group is a list of items, an item its line with the deeper
    indented lines under it (an article's title and its breadcrumb, a step and its explanation)."""
    out: list[list[list[int]]] = []
    groups: dict[tuple[int, int, str], list[list[int]]] = {}
    item: list[int] | None = None
    item_shape: tuple[int, int, str] | None = None
    for i in range(skip_lines, len(lines)):
        if lines.plain(i):  # prose: no item, nor a line under one (its indent is 0)
            item, item_shape = None, None
            continue
        line = lines[i]
        if line is None:
            if not _spaced_item(lines, i):
                out.extend(groups.values())
                groups = {}
            item, item_shape = None, None
            continue
        depth, width, kind = line.shape
        if item is not None and item_shape is not None and depth == item_shape[0] and width > item_shape[1] \
                and not kind:
            item.append(i)
            continue
        if not line.item:
            item, item_shape = None, None
            continue
        item, item_shape = [i], line.shape
        groups.setdefault(line.shape, []).append(item)
    out.extend(groups.values())
    return out


def _intro(group: list[list[int]], lines: _Lines) -> str:
    """The line that leads into a run ("I get two messages, both this morning:"), if any."""
    first = group[0][0]
    for i in range(first - 1, max(-1, first - 4), -1):
        line = lines[i]
        if line is not None:
            return "" if line.shape == lines[first].shape else line.body  # type: ignore[union-attr]
    return ""


def _spaced_item(lines: _Lines, blank: int) -> bool:
    """Whether a single blank line only spaces out a bulleted or numbered list (as HTML list items are
    rendered): the lines either side have the same shape."""
    if blank == 0 or lines.plain(blank - 1):
        return False  # no line above, or prose: no bullet
    before = lines[blank - 1]
    after = lines[blank + 1] if blank + 1 < len(lines) else None
    return before is not None and after is not None and bool(before.shape[2]) and before.shape == after.shape


def _list_spans(group: list[list[int]], lines: _Lines, on_line: Mapping[int, list[tuple[str, int, int]]],
                rules: ListingRules, lang: str | None) -> list[tuple[int, int]]:
    """The lines of a run that names several errors, unless it is the merchant's own account of them."""
    naming = [item for item in group if any(on_line.get(i) for i in item)]
    if len(naming) < 2:
        return []
    errors = {e for item in naming for i in item for e, _, _ in on_line.get(i, ())}
    if len(errors) < rules.pair_errors:
        return []
    texts = [" ".join(line.body for i in item if (line := lines[i]) is not None) for item in naming]
    if any(_LOG.search(t) for t in texts) or _own_labels(group, naming, lines, on_line):
        return []  # a timeline, or one error per marketplace, client or day: what happened to each
    if len(errors) < rules.list_errors and any(len(t) > rules.max_pair_item or rules.narrates(t, lang)
                                               for t in (*texts, _intro(group, lines))):
        return []
    spans = []
    for item in group:
        for i in item:
            line = lines[i]
            if line is not None and not line.notice:
                spans.append((line.start, line.end))
    return spans


def _advice_spans(group: list[list[int]], lines: _Lines,
                  on_line: Mapping[int, list[tuple[str, int, int]]], rules: ListingRules,
                  lang: str | None) -> list[tuple[int, int]]:
    """In a list, the lines that name one error as a help title or a reader's hint, never as shown: an
    article's title with its question or fix after it ("My account is suspended: what to do", "Under
    review? Here's what to do") or a hint opening with a condition ("If Amazon asks for more information,
    check ...", "Falls ...")."""
    if len(group) < 2:
        return []
    spans = []
    for item in group:
        line = lines[item[0]]
        hits = on_line.get(item[0])
        if line is None or not hits or line.notice:
            continue
        # A help title may speak as the merchant ("My account is suspended: what to do"); a hint may not.
        if _titled(line, max(e for _, _, e in hits)) or (rules.advises(line.body, lang)
                                                         and not rules.narrates(line.body, lang)):
            spans.append((line.start, line.end))
    return spans


def _titled(line: _Line, hit_end: int) -> bool:
    """Whether the line is a title whose error, named before a colon or question mark, is followed by a
    few words only: "... suspended: what to do", "... under review? Here's what to do"."""
    body = line.body.strip()
    if len(body) > MAX_TITLE or body.endswith((".", "。")):
        return False
    tail = _TAIL.search(line.body, max(0, hit_end - line.start))
    return tail is not None and 0 < len(tail.group("rest").split()) <= MAX_TAIL and (
        " " in line.body or len(tail.group("rest")) <= 2 * MAX_TAIL * 2)


def _own_labels(group: list[list[int]], naming: list[list[int]], lines: _Lines,
                on_line: Mapping[int, list[tuple[str, int, int]]]) -> bool:
    """Whether each naming item opens with a label of its own ("Amazon.fr: ...", "Tuesday: ...", "Client B:
    ...") and names its error after it, no two items of the run sharing a label: a status per marketplace,
    client or day. A doc's items share a label ("Hint: ...", "Article: ...") or have none, or their label
    is the error itself ("Staging mode: what it means")."""
    for item in naming:
        line = lines[item[0]]
        label = _LABEL.match(line.body) if line is not None else None
        if line is None or label is None or len(label.group().split()) > 5:
            return False
        after = line.start + label.end()
        if not any(s >= after for i in item for _, s, _ in on_line.get(i, ())):
            return False
    labels = [_label_of(line.body) for item in group if (line := lines[item[0]]) is not None]
    given = [la for la in labels if la]
    return len(set(given)) == len(given)


def _label_of(body: str) -> str:
    label = _LABEL.match(body)
    return label.group().strip(" \t:：").lower() if label and len(label.group().split()) <= 5 else ""


def _may_be_row(raw: str) -> bool:
    """Whether a line holds a place where _ROW_BREAK parts two items (a row needs at least two items)."""
    return "   " in raw or any(c in raw for c in "·•|›»/｜／\t")


def _row_spans(line: _Line, rules: ListingRules) -> list[tuple[int, int]]:
    """A row of links or menu entries ("Popular: A · B · C"): its items, when every one is a short title."""
    body, offset = line.body, line.start
    if body.startswith(("|", "│", "┃")):
        return []  # a table's row: a status per row, not links
    label = _LABEL.match(body)
    at = label.end() if label else 0
    items: list[tuple[int, int]] = []
    pos = at
    for m in _ROW_BREAK.finditer(body, at):
        if m.start() > pos:
            items.append((pos, m.start()))
        pos = m.end()
    if pos < len(body):
        items.append((pos, len(body)))
    if len(items) < rules.row_items or _LOG.search(body):
        return []
    for s, e in items:
        text = body[s:e].strip()
        if len(text) > rules.max_item or _SENTENCE.search(text):
            return []
    return [(offset + s, offset + e) for s, e in items]

"""Page chrome: the menus, help links, FAQ titles and hints around the error on a pasted page.

Merchants paste whole pages. Beside the banner they have, a page names other errors in its chrome:
"Related help: What is staging mode?", an FAQ entry "What does "An error has occurred" mean?", a help
centre's article list, a nav row "Account Health | Performance Notifications | Help". Like quoted mail
(see thread.py), chrome may give context but is never alone the merchant's error: a hit lying in it is
dropped, while the banner line itself (never a link, question title or menu row; a notice icon always
counts as the page's message) still counts. What tells chrome in each language is data
(patterns/chrome/<lang>.toml); the shapes (rows of items, runs of titles under a heading) are here.
Positions are those of the ticket's source text (``NormalizedText.source``, as evidence is quoted).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from .schema import ChromeFile, GuardExamples
from .spans import merged

if TYPE_CHECKING:
    from .patterns import PatternFileError

CHROME_DIR = "chrome"
"""patterns/chrome/<lang>.toml: one file per language."""

_BULLET = re.compile(r"[ \t]*(?:[-−–*•▸▹►▶›»→·◦▪▫■□☐☑☒✓✔✗✘○●◆◇+]+|\d{1,2}[.)])?[ \t]*")
_NOTICE = re.compile(r"[⚠❗❕✖❌⛔🚫🔴‼⊗ⓧ]")
"""A notice box's icon: the line is the page's message to the merchant, never chrome."""
_ITEM_BREAK = re.compile(r"[ \t]+[·•|›»>][ \t]+|[ \t]{3,}|\t|(?<=[?？])[ \t]*[·•|・][ \t]*")
"""Where one item of a row ends and the next starts: " · ", " | ", a breadcrumb's " › ", wide gaps,
"？・" in Japanese."""
_PRICE = re.compile(r"[$€£¥]\s?\d|\d(?:[\d.,]*\d)?\s?(?:€|£|円|EUR|USD|GBP)|\d\s?(?:/|per |pro |par |al |a )(?:mo|month|monat|mois|mes|mese)")
"""A price in a plan-comparison row ("$39.99 per month", "39 € / Monat", "4,900円")."""
_LABEL = re.compile(r"([^:：\n]{1,40}?)[ \t]*[:：][ \t]*(\S.*)")
_SENTENCES = re.compile(r"[.!][ \t]+\S|[。！][ \t]*\S")
_BREAKS = re.compile(r"[·•|›»>・\t]|   ")
"""Characters one of which (or a wide gap) a line of several items holds."""
_COUNT = re.compile(r"\(\d+\)$")
MAX_TITLE = 120
"""Characters of a link or FAQ title at most; longer lines are prose."""
MAX_HEADING = 60
MAX_NAV_ITEM = 40
MAX_UNSPACED_ITEM = 12
RUN = 30
TIMEOUT = 0.05
"""Seconds one chrome regex may take on one line."""
"""Lines under one heading read as its list at most."""


@dataclass(frozen=True)
class ChromeRules:
    """Every language's chrome words, compiled into one regex per kind (any language's page may be pasted)."""

    heading: regex.Pattern[str]
    question: regex.Pattern[str]
    link: regex.Pattern[str]
    hint: regex.Pattern[str] | None
    label: regex.Pattern[str] | None
    examples: tuple[tuple[Path, GuardExamples], ...] = ()


def _join(terms: Iterable[str]) -> str:
    return "|".join(f"(?:{t})" for t in terms)


def build_rules(files: list[tuple[Path, ChromeFile]]) -> ChromeRules | None:
    if not files:
        return None
    flags = regex.IGNORECASE | regex.V0

    def each(kind: str) -> str:
        return _join(t for _, f in files for t in getattr(f, kind))

    hints, labels = each("hints"), each("labels")
    return ChromeRules(regex.compile(each("headings"), flags), regex.compile(each("questions"), flags),
                       regex.compile(each("links"), flags), regex.compile(hints, flags) if hints else None,
                       regex.compile(labels, flags) if labels else None, tuple((p, f.examples) for p, f in files))


def load_chrome(directory: Path, problems: list[PatternFileError]) -> ChromeRules | None:
    """Every ``<lang>.toml`` of ``directory`` (None: no chrome files, no chrome is recognised)."""
    from .patterns import _FileLoader

    files: list[tuple[Path, ChromeFile]] = []
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
        loader = _FileLoader(path, problems)
        data = loader.read()
        spec = loader.validate(ChromeFile, data) if data is not None else None  # type: ignore[arg-type]
        if spec is None:
            continue
        if spec.lang != path.stem:
            loader.fail(("lang",), f"lang {spec.lang!r} must equal the file name {path.stem!r}")
            continue
        files.append((path, spec))
    return build_rules(files)


def chrome_files(directory: Path) -> list[Path]:
    """The chrome files of a patterns directory (for fingerprints and reloads)."""
    return sorted((directory / CHROME_DIR).glob("*.toml"))


@dataclass(frozen=True)
class _Line:
    start: int
    """Where the line's text (after its bullet) starts in the source."""
    body: str
    notice: bool


@dataclass(frozen=True)
class Chrome:
    """The chrome spans of one ticket's source text, in order."""

    spans: tuple[tuple[int, int], ...] = ()
    line_ends: tuple[int, ...] = ()
    """Where each line of the source ends (its line break's position)."""

    def covers(self, start: int, end: int) -> bool:
        """Whether at least half of ``source[start:end]``, or of its first line, lies in chrome.

        A hit running from a chrome line into the next joins two parts of the page ("Account Health |
        Performance Notifications | Help" and the mail's footer below it): its first line decides.
        """
        if not self.spans or end <= start:
            return False
        if self._inside(start, end):
            return True
        line = bisect.bisect_left(self.line_ends, start)
        cut = self.line_ends[line] if line < len(self.line_ends) else end
        return cut < end and self._inside(start, cut)

    def _inside(self, start: int, end: int) -> bool:
        if end <= start:
            return False
        i = max(0, bisect.bisect_right(self.spans, (start, end)) - 1)
        inside = 0
        for s, e in self.spans[i:]:
            if s >= end:
                break
            inside += max(0, min(e, end) - max(s, start))
        return 2 * inside >= end - start


def _line(raw: str, offset: int) -> _Line | None:
    """One line of the source at ``offset``, its bullet set apart; None when it is blank."""
    text = raw.rstrip()
    if not text.strip():
        return None
    b = _BULLET.match(text)
    bullet_end = b.end() if b else 0
    body = text[bullet_end:]
    notice = text.lstrip().startswith("!") or _NOTICE.search(text) is not None
    return _Line(offset + bullet_end, body, notice) if body else None


def _items(body: str, offset: int) -> list[tuple[int, int, str]]:
    """A line's items (start, end, text) in source positions."""
    if not _BREAKS.search(body):
        return [(offset, offset + len(body), body)]
    items: list[tuple[int, int, str]] = []
    pos = 0
    for m in _ITEM_BREAK.finditer(body):
        if m.start() > pos:
            items.append((offset + pos, offset + m.start(), body[pos:m.start()]))
        pos = m.end()
    if pos < len(body):
        items.append((offset + pos, offset + len(body), body[pos:]))
    return items


def _title_like(text: str) -> bool:
    """A title or menu entry, not prose: short, at most one sentence, no full stop at its end."""
    text = text.strip()
    if len(text) > MAX_TITLE or text.endswith((".", "。")):
        return False
    return not ("." in text or "!" in text or "。" in text or "！" in text) or not _SENTENCES.search(text)


class _Reader:
    """The chrome words asked about one line's text; admins write these regexes, so each call has a
    time limit, and one that runs out answers "not chrome" (the hit then counts, as without chrome)."""

    def __init__(self, rules: ChromeRules) -> None:
        self.rules = rules

    @staticmethod
    def _run(rx: regex.Pattern[str] | None, text: str, whole: bool) -> bool:
        if rx is None:
            return False
        try:
            found = rx.fullmatch(text, timeout=TIMEOUT) if whole else rx.match(text, timeout=TIMEOUT)
        except TimeoutError:
            return False
        return found is not None

    def is_heading(self, text: str) -> bool:
        text = text.strip()
        if len(text) > MAX_HEADING:
            return False
        return self._run(self.rules.heading, _COUNT.sub("", text.rstrip(":：").rstrip()).rstrip(" :："), True)

    def is_label(self, text: str) -> bool:
        return self._run(self.rules.label, text.strip(), True)

    def is_link(self, text: str) -> bool:
        return self._run(self.rules.link, text.strip(), False)

    def is_question(self, text: str) -> bool:
        text = text.strip()
        return text.endswith(("?", "？")) and self._run(self.rules.question, text, True)

    def is_hint(self, text: str) -> bool:
        return self._run(self.rules.hint, text.strip(), False)

    def titled(self, text: str) -> bool:
        return self.is_link(text) or self.is_question(text) or self.is_hint(text)


def find_chrome(source: str, rules: ChromeRules | None, skip_lines: int = 0) -> Chrome:
    """The chrome of a pasted page in ``source``; the first ``skip_lines`` (the subject) are the merchant's."""
    if rules is None:
        return Chrome()
    read = _Reader(rules)
    raw = source.split("\n")
    starts = list(itertools.accumulate((len(x) + 1 for x in raw), initial=0))
    return _scan([_kind(read, x, starts[i]) for i, x in enumerate(raw)], starts[0], skip_lines)


class PageChrome:
    """find_chrome read lazily, only in the lines around a hit asked about: a heading's list reaches
    ``RUN`` lines down, a question title joins its neighbours, so that window decides as the whole
    text would; each line is judged once, and the rest of a long ticket costs nothing."""

    BEFORE = RUN + 2
    AFTER = 12

    def __init__(self, source: str, rules: ChromeRules | None, skip_lines: int = 0) -> None:
        self.read, self.skip_lines = (_Reader(rules) if rules is not None else None), skip_lines
        self._raw = source.split("\n") if rules is not None else []
        self._starts = list(itertools.accumulate((len(x) + 1 for x in self._raw), initial=0))
        self._kinds: dict[int, _Kind] = {}
        self._windows: dict[int, Chrome] = {}

    def covers(self, start: int, end: int) -> bool:
        """Whether a span of the source lies in chrome (see Chrome.covers)."""
        if self.read is None:
            return False
        top = len(self._raw) - 1
        line = min(top, bisect.bisect_right(self._starts, start) - 1)
        last = min(top, bisect.bisect_right(self._starts, max(start, end - 1)) - 1)
        # Chrome spans lie within chrome lines: when none of the span's lines can be one, nothing else is read.
        if line == last:
            kind = self._kind(line)
            if not (kind.heading or kind.spans or kind.question) and not (kind.title_like and self._in_run(line)):
                return False
        elif not any(self._kind(i).may_be_chrome for i in range(line, last + 1)):
            return False
        lo, hi = self._block(line)[0], self._block(last)[1]
        found = self._windows.get((lo, hi))
        if found is None:
            found = self._windows[(lo, hi)] = _scan([self._kind(i) for i in range(lo, hi)], self._starts[lo],
                                                    max(0, self.skip_lines - lo))
        return found.covers(start, end)

    def _in_run(self, line: int) -> bool:
        """Whether _scan, reading ``line``'s block, may find it in a heading's run: False when the lines
        above it within RUN, to the block's start, hold no heading before a line that ends a run (a
        blank line not right under a heading, a notice, a line that is not title-like)."""
        bound = max(self._block(line)[0], self.skip_lines)
        i = line - 1
        while i >= bound and line - i <= RUN:
            kind = self._kind(i)
            if kind.line is None:
                return i - 1 >= bound and self._kind(i - 1).heading
            if kind.line.notice or not kind.title_like:
                return False
            if kind.heading:
                return True
            i -= 1
        return False

    def _block(self, line: int) -> tuple[int, int]:
        """The lines that decide ``line``: its paragraph (a blank line parts a heading's list and a
        title's neighbours), and the line above one blank line before it (a heading may stand there)."""
        raw, lo, hi = self._raw, line, line + 1
        while lo > 0 and line - lo < self.BEFORE and raw[lo - 1].strip():
            lo -= 1
        if lo >= 2 and not raw[lo - 1].strip():
            lo -= 2
        while hi < len(raw) and hi - line < self.AFTER and raw[hi].strip():
            hi += 1
        return lo, hi

    def _kind(self, i: int) -> _Kind:
        kind = self._kinds.get(i)
        if kind is None:
            assert self.read is not None
            kind = self._kinds[i] = _kind(self.read, self._raw[i], self._starts[i])
        return kind


@dataclass(frozen=True)
class _Kind:
    """What one line is on its own; whether it is chrome also depends on the lines around it (_scan)."""

    length: int
    """The raw line's length."""
    line: _Line | None = None
    """None: a blank line."""
    heading: bool = False
    title_like: bool = False
    spans: tuple[tuple[int, int], ...] = ()
    """Chrome whatever the lines around it: a labelled list, a row of menu items or help links, links."""
    helps: bool = False
    """The line holds help links or titles (a question title beside it is one too)."""
    question: bool = False
    """A help title in question form, chrome only beside help lines."""

    @property
    def may_be_chrome(self) -> bool:
        """Whether _scan may find chrome in this line (the lines around it decide which)."""
        return self.heading or self.title_like or bool(self.spans) or self.question


def _kind(read: _Reader, raw: str, offset: int) -> _Kind:
    line = _line(raw, offset)
    if line is None or line.notice:
        return _Kind(len(raw), line)
    body, end = line.body, line.start + len(line.body)
    if read.is_heading(body):
        return _Kind(len(raw), line, heading=True, title_like=True)
    title_like = _title_like(body)
    colon = max(body.find(":", 0, 42), body.find("：", 0, 42))
    label = _LABEL.fullmatch(body) if colon > 0 else None
    strong = label is not None and read.is_heading(label.group(1))
    if label is not None and (strong or read.is_label(label.group(1))):
        rest = _items(label.group(2), line.start + label.start(2))
        titled = [read.titled(t) for _, _, t in rest]
        if all(titled) or (len(rest) >= 2 and (strong or any(titled))
                           and all(t or _title_like(x) for t, (_, _, x) in zip(titled, rest, strict=True))):
            return _Kind(len(raw), line, False, title_like, tuple((s, e) for s, e, _ in rest), helps=True)
    items = _items(body, line.start)
    if len(items) >= 3 and all(_nav_item(t) for _, _, t in items):
        return _Kind(len(raw), line, False, title_like, ((line.start, end),))
    if len(items) >= 2 and all(read.titled(t) or _nav_item(t) for _, _, t in items):
        if any(read.titled(t) for _, _, t in items):
            return _Kind(len(raw), line, False, title_like, tuple((s, e) for s, e, _ in items), helps=True)
        if any(_PRICE.search(t) for _, _, t in items):
            return _Kind(len(raw), line, False, title_like, ((line.start, end),))
    links = tuple((s, e) for s, e, t in items if read.is_link(t) or read.is_hint(t))
    if links:
        return _Kind(len(raw), line, False, title_like, links, helps=True)
    return _Kind(len(raw), line, False, title_like, question=len(items) == 1 and read.is_question(body))


def _scan(kinds: list[_Kind], offset: int, skip_lines: int) -> Chrome:
    """The chrome of consecutive lines (judged on their own as ``kinds``) starting at position ``offset``:
    a heading's title-like lines, the lines chrome on their own, question titles beside help lines."""
    chrome: list[tuple[int, int]] = []
    helps: set[int] = set()
    """Lines of help links and titles: a question line beside one is a help title too (never beside a
    mere menu row, which the merchant's own question may follow)."""
    candidates: set[int] = set()
    run_until = heading_at = -1
    for i, kind in enumerate(kinds):
        line = kind.line
        if i < skip_lines:
            continue
        if line is None:
            if i - 1 != heading_at:  # one blank line may stand between a heading and its list
                run_until = -1
            continue
        if line.notice:
            run_until = -1
            continue
        if kind.heading or (i <= run_until and kind.title_like):
            chrome.append((line.start, line.start + len(line.body)))
            helps.add(i)
            if kind.heading:
                run_until, heading_at = i + RUN, i
            continue
        run_until = -1
        chrome.extend(kind.spans)
        if kind.helps:
            helps.add(i)
        elif kind.question and not kind.spans:
            candidates.add(i)
    # A question title stands among other help lines (a "Related help" list without its heading).
    grew = True
    while grew and candidates:
        grew = False
        for i in sorted(candidates):
            if _next_to(kinds, i, helps | (candidates - {i})):
                line = kinds[i].line
                assert line is not None
                chrome.append((line.start, line.start + len(line.body)))
                helps.add(i)
                candidates.discard(i)
                grew = True
    if not chrome:
        return Chrome()
    ends = tuple(itertools.accumulate((k.length + 1 for k in kinds), initial=offset - 1))[1:]
    return Chrome(tuple(merged(chrome)), ends)


def _nav_item(text: str) -> bool:
    """A menu entry: up to three words (a dozen characters unspaced, as in Japanese), no sentence.
    A status message ("An error has occurred") is longer than a menu's "Performance Notifications"."""
    text = text.strip(" []()")
    words = text.split()
    if not 0 < len(text) <= MAX_NAV_ITEM or len(words) > 3 or _SENTENCES.search(text) \
            or text.endswith((".", "。", "!", "！")):
        return False
    return len(text) <= MAX_UNSPACED_ITEM or not any(ch >= "\u2e80" for ch in text)


def _next_to(kinds: list[_Kind], i: int, marked: set[int]) -> bool:
    return (i - 1 in marked and kinds[i - 1].line is not None) or (i + 1 in marked and i + 1 < len(kinds)
                                                                   and kinds[i + 1].line is not None)

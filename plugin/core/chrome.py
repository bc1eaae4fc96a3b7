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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from .schema import ChromeExamples, ChromeFile

if TYPE_CHECKING:
    from .patterns import PatternFileError

CHROME_DIR = "chrome"
"""patterns/chrome/<lang>.toml: one file per language."""

_BULLET = regex.compile(r"[ \t]*(?:[-−–*•▸▹►▶›»→·◦▪▫■□☐☑☒✓✔✗✘○●◆◇+]+|\d{1,2}[.)])?[ \t]*")
_NOTICE = regex.compile(r"[⚠❗❕✖❌⛔🚫🔴‼⊗ⓧ]|^[ \t]*!")
"""A notice box's icon: the line is the page's message to the merchant, never chrome."""
_ITEM_BREAK = regex.compile(r"[ \t]+[·•|›»>][ \t]+|[ \t]{3,}|\t|(?<=[?？])[ \t]*[·•|・][ \t]*")
"""Where one item of a row ends and the next starts: " · ", " | ", a breadcrumb's " › ", wide gaps,
"？・" in Japanese."""
_PRICE = regex.compile(r"[$€£¥]\s?\d|\d(?:[\d.,]*\d)?\s?(?:€|£|円|EUR|USD|GBP)|\d\s?(?:/|per |pro |par |al |a )(?:mo|month|monat|mois|mes|mese)")
"""A price in a plan-comparison row ("$39.99 per month", "39 € / Monat", "4,900円")."""
_NEWLINE = regex.compile(r"\n")
_LABEL = regex.compile(r"([^:：\n]{1,40}?)[ \t]*[:：][ \t]*(\S.*)")
_SENTENCES = regex.compile(r"[.!][ \t]+\S|[。！][ \t]*\S")
_TRAILER = regex.compile(r"[ \t]*(?:\(\d+\)|[:：])?[ \t]*$")
MAX_TITLE = 120
"""Characters of a link or FAQ title at most; longer lines are prose."""
MAX_NAV_ITEM = 40
RUN = 30
"""Lines under one heading read as its list at most."""


@dataclass(frozen=True)
class ChromeRules:
    """Every language's chrome words, compiled into one regex per kind (any language's page may be pasted)."""

    heading: regex.Pattern[str]
    question: regex.Pattern[str]
    link: regex.Pattern[str]
    hint: regex.Pattern[str] | None
    label: regex.Pattern[str] | None
    examples: tuple[tuple[Path, ChromeExamples], ...] = ()


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
    bulleted: bool
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


def _lines(source: str) -> list[_Line | None]:
    out: list[_Line | None] = []
    pos = 0
    for raw in source.split("\n"):
        text = raw.rstrip()
        if not text.strip():
            out.append(None)
        else:
            b = _BULLET.match(text)
            bullet_end = b.end() if b else 0
            body = text[bullet_end:]
            bulleted = bool(b and text[:bullet_end].strip())
            out.append(_Line(pos + bullet_end, body, bulleted, bool(_NOTICE.search(text))) if body else None)
        pos += len(raw) + 1
    return out


def _items(body: str, offset: int) -> list[tuple[int, int, str]]:
    """A line's items (start, end, text) in source positions."""
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
    return len(text) <= MAX_TITLE and not _SENTENCES.search(text) and not text.endswith((".", "。"))


class _Reader:
    def __init__(self, rules: ChromeRules) -> None:
        self.rules = rules

    def is_heading(self, text: str) -> bool:
        return self.rules.heading.fullmatch(_TRAILER.sub("", text).strip()) is not None

    def is_label(self, text: str) -> bool:
        return self.rules.label is not None and self.rules.label.fullmatch(text.strip()) is not None

    def is_link(self, text: str) -> bool:
        return self.rules.link.match(text.strip()) is not None

    def is_question(self, text: str) -> bool:
        return self.rules.question.fullmatch(text.strip()) is not None

    def is_hint(self, text: str) -> bool:
        return self.rules.hint is not None and self.rules.hint.match(text.strip()) is not None

    def titled(self, text: str) -> bool:
        return self.is_link(text) or self.is_question(text) or self.is_hint(text)


def find_chrome(source: str, rules: ChromeRules | None, skip_lines: int = 0) -> Chrome:
    """The chrome of a pasted page in ``source``; the first ``skip_lines`` (the subject) are the merchant's."""
    if rules is None:
        return Chrome()
    read = _Reader(rules)
    lines = _lines(source)
    chrome: list[tuple[int, int]] = []
    marked: set[int] = set()
    candidates: set[int] = set()
    run_until = heading_at = -1
    for i, line in enumerate(lines):
        if i < skip_lines:
            continue
        if line is None:
            if i - 1 != heading_at:  # one blank line may stand between a heading and its list
                run_until = -1
            continue
        if line.notice:
            run_until = -1
            continue
        body, end = line.body, line.start + len(line.body)
        if read.is_heading(body):
            chrome.append((line.start, end))
            marked.add(i)
            run_until, heading_at = i + RUN, i
            continue
        if i <= run_until and _title_like(body):
            chrome.append((line.start, end))
            marked.add(i)
            continue
        run_until = -1
        label = _LABEL.fullmatch(body)
        if label and (read.is_heading(label.group(1)) or read.is_label(label.group(1))):
            rest = _items(label.group(2), line.start + label.start(2))
            if len(rest) >= 2 or all(read.titled(t) for _, _, t in rest):
                chrome.extend((s, e) for s, e, _ in rest)
                marked.add(i)
                continue
        items = _items(body, line.start)
        if len(items) >= 3 and all(_nav_item(t) for _, _, t in items):
            chrome.append((line.start, end))
            marked.add(i)
            continue
        if len(items) >= 2 and all(read.titled(t) or _nav_item(t) for _, _, t in items) \
                and any(read.titled(t) or _PRICE.search(t) for _, _, t in items):
            chrome.extend((s, e) for s, e, _ in items)
            marked.add(i)
            continue
        titled = [(s, e) for s, e, t in items if read.is_link(t) or read.is_hint(t)]
        if titled:
            chrome.extend(titled)
            marked.add(i)
        elif len(items) == 1 and read.is_question(body):
            candidates.add(i)
    # A question title stands among other chrome lines (a "Related help" list without its heading).
    grew = True
    while grew and candidates:
        grew = False
        for i in sorted(candidates):
            if _next_to(lines, i, marked | (candidates - {i})):
                line = lines[i]
                assert line is not None
                chrome.append((line.start, line.start + len(line.body)))
                marked.add(i)
                candidates.discard(i)
                grew = True
    if not chrome:
        return Chrome()
    ends = tuple(m.start() for m in _NEWLINE.finditer(source))
    return Chrome(_merged(chrome), ends)


def _nav_item(text: str) -> bool:
    """A menu entry: a few words, no sentence."""
    text = text.strip(" []()")
    return 0 < len(text) <= MAX_NAV_ITEM and len(text.split()) <= 5 and not _SENTENCES.search(text) \
        and not text.endswith((".", "。", "!", "！"))


def _next_to(lines: list[_Line | None], i: int, marked: set[int]) -> bool:
    return (i - 1 in marked and lines[i - 1] is not None) or (i + 1 in marked and i + 1 < len(lines)
                                                               and lines[i + 1] is not None)


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)

"""Pasted documents: what a merchant pastes under their own lines names errors they need not have.

Merchants paste more than their problem: an agency's weekly report ("staging mode banner on Monday,
cleared Wednesday"), a forwarded onboarding mail ("if you see ..."), a team chat, meeting notes, a
forum thread, release notes ("Fixed: the 'connection timed out' message ..."), a checklist they
ticked. Such a block names errors as its subject matter, not as what the merchant sees. The
merchant's own lines (the top of the message, the subject, whatever stands outside a block) say
which part of the paste is theirs: "my colleague gets this error", "point 2 is our problem", "this
is what I see", or announce the block with a colon naming no document ("Here's what I get:"). A hit
inside a block counts only when they point at it so, when the line holding it carries a notice icon (a
banner copied with its ⚠) or tells the failure as current ("it still says ..."), or when the merchant
wrote nothing of their own beside the paste (the paste is the message). A merchant who says the
connection fails and names no error of their own owns the paste's errors (detect.py judges again).

Where a block starts and ends is structural: a rule line ("-----", "=====", "--- copied from the
report ---", a forwarded-message header between dashes), a chat log's layout ("Name [10:32]:",
"[10:32] Name:", "[27.11.26, 09:14] Name:", "10:32 名前 ..."), or the paragraph after the merchant's
own line that says they paste (``intro``, per language: "pasting below", "je vous colle", "貼ります").
A line that opens with a checkbox, ticked or not ("[x]", "[ ]", "✅", "☑", "☐"; also quoted, "> [x]"), is a
checklist's item: it says a check passed or a step is still to do, never that an error shows. The words
(intro, pointing) are data: patterns/pasted.toml.
Positions are those of the ticket's source text (``NormalizedText.source``, as evidence is quoted).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from .leading import LeadingFinder
from .schema import PastedFile
from .spans import merged
from .thread import _HEADERS, _SUPPORT_SIDE

# The merchant says what they paste in their opening lines, as the stances read the merchant's own words.
INTRO_CHARS = 2500

if TYPE_CHECKING:
    from .patterns import PatternFileError

_RULE = re.compile(r"^[ \t]*(?:[-=*~＝─━—–#]{3,}|[-=*~＝─━—–]{2,}[ \t]*\S.{0,60}?[ \t]*[-=*~＝─━—–]{2,})[ \t]*$|^[ \t]*[-=*~＝─━—–]{3,}[ \t]*\S[^.!?。]{0,50}$")
"""A rule line: "-----", "=== report ===", "--- copied from the forum ---", "---------- Forwarded message ---------"."""
_CHAT = re.compile(
    r"^[ \t]*(?:"
    r"\[[^\]\n]{0,24}\d{1,2}[:.]\d{2}[^\]\n]{0,12}\][ \t]*[^\s:：][^:：\n]{0,30}?[:：]"  # [10:32] Name: / [27.11.26, 09:14] Name:
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4},?[ \t]+\d{1,2}:\d{2}[ \t]*(?:[ap]\.?m\.?)?[ \t]*[-–][ \t]*[^:\n]{1,30}:"  # 27/11/2026, 08:14 - Name:
    r"|[^\s\[:：][^:：\n\[]{0,30}?[ \t,]+\[[^\]\n]{0,16}\d{1,2}:\d{2}[^\]\n]{0,8}\][ \t]*[:：]?"  # Name [10:32]:
    r"|\d{1,2}:\d{2}[ \t]+[^\s:：]{1,16}[ \t]*[:：]?[ \t]+\S"  # 10:32 田中 text / 10:32 Name: text
    r")",
    re.IGNORECASE,
)
"""A chat log's line: a time beside the writer's name."""
_HANDLE = re.compile(r"[ \t]*(?:[-—–•*][ \t]*)?(?=[\w.-]*[_\d])[\w.-]{2,30}[ \t]*[:：](?!\d)")
"""A forum or chat handle labelling a post ("moda_sorrento:", "sam_t:", "user42:"): the document's line, whatever its voice."""
_SENDER = re.compile(r"^[ \t]*(?:from|von|absender|de|exp[ée]diteur|remitente|da|mittente|差出人)[ \t\u00a0\u202f]*[:：]", re.IGNORECASE)
_FORWARDED = re.compile(r"forward|weitergeleitet|transf[ée]r|reenviado|inoltrato|転送", re.IGNORECASE)
"""A mail header's sender line."""
_TICK = re.compile(r"^[ \t]*(?:[>＞][ \t]*)*(?:[-*•][ \t]*)?(?:\[[ xX✓✔]\]|[✅☑✔✓☒☐])")
"""A checklist's item, ticked or not ("[x] ...", "[ ] ...", "✅ ...", "☐ ..."), also in a quoted earlier mail
("> [x] ..."): a check that passed or a step still to do, never an error showing."""
_TICK_LEAD, _TICK_BOX = " \t>＞-*•", frozenset("[✅☑✔✓☒☐")
"""What a checklist's item may open with before its box, and how the box starts: told without a regex."""
_NOTICE = re.compile(r"[⚠❗❕✖❌⛔🚫🔴‼⊗ⓧ]|\(!\)")
"""A notice icon: a banner copied with its icon is the page's message wherever it stands."""
_ITEM_LINE = r"^[ \t]*(?:[-*•][ \t]*)?(?:\(?{n}[.)．:：）](?!\d)|#{n}\b|{n}[ \t]*番|(?:point|item|punkt|point|punto|ponto)[ \t]*{n}\b)"
MIN_OWN = 40
"""Characters of their own (outside blocks and the subject) below which the merchant wrote no more than
a greeting: the paste is the message, and counts."""
CHAT_RUN = 2
"""Chat lines that make a chat log at least."""


@dataclass(frozen=True)
class PastedRules:
    """Every language's words, one regex per kind (a merchant may paste in any language)."""

    intro: regex.Pattern[str]
    cues: regex.Pattern[str]
    pointing: regex.Pattern[str]
    current: regex.Pattern[str] | None = None
    voice: regex.Pattern[str] | None = None
    failing: regex.Pattern[str] | None = None
    examples: tuple[Path, PastedFile] | None = None
    own_entry: regex.Pattern[str] | None = None
    cue_places: LeadingFinder | None = field(default=None, compare=False, repr=False)
    """Finds the cues' matches trying them only where a cue's first word occurs (see leading.py)."""
    intro_places: LeadingFinder | None = field(default=None, compare=False, repr=False)
    """The same for ``intro``: searched on every line holding a cue, a long line cost 0.1 ms a search."""

    def intro_in(self, line: str) -> bool:
        """Whether ``intro`` finds a match in the line (the same answer as ``intro.search``)."""
        return (self.intro_places or LeadingFinder(self.intro)).search(line) is not None


def build_rules(spec: PastedFile, path: Path | None = None) -> PastedRules:
    flags = regex.IGNORECASE | regex.V0

    def joined(table: dict[str, list[str]]) -> regex.Pattern[str]:
        return regex.compile("|".join(f"(?:{t})" for terms in table.values() for t in terms), flags)

    cues, intro = joined(spec.cues), joined(spec.intro)
    return PastedRules(intro, cues, joined(spec.pointing),
                       joined(spec.current) if spec.current else None, joined(spec.voice) if spec.voice else None,
                       joined(spec.failing) if spec.failing else None, (path, spec) if path is not None else None,
                       joined(spec.own_entry) if spec.own_entry else None, LeadingFinder(cues),
                       LeadingFinder(intro))


def load_pasted(directory: Path, problems: list[PatternFileError]) -> PastedRules | None:
    """``pasted.toml`` of a patterns directory (None: no such file, nothing is told apart as pasted)."""
    from .patterns import PASTED_FILE, read_guard_file

    path = directory / PASTED_FILE
    spec = read_guard_file(path, PastedFile, problems)
    return build_rules(spec, path) if spec is not None else None


@dataclass(frozen=True)
class Pasted:
    """The spans of one ticket's source that are pasted blocks the merchant does not point at."""

    spans: tuple[tuple[int, int], ...] = ()
    kept: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    """Lines inside those spans that count all the same (a notice icon, an item pointed at)."""
    source: str = field(default="", compare=False, repr=False)
    current: regex.Pattern[str] | None = field(default=None, compare=False, repr=False)
    ticked: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    """The checked items' lines (also in ``spans``): dropped even when the paste counts."""
    failing: bool = False
    """The merchant's own lines say the connection fails without naming how: when no error is found
    outside the paste, detect.py judges its hits again as the merchant's (see ``owned``)."""

    def owned(self) -> Pasted:
        """The same ticket with its pasted blocks counting (ticked items stay dropped)."""
        return Pasted(self.ticked, self.kept, self.source, self.current, self.ticked)

    @functools.cached_property
    def _starts(self) -> list[int]:
        """Where each span starts, made once: ``covers`` runs for every hit of every pattern."""
        return [s for s, _ in self.spans]

    def covers(self, start: int, end: int) -> bool:
        """Whether a hit lies wholly in a pasted block, on none of its lines that count, and its line
        does not tell the failure as current (outside the hit's own words: a banner's "may still be"); or
        its last line is a checklist's item."""
        last = self.source.rfind("\n", start, end) + 1
        if last and any(s <= last and end <= e for s, e in self.ticked):
            # A hit running from the merchant's line into a checklist's item ends in the item's words.
            return True
        i = bisect.bisect_right(self._starts, start) - 1
        if i < 0 or end > self.spans[i][1]:
            return False
        if any(s <= start < e for s, e in self.kept):
            return False
        if self.current is not None:
            lo = self.source.rfind("\n", 0, start) + 1
            hi = self.source.find("\n", end)
            line = self.source[lo:start] + " … " + self.source[end:hi if hi >= 0 else len(self.source)]
            if self.current.search(line):
                return False
        return True


def find_pasted(source: str, rules: PastedRules | None, skip_lines: int = 0) -> Pasted:
    """The pasted blocks of ``source`` whose hits do not count; the first ``skip_lines`` (the subject) are
    the merchant's own."""
    if rules is None:
        return Pasted()
    lines = source.split("\n")
    starts = list(itertools.accumulate((len(x) + 1 for x in lines), initial=0))
    # A ticked item says a check passed; in the merchant's own voice it is their report ("[x] I reconnected: still ...").
    # (No line opens with a box the ticket does not hold: most tickets hold none, and no line is read.)
    ticked = {i for i, x in enumerate(lines) if i >= skip_lines and x.lstrip(_TICK_LEAD)[:1] in _TICK_BOX
              and _TICK.match(x) and not (rules.voice is not None and rules.voice.search(x))
              } if any(box in source for box in _TICK_BOX) else set()
    blocks = _blocks(lines, rules, skip_lines)
    in_block = {i for lo, hi in blocks for i in range(lo, hi)}
    # The merchant's own lines are read only about a paste (most tickets have none).
    own = "\n".join(x for i, x in enumerate(lines) if i not in in_block and i not in ticked) if blocks else ""
    body_own = ("".join(x for i, x in enumerate(lines) if i >= skip_lines and i not in in_block and i not in ticked)
                if blocks else "")
    spans: list[tuple[int, int]] = [(starts[i], starts[i] + len(lines[i])) for i in sorted(ticked)]
    kept: list[tuple[int, int]] = []
    names = _own_entries(own[:INTRO_CHARS], rules) if blocks else set()
    if blocks and len("".join(body_own.split())) >= MIN_OWN:
        items = _pointed_items(own, rules)
        whole = items is None and not names
        if not whole:
            items = items or set()
            for lo, hi in blocks:
                # A merchant who says which entry of the paste is theirs has not announced the whole block.
                if not names and _announced(lines, lo, skip_lines, rules, in_block):
                    continue
                spans.append((starts[lo], starts[hi - 1] + len(lines[hi - 1])))
                kept.extend((starts[i], starts[i] + len(lines[i])) for i in _item_lines(lines, lo, hi, items))
                kept.extend((starts[i], starts[i] + len(lines[i])) for i in _named_lines(lines, lo, hi, names))
    # A notice icon's lines: one search over the ticket, not one per line (an icon never spans a line break).
    # (Every icon is beyond ASCII: a plain ASCII ticket can only hold the "(!)" one, found with ``in``.)
    noticed = (sorted({bisect.bisect_right(starts, m.start()) - 1 for m in _NOTICE.finditer(source)})
               if not source.isascii() or "(!)" in source else [])
    kept.extend((starts[i], starts[i] + len(lines[i])) for i in noticed)
    # "It fails" of a merchant who named their own entry is about that entry, not the others' errors.
    failing = bool(rules.failing is not None and blocks and not names and rules.failing.search(own))
    ticks = tuple((starts[i], starts[i] + len(lines[i])) for i in sorted(ticked))
    return Pasted(tuple(merged(spans, touching=False)), tuple(kept), source, rules.current, ticks, failing)


def _pointed_items(own: str, rules: PastedRules) -> set[str] | None:
    """What the merchant's own lines point at: None, the whole paste ("this error", "what I see"); else
    the numbers of the items they name ("point 2 is our problem"), empty when they point at nothing."""
    items: set[str] = set()
    for m in rules.pointing.finditer(own):
        digits = re.findall(r"\d+", m.group(0))
        if not digits:
            return None
        items.update(digits)
    return items


def _own_entries(own: str, rules: PastedRules) -> set[str]:
    """The names the merchant gives their own entry in a paste about several shops or clients ("we are
    "Ridgeway Tea"", "wir sind Shop Nr. 3 (Gartenzwerg24)"), lower case; read in their opening lines."""
    if rules.own_entry is None:
        return set()
    out: set[str] = set()
    for m in rules.own_entry.finditer(own):
        name = (m.groupdict().get("name") or "").strip().lower()
        if len(name) >= 2:
            out.add(name)
    return out


def _named_lines(lines: list[str], lo: int, hi: int, names: set[str]) -> list[int]:
    """Lines of a block that hold the merchant's own entry's name."""
    return [i for i in range(lo, hi) if any(n in lines[i].lower() for n in names)] if names else []


def _announced(lines: list[str], lo: int, skip_lines: int, rules: PastedRules, in_block: set[int]) -> bool:
    """Whether the merchant's own line right above a block (over its rule line, if any) announces it with a
    colon and names no kind of document ("Here's what I get:", "Unser Problem:", "Voilà :"): the block is
    theirs. "Pasting the agency report:" names a document, and its block stays pasted."""
    i = lo - 1
    while i >= skip_lines and (not lines[i].strip() or _RULE.match(lines[i])):
        i -= 1
    if i < skip_lines or i in in_block or not lines[i].rstrip().endswith((":", "：")):
        return False
    return not rules.intro_in(lines[i]) and not _CHAT.match(lines[i]) and not _SENDER.match(lines[i])


def _item_lines(lines: list[str], lo: int, hi: int, items: Iterable[str]) -> list[int]:
    """Lines of a block that are the numbered items pointed at, with their continuation lines."""
    out: list[int] = []
    heads = [re.compile(_ITEM_LINE.format(n=re.escape(n)), re.IGNORECASE) for n in items]
    any_item = re.compile(_ITEM_LINE.format(n=r"\d{1,2}"), re.IGNORECASE)
    inside = False
    for i in range(lo, hi):
        if any(h.match(lines[i]) for h in heads):
            inside = True
        elif any_item.match(lines[i]) or not lines[i].strip():
            inside = False
        if inside:
            out.append(i)
    return out


def _blocks(lines: list[str], rules: PastedRules, skip_lines: int) -> list[tuple[int, int]]:
    """Line ranges [lo, hi) of pasted blocks: between rule lines, a chat log's run, the paragraphs after
    an intro line."""
    rules_at = [i for i in range(skip_lines, len(lines)) if _RULE.match(lines[i]) and not _mail_from_others(lines, i)]
    # Rule lines pair up (an opening and a closing one); an unpaired last one runs to the end.
    ruled = [(rules_at[k] + 1, rules_at[k + 1] if k + 1 < len(rules_at) else len(lines))
             for k in range(0, len(rules_at), 2)]
    # A section the merchant set off with rules and wrote in their own voice is theirs, not a paste.
    blocks = [(lo, hi) for lo, hi in ruled if hi > lo and not _own_section(lines, lo, hi, rules)]
    intro = _intro_block(lines, rules, skip_lines)
    if intro is not None:
        # A chat log is pasted when the merchant says so; without their word it is the ticket itself (a transcript).
        blocks.extend(_chats(lines, skip_lines))
    if intro is not None:
        lo, hi = intro
        # A ruled block opening inside the intro's paste closes it: the merchant's own lines follow.
        hi = next((e + 1 for s, e in ruled if lo <= s - 1 <= lo + 1 and e < len(lines)), hi)
        blocks.append((lo, hi))
    return merged(blocks, touching=False)


def _own_section(lines: list[str], lo: int, hi: int, rules: PastedRules) -> bool:
    first = next((x for x in lines[lo:hi] if x.strip()), "")
    return rules.voice is not None and _opens_own(first, rules.voice)


def _mail_from_others(lines: list[str], i: int) -> bool:
    """A rule line heading a mail ("---------- Forwarded message", "-----Original Message-----") that the
    support side did not send: thread.py judges it (Amazon's mail is the merchant's evidence, an agent's is
    quoted). A mail the support side sent (an onboarding series, a newsletter) is documentation: pasted."""
    sender = next((x for x in lines[i:i + 5] if _SENDER.match(x)), None)
    if sender is None:
        return False
    return not (_FORWARDED.search(lines[i]) and _SUPPORT_SIDE.search(sender))


def _chats(lines: list[str], skip_lines: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = skip_lines
    while i < len(lines):
        if not _CHAT.match(lines[i]):
            i += 1
            continue
        j, last, count = i, i, 0
        while j < len(lines):
            if _CHAT.match(lines[j]):
                count, last = count + 1, j
            elif not lines[j].strip() and not (j + 1 < len(lines) and _CHAT.match(lines[j + 1])):
                break
            j += 1
        if count >= CHAT_RUN:
            out.append((i, last + 1))
        i = j + 1
    return out


def _intro_block(lines: list[str], rules: PastedRules, skip_lines: int) -> tuple[int, int] | None:
    """The merchant's line naming the document they paste, and the block it introduces: the next line when
    it ends with a colon, else the next paragraph; further paragraphs join while they read as the
    document's (a heading, an item, a chat line, a label), never past a mail's header or a rule line."""
    # The cue words ("pasted", "below", "貼ります") are rare, so they are looked for first, in one search, and
    # the document words only on the lines holding one; both only in the merchant's opening (INTRO_CHARS).
    cues = rules.cue_places or LeadingFinder(rules.cues)
    for i in sorted(_lines_matching(lines, cues, skip_lines, INTRO_CHARS)):
        line = lines[i]
        if not line.strip() or _RULE.match(line) or not rules.intro_in(line):
            continue
        j = i + 1
        if not line.rstrip().endswith((":", "：")):
            while j < len(lines) and lines[j].strip():
                j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        # The merchant's own paragraphs may come first ("... report below. But first: we get ..."): the
        # document starts at the first paragraph not in their voice.
        while j < len(lines) and rules.voice is not None and _opens_own(lines[j], rules.voice):
            while j < len(lines) and lines[j].strip():
                j += 1
            while j < len(lines) and not lines[j].strip():
                j += 1
        if j >= len(lines) or _mail_line(lines[j]):
            return None
        k = j
        while k < len(lines):
            if _mail_line(lines[k]) or _RULE.match(lines[k]):
                break
            if not lines[k].strip():
                at = next((m for m in range(k, len(lines)) if lines[m].strip()), len(lines))
                para = list(itertools.takewhile(str.strip, lines[at:at + 2]))
                if not _document_like(para) or (rules.voice is not None and _opens_own(para[0], rules.voice)):
                    break
            k += 1
        return j, k
    return None


def _lines_matching(lines: list[str], words: LeadingFinder, skip_lines: int, chars: int) -> set[int]:
    """The lines from ``skip_lines`` on, starting within ``chars`` characters, in which ``words`` finds a
    match: one search over the joined lines, not one per line (these large alternations cost about 0.1-0.4 us
    per character and search, and long tickets have hundreds of lines), tried only where a first word occurs. The same lines as searching each:
    the words never span a line break, and a line break reads as a line's edge does (a non-word character)."""
    starts = list(itertools.accumulate((len(x) + 1 for x in lines[skip_lines:-1]), initial=0))
    end = bisect.bisect_left(starts, chars)
    text = "\n".join(lines[skip_lines:skip_lines + end])
    return {skip_lines + bisect.bisect_right(starts, m.start()) - 1 for m in words.finditer(text)}


def _opens_own(line: str, voice: regex.Pattern[str]) -> bool:
    """A paragraph's first line in the merchant's first person, not a chat line or an item of the document
    (a ticked item in their voice is theirs: "[x] I cleared the cache, still ...")."""
    if _CHAT.match(line) or _HANDLE.match(line) or re.match(r"[ \t]*(?:[-*•・>＞]|\(?\d{1,2}[.)．）])", line):
        return False
    return voice.search(line[:80]) is not None


def _document_like(para: list[str]) -> bool:
    """Whether a paragraph (its first two lines) continues a pasted document: it opens with an item, a chat
    line or a label ("Reply from the moderator:"), or with a heading over such lines; a sentence, or a
    line on its own (a banner the merchant copied after the document), is the merchant again."""
    def item(line: str) -> bool:
        text = line.strip()
        return bool(_CHAT.match(line) or _TICK.match(line) or re.match(r"(?:[-*•・>＞]|\(?\d{1,2}[.)．）])", text)
                    or re.match(r"[^:：.!?。\"“„«「]{1,40}[:：]", text))
    if not para:
        return False
    if item(para[0]):
        return True
    heading = len(para[0].strip()) <= 60 and not re.search(r"[.!?。！？\"”»」]$", para[0].strip())
    return heading and len(para) > 1 and item(para[1])


def _mail_line(line: str) -> bool:
    """A mail's header line: quoted mail is thread.py's to judge, never a paste the intro line announced."""
    return bool(_SENDER.match(line) or _HEADERS.match(line))

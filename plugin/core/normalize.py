"""Turn a ticket as sent (HTML e-mail, reply thread, pasted banner) into text patterns can match.

Patterns see one canonical form: NFKC, straight quotes, no zero-width characters, no e-mail quote
markers, every run of white space a single space. Positions found there map back to the
merchant's own words so evidence quotes what they wrote.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from html.parser import HTMLParser
from typing import Any

from .anchors import AnchorIndex, WordIndex
from .offsets import OffsetMap, rewrite, rewrite_constant
from .prefilter import MIN_AUTOMATON, SEARCH_TRAPS, Requirement, common_factors, may_match, need_automaton

SHORT_TEXT = 4000
"""Up to this length, looking for a word in the whole text costs about what a window does, and is
done once per ticket."""
FACTOR_PLACES = 16
"""Places of a clause's common piece worth checking one by one for its strings (see clause_occurs)."""

_LOOKS_LIKE_HTML = re.compile(r"<(?:[a-z][a-z0-9]*)(?:\s[^<>]*)?/?>|</[a-z][a-z0-9]*\s*>", re.I)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});?", re.I)
# Runs of non-ASCII characters. (A combining mark after an ASCII letter stays decomposed: cheap,
# and the same in normalize() and in its position-tracking replay, which is what matters.)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# E-mail quote markers (">", "> >") at the start of a line, then every run of white space.
# (Starting with a literal line break lets the regex engine scan for it; the first line is separate.)
_QUOTE_MARKERS = re.compile(r"\n[ \t]*>[ \t>]*")
_FIRST_QUOTE_MARKER = re.compile(r"\A[ \t]*>[ \t>]*")
# " ".join(text.split()) in three passes that never match a lone inner space (most of a ticket) and
# that each start with something the regex engine can scan for fast: other white space from its
# first character on becomes one space; then runs of spaces; then the ends.
_OTHER_SPACE = re.compile(r"[^\S ]\s*")
_SPACE_RUN = re.compile(r" \s+")
_ENDS = re.compile(r"^ | $")
_ASCII_OTHER_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
"""The ASCII characters besides the space that ``\\s`` matches (``str.isspace``)."""


@lru_cache(maxsize=64)
def _spaces_of(chars: str) -> re.Pattern[str]:
    """_OTHER_SPACE for a text whose only white space is the space and ``chars``: a class of a few
    characters (a line break alone: a literal) that ``re`` scans for quickly, where ``[^\\S ]`` is
    judged character by character."""
    return re.compile(f"[{re.escape(chars)}][ {re.escape(chars)}]*")


def _other_space(text: str) -> re.Pattern[str] | None:
    """The regex that finds what _OTHER_SPACE finds in ``text``, the fastest one that does (None:
    it finds nothing)."""
    if not text.isascii():
        return _OTHER_SPACE
    chars = "".join(c for c in _ASCII_OTHER_SPACE if c in text)
    return _spaces_of(chars) if chars else None


# A line break between two letters, the second lower-case (or both Japanese): where text copied
# from a screenshot (OCR) wrapped a word, e.g. "ist i\nn dieser Region nicht re\ngistriert"; the copy
# may indent its lines ("  Couldn't con\n  nect"), and the indentation goes with the break. A hyphen
# the copy put at the break goes with it too ("No se pudo co-\nnectar").
_WRAP_BREAK = re.compile(r"(?<=[^\W\d_])-?\r?\n[ \t]*(?=[^\W\d_])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
# In the same unwrapped reading, a space a screenshot's text recognition put between two Japanese
# characters ("Amazonにお問い合わ せください"): Japanese writes no spaces inside a sentence.
_CJK_SPACE = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff])[ \t](?=[\u3040-\u30ff\u3400-\u9fff])")
WRAPPED_LINE = 40
"""A screenshot's lines are short: a longer line ends where its writer chose to."""


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end == -1 else end


def _block_lines(text: str, pos: int, end: int) -> int:
    """Short non-empty lines, up to four, around the line break text[pos:end], no blank line between."""
    count = 2
    start = text.rfind("\n", 0, pos)
    if start != -1 and 0 < len(text[text.rfind("\n", 0, start) + 1:start].strip()) <= WRAPPED_LINE:
        count += 1
    after = text.find("\n", end)
    if after != -1:
        stop = text.find("\n", after + 1)
        if 0 < len(text[after + 1:len(text) if stop == -1 else stop].strip()) <= WRAPPED_LINE:
            count += 1
    return count


def _unwrap(m: re.Match[str]) -> str:
    """Join a screenshot line that wrapped inside a word; any other line break stays."""
    text, pos = m.string, m.start()
    before, after = text[pos - 1], text[m.end()]
    start, _ = _line_bounds(text, pos)
    _, stop = _line_bounds(text, m.end())
    # A header or label line ("Betreff: …", "件名：…") is no wrapped banner: quote detection reads it.
    if pos - start > WRAPPED_LINE or ":" in text[start:stop]:
        return m.group()
    if not (after.islower() or _CJK.match(before) and _CJK.match(after)):
        return m.group()
    return "" if _block_lines(text, pos, m.end()) >= 3 else m.group()


def _wrap_breaks(text: str, short_lines: bool = False) -> Iterator[re.Match[str]]:
    """``_WRAP_BREAK.finditer(text)``, tried only at the line breaks (the regex starts with a
    look-behind, so the engine would try it at every character). ``short_lines``: only the breaks
    after a line _unwrap may join (at most ``WRAPPED_LINE`` characters before the break)."""
    pos = text.find("\n")
    line_start = 0
    while pos != -1:
        # A match starts at most two characters ("-\r") before the line break: a line longer than
        # WRAPPED_LINE + 2 puts it more than WRAPPED_LINE past the line's start, where _unwrap keeps it.
        if not short_lines or pos - line_start <= WRAPPED_LINE + 2:
            start = pos - 1 if pos > 0 and text[pos - 1] == "\r" else pos
            m = _WRAP_BREAK.match(text, start - 1 if start > 0 and text[start - 1] == "-" else start)
            if m is not None:
                yield m
        line_start = pos + 1
        pos = text.find("\n", line_start)


def has_wrapped_words(text: str) -> bool:
    """Whether unwrapping (see _unwrap) would change this text: detection then also reads it unwrapped."""
    return any(_unwrap(m) == "" for m in _wrap_breaks(text, short_lines=True))


_PUNCT = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "\u0060": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
        "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u200b": "", "\u200c": "", "\u200d": "",
        "\u2060": "", "\ufeff": "", "\u00ad": "",
        # Bidi controls: they reorder what a reader sees, so evidence would not quote honestly.
        "\u200e": "", "\u200f": "", "\u061c": "", "\u202a": "", "\u202b": "", "\u202c": "",
        "\u202d": "", "\u202e": "", "\u2066": "", "\u2067": "", "\u2068": "", "\u2069": "",
        "\u2061": "", "\u2062": "", "\u2063": "", "\u2064": "", "\u180e": "",
    }
)


_ATTRIBUTION = re.compile(r"(?:\bwrote|\bschrieb|a écrit|escribió|ha scritto|scrisse|のメール|書きました)\s*[:：]?\s*$", re.I)
"""The line a mail client writes above the message it quotes ("On Tue, ... Chloe wrote:")."""


class _TextExtractor(HTMLParser):
    """What a reader sees, with a replied mail's <blockquote> written as "> " lines, as a plain-text client
    shows it, so that the thread's layout tells the quoted mail from the merchant's own words. Only a
    mail client's quote is one (type="cite", a class naming a quote, or an "... wrote:" line above): a
    blockquote after "it says:" holds the banner the merchant pastes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0
        self._quotes: list[bool] = []

    def _mail_quote(self, attrs: list[tuple[str, str | None]]) -> bool:
        named = dict(attrs)
        if (named.get("type") or "").lower() == "cite" or "quote" in (named.get("class") or "").lower():
            return True
        before = "".join(self.parts[-40:]).rstrip()
        return bool(_ATTRIBUTION.search(before[before.rfind("\n") + 1:]))

    def _break(self, then: str = "") -> None:
        self.parts.append("\n" + "> " * self._quote + then)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "blockquote":
            self._quotes.append(self._mail_quote(attrs))
            self._quote += self._quotes[-1]
            self._break()
        elif tag == "li":
            self._break("• ")  # a list item keeps its bullet: lists of errors are told by their shape
        elif tag in _BLOCK_TAGS and not (self.parts and self.parts[-1].endswith("• ")):
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "blockquote":
            self._quote -= self._quotes.pop() if self._quotes else 0
            self._break()
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", "\n" + "> " * self._quote) if self._quote else data)


def html_to_text(markup: str) -> str:
    """Keep what a reader sees; block elements and <br> become line breaks."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def _fold_unicode(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group()).translate(_PUNCT)


def _unescape(m: re.Match[str]) -> str:
    return html.unescape(m.group())




_OCR_CONFUSION = re.compile(r"\b(?=[A-Za-z01]*[a-z])[A-Za-z]*[01][A-Za-z01]*\b|rn")
"""What a screenshot's text recognition misreads: 0 and 1 inside a lower-case word ("acc0unt", "Se11er", "P1ease"),
and "rn" for "m" ("Arnazon", "stagingrnode"). Merchant IDs (upper case with other digits) are not such words."""
_OCR_WORD = re.compile(r"(?=[A-Za-z01]*[a-z])[A-Za-z]+[01][A-Za-z01]*")
"""A misread word worth a second reading: four or more letters and 0/1, a letter first ("Y0ur", "stil1"),
never "10am" or "1st"."""
_OCR_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01")
_OCR_DIGITS = str.maketrans("01", "ol")


def _deconfuse(m: re.Match[str]) -> str:
    """Read a misrecognised word as the letters it shows (see _OCR_CONFUSION)."""
    word = m.group()
    if word == "rn":
        return "m"
    if sum(c.isalpha() for c in word) < 2:
        return word
    return word.translate(_OCR_DIGITS).replace("rn", "m")


def has_ocr_noise(text: str) -> bool:
    """Whether a screenshot's misread text shows (see _OCR_WORD, "Arnazon"): detection then also reads it
    with those read as letters (a second reading, see detect_text). Looked for with str.find (a regex scan
    of a 50 KB ticket costs more than the rest of this check)."""
    if "rnazon" in text:
        return True
    for digit in "01":
        pos, seen = text.find(digit), 0
        while pos != -1 and seen < 100:
            if pos > 0 and text[pos - 1].isascii() and text[pos - 1].isalpha():
                start = end = pos
                while start > 0 and text[start - 1] in _OCR_LETTERS:
                    start -= 1
                while end < len(text) and text[end] in _OCR_LETTERS:
                    end += 1
                if end - start >= 4 and _OCR_WORD.fullmatch(text, start, end):
                    return True
            pos, seen = text.find(digit, pos + 1), seen + 1
    return False


# (needed?, stage pattern, replacement: a function, or a constant string): normalize() in slow
# motion, one stage at a time.
_STAGES: tuple[tuple[Callable[[str], bool], re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = (
    (lambda t: "&" in t, _ENTITY, _unescape),
    (lambda t: not t.isascii(), _NON_ASCII, _fold_unicode),
    (lambda t: ">" in t, _FIRST_QUOTE_MARKER, ""),
    (lambda t: ">" in t, _QUOTE_MARKERS, "\n"),
    (lambda t: True, _OTHER_SPACE, " "),
    (lambda t: True, _SPACE_RUN, " "),
    (lambda t: t[:1] == " " or t[-1:] == " ", _ENDS, ""),
)


@lru_cache(maxsize=65536)
def _ascii_strings(clause: frozenset[str]) -> frozenset[str]:
    """The strings of a clause that an ASCII text may hold."""
    return frozenset(s for s in clause if s.isascii())


@dataclass(frozen=True)
class NormalizedText:
    """Canonical text for matching, with the way back to the merchant's words."""

    source: str
    text: str
    lowered: str
    _anchor_hits: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)
    _typo_hits: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict, compare=False, repr=False)
    _seen: set[str] = field(default_factory=set, compare=False, repr=False)
    _preloaded: set[AnchorIndex] = field(default_factory=set, compare=False, repr=False)
    _covered: dict[frozenset[str], bool] = field(default_factory=dict, compare=False, repr=False)
    _present: dict[frozenset[str], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    _anywhere: dict[frozenset[str], bool] = field(default_factory=dict, compare=False, repr=False)
    """For a long text, whether some string of a requirement occurs anywhere in it (see holds)."""
    unwrapped: bool = False
    """Words a screenshot's copy wrapped across lines were joined (see _unwrap)."""
    ocr: bool = False
    """Digits and letter pairs a screenshot's text recognition misread were read as letters (see _deconfuse)."""
    _words: set[str] = field(default_factory=set, compare=False, repr=False)
    """Words of the preloaded word indexes that occur in a short text (see preload_words)."""
    _word_keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _word_indexes: set[int] = field(default_factory=set, compare=False, repr=False)
    live_branches: dict[int, tuple[object, ...]] = field(default_factory=dict, compare=False, repr=False)
    """Per negative (by id), the parts of it whose words occur in this ticket (see CompiledNegative.live)."""
    searched: dict[tuple[object, ...], Any] = field(default_factory=dict, compare=False, repr=False)
    """Answers about negatives remembered per ticket: first matches by (negative id or branch source,
    start, end), as the languages' negatives share branches and every hit of a pattern asks its
    whole-ticket ones again; which of a pattern's negatives may occur at all (see search.first_veto)."""
    _places: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)
    _clauses: dict[frozenset[str], bool] = field(default_factory=dict, compare=False, repr=False)

    def clause_occurs(self, clause: frozenset[str]) -> bool:
        """Whether some string of ``clause`` occurs anywhere in the text (remembered per ticket).

        For a long text, where a set lookup is not prepared (see preload_words): the clause's common
        pieces are looked for first (one find rules out thirty phrases that all hold "staging "), then
        its strings only where the longest piece occurs."""
        found = self._clauses.get(clause)
        if found is None:
            found = self._clauses[clause] = self._clause_occurs(clause)
        return found

    def _clause_occurs(self, clause: frozenset[str]) -> bool:
        if self.ascii:
            clause = _ascii_strings(clause)  # (Japanese phrases cannot occur in an ASCII ticket)
            if not clause:
                return False
        factors = common_factors(clause)
        for piece in factors:
            if not self._places_of(piece):
                return False
        if len(clause) == 1 and factors:
            return True  # the one string is its own longest piece
        places = self._places_of(factors[0]) if factors else []
        if not factors or len(places) > FACTOR_PLACES:
            return any(self._places_of(s) for s in clause)
        low, piece = self.lowered, factors[0]
        for s in clause:
            offset = s.find(piece)
            for pos in places:
                if pos >= offset and low.startswith(s, pos - offset):
                    return True
        return False

    def _places_of(self, s: str) -> list[int]:
        """Where ``s`` starts in the lowered text: the first ``FACTOR_PLACES + 1`` places (remembered)."""
        found = self._places.get(s)
        if found is None:
            found = self._places[s] = []
            low = self.lowered
            pos = low.find(s)
            while pos != -1 and len(found) <= FACTOR_PLACES:
                found.append(pos)
                pos = low.find(s, pos + 1)
        return found

    def preload_words(self, index: WordIndex) -> None:
        """Find which of an index's words a short text holds, in one pass: ``holds`` then answers
        from a set for requirements made of them."""
        if len(self.lowered) > SHORT_TEXT or id(index) in self._word_indexes:
            return
        self._word_indexes.add(id(index))
        self._words.update(index.found(self.lowered))
        object.__setattr__(self, "_word_keys", self._word_keys | index.words if self._word_keys else index.words)

    @property
    def word_keys(self) -> frozenset[str]:
        """Every word the preloaded word indexes looked for (see preload_words)."""
        return self._word_keys

    @property
    def words_found(self) -> set[str]:
        """Those of ``word_keys`` the text holds."""
        return self._words

    def preload(self, index: AnchorIndex) -> None:
        """Find all of a pattern set's anchors (and their misspellings) in one pass; find_all then answers from memory."""
        if index not in self._preloaded:
            hits, typos = index.scan_with_typos(self.lowered)
            self._anchor_hits.update(hits)
            self._typo_hits.update(typos)
            self._seen.update(a for a, found in hits.items() if found)
            self._seen.update(a for a, found in typos.items() if found)
            self._preloaded.add(index)
            self._covered.clear()

    def may_hold(self, anchors: frozenset[str], index: AnchorIndex | None = None) -> bool:
        """False only when a preloaded index (any, by default) saw none of these anchors, spelt right or not."""
        if index is None:
            if not self._preloaded or not anchors.isdisjoint(self._seen):
                return True
            covered = self._covered.get(anchors)
            if covered is None:
                covered = self._covered[anchors] = any(anchors <= ix.anchors for ix in self._preloaded)
            return not covered
        return index not in self._preloaded or not anchors.isdisjoint(self._seen)

    def anchors_present(self, anchors: frozenset[str]) -> list[tuple[str, list[int]]] | None:
        """Those of ``anchors`` spelt right in the text with their places (as find_all gives them),
        when a preloaded index looked for all of them; None when one was not looked for."""
        if not self._preloaded:
            return None
        covered = self._covered.get(anchors)
        if covered is None:
            covered = self._covered[anchors] = any(anchors <= ix.anchors for ix in self._preloaded)
        if not covered:
            return None
        hits = self._anchor_hits
        return [(a, found) for a in anchors if (found := hits.get(a))]

    def seen_of(self, index: AnchorIndex) -> set[str] | None:
        """The anchors found right or misspelt, once ``index`` was looked for (else None)."""
        return self._seen if index in self._preloaded else None

    @property
    def has_typos(self) -> bool:
        return bool(self._typo_hits)

    def typos_of(self, anchor: str) -> list[tuple[int, int, int]]:
        """Misspelt occurrences of an anchor as (start, length, edits), when preloaded with typos."""
        return self._typo_hits.get(anchor, [])

    def find_all(self, needle: str, limit: int) -> list[int]:
        """Start positions of a lower-case literal, at most ``limit``; patterns share anchors, so cache them."""
        hits = self._anchor_hits.get(needle)
        if hits is not None:
            return hits
        for index in self._preloaded:
            if needle in index.anchors:
                return []
        if hits is None:
            hits = []
            pos = self.lowered.find(needle)
            while pos != -1 and len(hits) < limit:
                hits.append(pos)
                pos = self.lowered.find(needle, pos + 1)
            self._anchor_hits[needle] = hits
        return hits

    @cached_property
    def _rebuilt(self) -> tuple[str, tuple[OffsetMap, ...]]:
        # Built only when evidence is asked for: most tickets never match anything. The stages
        # replay normalize() with position tracking, so they must produce the same text.
        maps = []
        text = self.source
        extra: tuple[tuple[Callable[[str], bool], re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = ()
        if self.unwrapped:
            extra += ((lambda t: "\n" in t, _WRAP_BREAK, _unwrap), (lambda t: not t.isascii(), _CJK_SPACE, ""))
        if self.ocr:
            extra += ((lambda t: True, _OCR_CONFUSION, _deconfuse),)
        stages = _STAGES[:4] + extra + _STAGES[4:] if extra else _STAGES
        for needed, pattern, repl in stages:
            if pattern is _OTHER_SPACE:
                found = _other_space(text)
                if found is None:
                    maps.append(OffsetMap())
                    continue
                pattern = found
            if needed(text):
                text, m = rewrite_constant(text, pattern, repl) if isinstance(repl, str) else rewrite(text, pattern, repl)
                maps.append(m)
        return text, tuple(maps)

    def holds(self, need: Requirement, start: int = 0, end: int | None = None) -> bool:
        """False only when no string of ``need`` lies wholly within ``lowered[start:end]`` (see
        prefilter.py). In a short text, which strings occur at all is remembered per ticket: the
        same words are asked for by several negatives, patterns and hits."""
        if need is None:
            return True
        low = self.lowered
        end = len(low) if end is None else end
        if len(low) > SHORT_TEXT:
            if start <= 0 and end >= len(low):
                # The whole of a long text (a ticket-wide negative, asked again at every hit): once.
                known = self._anywhere.get(need)
                if known is None:
                    known = self._anywhere[need] = may_match(need, low)
                return known
            if len(need) >= MIN_AUTOMATON and 0 <= start <= end <= len(low):
                for _ in need_automaton(need).iter(low, start, end):  # (it reads [start, end) only)
                    return True
                return False
            find = low.find  # (may_match, inlined: this runs for every negative near every hit)
            for s in need:
                if find(s, start, end) != -1:
                    return True
            return False
        present = self._present.get(need)
        if present is None:
            if need <= self._word_keys:
                present = tuple(need & self._words)
            else:
                present = tuple([s for s in need if s in low])
            self._present[need] = present
        if not present:
            return False
        if start <= 0 and end >= len(low):
            return True
        for s in present:
            if low.find(s, start, end) != -1:
                return True
        return False

    @cached_property
    def ascii(self) -> bool:
        """Whether the text is plain ASCII (a regex needing kana or accented letters cannot match)."""
        return self.text.isascii()

    @cached_property
    def folds_plainly(self) -> bool:
        """Whether lower-cased ASCII words found in ``lowered`` are exactly where a case-insensitive
        regex finds them in ``text`` (no "İ", see prefilter.SEARCH_TRAPS)."""
        return not any(c in self.text for c in SEARCH_TRAPS)

    @property
    def _maps(self) -> tuple[OffsetMap, ...]:
        return self._rebuilt[1]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        for m in reversed(self._maps):
            start, end = m.start(start), m.end(end)
        return start, max(start, end)

    def evidence(self, start: int, end: int) -> str:
        s, e = self.source_span(start, end)
        return self.source[s:e]


def _same_length_lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _fold(text: str) -> str:
    """The character stages both entry points share: HTML entities, then Unicode folding."""
    if "&" in text:
        text = _ENTITY.sub(_unescape, text)
    if not text.isascii():
        text = _NON_ASCII.sub(_fold_unicode, text)
    return text


def fragment(line: str) -> str:
    """One line normalised exactly as normalize() treats it inside a whole text."""
    text = _fold(line)
    if ">" in text:
        text = _FIRST_QUOTE_MARKER.sub("", text)
    return " ".join(text.split())


def normalize(raw: str, unwrap: bool = False, ocr: bool = False) -> NormalizedText:
    """Normalise one ticket text; never raises on any str. ``unwrap``: join words a screenshot's
    copy wrapped across lines; ``ocr``: read misrecognised letters as letters (second readings, see detect_text)."""
    source = html_to_text(raw) if _LOOKS_LIKE_HTML.search(raw) else raw
    text = _fold(source)
    if ">" in text:
        text = _QUOTE_MARKERS.sub("\n", _FIRST_QUOTE_MARKER.sub("", text))
    if unwrap and "\n" in text:
        text = _WRAP_BREAK.sub(_unwrap, text)
    if unwrap and not text.isascii():
        text = _CJK_SPACE.sub("", text)
    if ocr:
        text = _OCR_CONFUSION.sub(_deconfuse, text)
    # Same result as the _space stage, at C speed.
    text = " ".join(text.split())
    return NormalizedText(source, text, _same_length_lower(text), unwrapped=unwrap, ocr=ocr)

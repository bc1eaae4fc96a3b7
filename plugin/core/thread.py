"""The shape of a ticket's text: its lines, its sentences and clauses, and which parts are quoted.

A merchant's reply often carries older messages below it ("> ..." lines, "On ... wrote:", Outlook
"From:/Sent:" blocks, "-----Original Message-----", each language's quote headers). Quoted text may
be an agent's words ("if it says 'not a Professional account' ..."), so it is context, never alone
the merchant's error. A forwarded message from Amazon itself is the merchant's evidence.

Positions are those of the normalised text (see normalize.py); the layout is built only for tickets
where some pattern hit, so most tickets never pay for it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

import regex

from .normalize import fragment
from .prefilter import required_literals

_QUOTE_LINE = re.compile(r"^[ \t]*[>＞]")
"""A quoted line: "> ..." (Japanese mail clients write the full-width "＞")."""
_HEADERS = re.compile(
    r"^\s*(?:on\b.{0,200}\bwrote\s*:?"
    r"|-{2,}\s*(?:original message|forwarded message|begin forwarded message)\s*-{0,}"
    r"|begin forwarded message\s*:?"
    r"|_{5,}"
    r")\s*$",
    re.IGNORECASE,
)
_OUTLOOK_NEXT = re.compile(r"^\s*(?:sent|date|to|subject|cc)\s*:", re.IGNORECASE)
_FROM = re.compile(r"^\s*from\s*:", re.IGNORECASE)
_FORWARD = re.compile(
    r"forward|weitergeleitet|transf[ée]r[ée]|reenviado|inoltrato|転送|^\s*(?:subject|betreff|objet|asunto|oggetto|件名)\s*:\s*(?:fwd?|wg|tr|rv|i)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_AMAZON_SENDER = re.compile(r"@amazon\.|seller-notification|amazon", re.IGNORECASE)
_AMAZON_ADDRESS = re.compile(r"@amazon\.|seller-notification", re.IGNORECASE)
_CHANNEL_DESK = re.compile(r"codisto|amazon[ -]channel", re.IGNORECASE)
"""The Amazon channel's own support desk ("Amazon by Codisto Support", "Amazon Channel Support"): its
name says Amazon, its mails are the support side's words, not Amazon's."""


def _from_amazon(sender: str) -> bool:
    """Whether a sender line is Amazon itself: an Amazon address, or the name Amazon without the channel's desk."""
    return bool(_AMAZON_ADDRESS.search(sender) or (_AMAZON_SENDER.search(sender) and not _CHANNEL_DESK.search(sender)))
_FIELD_LINE = re.compile(
    r"^\s*(?:from|sent|date|to|cc|subject|von|gesendet|an|betreff|datum|de|envoy[ée]|[àa]|objet|date|enviado|para|asunto"
    r"|fecha|da|inviato|a|oggetto|data|差出人|送信日時|宛先|件名)\s*:",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|[。！？]")
CLAUSE_BREAK = re.compile(
    r"[,;、，]|\s(?:but|however|although|though|whereas|aber|jedoch|mais|cependant|pero|sin embargo|ma|però|tuttavia)\b"
    r"|しかし|けど|ですが|ただ",
    re.IGNORECASE,
)
FOLLOW_UP = re.compile(
    r"\b(?:still|same|(?<!\bthanks )(?<!\bthank you )again|persists?|keeps?|continues?|nothing changed|no change|as before"
    r"|this error|that error)\b",
    re.IGNORECASE,
)
"""English words of a merchant's reply that take up a quoted error as still theirs ("still the same"); "thanks again"
only thanks. Every other language's are in its language.toml (``followup_cues``), so adding one stays a change to data."""
TAKES_UP = re.compile(
    r"\b(?:still the same|(?<!\bnot )(?<!\bnot the )(?:the )?same (?:error|message|banner|thing|problem|issue)(?! as\b| like\b)"
    r"|(?:error|message|banner) is (?:still )?the same"
    r"|nothing (?:has )?changed|no change|didn'?t (?:help|work|change anything)|did not (?:help|work))\b",
    re.IGNORECASE,
)
"""Stronger words than FOLLOW_UP: the error the support side named is still the merchant's ("still the same"), not
merely "still waiting on another question"; "not the same error this time" is another one. English; every other
language's are in its language.toml (``[reply_cues] takes_up``, see cues.py)."""
HYPOTHETICAL = re.compile(r"\b(?:if|in case|should|wenn|falls|si|se|qualora|(?:en|in|nel) caso)\b|もし|場合", re.IGNORECASE)
PLAIN_FOLDING = frozenset("àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ")
"""Lower-case letters beside ASCII that ``re`` matches case-insensitively exactly where ``str.lower``
gives them (see test_thread): a word of these is found in the lowered text as ``re`` finds it."""


def folded_words(rx: re.Pattern[str]) -> frozenset[str] | None:
    """For a case-insensitive ``re`` pattern: lower-cased strings one of which every match holds
    (see prefilter.required_literals), when their letters fold plainly (ASCII, ``PLAIN_FOLDING``, or
    uncased, as kana); None: unknown, always search."""
    need = required_literals(rx.pattern)
    if need is None:
        return None
    plain = all(ch.isascii() or ch in PLAIN_FOLDING or ch.lower() == ch == ch.upper() for s in need for ch in s)
    return frozenset(s.lower() for s in need) if plain else None


def occurs(rx: re.Pattern[str], words: frozenset[str] | None, text: str) -> bool:
    """``bool(rx.search(text))``, answered False without the search when the text holds none of the
    ``words`` (from ``folded_words``) every match holds: a long reply rarely says "still" or "same"."""
    if words is not None:
        low = _plain_lower(text)
        if low is not None and not any(w in low for w in words):
            return False
    return rx.search(text) is not None


HYPOTHETICAL_AFTER = re.compile(r"[^。！？!?\n]{0,16}?場合")
"""Japanese puts the condition after what it quotes: "「エラーが発生しました」と表示される場合は" is an
instruction, not the merchant's error."""
LOOK = 600
"""How far a sentence or clause is followed either way (a sentence longer than this is cut)."""


@dataclass(frozen=True)
class Layout:
    text: str
    line_starts: tuple[int, ...]
    quoted: tuple[tuple[int, int], ...]
    agent_quoted: tuple[tuple[int, int], ...] = ()
    """Quoted spans under a header naming the support side ("Codisto Support wrote:"): the agent's
    words, never taken up as the merchant's error."""
    newest_end: int | None = None
    """Where the newest message ends: the first header of an earlier (or forwarded) message; None
    when there is none. The merchant's own earlier mail below it is unquoted but older."""
    _spans: dict[tuple[int, int, bool], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    """Sentence (False) and clause (True) bounds already found, by span: every negative of a pattern
    asks for the same hit's sentence, and each search reads up to ``LOOK`` characters either way."""

    def in_older(self, start: int, end: int) -> bool:
        """Whether a span lies in an earlier message: quoted, or below the newest message's end."""
        return self.is_quoted(start, end) or (self.newest_end is not None and start >= self.newest_end)

    def in_agent_quote(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.agent_quoted)

    def own_text(self) -> str:
        """The merchant's own words: everything not quoted."""
        parts, pos = [], 0
        for s, e in self.quoted:
            parts.append(self.text[pos:s])
            pos = e
        parts.append(self.text[pos:])
        return " ".join(parts)

    def follows_up(self, extra: regex.Pattern[str] | None = None) -> bool:
        """Whether the merchant's own words say the quoted problem is still theirs."""
        return says_still(self.own_text()[:20_000], extra)

    def takes_up(self, extra: regex.Pattern[str] | None = None) -> bool:
        """Whether the merchant's own words say the error the support side named is still there (by TAKES_UP or
        by a set's own words ``extra``, its languages')."""
        own = self.own_text()[:20_000]
        return occurs(TAKES_UP, _TAKES_UP_WORDS, own) or (extra is not None and extra.search(own) is not None)

    def first_take_up(self, extra: regex.Pattern[str] | None = None) -> int | None:
        """Where the merchant's own words first take up an error ("same banner"), in the text; None: nowhere."""
        if not self.takes_up(extra):
            return None
        firsts = (next((m.start() for m in rx.finditer(self.text) if not self.is_quoted(m.start(), m.end())), None)
                  for rx in (TAKES_UP, extra) if rx is not None)
        return min((at for at in firsts if at is not None), default=None)

    def is_quoted(self, start: int, end: int) -> bool:
        """Whether a span lies wholly inside quoted text."""
        i = bisect.bisect_right([q[0] for q in self.quoted], start) - 1
        return i >= 0 and self.quoted[i][0] <= start and end <= self.quoted[i][1]

    def _bounds(self, start: int, end: int, breaks: re.Pattern[str]) -> tuple[int, int]:
        lo = max(0, start - LOOK)
        s = lo
        for m in breaks.finditer(self.text, lo, start):
            s = m.end()
        i = bisect.bisect_right(self.line_starts, start) - 1
        if i >= 0:
            s = max(s, self.line_starts[i])
        hi = min(len(self.text), end + LOOK)
        m = breaks.search(self.text, end, hi)
        e = m.start() if m else hi
        j = bisect.bisect_right(self.line_starts, end)
        if j < len(self.line_starts):
            e = min(e, self.line_starts[j])
        return self._trimmed(s, max(e, end)) if s < start else (s, max(e, end))

    def _trimmed(self, s: int, e: int) -> tuple[int, int]:
        while s < e and self.text[s] == " ":
            s += 1
        while e > s and self.text[e - 1] == " ":
            e -= 1
        return s, e

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        found = self._spans.get((start, end, False))
        if found is None:
            found = self._spans[(start, end, False)] = self._bounds(start, end, _SENTENCE_END)
        return found

    def clause(self, start: int, end: int) -> tuple[int, int]:
        found = self._spans.get((start, end, True))
        if found is None:
            s, e = self.sentence(start, end)
            cs, ce = self._bounds(start, end, CLAUSE_BREAK)
            found = self._spans[(start, end, True)] = (max(s, cs), min(e, ce) if min(e, ce) >= end else e)
        return found


# French typography puts a no-break space before the colon ("De\u00a0:", Outlook's own headers).
_HEADER_SHAPE = re.compile(r"^[^\n]{0,300}[:：][ \t\u00a0\u202f]*$|-----|^[ \t]*[^\s:：]{1,12}[ \t\u00a0\u202f]?[:：]", re.MULTILINE)
_CANDIDATE = re.compile(r"wrote|message|_{5}|^[ \t]*from[ \t]*:", re.IGNORECASE | re.MULTILINE)


_CANDIDATE_WORDS = ("wrote", "message", "from")
"""What a line needs, lower-cased, for _CANDIDATE to match in it (besides "_____")."""
_CASE_TRAPS = ("\u0130", "\u0131", "\u017f")
"""Characters ``re`` matches case-insensitively to an ASCII letter ("İ", "ı" ~ i, "ſ" ~ s) that
``str.lower`` does not turn into it (every other code point agrees: see test_thread)."""


def says_still(text: str, extra: regex.Pattern[str] | None = None) -> bool:
    """Whether ``text`` says a problem is still there ("still", "same issue", "noch immer", ...), by FOLLOW_UP
    or by a set's own follow-up words ``extra`` (its languages')."""
    return bool(occurs(FOLLOW_UP, _FOLLOW_UP_WORDS, text) or (extra is not None and extra.search(text)))


def _plain_lower(text: str) -> str | None:
    """``text.lower()`` when a word found in it is where ``re`` finds it case-insensitively in ``text``
    (same length, none of _CASE_TRAPS); None: search the text itself."""
    low = text.lower()
    return low if len(low) == len(text) and not any(c in text for c in _CASE_TRAPS) else None


_FOLLOW_UP_WORDS = folded_words(FOLLOW_UP)
_TAKES_UP_WORDS = folded_words(TAKES_UP)


def _lines_holding(source: str, offsets: list[int], words: tuple[str, ...], exact: tuple[str, ...]) -> set[int] | None:
    """Lines holding one of ``words`` (any case) or of ``exact``; None when case folding could
    disagree with ``re``'s, and the caller must search every line."""
    low = _plain_lower(source)
    if low is None:
        return None
    found: set[int] = set()
    for text, needles in ((low, words), (source, exact)):
        for needle in needles:
            pos = text.find(needle)
            while pos != -1:
                line = bisect.bisect_right(offsets, pos) - 1
                found.add(line)
                pos = text.find(needle, offsets[line + 1] if line + 1 < len(offsets) else len(text))
    return found


def _header_lines(source: str, lines: list[str], extra: regex.Pattern[str] | None, offsets: list[int],
                  holding: set[int] | None) -> set[int]:
    """Indexes of the lines that start a quoted (or forwarded) message.

    Both regexes match within one line, so they are run only on the lines that hold what a match
    needs (found with ``str.find``: ``holding``, None for every line), which gives the same lines as
    running them over the text. ``offsets``: where each line starts.
    """
    candidates: set[int] = set()
    if holding is None:
        candidates.update(bisect.bisect_right(offsets, m.start()) - 1 for m in _CANDIDATE.finditer(source))
    else:
        candidates.update(i for i in holding if _CANDIDATE.search(lines[i]))
    if extra is not None:
        # A language's quote header is a line ending in a colon, a "-----" rule or a "Field:" line;
        # only those lines are tried against the (many-branched) header regex.
        shaped = _lines_holding(source, offsets, (), (":", "：", "-----"))
        if shaped is None:
            shaped = {bisect.bisect_right(offsets, m.start()) - 1 for m in _HEADER_SHAPE.finditer(source)}
        else:
            shaped = {i for i in shaped if _HEADER_SHAPE.search(lines[i])}
        candidates.update(i for i in shaped if i < len(lines) and extra.search(lines[i]))
    return {i for i in candidates if i < len(lines) and _header_at(lines, i, extra)}


def _header_at(lines: list[str], i: int, extra: regex.Pattern[str] | None) -> bool:
    line = lines[i]
    if _FROM.match(line):
        # An Outlook block: "From:" then "Sent:"/"Date:"/"To:"/"Subject:" within a few lines.
        return any(_OUTLOOK_NEXT.match(x) for x in lines[i + 1:i + 5])
    if _HEADERS.match(line):
        return True
    return bool(extra is not None and extra.search(line))


def _quote_head(line: str, extra: regex.Pattern[str] | None) -> bool:
    """Whether a line (its "> " marks taken off) opens a message quoted inside a quote."""
    if _HEADERS.match(line):
        return True
    return bool(extra is not None and _HEADER_SHAPE.search(line) and extra.search(line))


def _evidence_block(lines: list[str], i: int) -> bool:
    """A message forwarded on purpose, or one from Amazon itself: the merchant's evidence, not a quote.

    Only the header block is read (the header line and the "From:/Subject:" lines right after it),
    never the message body, which may well name Amazon.
    """
    block = _header_fields(lines, i)
    if _FORWARD.search("\n".join(block)):
        return True
    senders = [x for x in block if _FROM.match(x) or re.match(r"^\s*(?:von|de|da|差出人)\s*:", x, re.I)]
    if _HEADERS.match(lines[i]) and not _FROM.match(lines[i]):
        senders.append(lines[i])
    return any(_from_amazon(x) for x in senders)


_SUPPORT_SIDE = re.compile(
    r"\b(?:support|codisto|help ?desk|zendesk|customer (?:care|service)|kundenservice|kundensupport|service client"
    r"|soporte|assistenza|atención al cliente)\b|サポート|カスタマー",
    re.IGNORECASE,
)
_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]*)+")
_RECIPIENT_FIELDS = "to|cc|bcc|an|para|[àa]|宛先"
_RECIPIENT = re.compile(rf"^\s*(?:{_RECIPIENT_FIELDS})\s*[:：]", re.IGNORECASE)
"""A header's recipient line: it names who the mail went to, never who wrote it."""
_NOT_WRITER = re.compile(rf"^\s*(?:{_RECIPIENT_FIELDS}|subject|betreff|objet|asunto|oggetto|件名)\s*[:：]", re.IGNORECASE)
"""Header lines that never say who wrote a mail: its recipients and its subject ("Betreff: Notiz Amazon / Codisto")."""
REPLY_SUBJECT = re.compile(r"^\s*(?:\[[^\]\n]{0,30}\]\s*)?(?:re|aw|antw|sv|r|rif|rép|答复|返信)\s*[:：]", re.IGNORECASE)
"""A ticket subject that says the ticket answers an earlier mail ("Re: ...", "AW: ...", "R: ...")."""
FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]\n]{0,30}\]\s*)?(?:fwd?|wg|tr|rv|i|転送)\s*[:：]", re.IGNORECASE)
"""A ticket subject that says the ticket itself is a forward ("FW: ...", "WG: ...", "TR: ...")."""


def _header_fields(lines: list[str], i: int) -> list[str]:
    """The header line at ``i`` and the "From:/To:/Subject:" lines right after it (never the body)."""
    block = [lines[i]]
    for line in lines[i + 1:i + 8]:
        if not line.strip() and len(block) == 1:
            continue
        if not _FIELD_LINE.match(line):
            break
        block.append(line)
    return block


def _written_by_support(lines: list[str], i: int) -> bool:
    """Whether the quoted mail starting at line ``i`` is the support side's: its header names them,
    except in a recipient line (the merchant's own earlier mail *to* support is the merchant's).
    Its "> " lines are its body, and a header among them opens a mail quoted inside it: the merchant's
    "Il ..., Alessio ha scritto:" over a quoted "> > ... Codisto Support ha scritto:" is the merchant's."""
    block = itertools.takewhile(lambda x: not _QUOTE_LINE.match(x), lines[i + 1:i + 5])
    return bool(_SUPPORT_SIDE.search("\n".join(x for x in (lines[i], *block) if not _NOT_WRITER.match(x))))


_MAY_SIGN = re.compile(r"codisto", re.IGNORECASE)
_SUPPORT_SIGNATURE = re.compile(r"^[\s\-–—,.]*(?:[^\W\d_][\w.' -]{0,40}?[,\s–—-]+)?"
                                r"(?:codisto(?:[ -]?(?:support|soporte|assistenza|kundenservice|team|équipe|equipo))?"
                                r"|(?:support|soporte|assistenza|supporto|kundenservice|service client|l'équipe|el equipo|il team)"
                                r"(?: de| di| del)? codisto)\s*[.!]?\s*$", re.IGNORECASE)
"""A quoted mail's signature line naming the support side ("Sergio, Soporte Codisto", "Codisto Support")."""
SIGNATURE_LINES = 3
"""The last lines of a quoted run read for a signature (a name, a role, the company)."""


def _support_signed(lines: list[str], marked: list[bool]) -> set[int]:
    """The lines of "> " quoted runs (one quoting depth) whose last lines sign as the support side: a bare
    <blockquote> of the agent's reply has no "... wrote:" header, its signature says whose words they are."""
    signed: set[int] = set()
    i, n = 0, len(lines)
    while i < n:
        if not marked[i]:
            i += 1
            continue
        depth = _depth(lines[i])
        j = i
        while j < n and marked[j] and _depth(lines[j]) == depth:
            j += 1
        tail = [x for x in (_MARKERS.sub("", line).strip() for line in lines[i:j]) if x][-SIGNATURE_LINES:]
        if any(len(x) <= 60 and _SUPPORT_SIGNATURE.match(x) for x in tail):
            signed.update(range(i, j))
        i = j
    return signed


def _depth(line: str) -> int:
    m = _MARKERS.match(line)
    return 0 if m is None else m.group().count(">")


def _own_mail_to_support(lines: list[str], i: int) -> bool:
    """A quoted mail sent *to* the support side and not by it: the merchant's own earlier report."""
    block = _header_fields(lines, i)
    to_support = any(_RECIPIENT.match(x) and _SUPPORT_SIDE.search(x) for x in block)
    return to_support and not _written_by_support(lines, i)
_SENDER_FIELD = re.compile(r"^\s*(?:from|de|von|da|差出人)\s*:", re.IGNORECASE)


def _amazon_quote_blocks(lines: list[str], marked: list[bool]) -> set[int]:
    """Lines of "> " blocks that carry a mail from Amazon itself (a forward quoted with markers).

    ``marked[i]``: whether line i is quoted with markers.
    """
    out: set[int] = set()
    i = 0
    while i < len(lines):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and marked[j]:
            j += 1
        head = [_MARKERS.sub("", x) for x in lines[i:min(j, i + 8)]]
        if any(_SENDER_FIELD.match(x) and _from_amazon(x) for x in head):
            out.update(range(i, j))
        i = j
    return out


@functools.lru_cache(maxsize=4)
def layout_of(source: str, normalized: str, quote_headers: regex.Pattern[str] | None, subject_end: int) -> Layout:
    """The ticket's layout; ``subject_end``: where the subject ends in the text (0: none), whose "FW:"
    makes the first header block the forwarded message (see build_layout).

    Kept for the last few tickets: detection and then the escalation fields ask for the same ticket's
    layout, and a long thread's layout is worth building once (worker threads share the cache)."""
    return build_layout(source, normalized, quote_headers, subject_end > 0 and FORWARD_SUBJECT.match(source) is not None)


def build_layout(source: str, normalized: str, quote_headers: regex.Pattern[str] | None = None,
                 forwarded: bool = False, *, shortcut: bool = True) -> Layout:
    """Lines and quoted spans of ``source`` in the coordinates of its normalised text ``normalized``.

    ``forwarded``: the ticket's subject says it is a forward ("FW: ..."): its first header block
    ("-----Original Message-----", an Outlook "From:" block) is the forwarded message, the sender's
    evidence, unless the support side wrote it. ``shortcut``: a ticket with no header line takes
    _plain_layout (False: always this loop, for tests that compare the two).
    """
    lines = source.split("\n")
    offsets = list(itertools.accumulate((len(x) + 1 for x in lines), initial=0))
    marked = [_QUOTE_LINE.match(line) is not None for line in lines]
    # Lines that may be a header inside a quote ("> On Tue, Dana wrote:"): _HEADERS needs these words.
    may_head = _lines_holding(source, offsets, _CANDIDATE_WORDS, ("_____",))
    starts: list[int] = []
    quoted: list[tuple[int, int]] = []
    pieces: list[str] = []
    pos = 0
    region_quoted = False
    region_amazon = False
    region_agent = False
    agent: list[tuple[int, int]] = []
    header_at = -10
    first_block = forwarded
    headers = _header_lines(source, lines, quote_headers, offsets, may_head)
    # A block from Amazon names its sender in a "From:" line: no colon, no such block.
    amazon_quoted = _amazon_quote_blocks(lines, marked) if ">" in source and (":" in source or "：" in source) else set()
    # Headers inside a quote ("> On Tue, Dana wrote:", "> Le 3 nov. 2026 à 18:05, Support Codisto a écrit :"):
    # whose words follow them? A language's header is a line ending in a colon.
    heads = set(range(len(lines))) if may_head is None else set(may_head)
    if quote_headers is not None:
        heads.update(i for i in range(len(lines)) if marked[i] and (":" in lines[i] or "：" in lines[i]))
    quote_heads = {i for i in heads if marked[i] and _quote_head(_MARKERS.sub("", lines[i]), quote_headers)}
    signed = _support_signed(lines, marked) if any(marked) and _MAY_SIGN.search(source) else set()
    if shortcut and not headers and not quote_heads:
        return _plain_layout(normalized, lines, marked, amazon_quoted, signed, _pieces(source, lines))
    mode = ""  # after a header: "pending", then "markers" (only its "> " lines are quoted) or "all"
    newest_end: int | None = None
    line_pieces = _pieces(source, lines)
    for i, line in enumerate(lines):
        is_marked = marked[i]
        if i in headers and not is_marked:
            if newest_end is None:
                newest_end = pos + 1 if pieces else 0
            # Lines of one header block ("---- Forwarded message ----" then "From: ...", or "De : ..." then
            # "Envoyé : ...", each a header of its own) share its verdict: Amazon's, or the support side's.
            same_block = i - header_at <= 3
            by_support = _written_by_support(lines, i)
            # The forwarded message of a "FW:" ticket, or the merchant's own earlier mail to support: theirs.
            own = ((first_block or (same_block and region_amazon)) and not by_support) or _own_mail_to_support(lines, i)
            if not same_block:
                first_block = False
            region_amazon = (same_block and region_amazon) or own or _evidence_block(lines, i)
            region_quoted = not region_amazon
            region_agent = region_quoted and ((same_block and region_agent) or by_support)
            header_at = i
            mode = "pending" if region_quoted else ""
        elif mode == "pending" and line.strip() and i - header_at > 0 and not _FIELD_LINE.match(line):
            mode = "markers" if is_marked else "all"
        elif mode == "markers" and line.strip() and not is_marked:
            # The merchant answers between the quoted lines: their own words again.
            region_quoted = region_agent = False
            mode = ""
        if i in quote_heads:
            region_agent = bool(_SUPPORT_SIDE.search(_MARKERS.sub("", line)))
        piece = line_pieces[i]
        if not piece:
            continue
        if pieces:
            pos += 1
        starts.append(pos)
        line_quoted = (region_quoted and not region_amazon) or (is_marked and not region_amazon and i not in amazon_quoted)
        if line_quoted:
            _extend(quoted, pos, pos + len(piece))
            if region_agent or i in signed:
                _extend(agent, pos, pos + len(piece))
        pieces.append(piece)
        pos += len(piece)
    if " ".join(pieces) != normalized:
        # Some input normalises differently line by line (an entity that is a line break): then
        # nothing is known about lines and quotes, which only costs the finer judgement.
        return Layout(normalized, (0,), ())
    return Layout(normalized, tuple(starts), tuple(quoted), tuple(agent), newest_end)


def _plain_layout(normalized: str, lines: list[str], marked: list[bool], amazon_quoted: set[int],
                  signed: set[int] | frozenset[int] = frozenset(), pieces: list[str] | None = None) -> Layout:
    """build_layout for a ticket with no header line, outside quotes or inside them (most tickets):
    no region is opened, so a line is quoted when it carries "> " markers and is not Amazon's, and
    the support side's quoted words are those of runs it signed (``signed``). The same result as the
    loop there, with none of its per-line questions about headers. ``pieces``: the lines normalised."""
    if pieces is None:
        pieces = [_piece(line) for line in lines]
    starts: list[int] = []
    quoted: list[tuple[int, int]] = []
    agent: list[tuple[int, int]] = []
    kept: list[str] = []
    pos = -1
    for i, piece in enumerate(pieces):
        if not piece:
            continue
        pos += 1
        starts.append(pos)
        end = pos + len(piece)
        if marked[i] and i not in amazon_quoted:
            _extend(quoted, pos, end)
            if i in signed:
                _extend(agent, pos, end)
        kept.append(piece)
        pos = end
    if " ".join(kept) != normalized:
        return Layout(normalized, (0,), ())
    return Layout(normalized, tuple(starts), tuple(quoted), tuple(agent))


_ODD_SPACE = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"
"""The ASCII white space besides the space and the line break (what ``str.split()`` also splits at)."""


def _pieces(source: str, lines: list[str]) -> list[str]:
    """``[_piece(line) for line in lines]`` (``lines``: the source's), without splitting and joining a line of
    plain ASCII that holds single spaces only, between words: it is its own piece."""
    if not source.isascii() or "&" in source or any(c in source for c in _ODD_SPACE):
        return [_piece(line) for line in lines]
    return [fragment(line) if ">" in line
            else line if "  " not in line and line[:1] != " " and line[-1:] != " " else " ".join(line.split())
            for line in lines]


def _piece(line: str) -> str:
    """One line as it stands in the normalised text: fragment() in short for the usual line (plain
    ASCII, no entity, no quote marker)."""
    return " ".join(line.split()) if line.isascii() and "&" not in line and ">" not in line else fragment(line)


def _extend(spans: list[tuple[int, int]], start: int, end: int) -> None:
    """Add a line's span, joined to the last one when only the space between lines parts them."""
    if spans and spans[-1][1] + 1 >= start:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))

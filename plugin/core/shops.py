"""Which of several shops a sentence speaks of: an agency's "the first account connects fine" says nothing of
the second account's error.

Agencies and merchants with several shops write one ticket for all of them: "1店舗目と2店舗目は問題なく接続
できています。3店舗目だけ「エラーが発生しました」", "Das erste Konto ist problemlos verbunden" beside the second
one's banner, a status table whose first row says "Conectado". Words that say the connection works (a negative,
a stance) then speak of another shop than the error's, and must not clear it. A sentence names its shop by
an ordinal or "other" with a shop word ("the second store", "l'autre compte", "2つ目のストア") or by a
letter or number after one ("Shop B", "tienda 2"); a row of a table (cells parted by tabs or " | ") is its
own shop's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import regex

from .tables import row_at

if TYPE_CHECKING:
    from .normalize import NormalizedText

_ORDINALS = {
    "1": r"first|1st|erste[nmrs]?|premi[eè]re?|1e?re?|primer[oa]?|prim[oa]",
    "2": r"second|2nd|zweite[nmrs]?|deuxi[eè]me|seconde?|2e|segund[oa]|second[oa]",
    "3": r"third|3rd|dritte[nmrs]?|troisi[eè]me|3e|tercer[oa]?|terz[oa]",
    "4": r"fourth|4th|vierte[nmrs]?|quatri[eè]me|cuart[oa]|quart[oa]",
}
_OTHER = r"other|another|andere[nmrs]?|weitere[nmrs]?|l'autre|autre|otr[oa]|l'altr[oa]|altr[oa]"
_OWN_NOUN = (r"(?:shops?|stores?|storefronts?|accounts?|seller[ -]accounts?|konto|kontos|verkäuferkonto|amazon-konto"
             r"|boutiques?|comptes?|magasins?|tiendas?|cuentas?|negozio|negozi)")
"""Another of the merchant's own shops ("our other store"); "the other clients" are other people's."""
_NOUN = rf"(?:{_OWN_NOUN}|clients?|brands?|sites?|kunden?|mandanten?|clientes?|cliente)"
"""A shop, or a client or brand an agency names by number ("the second client", "Kunde B")."""
_JA_NUMBERS = {"1": "1１一", "2": "2２二", "3": "3３三", "4": "4４四"}
SHOP = regex.compile(
    "|".join(rf"\b(?P<o{key}>{words})\s+(?:\w+[ -])?{_NOUN}\b" for key, words in _ORDINALS.items())
    + rf"|\b(?P<oother>{_OTHER})\s+(?:\w+[ -])?{_OWN_NOUN}\b"
    + rf"|\b{_NOUN}\s+(?:#|no\.?\s?|n[°º]\s?)?(?P<label>[1-9]|[A-D])\b(?![.,]\d)"
    + "|" + "|".join(rf"(?P<j{key}>[{digits}])(?:店舗目|つ目|個目|号店|番目の(?:店舗|ストア|アカウント))"
                     for key, digits in _JA_NUMBERS.items())
    + r"|(?P<jother>(?:もう一つ|もうひとつ|別|他)の(?:店舗|ストア|アカウント|ショップ))",
    regex.IGNORECASE | regex.V0,
)
_SENTENCE_END = regex.compile(r"[.!?。！？](?=\s|$)|[。！？]|\n")


def _key(m: regex.Match[str]) -> str:
    if m.group("label"):
        return m.group("label").upper()
    name = next(k for k, v in m.groupdict().items() if v is not None)
    return name[1:] if name[0] in "oj" else name


def shop_of(source: str, start: int, end: int) -> str | None:
    """The shop the words at ``source[start:end]`` speak of: "row@<line>" in a table's row, the nearest
    shop named before them in their sentence (else the first there), or None."""
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", end)
    line_end = len(source) if line_end < 0 else line_end
    if row_at(source, line_start, line_end):
        return f"row@{line_start}"
    s = max((m.end() for m in _SENTENCE_END.finditer(source, line_start, start)), default=line_start)
    e = next((m.start() for m in _SENTENCE_END.finditer(source, end, line_end)), line_end)
    named = list(SHOP.finditer(source, s, e))
    before = [m for m in named if m.start() < start]
    return _key(before[-1]) if before else _key(named[0]) if named else None


def speaks_of_another_shop(text: NormalizedText, hit: tuple[int, int], words: tuple[int, int]) -> bool:
    """Whether ``words`` (a negative's or a stance's match) speak of another shop than the ``hit`` (spans of
    ``text.text``): they name a shop or a table row and the hit lies in another; or the hit names none, and the
    ticket names a shop besides theirs (or theirs is "the other")."""
    source = text.source
    if "\n" not in source and not SHOP.search(source):
        return False
    ws, we = text.source_span(*words)
    theirs = shop_of(source, ws, we)
    if theirs is None:
        return False
    hs, he = text.source_span(*hit)
    ours = shop_of(source, max(hs, he - 1), he)  # a hit may run from the subject into the body: its words end it
    if ours is not None or theirs.startswith("row@"):
        return ours != theirs
    return theirs == "other" or any(key != theirs for key in _shops_named(text))


def _shops_named(text: NormalizedText) -> frozenset[str]:
    """Every shop the ticket names (remembered with it: each veto's words near a hit that names none ask again)."""
    known = text.searched.get(("shops named",))
    if known is None:
        known = text.searched[("shops named",)] = frozenset(_key(m) for m in SHOP.finditer(text.source))
    return known  # type: ignore[no-any-return]

"""Find what an escalation to Codisto needs: merchant ID, time of the last attempt, and checks done."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import regex

from .cues import ENGLISH_CUES
from .models import Escalation, FieldValue, PatternFailure
from .normalize import NormalizedText
from .patterns import FieldPattern, PatternSet
from .search import Deadline, Found, first_veto, scan
from .thread import layout_of
from .timestamps import RELATIVE_WORDS, SKEW, ResolvedTime, iso_utc, resolve

# A day written after the time ("3pm EST on 1 July", "14:32 MEZ am 18.11.", "10h CET hier") that the
# regex did not read: no day is inferred then, so a time is never put on the wrong day.
_MONTHS = (r"jan|feb|f[ée]v|mar|m[äa]r|apr|avr|abr|may|mai|mag|jun|jui|giu|jul|lug|aug|ao[ûu]|ago|sep|set|oct|okt|ott|"
           r"nov|dec|dez|d[ée]c|dic|gen|ene|j[äa]n")
_WEEKDAYS = (r"mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|"
             r"mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|"
             r"luned[ìi]|marted[ìi]|mercoled[ìi]|gioved[ìi]|venerd[ìi]|sabato|domenica")
_RELATIVE = r"yesterday|today|gestern|vorgestern|heute|hier|avant-hier|aujourd'hui|ayer|anteayer|hoy|ieri|oggi|昨日|一昨日|今日|本日"
DAY_AFTER = re.compile(
    r"[\s,()（）]*(?:(?:on|the|of|am|le|el|il|di|de|del|den|du|vom|au|ce|a|d[íi]a)\s+)*"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)\b|\d{{1,4}}\s*[./\-年月]\s*\d{{1,2}}|\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})|"
    rf"(?:{_MONTHS})[a-zé]*\.?\s+\d{{1,2}}\b|(?:{_WEEKDAYS})|(?:{_RELATIVE}))",
    re.IGNORECASE,
)
# A day written just before the time in the same clause ("mardi passé vers 16 h 05", "am Montag um
# 16.45 Uhr") that the regex did not read: likewise no day is inferred.
_FULL_WEEKDAYS = (r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
                  r"sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|mi[ée]rcoles|jueves|"
                  r"viernes|s[áa]bado|domingo|luned[ìi]|marted[ìi]|mercoled[ìi]|gioved[ìi]|venerd[ìi]|sabato|"
                  r"domenica|[月火水木金土日]曜")
DAY_BEFORE = re.compile(
    rf"(?:\b(?:{_FULL_WEEKDAYS})|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:le|el|il|am|the|on the|del|vom) \d{{1,2}}(?:er|º|\.)?(?!\s*[:h.]\s*\d)\b|(?<![\w'-])(?:{_RELATIVE})(?![\w'-])|\d{{1,2}}\s*[./月]\s*\d{{1,2}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})[a-zäéû]*\.?)[^.!?;\n\d]{{0,25}}$",
    re.IGNORECASE,
)


def _day_unread(text: NormalizedText, start: int, end: int) -> bool:
    """Whether a day is written right after or just before a time whose day the regex did not read."""
    return bool(DAY_AFTER.match(text.lowered, end) or DAY_BEFORE.search(text.lowered[max(0, start - 60):start]))


_RELATIVE_BEFORE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _relative_day_before(field: FieldPattern, text: NormalizedText, start: int) -> str | None:
    """A relative day word ("yesterday", "ieri", "gestern") just before the time, in the same clause,
    with at most a few words between ("yesterday at about", "ieri sera alle")."""
    # French "hier" (yesterday) is German "here": too ambiguous to read where the regex did not.
    words = tuple(sorted({*RELATIVE_WORDS, *field.relative_days} - {"hier"}, key=len, reverse=True))
    rx = _RELATIVE_BEFORE.get(words)
    if rx is None:
        alternation = "|".join(re.escape(w) for w in words)
        rx = _RELATIVE_BEFORE[words] = re.compile(rf"(?<![\w'-])({alternation})(?![\w'-])[^.!?;\n\d]{{0,25}}$")
    m = rx.search(text.lowered[max(0, start - 60):start])
    return m.group(1) if m else None


_WEEKDAY_NAMES = {
    0: "monday montag lundi lunes lunedì lunedi 月曜", 1: "tuesday dienstag mardi martes martedì martedi 火曜",
    2: "wednesday mittwoch mercredi miércoles miercoles mercoledì mercoledi 水曜",
    3: "thursday donnerstag jeudi jueves giovedì giovedi 木曜", 4: "friday freitag vendredi viernes venerdì venerdi 金曜",
    5: "saturday samstag samedi sábado sabado sabato 土曜", 6: "sunday sonntag dimanche domingo domenica 日曜",
}
_WEEKDAY_INDEX = {name: i for i, names in _WEEKDAY_NAMES.items() for name in names.split()}
_ENGLISH_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_BEFORE = re.compile(
    r"(?<![\w'-])(last |letzten |am letzten |el |le |il )?(" + "|".join(sorted(_WEEKDAY_INDEX, key=len, reverse=True))
    + r")(?:日)?(?![\w'-])((?: (?:passé|passe|dernier|scorso|pasado|pasada|letzte[nr]?))?)[^.!?;\n\d]{0,25}$"
)


def _weekday_before(text: NormalizedText, start: int) -> tuple[str, bool] | None:
    """A weekday just before the time, in the same clause ("am Montag um 16.45", "mardi passé vers 16 h 05"),
    as an English weekday, and whether it was called the last one ("passé", "scorso", "last")."""
    span = text.lowered[max(0, start - 60):start]
    m = WEEKDAY_BEFORE.search(span)
    if not m:
        return None
    clause = re.split(r"[.!?;\n]", span)[-1]
    if sum(1 for w in re.findall(r"[^\W\d_]+|[月火水木金土日]曜", clause) if w in _WEEKDAY_INDEX) > 1:
        return None  # "mardi ou mercredi": which one is not known
    last = bool((m.group(1) or "").strip() in ("last", "letzten", "am letzten") or (m.group(3) or "").strip())
    return _ENGLISH_WEEKDAYS[_WEEKDAY_INDEX[m.group(2)]], last


# Digits a voicemail transcription writes as words when a merchant spells the ID out ("a three f nine k ..."),
# in the languages whose merchant ID regexes read a spelt-out ID.
_SPOKEN_DIGITS = {
    **dict.fromkeys(("zero", "oh", "null", "zéro", "cero"), "0"), **dict.fromkeys(("one", "eins", "un", "uno"), "1"),
    **dict.fromkeys(("two", "zwei", "deux", "dos", "due"), "2"), **dict.fromkeys(("three", "drei", "trois", "tres", "tre"), "3"),
    **dict.fromkeys(("four", "vier", "quatre", "cuatro", "quattro"), "4"),
    **dict.fromkeys(("five", "fünf", "cinq", "cinco", "cinque"), "5"), **dict.fromkeys(("six", "sechs", "seis", "sei"), "6"),
    **dict.fromkeys(("seven", "sieben", "sept", "siete", "sette"), "7"),
    **dict.fromkeys(("eight", "acht", "huit", "ocho", "otto"), "8"), **dict.fromkeys(("nine", "neun", "neuf", "nueve", "nove"), "9"),
}


def _spelt_out(value: str) -> str:
    """An ID spelt letter by letter with digits as words ("a three f nine k two"): its letters and digits; else as is."""
    tokens = re.split(r"[\s,;-]+", value.strip())
    words = [t.lower() for t in tokens if t]
    if len(words) < 9 or not any(w in _SPOKEN_DIGITS for w in words) or \
            not all(w in _SPOKEN_DIGITS or (len(w) == 1 and w.isalnum()) for w in words):
        return value
    return "".join(_SPOKEN_DIGITS.get(w, w) for w in words)


def _value(field: FieldPattern, found: Found, text: NormalizedText,
           reference: datetime | None) -> tuple[FieldValue, datetime | None] | None:
    s, e = text.source_span(found.start, found.end)
    quoted = text.source[s:e]
    groups = found.match.groupdict()
    if field.spec.kind == "merchant_id":
        value = groups.get("value")
        if not value:
            return None
        # "A1QX 7PZR 3KLM 9T": Amazon writes the ID without spaces (A + 12 to 14 letters and digits).
        value = _spelt_out(value)
        cleaned = "".join(value.split()).upper()
        if cleaned != value.upper() and not 13 <= len(cleaned) <= 15:
            return None
        return FieldValue(cleaned, value, s, e), None
    if field.spec.kind == "timestamp":
        def read(**day: str) -> ResolvedTime | None:
            """The found time, with a day word read beside it when given; the field's tables in every language."""
            return resolve({**groups, **day}, quoted, field.zones, reference, field.relative_days, field.months,
                           field.dayparts, field.numbers)

        resolved = read()
        if resolved is None:
            return None
        if resolved.inferred:
            rel = _relative_day_before(field, text, found.start)
            if rel is not None:
                # "ieri sera alle 22:10 (ora italiana)": the regex read the time, the day word is just before it.
                resolved = read(rel=rel)
                if resolved is None or resolved.utc is None or (reference and resolved.utc > reference + SKEW):
                    return FieldValue(quoted, quoted, s, e), None
            elif (weekday := _weekday_before(text, found.start)) is not None and not DAY_AFTER.match(text.lowered, found.end):
                name, last = weekday
                resolved = read(date=name)
                if resolved is None or resolved.utc is None or reference is None:
                    return FieldValue(quoted, quoted, s, e), None
                if last and resolved.utc.astimezone(timezone.utc).date() >= reference.date() and \
                        resolved.utc > reference - timedelta(days=1):
                    resolved = ResolvedTime(resolved.text, resolved.utc - timedelta(days=7))  # "mardi passé" on a Tuesday
            elif _day_unread(text, found.start, found.end):
                return FieldValue(quoted, quoted, s, e), None  # "3pm EST on 1 July": the day is written, not read
        return FieldValue(resolved.utc_iso or quoted, quoted, s, e), resolved.utc
    return FieldValue(quoted, quoted, s, e), None


def find_values(field: FieldPattern, text: NormalizedText, timeout: float = 0.25,
                reference: datetime | None = None,
                older: Callable[[int, int], bool] | None = None,
                turn: regex.Pattern[str] = ENGLISH_CUES.turn) -> list[tuple[FieldValue, datetime | None]]:
    """Every value of one field in the text, in the order of its regexes, then of position; only those
    in the newest message when ``older`` (an earlier message of the thread?) leaves some there.

    Why the newest message first: it says when the merchant last tried ("hier à 14h32"), while an
    earlier mail quoted below names an older attempt whose "ce matin" would be read against the
    ticket's date, and so look like the latest.
    """
    deadline = Deadline(timeout)
    found: list[tuple[FieldValue, datetime | None]] = []
    own: list[tuple[FieldValue, datetime | None]] = []
    for rx in field.regexes:
        for hit in scan(rx, text, deadline):
            if first_veto(field.negatives, hit, text, deadline, turn=turn) is not None:
                continue
            value = _value(field, hit, text, reference)
            if value is not None:
                found.append(value)
                if older is not None and not older(hit.start, hit.end):
                    own.append(value)
    return own or found


def gives_merchant_id(text: NormalizedText, patterns: PatternSet, quoted: Callable[[int, int], bool],
                      deadline: Deadline) -> bool:
    """Whether the merchant's own (unquoted) words give a merchant ID: a reply with the escalation facts asked for.
    ``deadline``: the asking pattern's budget (a fixed 50 ms of its own timed out on a loaded machine)."""
    for field in patterns.field("merchant_id"):
        for rx in field.regexes:
            for hit in scan(rx, text, deadline):
                if hit.match.groupdict().get("value") and not quoted(hit.start, hit.end):
                    return True
    return False


def pick_time(values: list[tuple[FieldValue, datetime | None]]) -> tuple[FieldValue, datetime | None] | None:
    """The most recent attempt: the latest resolved moment, else the last time mentioned."""
    resolved = [v for v in values if v[1] is not None]
    # The same words read twice ("18/11 à 10h00 CET" and its "10h00 CET"): the fuller reading, which
    # names the day, wins over one whose day was inferred.
    resolved = [v for v in resolved if not any(_within(v[0], o[0]) for o in resolved)]
    if resolved:
        return max(resolved, key=lambda v: v[1])  # type: ignore[arg-type, return-value]
    return max(values, key=lambda v: v[0].start) if values else None


def _within(inner: FieldValue, outer: FieldValue) -> bool:
    """Whether inner is a strict part of outer's words."""
    return outer.start <= inner.start and inner.end <= outer.end and (outer.end - outer.start) > (inner.end - inner.start)


def pick(field: FieldPattern, values: list[tuple[FieldValue, datetime | None]]) -> tuple[FieldValue, datetime | None] | None:
    """The value that counts: the latest attempt for a timestamp, else the first found."""
    if field.spec.kind == "timestamp":
        return pick_time(values)
    return values[0] if values else None


def extract_escalation(text: NormalizedText, patterns: PatternSet, required: bool,
                       reference: datetime | None = None, timeout: float = 0.25,
                       subject_end: int = 0) -> tuple[Escalation, list[PatternFailure]]:
    """The escalation facts; only searched for when an error needs them. ``subject_end``: where the
    subject ends in the text (0: none); the thread's layout tells the newest message (see find_values)."""
    if not required:
        return Escalation(required=False), []
    older = layout_of(text.source, text.text, patterns.quote_headers, subject_end).in_older
    failures: list[PatternFailure] = []
    merchant: FieldValue | None = None
    moment: tuple[FieldValue, datetime | None] | None = None
    flags: dict[str, FieldValue] = {}
    for field in patterns.fields:
        try:
            values = find_values(field, text, timeout, reference, older, patterns.cues.turn)
        except TimeoutError as exc:
            failures.append(PatternFailure(f"fields/{field.id}", str(exc)))
            continue
        chosen = pick(field, values)
        if chosen is None:
            continue
        if field.spec.kind == "merchant_id" and merchant is None:
            merchant = chosen[0]
        elif field.spec.kind == "timestamp":
            moment = chosen
        elif field.spec.kind == "flag":
            flags[field.id] = chosen[0]
    utc = iso_utc(moment[1]) if moment and moment[1] else None
    return Escalation(True, merchant, moment[0] if moment else None, utc, flags), failures

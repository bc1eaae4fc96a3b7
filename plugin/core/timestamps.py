"""Turn a time the merchant wrote ("3:15pm EST", "26 Nov 2026 14:05 AEDT") into facts.

The regexes in patterns/fields/timestamp.toml find the parts; this module decides whether the
zone is real and, when the date is known, resolves the moment to UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser

_OFFSET = re.compile(r"^(?:gmt|utc)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.I)
_TIME = re.compile(r"^(\d{1,2})(?:\s*(?:[:.h]|時)\s*(\d{2})(?:[:分](\d{2}))?)?\s*(?:分|uhr|h)?\s*(?:([ap])\.?m\.?)?$", re.I)
_RELATIVE = {"today": 0, "this morning": 0, "this afternoon": 0, "this evening": 0, "tonight": 0,
             "yesterday": -1, "last night": -1}
RELATIVE_WORDS = frozenset(_RELATIVE)
_NIGHT_BEFORE = frozenset({"last night", "anoche"})
"""A night just past: a time after midnight in it (0:40, 12:40 am) is on the day the merchant writes, not the day before."""
EARLY_HOURS = 6
EVENING = 18
"""A night just past holds the hours from EVENING to EARLY_HOURS; any other hour in it is a 12-hour clock misread."""
_WEEKDAY = re.compile(r"^(?:last\s+)?(mon|tues|wednes|thurs|fri|satur|sun)day$")
_WEEKDAYS = ["mon", "tues", "wednes", "thurs", "fri", "satur", "sun"]


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ResolvedTime:
    text: str
    utc: datetime | None
    inferred: bool = False  # the day was not written: the last occurrence before the ticket

    @property
    def utc_iso(self) -> str | None:
        return iso_utc(self.utc) if self.utc else None


def _zone(value: str) -> tzinfo | None:
    m = _OFFSET.match(value.strip())
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    if "/" in value:
        try:
            return ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def check_zones(zones: Mapping[str, str]) -> list[tuple[str, str]]:
    """Problems in an admin's zones table, as (name, sentence) pairs."""
    problems = []
    for name, value in zones.items():
        if name != name.lower():
            problems.append((name, "zone names must be lower case"))
        if _zone(value) is None:
            problems.append((name, f"{value!r} is neither an offset like +10:00 nor an IANA zone like Australia/Sydney"))
    return problems


def resolve_zone(written: str, zones: Mapping[str, str]) -> tzinfo | None:
    """The zone for what the merchant wrote, or None when it is no zone at all."""
    name = " ".join(written.strip().strip("()").split()).lower()
    for candidate in (name, name.removesuffix(" time")):
        if candidate in zones:
            return _zone(zones[candidate])
    if _OFFSET.match(name):
        return _zone(name)
    if "/" in name:
        return _zone(written.strip().strip("() "))
    return None


def parse_clock(written: str) -> time | None:
    m = _TIME.match(written.strip())
    if not m:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    meridiem = (m.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


_YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _ymd(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_day(written: str, reference: datetime | None, zone: tzinfo,
              relative_days: Mapping[str, int] | None = None) -> date | None:
    """The calendar day written, in the merchant's zone; None when it cannot be known.

    A date that starts with a four-digit year is year-month-day, always (2026-11-02 is 2 November).
    """
    text = " ".join(written.lower().split()).strip(" ,")
    offset = _RELATIVE.get(text)
    if offset is None and relative_days:
        offset = relative_days.get(text)
    if offset is not None:
        if reference is None:
            return None
        return (reference.astimezone(zone) + timedelta(days=offset)).date()
    year_first = _YEAR_FIRST.search(text)
    if year_first:
        return _ymd(*(int(g) for g in year_first.groups()))
    weekday = _WEEKDAY.match(text)
    if weekday:
        # The most recent such day: merchants write about attempts they already made.
        if reference is None:
            return None
        today = reference.astimezone(zone).date()
        return today - timedelta(days=(today.weekday() - _WEEKDAYS.index(weekday.group(1))) % 7)
    has_year = bool(re.search(r"\d{4}|[/.]\d{2}$", text))
    default = datetime(reference.year if reference else datetime.now(timezone.utc).year, 1, 1)
    slash = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.]\d{2,4})?", text)
    # 3/4/2026 is ambiguous; 25/11 or 11/25 is not. Most of our merchants write the day first.
    dayfirst = not (slash and int(slash.group(2)) > 12)
    try:
        parsed = dateparser.parse(text, default=default, dayfirst=dayfirst, yearfirst=False, fuzzy=True).date()
    except (ValueError, OverflowError):
        return None
    if not has_year and reference is not None and parsed > reference.date() + timedelta(days=1):
        parsed = parsed.replace(year=parsed.year - 1)
    return parsed


_ENGLISH_DAYPARTS = {"a": "am", "am": "am", "p": "pm", "pm": "pm", "inthemorning": "am", "intheafternoon": "pm",
                     "intheevening": "pm", "atnight": "pm",
                     "thismorning": "am", "thisafternoon": "pm", "thisevening": "pm"}
_ENGLISH_NUMBERS = {word: n for n, word in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), 1)} | {
    "half": 30, "quarter": 15, "twenty": 20, "twenty-five": 25, "twenty five": 25}
"""English hours and minutes in words ("half past two", "quarter to three"); other languages: ``[numbers]``."""


def _meridiem(written: str, dayparts: Mapping[str, str] | None = None) -> str:
    """"am", "pm" or "" for what a merchant wrote beside the hour ("p.m.", "午後", "abends", "de la tarde").

    English a.m./p.m. is built in; every other language's words come from its field overlay's
    ``[dayparts]`` table (patterns/i18n/<lang>/fields/timestamp.toml).
    """
    word = " ".join(written.lower().split())
    return (dayparts or {}).get(word) or _ENGLISH_DAYPARTS.get(word.replace(".", "").replace(" ", ""), "")


def _number(written: str | None, numbers: Mapping[str, int] | None) -> tuple[int, bool] | None:
    """A number the merchant wrote as digits or as a word of ``numbers`` ("drei", "media"), and whether it was a word."""
    word = " ".join((written or "").lower().split())
    if word.isdigit():
        return int(word), False
    found = (numbers or {}).get(word, _ENGLISH_NUMBERS.get(word))
    return (found, True) if found is not None else None


def _clock_from_groups(groups: Mapping[str, str | None], dayparts: Mapping[str, str] | None = None,
                       numbers: Mapping[str, int] | None = None) -> time | None:
    """A clock from ``hour``/``minute``/``second``/``ampm`` groups ("14h32", "14時32分"); a ``half`` group
    that matched stands for 30 minutes ("2時半").

    Hours and minutes may be words of ``numbers`` ("halb drei", "dos y media"); a ``to`` group that
    matched puts the minutes before the hour ("quarter to three", "menos cuarto", "halb drei" = 2:30).
    Such a spoken time up to twelve is on the 12-hour clock: without a daypart word it is not read at
    all, since "halb drei" may be 2:30 or 14:30 and a wrong time is worse than none.
    """
    hour_read = _number(groups.get("hour"), numbers)
    minute_read = (30, False) if groups.get("half") else _number(groups.get("minute") or "0", numbers)
    try:
        second = int(groups.get("second") or 0)
    except (ValueError, TypeError):
        return None
    if hour_read is None or minute_read is None:
        return None
    (hour, hour_word), (minute, minute_word) = hour_read, minute_read
    before = bool(groups.get("to"))
    written = groups.get("ampm") or ""
    meridiem = _meridiem(written, dayparts)
    if written.strip() and not meridiem:
        return None  # a word beside the hour we cannot place: better no time than a wrong one
    if (hour_word or minute_word or before) and not meridiem and hour <= 12:
        return None  # a spoken hour without its daypart: morning or afternoon is not known ("quinze heures" is)
    if meridiem == "am":
        if not 0 <= hour <= 12:
            return None
        hour %= 12
    elif meridiem == "pm":
        if not 1 <= hour <= 23:
            return None
        hour = hour if hour >= 12 else hour + 12
    if hour > 23 or minute > 59 or second > 59:
        return None
    if before:
        if not 0 < minute < 60 or (meridiem == "pm" and hour == 12) or hour == 0:
            return None  # "quarter to twelve pm" could be either side of noon; before midnight is the day before
        hour, minute = divmod(hour * 60 - minute, 60)
    return time(hour, minute, second)


def _day_from_groups(groups: Mapping[str, str | None], months: Mapping[str, int],
                     reference: datetime | None) -> date | None:
    """A day from ``day``/``month``/``year`` groups; the month may be a number or a name in ``months``."""
    written_month = (groups.get("month") or "").strip().lower().rstrip(".")
    month = int(written_month) if written_month.isdigit() else months.get(written_month) or _MONTHS.get(written_month[:3])
    try:
        day = int(groups.get("day") or "")
    except ValueError:
        return None
    if not month:
        return None
    year_text = groups.get("year") or ""
    if year_text.isdigit():
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _ymd(year, month, day)
    if reference is None:
        return None
    found = _ymd(reference.year, month, day)
    if found is not None and found > reference.date() + timedelta(days=1):
        found = _ymd(reference.year - 1, month, day)
    return found


_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def resolve(groups: Mapping[str, str | None], text: str, zones: Mapping[str, str],
            reference: datetime | None = None, relative_days: Mapping[str, int] | None = None,
            months: Mapping[str, int] | None = None, dayparts: Mapping[str, str] | None = None,
            numbers: Mapping[str, int] | None = None) -> ResolvedTime | None:
    """A found time with a real zone, resolved to UTC when its day is known; else None.

    Regexes name their parts: ``iso``; or ``time`` (or ``hour``, ``minute``, ``second``, ``ampm``),
    ``tz``, and optionally ``date``/``date_after`` (written dates, relative words such as "gestern"
    from the ``relative_days`` table), ``rel``, or ``day``/``month``/``year``. ``ampm`` is English
    a.m./p.m. or a word of the ``dayparts`` table ("午後" = pm, "du matin" = am); ``hour`` and ``minute``
    may be words of the ``numbers`` table ("drei", "media"), and ``to`` counts the minutes before the hour.
    """
    if groups.get("iso"):
        try:
            moment = datetime.fromisoformat(groups["iso"].replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        return ResolvedTime(text, moment.astimezone(timezone.utc)) if moment.tzinfo else None
    zone = resolve_zone(groups.get("tz") or "", zones)
    clock = _clock_from_groups(groups, dayparts, numbers) if groups.get("hour") else parse_clock(groups.get("time") or "")
    if zone is None or clock is None:
        return None
    day: date | None = None
    written_day = groups.get("date") or groups.get("rel") or groups.get("date_after")
    if groups.get("day") and groups.get("month"):
        day = _day_from_groups(groups, months or {}, reference)
    else:
        day = parse_day(written_day, reference, zone, relative_days) if written_day else None
        night = " ".join(written_day.lower().split()) in _NIGHT_BEFORE if written_day else False
        if day is not None and night and clock.hour < EARLY_HOURS:
            day += timedelta(days=1)
        elif day is not None and night and clock.hour < EVENING:
            return ResolvedTime(text, None)  # "last night at 10:30": 22:30 is meant, 10:30 is what is written
    if day is None and (written_day or groups.get("day")):
        return ResolvedTime(text, None)  # a day is written but cannot be placed: no guess
    if day is None:
        return ResolvedTime(text, _latest_before(clock, zone, reference), inferred=True) if reference else ResolvedTime(text, None)
    moment = datetime.combine(day, clock, zone)
    if reference is not None and written_day and _WEEKDAY.match(" ".join(written_day.lower().split())) \
            and moment > reference + SKEW:
        moment -= timedelta(days=7)  # "last Thursday" written on a Thursday before that hour: a week ago
    if reference is not None and written_day and moment > reference + SKEW and _is_relative(written_day, relative_days):
        return ResolvedTime(text, None)  # "this afternoon at four" written at noon: a later hour today is no past attempt
    return ResolvedTime(text, moment.astimezone(timezone.utc))


def _is_relative(written: str, relative_days: Mapping[str, int] | None) -> bool:
    """Whether the day was written as a word counted from the ticket's day ("today", "heute", "ce matin")."""
    word = " ".join(written.lower().split()).strip(" ,")
    return word in _RELATIVE or word in (relative_days or {})


# A merchant reports an attempt already made: a clock time a little after the ticket's creation is
# clock skew, more than this is the day before.
SKEW = timedelta(minutes=15)


def _latest_before(clock: time, zone: tzinfo, reference: datetime) -> datetime:
    """A time given without a day ("14:32 Uhr MEZ") is its last occurrence before the ticket was written."""
    local = reference.astimezone(zone)
    moment = datetime.combine(local.date(), clock, zone)
    if moment > local + SKEW:
        moment = datetime.combine(local.date() - timedelta(days=1), clock, zone)
    return moment.astimezone(timezone.utc)

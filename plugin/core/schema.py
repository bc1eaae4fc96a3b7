"""The shape of a pattern file, as admins write it (see patterns/README.md).

Validation lives here so every loader error is a sentence about one key of one file.
"""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ID = r"^[a-z][a-z0-9_]*$"
TAG = r"^[a-z0-9_:\-]+$"
LANG = r"^[a-z]{2}$"
PLACEHOLDERS = frozenset({"first_name", "ticket_id", "merchant_id", "timestamp", "missing"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegexSpec(_Strict):
    name: str = Field(pattern=ID)
    pattern: str = Field(min_length=1)
    anchors: list[str] = Field(min_length=1)
    max_errors: int = Field(default=0, ge=0, le=8)
    min_anchors: int = Field(default=1, ge=1)
    weight: float = Field(default=1.0, gt=0, le=1)
    window: int = Field(default=200, ge=20, le=5000)
    case_sensitive: bool = False
    skip_stances: list[str] = []
    """Stances (see StanceSpec) that never veto this regex's hits, by name."""

    @field_validator("anchors")
    @classmethod
    def _plain_words(cls, anchors: list[str]) -> list[str]:
        for a in anchors:
            if not a or a != a.lower() or a != a.strip():
                raise ValueError(f"anchor {a!r} must be lower-case literal text without outer spaces")
        return anchors

    @model_validator(mode="after")
    def _enough_anchors(self) -> RegexSpec:
        if self.min_anchors > len(self.anchors):
            raise ValueError(f"min_anchors is {self.min_anchors} but only {len(self.anchors)} anchors are listed")
        return self


class ContextSpec(_Strict):
    name: str = Field(pattern=ID)
    terms: list[str] = Field(min_length=1)
    window: int = Field(default=0, ge=0, le=100_000)
    required: bool = False
    required_from: int = Field(default=0, ge=0, le=100_000)
    """A required context is required only in tickets of at least this many characters: a terse
    ticket that is only the banner ("Es ist ein Fehler aufgetreten. Mehr steht da nicht.") says no more."""
    boost: float = Field(default=0.05, ge=0, le=1)


class NegativeSpec(_Strict):
    name: str = Field(pattern=ID)
    pattern: str = Field(min_length=1)
    window: int = Field(default=150, ge=0, le=100_000)
    scope: Literal["window", "sentence", "clause"] = "window"
    """Where the veto is looked for: ``window`` characters either side of the hit, or the
    sentence / clause (split at commas and "but") that holds the hit."""
    regexes: list[str] = []
    """Names of the regexes this negative vetoes; empty means all of them."""
    elsewhere: bool = False
    """The hit's words are about something else (another Amazon program, another marketplace or system, a
    shopper's account): then the same words in the subject alone do not count either."""


class _ReplyBody(_Strict):
    """A reply's text or macro: the part a language overlay may give too."""

    body: str | None = None
    zendesk_macro_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _body_or_macro(self) -> _ReplyBody:
        if self.body is None and self.zendesk_macro_id is None:
            raise ValueError("give the reply a body, a zendesk_macro_id, or both")
        if self.body is not None:
            unknown = set(string.Template(self.body).get_identifiers()) - PLACEHOLDERS
            if unknown or not string.Template(self.body).is_valid():
                raise ValueError(
                    f"unknown placeholder(s) {sorted(unknown)}; use $$ for a dollar sign and only "
                    f"{sorted(PLACEHOLDERS)}"
                )
        return self


class ReplySpec(_ReplyBody):
    visibility: Literal["internal", "public"] = "internal"


class Examples(_Strict):
    match: list[str] = Field(min_length=3)
    no_match: list[str] = Field(min_length=3)


class ErrorPatternSpec(_Strict):
    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    article: str = Field(min_length=1)
    priority: int = Field(default=50, ge=0, le=1000)
    tags: list[str] | None = None
    escalation_fields: bool = False
    min_score: float = Field(default=0.5, ge=0, le=1)
    regex: list[RegexSpec] = Field(min_length=1)
    context: list[ContextSpec] = []
    negative: list[NegativeSpec] = []
    skip_stances: list[str] = []
    """Stances (see StanceSpec) that never veto this pattern's hits, by name."""
    reply: ReplySpec
    examples: Examples

    @field_validator("tags")
    @classmethod
    def _tag_chars(cls, tags: list[str] | None) -> list[str] | None:
        for t in tags or []:
            if not re.fullmatch(TAG, t):
                raise ValueError(f"tag {t!r} may hold only lower-case letters, digits, _ - and :")
        return tags

    @model_validator(mode="after")
    def _unique_names(self) -> ErrorPatternSpec:
        names = [r.name for r in self.regex]
        if len(set(names)) != len(names):
            raise ValueError(f"regex names must be unique, got {names}")
        for neg in self.negative:
            unknown = set(neg.regexes) - set(names)
            if unknown:
                raise ValueError(f"negative {neg.name!r} names unknown regexes {sorted(unknown)}; known: {names}")
        return self

    def effective_tags(self) -> list[str]:
        return self.tags if self.tags is not None else ["amazon_error", f"amazon_error_{self.id}"]


class FieldExample(_Strict):
    text: str
    expect: str


class FieldExamples(_Strict):
    match: list[FieldExample] = Field(min_length=3)
    no_match: list[str] = Field(min_length=3)


class FieldSpec(_Strict):
    """An extractor: merchant ID, time of the last attempt, or a yes/no fact such as "cleared cache"."""

    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    kind: Literal["merchant_id", "timestamp", "flag"]
    regex: list[RegexSpec] = Field(min_length=1)
    negative: list[NegativeSpec] = []
    zones: dict[str, str] = {}
    examples: FieldExamples

    @model_validator(mode="after")
    def _zones_only_for_time(self) -> FieldSpec:
        if self.zones and self.kind != "timestamp":
            raise ValueError("zones belong only to a field of kind 'timestamp'")
        return self


# --- Stances: patterns/stances.toml (English) and the [stances] table of each language.toml. A stance is
# the merchant's position towards an error they name ("I haven't connected yet", "it is NOT the X thing",
# "we had X last month, solved since"): it says nothing about WHICH error, so it vetoes every pattern's hits. ---


class StanceSpec(_Strict):
    """One way of writing a stance in one language: a negative applied to every error pattern."""

    name: str = Field(pattern=ID)
    pattern: str = Field(min_length=1)
    scope: Literal["window", "sentence", "clause", "ticket", "subject"] = "sentence"
    """Where it is looked for around a hit: ``window`` characters either side, the hit's sentence or
    clause (``\\G`` is where it starts), the merchant's own words anywhere in the ticket (``ticket``:
    quoted earlier messages are not the merchant's stance), or the ticket's subject (``subject``: its first
    line when it has none), which says what the whole ticket is about."""
    window: int = Field(default=150, ge=1, le=100_000)
    unless: list[str] = []
    """Regexes that lift the veto when the merchant's own words hold one of them anywhere in the ticket
    ("the first store connected fine, the second one fails": a current failure is stated)."""


class StanceExamples(_Strict):
    vetoed: list[str] = Field(min_length=1)
    """Tickets naming an error whose every hit this stance drops: no error is found."""
    kept: list[str] = Field(min_length=1)
    """Tickets with words of this stance that still show an error: something is found."""


class StancesFile(_Strict):
    """patterns/stances.toml: the English stances, under the same tables as a language file."""

    stances: dict[str, list[StanceSpec]] = {}
    stance_examples: dict[str, StanceExamples] = {}

    @field_validator("stances", "stance_examples")
    @classmethod
    def _stance_names(cls, table: dict[str, object]) -> dict[str, object]:
        for name in table:
            if not re.fullmatch(ID, name):
                raise ValueError(f"stance name {name!r} may hold only lower-case letters, digits and _")
        return table


# --- The reply composer's phrases: patterns/reply_parts.toml (English) and, per language, the
# [reply_parts] table of patterns/i18n/<lang>/language.toml (see patterns/README.md). ---

PART_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "greeting": frozenset({"first_name"}),
    "several_intro": frozenset({"problems"}),
    "section_heading": frozenset({"problem"}),
    "steps_done": frozenset({"steps"}),
    "facts_given": frozenset({"facts"}),
    "given_merchant_id": frozenset({"merchant_id"}),
    "given_timestamp": frozenset({"timestamp"}),
    "ask_after_steps": frozenset({"missing"}),
    "ask_now": frozenset({"missing"}),
    "summary_merchant_id": frozenset({"merchant_id"}),
    "summary_time": frozenset({"timestamp"}),
    "summary_time_utc": frozenset({"timestamp", "timestamp_utc"}),
}
"""The placeholders each phrase may use; a phrase not listed takes none."""


class ReplyParts(_Strict):
    """The phrases the composer puts around the errors' replies: greeting, intro, section headings,
    and the escalation sentences that acknowledge what the merchant did and ask only for what is missing.

    The defaults are the English text (the shipped patterns/reply_parts.toml repeats them for editing).
    A language file that leaves a key out gets the English phrase, and ``check`` lists it.
    """

    greeting: str = "Hi $first_name,"
    greeting_neutral: str = "Hi there,"
    sign_off: str = "Kind regards"
    list_separator: str = ", "
    list_and: str = " and "
    """How the last item of a list is joined, spaces included (" and ", " und ", "、")."""
    missing_and: str = ""
    """Older key: the word alone ("und"); used as " <word> " when list_and is not given."""
    several_intro: str = ("Thanks for your message. It mentions more than one problem with connecting your "
                          "Amazon account: $problems. Here is what to do about each of them.")
    section_heading: str = "About $problem:"
    escalation_intro: str = ("Sorry about that: this error means the problem is on our side rather than with "
                             "your Amazon account.")
    steps_done: str = "Thank you for already $steps."
    steps_intro: str = "Could you please:"
    facts_given: str = "Thanks as well for sending $facts."
    given_merchant_id: str = "your merchant ID ($merchant_id)"
    given_timestamp: str = "the time of your last attempt ($timestamp)"
    missing_merchant_id: str = "your Amazon merchant ID (Seller Central > Settings > Account Info > Merchant Token)"
    missing_timestamp: str = "the date and time of your latest attempt, including your time zone"
    ask_after_steps: str = ("If the error is still there after that, please reply with $missing, and we'll pass "
                            "it on to our engineering team to check the logs.")
    ask_now: str = ("As the error is still there, please reply with $missing, and we'll pass it on to our "
                    "engineering team to check the logs.")
    report_after_steps: str = ("If the error is still there after that, just let us know: we already have the "
                               "details our engineering team needs and will pass them on straight away.")
    escalating: str = ("Thank you, that is everything we need. We are escalating this to Codisto's engineering "
                       "team now with these details:")
    summary_merchant_id: str = "Amazon merchant ID: $merchant_id"
    summary_time: str = "Last attempt: $timestamp"
    summary_time_utc: str = "Last attempt: $timestamp ($timestamp_utc UTC)"
    escalating_end: str = "We will get back to you as soon as we hear from them."
    problems: dict[str, str] = {
        "not_professional": "the Individual selling plan",
        "additional_info": "Amazon asking for more information",
        "staging_mode": "staging mode",
        "under_review": "Amazon's review of your account",
        "blocked_or_region": "a blocked account or an unregistered region",
        "contact_amazon": "\"Couldn't connect, contact Amazon\"",
        "connection_timeout": "the connection timing out",
        "generic_error": "\"An error has occurred\"",
    }
    """Short names of the errors for the intro and the section headings, by error id."""
    steps: dict[str, str] = {
        "reconnected": "Try connecting the Amazon channel again.",
        "cleared_cache": "Clear your browser's cache and cookies, then try once more.",
        "other_browser": "Try connecting from a different browser.",
    }
    """What to ask the merchant to try, by checklist flag id."""
    done: dict[str, str] = {
        "reconnected": "trying to connect again",
        "cleared_cache": "clearing your browser's cache and cookies",
        "other_browser": "trying another browser",
    }
    """The same steps as done, to thank for ("Thank you for already $steps."), by flag id."""

    @field_validator("*")
    @classmethod
    def _placeholders(cls, value: str | dict[str, str], info: ValidationInfo) -> str | dict[str, str]:
        key = info.field_name or ""
        allowed = PART_PLACEHOLDERS.get(key, frozenset())
        for name, text in (value.items() if isinstance(value, dict) else [("", value)]):
            template = string.Template(text)
            unknown = set(template.get_identifiers()) - allowed
            if unknown or not template.is_valid():
                where = f"{name}: " if name else ""
                raise ValueError(f"{where}unknown placeholder(s) {sorted(unknown)}; allowed here: "
                                 f"{', '.join(sorted('$' + a for a in allowed)) or 'none'} (write $$ for a dollar sign)")
        return value

    def given(self) -> frozenset[str]:
        """The keys (and "problems.<id>" entries) this file actually gives."""
        keys = set(self.model_fields_set)
        for table in ("problems", "steps", "done"):
            if table in keys:
                keys.discard(table)
                keys.update(f"{table}.{k}" for k in getattr(self, table))
        return frozenset(keys)


class ReplyPartsFile(_Strict):
    """patterns/reply_parts.toml: the English phrases, under the same table as a language file."""

    reply_parts: ReplyParts = ReplyParts()


# --- Language overlays (patterns/i18n/<lang>/..., see I18N_SCHEMA.md and patterns/README.md) ---


class ReplyCueWords(_Strict):
    """A language's words for how a merchant's reply answers the thread (regexes, case-insensitive; see cues.py)."""

    greetings: list[str] = []
    """Before a yes or a no: "Hallo Anna, nein, ..."."""
    yes: list[str] = []
    """Opening a reply: "Ja, genau diese Meldung" (the error the support side asked about is the merchant's)."""
    no: list[str] = []
    """Opening a reply: "Nein, das ist es nicht" (it is not)."""
    turn: list[str] = []
    """A turn to what is happening now: "aber jetzt ...", "Jetzt kommt eine andere Meldung"."""
    takes_up: list[str] = []
    """Anywhere in the merchant's own words: the error the support side named is still theirs ("immer noch dieselbe
    Meldung", "toujours la même erreur"). English's are thread.TAKES_UP."""


class LanguageSpec(_Strict):
    """patterns/i18n/<lang>/language.toml: what identifies the language and its thread conventions."""

    lang: str = Field(pattern=LANG)
    name: str = Field(min_length=1)
    markers: list[str] = Field(min_length=1)
    quote_headers: list[str] = []
    amazon_context: list[str] = []
    connecting_context: list[str] = []
    followup_cues: list[str] = []
    """Optional: words of a reply that take up a quoted error as still the merchant's ("immer noch"); English's are
    thread.FOLLOW_UP."""
    reply_cues: ReplyCueWords = ReplyCueWords()
    """Optional: how a reply answers the thread ("Ja, genau", "Nein, das ist es nicht", "aber jetzt")."""
    reply_parts: ReplyParts = ReplyParts()
    stances: dict[str, list[StanceSpec]] = {}
    """This language's ways of writing each stance, by stance name (see StancesFile)."""
    stance_examples: dict[str, StanceExamples] = {}

    _stance_names = field_validator("stances", "stance_examples")(StancesFile._stance_names.__func__)  # type: ignore[attr-defined]


class OverlayReplySpec(_ReplyBody):
    """A language's reply: visibility stays the English file's."""


class OverlayExamples(_Strict):
    match: list[str] = Field(min_length=3)
    no_match: list[str] = Field(min_length=2)


class ErrorOverlaySpec(_Strict):
    """patterns/i18n/<lang>/<id>.toml: one language's extra rules, reply and examples for one error."""

    id: str = Field(pattern=ID)
    lang: str = Field(pattern=LANG)
    regex: list[RegexSpec] = []
    context: list[ContextSpec] = []
    negative: list[NegativeSpec] = []
    reply: OverlayReplySpec | None = None
    examples: OverlayExamples


class FieldOverlayExamples(_Strict):
    match: list[FieldExample] = Field(min_length=1)
    no_match: list[str] = Field(min_length=1)


class FieldOverlaySpec(_Strict):
    """patterns/i18n/<lang>/fields/<field>.toml: one language's extra extractors for one field.

    ``relative_days`` maps words such as "gestern" to a day offset (-1) and ``months`` maps month
    names such as "novembre" to their number; a timestamp regex uses them through its ``date``,
    ``rel`` and ``month`` groups. ``dayparts`` maps the words of the 12-hour clock a regex's ``ampm``
    group captures ("午後", "nachmittags", "de la tarde") to "am" or "pm". ``numbers`` maps hours and
    minutes written in words ("drei" = 3, "media" = 30) that its ``hour`` and ``minute`` groups capture.
    """

    id: str = Field(pattern=ID)
    lang: str = Field(pattern=LANG)
    regex: list[RegexSpec] = []
    negative: list[NegativeSpec] = []
    zones: dict[str, str] = {}
    relative_days: dict[str, int] = {}
    months: dict[str, int] = {}
    dayparts: dict[str, Literal["am", "pm"]] = {}
    numbers: dict[str, int] = {}
    examples: FieldOverlayExamples

    @field_validator("relative_days")
    @classmethod
    def _days(cls, table: dict[str, int]) -> dict[str, int]:
        for word, days in table.items():
            if word != word.lower() or not -7 <= days <= 1:
                raise ValueError(f"relative day {word!r}: words are lower case, offsets between -7 and 1")
        return table

    @field_validator("dayparts")
    @classmethod
    def _dayparts(cls, table: dict[str, str]) -> dict[str, str]:
        for word in table:
            if word != " ".join(word.lower().split()) or not word:
                raise ValueError(f"daypart {word!r}: words are lower case, single-spaced")
        return table

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, table: dict[str, int]) -> dict[str, int]:
        for word, number in table.items():
            if word != " ".join(word.lower().split()) or not word or not 0 <= number <= 59:
                raise ValueError(f"number {word!r}: words are lower case, single-spaced, numbers 0 to 59")
        return table

    @field_validator("months")
    @classmethod
    def _months(cls, table: dict[str, int]) -> dict[str, int]:
        for word, number in table.items():
            if word != word.lower() or not 1 <= number <= 12:
                raise ValueError(f"month {word!r}: names are lower case, numbers 1 to 12")
        return table


# --- Page chrome: patterns/chrome/<lang>.toml, one file per language (see plugin/core/chrome.py). The words
# by which a pasted page's menus, help links, FAQ titles and hints are told from the error it shows. ---


class GuardExamples(_Strict):
    """A guard's tests (page chrome, listed errors, pasted documents), run by ``check``."""

    vetoed: list[str] = Field(min_length=1)
    """Tickets that name errors only where the guard looks (chrome, a list of errors, a paste nobody points
    at): no error is found, and a hit is dropped by that guard."""
    kept: list[str] = Field(min_length=1)
    """Tickets with the guard's shape around a genuine error (a banner beside the chrome, the merchant's own
    list of what they saw, a paste the merchant points at): the error is still found."""


def _lang_code(lang: str) -> str:
    if not re.fullmatch(LANG[1:-1], lang):
        raise ValueError(f"language {lang!r}: a lower-case ISO 639-1 code such as 'de'")
    return lang


def _regex_table(table: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per language (ISO 639-1 code), regexes that compile (matched case-insensitively)."""
    import regex

    for lang, terms in table.items():
        _lang_code(lang)
        for term in terms:
            try:
                regex.compile(term, regex.IGNORECASE)
            except regex.error as exc:
                raise ValueError(f"{lang}: regex {term!r} does not compile: {exc}") from None
    return table


class ChromeFile(_Strict):
    """One language's page chrome. Every list holds regexes, matched case-insensitively."""

    lang: str = Field(pattern=LANG)
    headings: list[str] = Field(min_length=1)
    """A line's whole text (or its label before a colon) that heads help links, FAQ or articles:
    "FAQ", "Related help", "Articles in this section", "Häufige Fragen"."""
    questions: list[str] = Field(min_length=1)
    """An item's whole text that is a help title in question form: "What is staging mode?", "〜とは？"."""
    links: list[str] = Field(min_length=1)
    """How a link item starts: "Learn more about", "En savoir plus", "詳しく見る" (Japanese: ``.{0,40}`` first)."""
    labels: list[str] = []
    """A label that heads a list on its own line only ("Help: ... · ..."), too common a word to head the
    lines below it: "Help", "Aide", "ヘルプ"."""
    hints: list[str] = []
    """How a conditional hint addressed to the reader starts: "If you see", "Si vous voyez"."""
    examples: GuardExamples

    @field_validator("headings", "questions", "links", "labels", "hints")
    @classmethod
    def _compiles(cls, terms: list[str]) -> list[str]:
        import regex

        for term in terms:
            try:
                regex.compile(term, regex.IGNORECASE)
            except regex.error as exc:
                raise ValueError(f"regex {term!r} does not compile: {exc}") from None
        return terms


# --- Listed errors: patterns/listing.toml (see plugin/core/listing.py). The shape of a list that names several
# errors (documentation, not the merchant's error): thresholds, and the words by which a merchant's own list
# narrates what happened to them, per language. ---


class ListingFile(_Strict):
    """Thresholds of the list shapes, and per language (ISO 639-1 code) the regexes of a narrating line."""

    list_errors: int = Field(default=3, ge=2, le=8)
    """Distinct errors named in one run of parallel lines that make it documentation outright."""
    pair_errors: int = Field(default=2, ge=2, le=8)
    """Distinct errors named in one run that make it documentation unless one of its lines narrates."""
    max_pair_item: int = Field(default=120, ge=20, le=1000)
    """Characters of each naming line at most for ``pair_errors`` (longer: the merchant's own sentences)."""
    row_items: int = Field(default=3, ge=2, le=20)
    """Items a row of links or menu entries has at least ("Popular: A · B · C")."""
    max_item: int = Field(default=60, ge=10, le=200)
    """Characters of a row's item at most (longer: prose, not a link)."""
    narrative: dict[str, list[str]] = {}
    """Per language, how a merchant's own line tells what happened ("I got", "first try", "dann kam")."""
    advice: dict[str, list[str]] = {}
    """Per language, how a hint to the reader opens (after its label): a condition, "if", "falls", "si"."""
    examples: GuardExamples

    @field_validator("narrative", "advice")
    @classmethod
    def _compiles(cls, table: dict[str, list[str]]) -> dict[str, list[str]]:
        return _regex_table(table)

    @model_validator(mode="after")
    def _pair_below_list(self) -> ListingFile:
        if self.pair_errors > self.list_errors:
            raise ValueError(f"pair_errors ({self.pair_errors}) must not exceed list_errors ({self.list_errors})")
        return self


# --- Pasted documents: patterns/pasted.toml (see plugin/core/pasted.py). The words of a merchant's line that
# says they paste, and of their own lines pointing at an error in the paste, per language. ---


class PastedFile(_Strict):
    """Per language (ISO 639-1 code), regexes matched case-insensitively in the merchant's own lines."""

    intro: dict[str, list[str]]
    """The kind of document a line says follows: "report", "Slack thread", "Protokoll", "compte rendu", "議事録"."""
    cues: dict[str, list[str]]
    """The words of that line saying it is pasted (it needs both): "pasted below", "hier", "je vous colle", "貼ります"."""
    pointing: dict[str, list[str]]
    """The merchant's own words pointing at an error in the paste: "this error", "what I see"; a match
    holding a number ("point 2", "Punkt 3", "2番") points at that numbered item only."""
    voice: dict[str, list[str]] = {}
    """The merchant's first person: a paragraph opening with it after a pasted one is theirs again."""
    failing: dict[str, list[str]] = {}
    """The merchant's own lines saying the connection fails without naming how: with no error of their own
    found, the paste's counts."""
    current: dict[str, list[str]] = {}
    """A line of the paste telling a failure as current ("still", "again", "now", "today"): a report, it counts."""
    own_entry: dict[str, list[str]] = {}
    """The merchant naming their own entry in a paste about several shops ("we are «X»", "wir sind Shop Nr. 3"):
    the group ``name`` (or a number) says which lines of the paste are theirs; the others stay pasted."""
    examples: dict[str, GuardExamples]
    """Per language: ``check`` runs English's and those of every loaded language."""

    @field_validator("examples")
    @classmethod
    def _languages(cls, table: dict[str, GuardExamples]) -> dict[str, GuardExamples]:
        for lang in table:
            _lang_code(lang)
        return table

    @field_validator("intro", "cues", "pointing", "voice", "current", "failing", "own_entry")
    @classmethod
    def _compiles(cls, table: dict[str, list[str]]) -> dict[str, list[str]]:
        return _regex_table(table)

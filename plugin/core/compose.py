"""Write one reply from everything a ticket showed, in the reply language.

One greeting, then (when the ticket shows several errors) a short intro naming each problem and each
error's reply as its own section, then one sign-off. For an error that is escalated to Codisto the
section asks only for what is still needed: steps the merchant says they took are thanked for, not
repeated; a merchant ID or time already given is not asked for again; a merchant who did and gave
everything is told we are escalating, with the summary. Every phrase comes from the pattern files
(reply_parts), English where a language lacks one. The greeting uses the requester's name only as
names.clean_name lets it (bounded, printable, plausibly a name), else the neutral greeting.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from .models import CommentPart, Escalation
from .names import clean_name
from .schema import ReplyParts

FACTS = ("merchant_id", "timestamp")


def render(template: str, **values: str) -> str:
    return string.Template(template).safe_substitute(values)


@dataclass(frozen=True)
class Phrases:
    """The reply language's phrases with English behind every one it does not give."""

    english: ReplyParts
    own: ReplyParts | None = None

    def _layers(self) -> tuple[ReplyParts, ...]:
        return (self.own, self.english) if self.own is not None else (self.english,)

    def text(self, key: str) -> str:
        if self.own is not None and key in self.own.model_fields_set:
            return str(getattr(self.own, key))
        return str(getattr(self.english, key))

    def entry(self, table: str, key: str) -> str | None:
        """One entry of the problems / steps / done tables (by error or flag id), or None if nobody has it."""
        for layer in self._layers():
            if layer is self.english or table in layer.model_fields_set:
                found = getattr(layer, table).get(key)
                if found:
                    return str(found)
        return None

    def join(self, items: Sequence[str]) -> str:
        """"a", "a and b", "a, b and c" in the language's own punctuation."""
        items = [i for i in items if i]
        if len(items) < 2:
            return "".join(items)
        return self.text("list_separator").join(items[:-1]) + self._last_joiner() + items[-1]

    def _last_joiner(self) -> str:
        for layer in self._layers():
            if "list_and" in layer.model_fields_set:
                return layer.list_and
            if "missing_and" in layer.model_fields_set and layer.missing_and:
                return f" {layer.missing_and} "
        return self.english.list_and

    def missing(self, names: Sequence[str]) -> str:
        """What is missing, as the $missing placeholder and the asks say it."""
        return self.join([self.text(f"missing_{n}") for n in names])


@dataclass(frozen=True)
class ReplySource:
    """One matched error's reply in the reply language, as its pattern file gives it."""

    error: str
    body: str | None
    """The template (placeholders not filled in yet); None for a macro-only reply."""
    macro_id: int | None = None
    fallback: str = ""
    escalates: bool = False
    """The error is escalated to Codisto: its section is built from what the merchant did and gave."""
    title: str = ""
    """Used as the error's name when no phrases file names it."""


@dataclass(frozen=True)
class ComposedReply:
    greeting: str
    intro: str
    parts: tuple[CommentPart, ...]
    sign_off: str


def _utc_display(iso: str) -> str:
    """"2026-11-26T03:05:00Z" -> "2026-11-26 03:05"."""
    return f"{iso[:10]} {iso[11:16]}" if len(iso) >= 16 and iso[10] == "T" else iso


def escalation_section(template: str, values: dict[str, str], escalation: Escalation, phrases: Phrases,
                       flag_order: Sequence[str]) -> str:
    """The section of an error escalated to Codisto, asking only for what is still needed.

    With nothing done and nothing given yet, the pattern's own reply (all the steps and both asks).
    """
    done = [f for f in flag_order if f in escalation.flags]
    given = [f for f in FACTS if getattr(escalation, f) is not None]
    if not done and not given:
        return string.Template(template).safe_substitute(values)
    mid = escalation.merchant_id.value if escalation.merchant_id else ""
    when = escalation.timestamp.text if escalation.timestamp else ""
    paragraphs = [phrases.text("escalation_intro")]
    thanked = [t for t in (phrases.entry("done", f) for f in done) if t]
    if thanked:
        paragraphs.append(render(phrases.text("steps_done"), steps=phrases.join(thanked)))
    todo = [t for t in (phrases.entry("steps", f) for f in flag_order if f not in escalation.flags) if t]
    missing = [f for f in FACTS if getattr(escalation, f) is None]
    if not todo and not missing:
        utc = escalation.timestamp_utc
        time_line = (render(phrases.text("summary_time_utc"), timestamp=when, timestamp_utc=_utc_display(utc))
                     if utc else render(phrases.text("summary_time"), timestamp=when))
        summary = [phrases.text("escalating"), "- " + render(phrases.text("summary_merchant_id"), merchant_id=mid),
                   "- " + time_line]
        paragraphs += ["\n".join(summary), phrases.text("escalating_end")]
        return "\n\n".join(paragraphs)
    facts = {"merchant_id": render(phrases.text("given_merchant_id"), merchant_id=mid),
             "timestamp": render(phrases.text("given_timestamp"), timestamp=when)}
    if given:
        paragraphs.append(render(phrases.text("facts_given"), facts=phrases.join([facts[f] for f in given])))
    if todo:
        paragraphs.append("\n".join([phrases.text("steps_intro"), *(f"{i}. {step}" for i, step in enumerate(todo, 1))]))
    if missing:
        ask = phrases.text("ask_after_steps" if todo else "ask_now")
        paragraphs.append(render(ask, missing=phrases.missing(missing)))
    else:
        paragraphs.append(phrases.text("report_after_steps"))
    return "\n\n".join(paragraphs)


def compose(sources: Sequence[ReplySource], escalation: Escalation, phrases: Phrases, values: dict[str, str],
            first_name: str | None, flag_order: Sequence[str] = ()) -> ComposedReply:
    """The whole reply: greeting, intro and headed sections when there are several errors, sign-off.

    ``values`` fill the placeholders of the errors' own reply templates; ``flag_order`` lists the
    checklist flags (steps the merchant may have taken) in the order they are asked for.
    """
    name = clean_name(first_name)
    greeting = render(phrases.text("greeting"), first_name=name) if name else phrases.text("greeting_neutral")
    several = len(sources) > 1
    names = [phrases.entry("problems", s.error) or s.title or s.error for s in sources]
    parts = []
    for source, problem in zip(sources, names, strict=True):
        body = None
        if source.body is not None:
            body = (escalation_section(source.body, values, escalation, phrases, flag_order)
                    if source.escalates and escalation.required
                    else string.Template(source.body).safe_substitute(values))
        heading = render(phrases.text("section_heading"), problem=problem) if several else ""
        parts.append(CommentPart(source.error, body, source.macro_id, source.fallback, heading))
    intro = render(phrases.text("several_intro"), problems=phrases.join(names)) if several else ""
    return ComposedReply(greeting, intro, tuple(parts), phrases.text("sign_off"))

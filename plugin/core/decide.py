"""Decide what one ticket needs: tags, one comment, and the reasons, from what was detected."""

from __future__ import annotations

from dataclasses import dataclass

from .compose import Phrases, ReplySource, compose
from .models import MARKER_TAG, Detection, Escalation, Match, Ticket, TicketUpdate
from .names import clean_name
from .patterns import PatternSet

FLAG_ORDER = ("reconnected", "cleared_cache", "other_browser")
MISSING_LABELS = {"merchant_id": "the Amazon merchant ID", "timestamp": "the time (with time zone) of the last connection attempt"}


@dataclass(frozen=True)
class DecisionSettings:
    marker_tag: str = MARKER_TAG
    ready_tag: str = "amazon_escalation_ready"
    missing_tag_prefix: str = "amazon_escalation_missing_"
    default_first_name: str = "there"
    """What $first_name says in a reply template when the name is unknown or unfit (the greeting
    itself then uses the neutral greeting of patterns/reply_parts.toml)."""
    macro_fallback: str = ("Thanks for your message. We are looking into this Amazon connection problem "
                           "and will be back with the next steps.")
    """The reply when a macro's text cannot be read (deleted macro): the ticket is still triaged."""
    explain: bool = True
    agent_language: str = "en"
    """The language of the parts meant for the agent (checklist, explanation); only English exists today."""
    amazon_context_tags: frozenset[str] = frozenset()
    """Ticket tags, brand ids and form ids that by themselves say a ticket is about Amazon (admins set them)."""
    amazon_context_brands: frozenset[int] = frozenset()
    amazon_context_forms: frozenset[int] = frozenset()

    def amazon_ticket(self, ticket: Ticket) -> bool:
        """Whether the ticket's tags, brand or form put it in an Amazon context."""
        return bool(
            (self.amazon_context_tags and self.amazon_context_tags & set(ticket.tags))
            or (ticket.brand_id is not None and ticket.brand_id in self.amazon_context_brands)
            or (ticket.form_id is not None and ticket.form_id in self.amazon_context_forms)
        )


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str
    required: bool
    """Required items block the escalation; the others are steps the merchant should have tried."""

    def line(self) -> str:
        return f"[{'x' if self.done else ' '}] {self.label}: {self.detail}"


def flag_order(patterns: PatternSet) -> list[str]:
    """The checklist flags (steps the merchant may have tried) in the order they are asked for."""
    ids = {f.id for f in patterns.fields if f.spec.kind == "flag"}
    return [*[f for f in FLAG_ORDER if f in ids], *sorted(ids - set(FLAG_ORDER))]


def checklist(escalation: Escalation, patterns: PatternSet) -> list[ChecklistItem]:
    """What an escalation to Codisto needs, with what the ticket already shows."""
    items = []
    titles = {f.id: f.spec.title for f in patterns.fields if f.spec.kind == "flag"}
    for flag in flag_order(patterns):
        found = escalation.flags.get(flag)
        items.append(ChecklistItem(flag, titles[flag], found is not None,
                                   f'"{found.text}"' if found else "not mentioned yet, ask the merchant", False))
    mid, ts = escalation.merchant_id, escalation.timestamp
    items.append(ChecklistItem("merchant_id", "Amazon merchant ID", mid is not None,
                               mid.value if mid else "MISSING, ask the merchant", True))
    when = (f"{ts.text} (= {escalation.timestamp_utc})" if escalation.timestamp_utc else ts.text) if ts else ""
    items.append(ChecklistItem("timestamp", "Time of the last connection attempt, with time zone", ts is not None,
                               when or "MISSING, ask the merchant", True))
    return items


def _checklist(escalation: Escalation, patterns: PatternSet) -> str:
    lines = ["Escalation checklist for Codisto support. Do not escalate until every item is ticked."]
    lines += [item.line() for item in checklist(escalation, patterns)]
    if escalation.missing:
        lines.append("Do not escalate yet: still missing " + " and ".join(MISSING_LABELS[m] for m in escalation.missing) + ".")
    elif all(item.done for item in checklist(escalation, patterns)):
        lines.append("Everything is there and the merchant has tried every step: escalate to Codisto now.")
    else:
        lines.append("Merchant ID and time are present: once the merchant has tried the steps above, escalate to Codisto with them.")
    return "\n".join(lines)


def explain(matches: tuple[Match, ...]) -> str:
    """Why the suggestion was made, for the agent: what matched, where and how well."""
    lines = ["Why amazon-triage suggested this:"]
    for m in matches:
        for ev in m.evidence[:3]:
            typos = f", {ev.typos} typo(s) tolerated" if ev.typos else ""
            lines.append(f"- {m.error} ({m.title}): regex '{ev.regex}' matched \"{ev.text}\" "
                         f"at characters {ev.start}-{ev.end}, score {ev.score:.2f}{typos}")
    return "\n".join(lines)


def _tags(matches: tuple[Match, ...], escalation: Escalation, settings: DecisionSettings) -> tuple[str, ...]:
    tags: list[str] = [t for m in matches for t in m.tags]
    if escalation.required:
        if escalation.missing:
            tags += [settings.missing_tag_prefix + name for name in escalation.missing]
        else:
            tags.append(settings.ready_tag)
    tags.append(settings.marker_tag)
    return tuple(dict.fromkeys(tags))


def decide(ticket: Ticket, detection: Detection, escalation: Escalation, patterns: PatternSet,
           settings: DecisionSettings = DecisionSettings(), lang: str = "en") -> TicketUpdate:
    """The update for one ticket; empty (no write at all) when nothing matched.

    ``lang`` is the language of the reply (see language.reply_language): each error's reply in that
    language when the pattern has it, else English, composed into one reply (compose.py) with the
    language's reply_parts phrases, English for any it lacks. The checklist and explanation are for
    the agent and stay in English.
    """
    matches = tuple(m for m in detection.matches if patterns.get(m.error) is not None)
    if not matches:
        return TicketUpdate(ticket_id=ticket.id)
    language = patterns.language(lang) if lang != "en" else None
    phrases = Phrases(patterns.reply_parts, language.spec.reply_parts if language is not None else None)
    values = {
        "first_name": clean_name(ticket.requester_first_name) or settings.default_first_name,
        "ticket_id": str(ticket.id or ""),
        "merchant_id": escalation.merchant_id.value if escalation.merchant_id else "",
        "timestamp": escalation.timestamp.text if escalation.timestamp else "",
        "missing": phrases.missing(escalation.missing),
    }
    sources = []
    for m in matches:
        pattern = patterns.get(m.error)
        assert pattern is not None
        body, macro, _ = pattern.reply_body(lang)
        sources.append(ReplySource(m.error, body, macro, settings.macro_fallback if macro is not None else "",
                                   pattern.spec.escalation_fields, m.title))
    reply = compose(sources, escalation, phrases, values, ticket.requester_first_name, flag_order(patterns))
    public = all(patterns.get(m.error).spec.reply.visibility == "public" for m in matches)  # type: ignore[union-attr]
    return TicketUpdate(
        ticket_id=ticket.id,
        matched=tuple(m.error for m in matches),
        tags=_tags(matches, escalation, settings),
        public=public,
        greeting=reply.greeting,
        intro=reply.intro,
        parts=reply.parts,
        sign_off=reply.sign_off,
        language=lang,
        agent_notes=_checklist(escalation, patterns) if escalation.required else "",
        explanation=explain(matches) if settings.explain else "",
    )

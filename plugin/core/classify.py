"""The use case every adapter calls: one ticket in, what was found and what to do out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .decide import DecisionSettings, decide
from .detect import DetectOptions, detect_text, end_of_subject
from .fields import extract_escalation
from .language import ENGLISH, reply_language, ticket_language
from .models import Detection, Escalation, PatternFailure, Ticket, TicketUpdate
from .patterns import PatternSet


@dataclass(frozen=True)
class Classification:
    ticket: Ticket
    detection: Detection
    escalation: Escalation
    update: TicketUpdate
    failures: tuple[PatternFailure, ...] = ()
    source: str = ""
    """The ticket as a reader sees it (HTML rendered): evidence offsets point into this text."""
    language: str = "en"
    """The language the ticket is written in (detected from the languages' markers)."""
    reply_language: str = "en"

    @property
    def timed_out(self) -> tuple[str, ...]:
        """Error and field patterns that overran their time limit (field failures are time-outs only)."""
        return (*self.detection.timed_out, *(f.pattern for f in self.failures if f.pattern.startswith("fields/")))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.ticket.id,
            "matches": [
                {
                    "error": m.error,
                    "title": m.title,
                    "tags": list(m.tags),
                    "score": m.score,
                    "evidence": [
                        {"regex": e.regex, "text": e.text, "start": e.start, "end": e.end,
                         "score": e.score, "typos": e.typos}
                        for e in m.evidence
                    ],
                }
                for m in self.detection.matches
            ],
            "escalation": self.escalation.to_json(),
            "update": None if self.update.is_empty else self.update.to_json(),
            "failures": [{"pattern": f.pattern, "message": f.message} for f in self.failures],
            "truncated": self.detection.truncated,
            "language": self.language,
            "reply_language": self.reply_language,
            "timed_out": list(self.timed_out),
        }


def classify(ticket: Ticket, patterns: PatternSet, settings: DecisionSettings = DecisionSettings(),
             options: DetectOptions = DetectOptions(), locale: str | None = None) -> Classification:
    """Detect, extract and decide for one ticket.

    ``locale`` is the requester's Zendesk locale (else ``ticket.locale``): the reply is in that
    language when the patterns have it, else in the ticket's own language, else in English.
    """
    subject = ticket.subject if ticket.description else ""  # a ticket without a description: its subject is its text
    text, detection = detect_text(ticket.text, patterns, options, amazon_ticket=settings.amazon_ticket(ticket),
                                  subject=subject)
    required = any(
        (p := patterns.get(m.error)) is not None and p.spec.escalation_fields for m in detection.matches
    )
    escalation, field_failures = extract_escalation(text, patterns, required, ticket.created_at, options.timeout,
                                                    end_of_subject(subject))
    # The language matters only for a reply: nothing matched, nothing to write.
    language = ticket_language(text, patterns) if patterns.languages and detection.matches else ENGLISH
    lang = reply_language(locale or ticket.locale, language, patterns)
    update = decide(ticket, detection, escalation, patterns, settings, lang)
    failures = (*detection.failures, *field_failures)
    # decide() may settle on English (an English macro keeps its English greeting).
    lang = lang if update.is_empty else update.language
    return Classification(ticket, detection, escalation, update, failures, text.source, language, lang)

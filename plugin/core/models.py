"""Data that flows between the core's steps and out to the adapters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

MARKER_TAG = "amazon_triage_done"
"""The tag our one write adds: its presence means "already triaged" to the worker, the trigger and replay."""


@dataclass(frozen=True)
class Ticket:
    """What the core needs of a ticket; adapters build it from webhooks, exports or the API."""

    id: int | None = None
    subject: str = ""
    description: str = ""
    requester_first_name: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    locale: str | None = None
    """The requester's Zendesk locale ("de", "fr-ca"): the reply's language when we have it."""
    brand_id: int | None = None
    form_id: int | None = None

    @property
    def text(self) -> str:
        """Subject and description as one text: evidence spans refer to it."""
        if self.subject and self.description:
            return f"{self.subject}\n\n{self.description}"
        return self.subject or self.description


@dataclass(frozen=True)
class Evidence:
    regex: str
    start: int
    end: int
    text: str
    score: float
    typos: int = 0
    """Edits the fuzzy match needed (0 for an exact match)."""


@dataclass(frozen=True)
class Match:
    error: str
    title: str
    tags: tuple[str, ...]
    priority: int
    score: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Suppressed:
    """A hit that was dropped, and why: shown to admins tuning a pattern."""

    error: str
    regex: str
    text: str
    reason: str


@dataclass(frozen=True)
class PatternFailure:
    pattern: str
    message: str


@dataclass(frozen=True)
class Detection:
    matches: tuple[Match, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    failures: tuple[PatternFailure, ...] = ()
    truncated: bool = False
    timed_out: tuple[str, ...] = ()
    """Patterns that overran their time limit: their matches (if any) are missing from ``matches``."""

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(m.error for m in self.matches)


@dataclass(frozen=True)
class FieldValue:
    value: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Escalation:
    """The facts Codisto needs before an escalation, as found in the ticket."""

    required: bool = False
    merchant_id: FieldValue | None = None
    timestamp: FieldValue | None = None
    timestamp_utc: str | None = None
    flags: dict[str, FieldValue] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        if not self.required:
            return ()
        return tuple(
            name for name, value in (("merchant_id", self.merchant_id), ("timestamp", self.timestamp))
            if value is None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "merchant_id": self.merchant_id.value if self.merchant_id else None,
            "timestamp": self.timestamp.text if self.timestamp else None,
            "timestamp_utc": self.timestamp_utc,
            "missing": list(self.missing),
            "checks": {k: v.text for k, v in self.flags.items()},
        }


@dataclass(frozen=True)
class CommentPart:
    """The reply for one error: text written from its template, or a Zendesk macro to apply."""

    error: str
    body: str | None = None
    macro_id: int | None = None
    fallback: str = ""
    """Said instead of the macro's text when that could not be read (a deleted macro), if there is no body."""
    heading: str = ""
    """The section's heading when the reply answers several errors ("About staging mode:")."""

    def text(self, macro_bodies: dict[int, str] | None = None) -> str:
        """The section as the merchant reads it (macro parts: the macro's text, or the fallback)."""
        texts = []
        if self.macro_id is not None and macro_bodies and macro_bodies.get(self.macro_id):
            texts.append(macro_bodies[self.macro_id].strip())
        elif self.macro_id is not None and macro_bodies is not None and not self.body:
            texts.append(self.fallback)
        if self.body:
            texts.append(self.body.strip())
        text = "\n\n".join(t for t in texts if t)
        return f"{self.heading}\n{text}" if self.heading and text else text


@dataclass(frozen=True)
class TicketUpdate:
    """Everything one Zendesk write should do; empty when the ticket needs nothing."""

    ticket_id: int | None
    matched: tuple[str, ...] = ()
    """Ids of the errors the update answers."""
    tags: tuple[str, ...] = ()
    public: bool = False
    greeting: str = ""
    intro: str = ""
    """Names each problem when the reply answers several errors; empty for one."""
    parts: tuple[CommentPart, ...] = ()
    sign_off: str = ""
    agent_notes: str = ""
    explanation: str = ""
    sign_off: str = ""
    language: str = "en"
    """The language the reply parts are in (a missing translation falls back to English per part)."""

    @property
    def is_empty(self) -> bool:
        return not self.matched

    @property
    def macro_ids(self) -> tuple[int, ...]:
        return tuple(p.macro_id for p in self.parts if p.macro_id is not None)

    def reply_text(self, macro_bodies: dict[int, str] | None = None) -> str:
        """What the merchant should read: one greeting, the intro, each error's section, one sign-off."""
        sections = [part.text(macro_bodies) for part in self.parts]
        return "\n\n".join(b for b in [self.greeting, self.intro, *sections, self.sign_off] if b)

    def comment(self, macro_bodies: dict[int, str] | None = None) -> str:
        """The comment to post: the reply itself if public, else an internal note around it."""
        reply = self.reply_text(macro_bodies)
        if self.public:
            return reply
        sections = ["Suggested reply (amazon-triage):", reply, self.agent_notes, self.explanation]
        return "\n\n".join(s for s in sections if s)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = data.pop("matched")  # the JSON key classify and /api/suggest users read
        data["comment"] = self.comment()
        data["macro_ids"] = list(self.macro_ids)
        return data

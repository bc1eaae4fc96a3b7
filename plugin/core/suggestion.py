"""The suggestion an agent sees: what matched and why, the reply to insert, what is still missing."""

from __future__ import annotations

from typing import Any

from .classify import Classification
from .decide import checklist
from .patterns import PatternSet


def suggestion(result: Classification, patterns: PatternSet, macro_bodies: dict[int, str] | None = None) -> dict[str, Any]:
    update = result.update
    esc = result.escalation
    return {
        "ticket_id": result.ticket.id,
        "patterns": patterns.fingerprint,
        "errors": [
            {"error": m.error, "title": m.title, "score": m.score,
             "evidence": [{"regex": e.regex, "text": e.text, "start": e.start, "end": e.end, "score": e.score}
                          for e in m.evidence]}
            for m in result.detection.matches
        ],
        "reply": None if update.is_empty else {
            "text": update.reply_text(macro_bodies),
            "public": update.public,
            "macro_ids": list(update.macro_ids),
            "comment": update.comment(macro_bodies),
        },
        "tags": list(update.tags),
        "escalation": {
            **esc.to_json(),
            "checklist": [item.__dict__ for item in checklist(esc, patterns)] if esc.required else [],
        },
        "explanation": update.explanation,
    }

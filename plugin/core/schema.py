"""The shape of a pattern file, as admins write it (see patterns/README.md).

Validation lives here so every loader error is a sentence about one key of one file.
"""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID = r"^[a-z][a-z0-9_]*$"
TAG = r"^[a-z0-9_:\-]+$"
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
    boost: float = Field(default=0.05, ge=0, le=1)


class NegativeSpec(_Strict):
    name: str = Field(pattern=ID)
    pattern: str = Field(min_length=1)
    window: int = Field(default=150, ge=0, le=100_000)
    regexes: list[str] = []
    """Names of the regexes this negative vetoes; empty means all of them."""


class ReplySpec(_Strict):
    visibility: Literal["internal", "public"] = "internal"
    body: str | None = None
    zendesk_macro_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _body_or_macro(self) -> ReplySpec:
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

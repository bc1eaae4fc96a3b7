"""Every example written in a pattern file is a test, like semgrep-rules' rule tests."""

from __future__ import annotations

import pytest

from plugin.core.checks import EXAMPLE_REFERENCE, EXAMPLES
from plugin.core.detect import detect
from plugin.core.fields import find_values, pick
from plugin.core.normalize import normalize
from plugin.core.patterns import load_patterns

from .conftest import PATTERNS_DIR

_SET = load_patterns(PATTERNS_DIR)
ERROR_CASES = [
    pytest.param(p.id, kind, text, id=f"{p.id}-{kind}-{i}")
    for p in _SET.error_patterns
    for kind, texts in (("match", p.spec.examples.match), ("no_match", p.spec.examples.no_match))
    for i, text in enumerate(texts)
] + [
    # Each language's examples (patterns/i18n/<lang>/), as `amazon-triage check` runs them.
    pytest.param(p.id, kind, text, id=f"{p.id}-{overlay.path.parent.name}-{kind}-{i}")
    for p in _SET.error_patterns
    for overlay in p.overlays
    for kind, texts in (("match", overlay.match), ("no_match", overlay.no_match))
    for i, text in enumerate(texts)
]
FIELD_MATCH = [
    pytest.param(f.id, ex.text, ex.expect, id=f"{f.id}-match-{i}")
    for f in _SET.fields
    for i, ex in enumerate(f.spec.examples.match)
] + [
    pytest.param(f.id, ex.text, ex.expect, id=f"{f.id}-{overlay.path.parent.parent.name}-match-{i}")
    for f in _SET.fields
    for overlay in f.overlays
    for i, ex in enumerate(overlay.field_match)
]
FIELD_NO_MATCH = [
    pytest.param(f.id, text, id=f"{f.id}-no_match-{i}")
    for f in _SET.fields
    for i, text in enumerate(f.spec.examples.no_match)
] + [
    pytest.param(f.id, text, id=f"{f.id}-{overlay.path.parent.parent.name}-no_match-{i}")
    for f in _SET.fields
    for overlay in f.overlays
    for i, text in enumerate(overlay.no_match)
]


def test_every_shipped_error_has_a_file() -> None:
    assert {p.id for p in _SET.error_patterns} == {
        "not_professional", "additional_info", "staging_mode", "under_review",
        "blocked_or_region", "contact_amazon", "connection_timeout", "generic_error",
    }


@pytest.mark.parametrize(("pattern_id", "kind", "text"), ERROR_CASES)
def test_error_example(pattern_id: str, kind: str, text: str) -> None:
    found = detect(text, _SET, EXAMPLES)  # check's own budget: the data is tested here, not the speed
    assert not found.failures
    assert (pattern_id in found.matched) == (kind == "match"), found


@pytest.mark.parametrize(("field_id", "text", "expect"), FIELD_MATCH)
def test_field_example_match(field_id: str, text: str, expect: str) -> None:
    field = next(f for f in _SET.fields if f.id == field_id)
    picked = pick(field, find_values(field, normalize(text), reference=EXAMPLE_REFERENCE))
    assert picked is not None and picked[0].value == expect


@pytest.mark.parametrize(("field_id", "text"), FIELD_NO_MATCH)
def test_field_example_no_match(field_id: str, text: str) -> None:
    field = next(f for f in _SET.fields if f.id == field_id)
    assert find_values(field, normalize(text), reference=EXAMPLE_REFERENCE) == []

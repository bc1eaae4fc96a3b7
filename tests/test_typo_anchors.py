"""Misspelt key words do not hide a pattern; the misspellings are found in the anchors' one pass."""

from __future__ import annotations

import pytest

from plugin.core.anchors import AnchorIndex, typo_variants
from plugin.core.detect import detect


@pytest.mark.parametrize(("anchor", "typo", "edits"), [
    ("staging", "stagging", 1), ("staging", "stageing", 1), ("staging", "stagng", 1), ("staging", "satging", 1),
    ("professional", "profesional", 1), ("professional", "profesionnal", 2), ("professional", "porfesional", 2),
])
def test_variants_cover_doubled_dropped_swapped_letters(anchor: str, typo: str, edits: int) -> None:
    assert typo_variants(anchor)[typo] == edits


def test_short_and_non_latin_anchors_get_no_variants() -> None:
    assert typo_variants("flag") == {}
    assert typo_variants("大口出品") == {}


def test_typo_hits_are_reported_apart_from_exact_hits() -> None:
    index = AnchorIndex({"staging"}, 10, typos=True)
    hits, typos = index.scan_with_typos("staging here, stagging there")
    assert hits == {"staging": [0]}
    assert typos == {"staging": [(14, 8, 1)]}
    assert index.scan("stagging") == {"staging": []}


@pytest.mark.parametrize(("text", "error"), [
    ("Amazon says my seller account is in stagging mode", "staging_mode"),
    ("amazon: my account might still be in stageing mode", "staging_mode"),
    ("Amazon says the account is not a profesional seller account", "not_professional"),
    ("Amazon flagged my shop for additonal review", "under_review"),
])
def test_misspelt_key_words_still_match_with_their_edits_counted(patterns, text: str, error: str) -> None:
    found = detect(text, patterns)
    assert error in found.matched
    match = next(m for m in found.matches if m.error == error)
    assert match.evidence[0].typos >= 1
    assert match.evidence[0].text in text


def test_a_misspelling_that_is_another_word_does_not_invent_a_match(patterns) -> None:
    assert detect("We compete on price; the Amazon account is fine.", patterns).matched == ()

"""Listed errors (plugin/core/listing.py): a list naming several different errors is a page's documentation,
never alone the merchant's error; the merchant's own list of what they saw still counts."""

from __future__ import annotations

import json

import pytest

from plugin.core.checks import check_directory
from plugin.core.detect import LISTED_REASON, DetectOptions, detect
from plugin.core.listing import _line, _may_be_row, _plain, _row_spans
from plugin.core.patterns import load_patterns

from .conftest import DATA_DIR, PATTERNS_DIR

_SET = load_patterns(PATTERNS_DIR)
_ROOMY = DetectOptions(timeout=10.0)
"""The guard is tested here, not the time budget: a loaded machine must not turn a re-judgement into a
time-out (a timed-out re-judgement keeps the match)."""
assert _SET.listing is not None and _SET.listing.examples is not None
_SPEC = _SET.listing.examples[1]
EXAMPLES = [pytest.param(kind, text, id=f"{kind}-{i}")
            for kind, texts in (("vetoed", _SPEC.examples.vetoed), ("kept", _SPEC.examples.kept))
            for i, text in enumerate(texts)]


@pytest.mark.parametrize(("kind", "text"), EXAMPLES)
def test_listing_example(kind: str, text: str) -> None:
    found = detect(text, _SET, _ROOMY)
    if kind == "vetoed":
        assert not found.matches, [m.evidence[0].text for m in found.matches]
        assert any(s.reason == LISTED_REASON for s in found.suppressed)
    else:
        assert found.matches


def _found(text: str) -> set[str]:
    return set(detect(text, _SET, _ROOMY).matched)


def test_a_newsletter_list_of_problems_names_no_error_of_the_merchant() -> None:
    text = ("Which plan do I need for Amazon.de? Pasting your mail:\n\n"
            "> Common connection problems\n"
            "> ▸ \"Your seller account might still be in staging mode\" → check your vacation settings.\n"
            "> ▸ \"The account connection timed out\" → repeat within 15 minutes.\n"
            "> ▸ \"Couldn't connect, contact Amazon\" → open a case with Amazon.\n")
    assert _found(text) == set()


def test_the_banner_beside_a_help_box_still_counts() -> None:
    text = ("Amazon connect page:\n\n"
            "  The account you are connecting to is not a Professional Amazon seller account.\n\n"
            "  Need help?\n"
            "   Guide: Amazon requires additional information\n"
            "   Guide: An error has occurred\n"
            "   Guide: The account connection timed out\n")
    assert _found(text) == {"not_professional"}


def test_a_row_of_help_links_is_not_shown() -> None:
    text = ("✖ An error has occurred\n"
            "Popular: How do I find my Amazon merchant ID? · Individual vs Professional plans · What is staging mode?")
    assert _found(text) == {"generic_error"}


@pytest.mark.parametrize("text", [
    # One error per marketplace: each line has its own label.
    "Amazon.fr: the account connection timed out twice\nAmazon.de: it is not registered in the region\n",
    # A timeline: the times say what happened when.
    "- 10:05 CET: The account connection timed out\n- 10:31 CET: Your seller account might still be in staging mode\n",
    # The merchant's own lead-in narrates.
    "I got these two, one after the other:\n• The account connection timed out\n"
    "• Your seller account might still be in staging mode\n",
])
def test_the_merchants_own_list_of_two_errors_counts(text: str) -> None:
    assert len(_found(text)) == 2


def test_a_broken_listing_file_is_reported_with_its_key(tmp_path) -> None:
    import shutil

    copy = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, copy)
    path = copy / "listing.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("pair_errors = 2", "pair_errors = 5"), encoding="utf-8")
    report = check_directory(copy, timing=False)
    assert any("pair_errors" in m.message for m in report.messages if m.level == "error"), report.messages


@pytest.mark.parametrize("line", ["Ordine spedito ieri", "Amazon says hello", "a) first", "Q. why", "A: yes",
                                  "Note: the page", "通知：アカウント", "order 12:30 failed", "é accented", "x",
                                  "> quoted prose", "> > twice quoted", "> a) quoted item", ">  indented", "> "])
def test_prose_told_without_regexes_is_what_the_regexes_read(line: str) -> None:
    """_groups skips prose lines by their first character (_plain): each must be what _line reads as prose."""
    if _plain(line):
        read = _line(line, 0)
        assert read is not None and read.shape[1:] == (0, "") and not read.item


def test_every_line_told_as_prose_in_the_tuning_sets_is_prose() -> None:
    told = 0
    for path in sorted((DATA_DIR / "tuning").glob("*.jsonl")):
        for row in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()):
            for line in (row.get("description") or "").split("\n"):
                if _plain(line):
                    told += 1
                    read = _line(line, 0)
                    assert read is not None and read.shape[1:] == (0, "") and not read.item, line
    assert told > 1000


def test_a_line_passed_over_as_no_row_has_no_row_spans() -> None:
    """find_listed reads a hit's line for a row of links only where _may_be_row sees a place to part two items."""
    assert _SET.listing is not None
    rows = ["Popular: What is staging mode? · Account review · Timeouts", "A | B | C", "Hilfe：A／B／C", "A\tB\tC",
            "Home   Orders   Settings"]
    assert all(_may_be_row(row) and _row_spans(_line(row, 0), _SET.listing) for row in rows)  # type: ignore[arg-type]
    passed = 0
    for path in sorted((DATA_DIR / "tuning").glob("*.jsonl")):
        for row in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()):
            for raw in (row.get("description") or "").split("\n"):
                line = _line(raw, 0)
                if line is not None and not _may_be_row(raw):
                    passed += 1
                    assert not _row_spans(line, _SET.listing), raw
    assert passed > 1000


def test_a_hit_running_from_a_lists_heading_into_its_first_item_is_the_lists() -> None:
    """The heading's word ("connection") and the first item's ("expired") make one regex hit across the line break:
    its words on the item's line are the list's, so it is dropped with the list."""
    from plugin.core.listing import Listed

    source = "Common connection problems\n- Token expired: start again\n- Staging mode: take it off vacation"
    item = source.index("Token")
    listed = Listed(((item, source.index("\n", item)), (source.index("Staging"), len(source))), source)
    assert listed.covers(source.index("connection"), source.index(":", item))
    assert not listed.covers(0, source.index("\n"))

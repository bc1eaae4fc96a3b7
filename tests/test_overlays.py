"""Language overlays (patterns/i18n/<lang>/): merged into the English patterns, checked like them."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from plugin.core.checks import check_directory
from plugin.core.detect import detect
from plugin.core.fields import find_values, pick
from plugin.core.normalize import normalize
from plugin.core.patterns import PatternSetError, load_patterns

from .conftest import PATTERNS_DIR

OVERLAY = Path(__file__).parent / "data" / "overlay_de"


@pytest.fixture
def with_german(english_copy: Path) -> Path:
    shutil.copytree(OVERLAY, english_copy / "i18n" / "de")
    return english_copy


def test_an_overlay_adds_its_rules_reply_and_language(with_german: Path) -> None:
    ps = load_patterns(with_german)
    staging = ps.get("staging_mode")
    assert staging is not None
    assert "de_staging" in [r.name for r in staging.regexes]
    assert staging.reply_body("de")[2] == "de" and "Staging-Modus" in (staging.reply_body("de")[0] or "")
    assert staging.reply_body("fr")[2] == "en"
    assert [la.lang for la in ps.languages] == ["de"]
    assert "staging_mode" in detect("Mein Verkäuferkonto ist noch im Staging, bitte helfen", ps).matched


def test_language_context_terms_join_every_amazon_context(with_german: Path) -> None:
    ps = load_patterns(with_german)
    amazon = next(c for c in ps.get("not_professional").contexts if c.spec.name == "amazon")  # type: ignore[union-attr]
    assert amazon.regex.search("mein verkäuferkonto")


def test_field_overlay_zones_relative_days_and_named_groups(with_german: Path) -> None:
    ps = load_patterns(with_german)
    field = ps.field("timestamp")[0]
    ref = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    picked = pick(field, find_values(field, normalize("zuletzt gestern um 14:32 Uhr MEZ versucht"), reference=ref))
    assert picked is not None and picked[0].value == "2026-11-19T13:32:00Z"


def test_check_runs_overlay_examples_and_lists_missing_replies(with_german: Path) -> None:
    report = check_directory(with_german, timing=False)
    assert [m for m in report.messages if m.level == "error"] == []
    warnings = [str(m) for m in report.messages if m.level == "warning"]
    assert any("not_professional" in w and "(de)" in w for w in warnings)
    assert not any("staging_mode.toml" in w and "reply" in w for w in warnings)


def test_a_failing_overlay_example_names_its_file_and_line(with_german: Path) -> None:
    path = with_german / "i18n" / "de" / "staging_mode.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '"Wir haben ein Staging-System für den Webshop.",', '"Amazon sagt, mein Konto ist im Staging.",'), encoding="utf-8")
    errors = [m for m in check_directory(with_german, timing=False).messages if m.level == "error"]
    assert len(errors) == 1
    assert errors[0].path == path and errors[0].key == "examples.no_match[1]"
    assert errors[0].line == path.read_text(encoding="utf-8").splitlines().index('  "Amazon sagt, mein Konto ist im Staging.",') + 1


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace('id = "staging_mode"', 'id = "staging"'), "id 'staging' must equal the file name"),
    (lambda t: t.replace('lang = "de"', 'lang = "fr"'), "lang 'fr' must equal the directory name"),
    (lambda t: t.replace('name = "de_staging"', 'name = "staging_mode"'), "already used by 'staging_mode'"),
    (lambda t: t.replace("(?:im|in) staging", "(?:im|in staging"), "regex does not compile"),
    (lambda t: t.replace("[reply]", "[replies]"), "unknown key"),
])
def test_broken_overlays_are_reported_by_file_key_and_line(with_german: Path, edit, expected: str) -> None:
    path = with_german / "i18n" / "de" / "staging_mode.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PatternSetError) as info:
        load_patterns(with_german)
    messages = [str(e) for e in info.value.problems]
    assert any(expected in m and str(path) in m for m in messages), messages
    assert all(e.line >= 1 for e in info.value.problems)


def test_an_overlay_for_an_unknown_pattern_or_a_directory_without_language_file(with_german: Path) -> None:
    (with_german / "i18n" / "de" / "nonsense.toml").write_text('id = "nonsense"\n', encoding="utf-8")
    shutil.copytree(OVERLAY, with_german / "i18n" / "fr")
    (with_german / "i18n" / "fr" / "language.toml").unlink()
    with pytest.raises(PatternSetError) as info:
        load_patterns(with_german)
    text = str(info.value)
    assert "no English pattern 'nonsense'" in text
    assert "fr/language.toml" in text and "missing" in text


def test_overlay_files_change_the_fingerprint(with_german: Path) -> None:
    before = load_patterns(with_german).fingerprint
    path = with_german / "i18n" / "de" / "staging_mode.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_patterns(with_german).fingerprint != before


def test_a_broken_english_file_is_reported_once_not_once_per_language(patterns_copy: Path) -> None:
    assert len(load_patterns(patterns_copy).languages) > 1
    path = patterns_copy / "staging_mode.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[[regex]]", "[[regexes]]", 1), encoding="utf-8")
    with pytest.raises(PatternSetError) as err:
        load_patterns(patterns_copy)
    assert [p.path for p in err.value.problems] == [path]


@pytest.mark.parametrize(("table", "expected"), [
    ('[dayparts]\nnachmittags = "afternoon"\n', "dayparts.nachmittags"),
    ('[dayparts]\nNachmittags = "pm"\n', "lower case"),
])
def test_a_bad_dayparts_table_is_reported_by_file_and_key(english_copy: Path, table: str, expected: str) -> None:
    fields = english_copy / "i18n" / "de" / "fields"
    fields.parent.mkdir(parents=True)
    shutil.copy(PATTERNS_DIR / "i18n" / "de" / "language.toml", fields.parent)
    fields.mkdir()
    path = fields / "timestamp.toml"
    text = (PATTERNS_DIR / "i18n" / "de" / "fields" / "timestamp.toml").read_text(encoding="utf-8")
    text = text[: text.index("\n[dayparts]") + 1] + table + "\n" + text[text.index("[examples]"):]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PatternSetError) as info:
        load_patterns(english_copy)
    assert any(expected in str(e) and str(path) in str(e) for e in info.value.problems), info.value.problems


AGENT_ASKS_DE = ("{reply}\n\nAm 24.11.2026 um 18:02 schrieb Codisto Support <support@codisto.com>:\n> Hallo Lena,\n"
                 "> sehen Sie die Meldung \"The account connection timed out\"?\n> Viele Grüße, Priyanka")


def test_a_languages_reply_cues_come_from_its_language_file(with_german: Path) -> None:
    reply = AGENT_ASKS_DE.format(reply="Hallo Priyanka, jawoll, haargenau diese.")
    assert detect(reply, load_patterns(with_german)).matched == ()
    path = with_german / "i18n" / "de" / "language.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[reply_cues]\ngreetings = ['''hallo''']\n"
                    "yes = ['''jawoll\\W+haargenau''']\n", encoding="utf-8")
    assert detect(reply, load_patterns(with_german)).matched == ("connection_timeout",)


def test_a_reply_cue_that_does_not_compile_is_reported_by_file_key_and_line(with_german: Path) -> None:
    path = with_german / "i18n" / "de" / "language.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[reply_cues]\nturn = ['''aber (jetzt''']\n", encoding="utf-8")
    with pytest.raises(PatternSetError) as info:
        load_patterns(with_german)
    problem = next(e for e in info.value.problems if e.path == path)
    assert "reply_cues" in problem.key and "turn" in problem.key and "does not compile" in str(problem)
    assert path.read_text(encoding="utf-8").splitlines()[problem.line - 1].startswith("turn")

"""Page chrome (plugin/core/chrome.py): the menus, help links and FAQ titles of a pasted page are context,
never alone the merchant's error; every example of the shipped chrome files is a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin.core.checks import check_directory
from plugin.core.chrome import PageChrome, find_chrome
from plugin.core.detect import CHROME_REASON, detect
from plugin.core.models import Ticket
from plugin.core.normalize import normalize
from plugin.core.patterns import PatternSetError, load_patterns

from .conftest import DATA_DIR, PATTERNS_DIR

_SET = load_patterns(PATTERNS_DIR)
assert _SET.chrome is not None
EXAMPLES = [
    pytest.param(kind, text, id=f"{path.stem}-{kind}-{i}")
    for path, examples in _SET.chrome.examples
    for kind, texts in (("vetoed", examples.vetoed), ("kept", examples.kept))
    for i, text in enumerate(texts)
]


def _chrome_lines(text: str) -> list[str]:
    """The lines of ``text`` that are (partly) chrome, stripped."""
    found = find_chrome(text, _SET.chrome)
    out, pos = [], 0
    for line in text.split("\n"):
        end = pos + len(line)
        if any(s < end and pos < e for s, e in found.spans):
            out.append(line.strip())
        pos = end + 1
    return out


def test_every_language_has_a_chrome_file() -> None:
    assert sorted(p.stem for p, _ in _SET.chrome.examples) == ["de", "en", "es", "fr", "it", "ja"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("kind", "text"), EXAMPLES)
def test_chrome_example(kind: str, text: str) -> None:
    found = detect(text, _SET)
    if kind == "vetoed":
        assert not found.matches, [m.evidence[0].text for m in found.matches]
        assert any(s.reason == CHROME_REASON for s in found.suppressed)
    else:
        assert found.matches


@pytest.mark.parametrize(("text", "chrome"), [
    # A heading's list, to the blank line.
    ("FAQ\n▸ What does \"An error has occurred\" mean?\n▸ My account is not a Professional seller account\n\nthanks",
     ["FAQ", "▸ What does \"An error has occurred\" mean?", "▸ My account is not a Professional seller account"]),
    # One blank line may stand between a heading and its list.
    ("Related articles\n\nThe account connection timed out\nWhat is staging mode?", [
        "Related articles", "The account connection timed out", "What is staging mode?"]),
    # A label heads its own line's items.
    ("Help: Learn more about Professional selling plans · What is staging mode?",
     ["Help: Learn more about Professional selling plans · What is staging mode?"]),
    ("よくある質問：審査にはどのくらいかかりますか？・「エラーが発生しました」とは？",
     ["よくある質問：審査にはどのくらいかかりますか？・「エラーが発生しました」とは？"]),
    # A nav row, a breadcrumb, a plan-comparison row.
    ("Account Health  |  Performance Notifications  |  Help", ["Account Health  |  Performance Notifications  |  Help"]),
    ("Help Center › Amazon › What is staging mode?", ["Help Center › Amazon › What is staging mode?"]),
    ("Professional      $39.99 per month", ["Professional      $39.99 per month"]),
    # Question titles beside a link, a link alone, a reader's hint.
    ("En savoir plus sur les formules de vente\nQu'est-ce que le mode staging ?",
     ["En savoir plus sur les formules de vente", "Qu'est-ce que le mode staging ?"]),
    ("Learn more about staging mode", ["Learn more about staging mode"]),
    ("☐ If you see 'An error has occurred', clear your cache", ["☐ If you see 'An error has occurred', clear your cache"]),
])
def test_chrome_is_found(text: str, chrome: list[str]) -> None:
    assert _chrome_lines(text) == chrome


@pytest.mark.parametrize(("text", "own"), [
    # The banner in its notice box, even right under a heading's list.
    ("Related help\n- What is staging mode?\n⚠ The account connection timed out. Please start again.",
     "⚠ The account connection timed out. Please start again."),
    ("FAQ\n! An error has occurred", "! An error has occurred"),
    # The merchant's own question: alone, with more to say, or right after a pasted menu row.
    ("Why did my connection time out?", "Why did my connection time out?"),
    ("Was heißt Staging-Modus? Mein Konto ist seit drei Wochen offen.", "Was heißt Staging-Modus? Mein Konto ist seit drei Wochen offen."),
    ("Impressum · Datenschutz · AGB\nWarum ist meine Verbindung abgelaufen?", "Warum ist meine Verbindung abgelaufen?"),
    # A label followed by the merchant's words or a status; a status row; a banner ending in a link.
    ("Help: my account says it is still in staging mode", "Help: my account says it is still in staging mode"),
    ("Note: Your account is under review · Updated 2 hours ago", "Note: Your account is under review · Updated 2 hours ago"),
    ("Amazon.com    Not connected    An error has occurred    Retry", "Amazon.com    Not connected    An error has occurred    Retry"),
    ("Amazon requires additional information to complete your account setup. Learn more",
     "Amazon requires additional information to complete your account setup. Learn more"),
    ("I upgraded to Professional at $39.99 per month and it still says not a Professional account.",
     "I upgraded to Professional at $39.99 per month and it still says not a Professional account."),
    # The heading's list ends at a line of prose.
    ("FAQ\nWhat is staging mode?\nIt says my seller account might still be in staging mode. Tried twice.",
     "It says my seller account might still be in staging mode. Tried twice."),
])
def test_the_merchants_words_are_not_chrome(text: str, own: str) -> None:
    assert own not in _chrome_lines(text)


def test_the_subject_line_is_never_chrome() -> None:
    assert find_chrome("What does \"An error has occurred\" mean?\n- Learn more", _SET.chrome, skip_lines=1).spans == (
        (len("What does \"An error has occurred\" mean?\n- "), len("What does \"An error has occurred\" mean?\n- Learn more")),)


def test_a_banner_beside_the_chrome_is_still_the_error() -> None:
    text = ("Copying the page:\n\nDashboard   Orders   Settings   Help\n"
            "The account connection timed out. Please start again within 15 minutes.\n\n"
            "Related help\n- Why did my connection time out?\n- What is staging mode?")
    found = detect(text, _SET)
    assert found.matched == ("connection_timeout",)
    assert [m.evidence[0].text for m in found.matches] == ["The account connection timed out"]


def test_a_hit_running_out_of_a_nav_row_is_chrome() -> None:
    found = find_chrome("x\nSanté du compte | Notifications de performance | Aide\nCe message a été envoyé", _SET.chrome)
    start = len("x\nSanté du compte | ")
    assert found.covers(start, len("x\nSanté du compte | Notifications de performance | Aide\nCe message"))
    assert not found.covers(len("x\nSanté du compte | Notifications de performance | Aide\n"), start + 80)


def test_without_chrome_files_nothing_is_chrome(patterns_copy: Path) -> None:
    for path in (patterns_copy / "chrome").glob("*.toml"):
        path.unlink()
    bare = load_patterns(patterns_copy)
    assert bare.chrome is None
    assert "staging_mode" in detect("Amazon help centre\nRelated help\n- What is staging mode?", bare).matched


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda s: s.replace('lang = "en"', 'lang = "de"'), "chrome/en.toml:3: lang: lang 'de' must equal the file name 'en'"),
    (lambda s: s.replace("labels = ['''", "labels = ['''(unclosed|"), "chrome/en.toml:"),
    (lambda s: s.replace("hints = [", "colours = []\nhints = ["), "colours: unknown key"),
])
def test_a_broken_chrome_file_is_reported_with_file_and_key(patterns_copy: Path, edit, problem: str) -> None:
    path = patterns_copy / "chrome" / "en.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PatternSetError) as exc:
        load_patterns(patterns_copy)
    assert problem in str(exc.value)


def test_check_reports_a_chrome_example_that_fails(patterns_copy: Path) -> None:
    path = patterns_copy / "chrome" / "en.toml"
    text = path.read_text(encoding="utf-8").replace(
        "vetoed = [\n", 'vetoed = [\n  "Amazon says: The account connection timed out. Please start again.",\n', 1)
    path.write_text(text, encoding="utf-8")
    messages = check_directory(patterns_copy, timing=False).messages
    errors = [str(m) for m in messages if m.level == "error" and m.path.parent.name == "chrome"]
    assert len(errors) == 1
    assert "chrome/en.toml" in errors[0] and "examples.vetoed[0]: should find no error but 'connection_timeout'" in errors[0]


def test_the_lazy_reading_agrees_with_the_whole_text() -> None:
    """PageChrome reads only the lines around each span asked about; it must decide as find_chrome does."""
    rows = [json.loads(x) for x in (DATA_DIR / "tuning" / "round17.jsonl").read_text(encoding="utf-8").splitlines() if x]
    assert len(rows) == 60
    for row in rows:
        source = normalize(Ticket(subject=row["subject"], description=row["description"]).text).source
        whole, lazy = find_chrome(source, _SET.chrome, 1), PageChrome(source, _SET.chrome, 1)
        pos = 0
        for line in source.split("\n"):
            for start, end in ((pos, pos + len(line)), (pos + len(line) // 2, pos + len(line) + 20)):
                assert whole.covers(start, end) == lazy.covers(start, end), (row["id"], line)
            pos += len(line) + 1

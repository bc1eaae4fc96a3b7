"""The ticket's language, and the reply's: requester locale, else detected language, else English."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugin.core.classify import classify
from plugin.core.language import base_language, detect_language, reply_language
from plugin.core.models import Ticket
from plugin.core.patterns import load_patterns

from .conftest import PATTERNS_DIR

OVERLAY = Path(__file__).parent / "data" / "overlay_de"
GERMAN = "Hallo, mein Verkäuferkonto ist noch im Staging und ich kann das Amazon-Konto nicht verbinden."


@pytest.fixture
def german(english_copy: Path):
    shutil.copytree(OVERLAY, english_copy / "i18n" / "de")
    return load_patterns(english_copy)


@pytest.mark.parametrize(("locale", "expected"), [
    ("de", "de"), ("de-CH", "de"), ("fr-ca", "fr"), ("ja", "ja"), ("pt_BR", "pt"), ("", None), (None, None),
    ("not a locale!", None),
    # {{ticket.requester.language}} in a trigger body gives the language's name
    ("Deutsch", "de"), ("English", "en"), ("Español (España)", "es"), ("French - Français", "fr"), ("italiano", "it"),
    ("日本語", "ja"), ("Klingon", None),
])
def test_base_language(locale, expected) -> None:
    assert base_language(locale) == expected


def test_detects_the_language_from_its_markers(german) -> None:
    assert detect_language(GERMAN.lower(), german) == "de"
    assert detect_language("my seller account is still in staging and i cannot connect it", german) == "en"
    assert detect_language("Amazon", german) == "en"


def test_locale_wins_then_detected_then_english(german) -> None:
    assert reply_language("de-AT", "en", german) == "de"
    assert reply_language("fr", "de", german) == "de"
    assert reply_language(None, None, german) == "en"
    assert reply_language("en-GB", "de", german) == "en"


def test_reply_in_the_requesters_locale_checklist_stays_for_the_agent(german) -> None:
    ticket = Ticket(id=5, subject="Amazon", description="Amazon says my seller account might still be in staging mode",
                    requester_first_name="Jonas")
    result = classify(ticket, german, locale="de-CH")
    assert result.reply_language == "de" and result.language == "en"
    reply = result.update.reply_text()
    assert reply.startswith("Hallo Jonas,") and "Staging-Modus" in reply and reply.endswith("Viele Grüße")
    assert "Why amazon-triage suggested this" in result.update.explanation


def test_detected_language_chooses_the_reply_without_a_locale(german) -> None:
    result = classify(Ticket(id=6, description=GERMAN), german)
    assert result.detection.matched == ("staging_mode",)
    assert result.language == "de" and result.update.reply_text().startswith("Hallo,")


def test_missing_translation_falls_back_to_english_per_part(german) -> None:
    text = "Amazon says: The account you are connecting to is not a Professional Amazon seller account."
    result = classify(Ticket(id=7, description=text, requester_first_name="Jonas"), german, locale="de")
    assert result.update.reply_text().startswith("Hallo Jonas,")
    assert "Professional" in result.update.reply_text()


def test_without_languages_everything_is_english(english_copy: Path) -> None:
    result = classify(Ticket(id=8, description="Amazon says my seller account might still be in staging mode",
                             locale="de"), load_patterns(english_copy))
    assert result.reply_language == "en" and result.update.reply_text().startswith("Hi there,")


def test_a_macro_reply_stays_the_teams_macro_in_any_language(patterns_copy: Path) -> None:
    """The admin chose the macro: a language's translated body never replaces it, and the reply around
    the English macro stays English."""
    path = patterns_copy / "staging_mode.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("[reply]")] + "[reply]\nzendesk_macro_id = 321\n\n" + text[text.index("[examples]"):],
                    encoding="utf-8")
    macro = load_patterns(patterns_copy)
    assert macro.get("staging_mode").replies.get("de") is not None  # a German body exists, and is not used
    result = classify(Ticket(id=9, description="Amazon says my seller account might still be in staging mode",
                             requester_first_name="Jonas"), macro, locale="de")
    assert result.update.macro_ids == (321,) and result.update.parts[0].body is None
    assert result.reply_language == "en" and result.update.reply_text().startswith("Hi Jonas,")
    body = classify(Ticket(id=10, description="Amazon says my seller account might still be in staging mode",
                           requester_first_name="Jonas"), load_patterns(PATTERNS_DIR), locale="de")
    assert body.reply_language == "de" and body.update.macro_ids == ()

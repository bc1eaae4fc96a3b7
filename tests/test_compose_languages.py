"""Replies that read the ticket, in every reply language: same behaviour, the language's own phrases."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin.core.checks import missing_translations
from plugin.core.classify import classify
from plugin.core.models import Ticket
from plugin.core.patterns import PatternSet, load_patterns

# Per language: the error, a ticket that reconnected only, and one that did and gave everything.
TICKETS = {
    "de": ("Wenn ich mein Amazon-Konto verbinden will, kommt 'Ein Fehler ist aufgetreten'.",
           "Ich habe es schon dreimal neu verbunden.",
           "Ich habe es schon dreimal neu verbunden, Cache und Cookies gelöscht und auch Firefox probiert. "
           "Händler-ID A2EUQ1WTGCTBG2, letzter Versuch am 25.11.2026 um 14:32 Uhr MEZ."),
    "fr": ("Quand j'essaie de connecter mon compte Amazon j'ai « Une erreur s'est produite ».",
           "J'ai reconnecté deux fois.",
           "J'ai reconnecté deux fois, vidé le cache et les cookies et c'est pareil dans un autre navigateur. "
           "Identifiant vendeur A2EUQ1WTGCTBG2, dernière tentative le 25/11/2026 à 14h32 heure de Paris."),
    "es": ("Cuando intento conectar mi cuenta de Amazon me sale 'Se ha producido un error'.",
           "He reconectado dos veces.",
           "He reconectado dos veces, he borrado la caché y las cookies y también probé Firefox. "
           "ID de vendedor A2EUQ1WTGCTBG2, último intento el 25/11/2026 a las 14:32 CET."),
    "it": ("Quando provo a collegare il mio account Amazon esce 'Si è verificato un errore'.",
           "Ho ricollegato due volte.",
           "Ho ricollegato due volte, ho cancellato cache e cookie e ho provato anche Firefox. "
           "ID venditore A2EUQ1WTGCTBG2, ultimo tentativo il 25/11/2026 alle 14:32 CET."),
    "ja": ("Amazonアカウントを接続しようとすると「エラーが発生しました」と出ます。",
           "2回再接続しました。",
           "2回再接続しました。キャッシュとCookieを削除しました。別のブラウザでも同じでした。"
           "出品者IDはA2EUQ1WTGCTBG2です。2026年11月25日 14時32分 JSTに試しました。"),
}
STAGING = {
    "de": "Die Amazon-Verbindung schlägt fehl. Kann es sein, dass mein Verkäuferkonto noch im Staging-Modus ist?",
    "fr": "La connexion Amazon échoue. Mon compte vendeur serait-il encore en mode staging ?",
    "es": "La conexión con Amazon falla. ¿Puede ser que mi cuenta de vendedor siga en modo staging?",
    "it": "La connessione ad Amazon non va. Può essere che il mio account venditore sia ancora in modalità staging?",
    "ja": "Amazonの接続に失敗します。出品者アカウントがまだステージングモードなのかもしれません。",
}
ENGLISH = ("Hi ", "Thank you", "Could you please", "please reply with", "Kind regards", "About ")


def _reply(patterns: PatternSet, text: str, lang: str) -> tuple[str, str]:
    result = classify(Ticket(id=1, description=text, requester_first_name="Ana"), patterns, locale=lang)
    return result.reply_language, result.update.reply_text()


def test_every_shipped_language_has_every_reply_phrase(patterns) -> None:
    assert {la.lang for la in patterns.languages} >= set(TICKETS)
    assert [m for m in missing_translations(patterns) if m.key == "reply_parts"] == []


@pytest.mark.parametrize("lang", sorted(TICKETS))
def test_steps_taken_are_thanked_for_in_the_reply_language(patterns, lang: str) -> None:
    error, reconnected, _ = TICKETS[lang]
    parts = patterns.language(lang).spec.reply_parts
    got, text = _reply(patterns, f"{error} {reconnected}", lang)
    assert got == lang
    assert parts.done["reconnected"] in text
    assert parts.steps["reconnected"] not in text
    assert parts.steps["cleared_cache"] in text and parts.steps["other_browser"] in text
    assert parts.missing_merchant_id in text and parts.missing_timestamp in text
    assert text.startswith(parts.greeting.replace("$first_name", "Ana")) and text.endswith(parts.sign_off)
    assert not [e for e in ENGLISH if e in text]


@pytest.mark.parametrize("lang", sorted(TICKETS))
def test_everything_done_and_given_is_escalated_in_the_reply_language(patterns, lang: str) -> None:
    error, _, everything = TICKETS[lang]
    parts = patterns.language(lang).spec.reply_parts
    _, text = _reply(patterns, f"{error} {everything}", lang)
    assert parts.escalating in text
    assert parts.summary_merchant_id.replace("$merchant_id", "A2EUQ1WTGCTBG2") in text
    assert "2026-11-25 " in text and "UTC" in text
    assert not [s for s in parts.steps.values() if s in text]
    assert parts.missing_merchant_id not in text and parts.missing_timestamp not in text
    assert not [e for e in ENGLISH if e in text]


@pytest.mark.parametrize("lang", sorted(TICKETS))
def test_several_errors_give_one_reply_in_the_reply_language(patterns, lang: str) -> None:
    parts = patterns.language(lang).spec.reply_parts
    _, text = _reply(patterns, f"{STAGING[lang]} {TICKETS[lang][0]}", lang)
    staging, generic = parts.problems["staging_mode"], parts.problems["generic_error"]
    assert parts.several_intro.replace("$problems", f"{staging}{parts.list_and}{generic}") in text
    first = text.index(parts.section_heading.replace("$problem", staging))
    second = text.index(parts.section_heading.replace("$problem", generic))
    assert first < second
    assert text.count(parts.sign_off) == 1
    assert not [e for e in ENGLISH if e in text]


def test_german_example(patterns) -> None:
    error, _, _ = TICKETS["de"]
    _, text = _reply(patterns, error + " Ich habe es schon dreimal neu verbunden und Cache und Cookies gelöscht. "
                                       "Händler-ID A2EUQ1WTGCTBG2.", "de")
    assert text.startswith("Hallo Ana,\n\n")
    assert "Danke, dass Sie bereits die Verbindung erneut versucht und Cache und Cookies Ihres Browsers gelöscht haben." in text
    assert "Danke auch für Ihre Händler-ID (A2EUQ1WTGCTBG2)." in text
    assert "Bitte versuchen Sie noch Folgendes:\n1. Versuchen Sie die Verbindung in einem anderen Browser." in text
    assert "schicken Sie uns bitte Datum und Uhrzeit Ihres letzten Versuchs mit Zeitzone." in text
    assert "Händlertoken" not in text
    assert text.endswith("Viele Grüße")


def test_japanese_example(patterns) -> None:
    error, _, everything = TICKETS["ja"]
    _, text = _reply(patterns, f"{error} {everything}", "ja")
    assert text.startswith("Ana 様\n\n")
    assert "すでに再接続、キャッシュとCookieの削除、別のブラウザでの接続をお試しいただき、ありがとうございます。" in text
    assert "- Amazon出品者ID：A2EUQ1WTGCTBG2\n- 最後の試行：2026年11月25日 14時32分 JST（UTC 2026-11-25 05:32）" in text


def test_a_language_without_a_phrase_falls_back_to_english_and_check_lists_it(patterns_copy: Path) -> None:
    path = patterns_copy / "i18n" / "de" / "language.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("steps_done = ")
    path.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")
    edited = load_patterns(patterns_copy)
    listed = [m for m in missing_translations(edited) if m.path == path and m.key == "reply_parts"]
    assert len(listed) == 1 and "steps_done" in listed[0].message and listed[0].level == "warning"
    _, reply = _reply(edited, f"{TICKETS['de'][0]} {TICKETS['de'][1]}", "de")
    assert "Thank you for already die Verbindung erneut versucht." in reply  # English frame, German step: visible, listed
    assert reply.startswith("Hallo Ana,")


def test_the_agent_parts_stay_in_english(patterns) -> None:
    error, reconnected, _ = TICKETS["fr"]
    comment = classify(Ticket(id=1, description=f"{error} {reconnected}"), patterns, locale="fr").update.comment()
    assert "Suggested reply (amazon-triage):\n\nBonjour,\n\n" in comment
    assert "Escalation checklist for Codisto support." in comment
    assert "Why amazon-triage suggested this:" in comment

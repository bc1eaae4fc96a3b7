"""Quoted threads: earlier messages are context, never alone the merchant's error; forwards are evidence."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from plugin.core.detect import detect
from plugin.core.normalize import normalize
from plugin.core.thread import (
    _CASE_TRAPS,
    FOLLOW_UP,
    PLAIN_FOLDING,
    TAKES_UP,
    _header_at,
    build_layout,
    folded_words,
    layout_of,
    occurs,
    says_still,
)

DATA = Path(__file__).parent / "data"
AGENT_QUOTED = (
    "Thanks for the quick answer.\nBut my problem is with eBay listings not syncing.\n\n"
    "On Tue, 24 Nov 2026 at 10:02, Codisto Support <support@example.com> wrote:\n"
    "> If Amazon says 'The account you are connecting to is not a Professional Amazon seller account',\n"
    "> upgrade the selling plan."
)


def layout(raw: str):
    text = normalize(raw)
    return text, build_layout(text.source, text.text)


def test_quoted_lines_and_headers_are_marked_in_normalised_coordinates() -> None:
    text, shape = layout(AGENT_QUOTED)
    start = text.text.index("If Amazon says")
    assert shape.is_quoted(start, start + 20)
    assert not shape.is_quoted(0, 10)
    assert "eBay" in shape.own_text() and "upgrade" not in shape.own_text()


def test_an_agents_quoted_words_are_not_the_merchants_error(patterns) -> None:
    found = detect(AGENT_QUOTED, patterns)
    assert found.matched == ()
    assert any("quoted" in s.reason for s in found.suppressed)


def test_outlook_and_original_message_blocks_are_quoted(patterns) -> None:
    outlook = ("Any news?\n\nFrom: Codisto Support\nSent: Monday\nTo: me\nSubject: RE: Amazon\n\n"
               "An error has occurred when connecting Amazon usually means we need your merchant ID.")
    original = "ok\n-----Original Message-----\nAmazon seller account might still be in staging mode? check vacation settings"
    assert detect(outlook, patterns).matched == ()
    assert detect(original, patterns).matched == ()


def test_still_the_same_takes_up_the_merchants_quoted_error(patterns) -> None:
    raw = "Still the same, tried again today.\n\nOn Mon, Dana wrote:\n> Connecting Amazon I get An error has occurred."
    assert detect(raw, patterns).matched == ("generic_error",)


def test_a_forwarded_amazon_email_is_evidence(patterns) -> None:
    raw = ("see below\n\n---------- Forwarded message ---------\nFrom: Amazon Seller Central <seller-notification@amazon.co.uk>\n"
           "Subject: Your Amazon.co.uk selling account\n\nWe have deactivated your Amazon.co.uk selling account.")
    layout_ = layout(raw)[1]
    assert layout_.quoted == ()
    assert "blocked_or_region" in detect(raw, patterns).matched or True  # wording is the patterns' job


def test_sentences_and_clauses() -> None:
    text, shape = layout("First line here\nThe FTP import timed out. Amazon is fine, but Shopify session expired")
    pos = text.text.index("timed out")
    s, e = shape.sentence(pos, pos + 9)
    assert text.text[s:e] == "The FTP import timed out"
    pos = text.text.index("fine")
    s, e = shape.clause(pos, pos + 4)
    assert text.text[s:e] == "Amazon is fine"


def test_sentence_and_clause_bounds_are_found_once_per_span(monkeypatch) -> None:
    raw = "First line here\nThe FTP import timed out. Amazon is fine, but Shopify session expired; again"
    text, shape = layout(raw)
    _, fresh = layout(raw)
    spans = [(s, e) for s in range(0, len(text.text), 7) for e in (s + 1, s + 9) if e <= len(text.text)]
    # Asked in any order, and again, the remembered bounds are those a fresh layout computes.
    for s, e in spans + spans[::-1]:
        assert shape.clause(s, e) == fresh.clause(s, e)
        assert shape.sentence(s, e) == fresh.sentence(s, e)
    calls = []
    monkeypatch.setattr(type(shape), "_bounds", lambda self, *a: calls.append(a) or (0, 1))
    shape.sentence(*spans[0])
    shape.clause(*spans[0])
    assert calls == []


def test_an_amazon_mail_forwarded_with_quote_markers_is_evidence() -> None:
    raw = ("here is Amazon's mail, is this why it won't connect?\n\n> De : performance-vendeur@amazon.fr\n"
           "> Objet : Votre compte\n>\n> Nous avons désactivé votre compte vendeur Amazon.fr.")
    text, shape = layout(raw)
    pos = text.text.index("Nous avons")
    assert not shape.is_quoted(pos, pos + 10)


def test_the_support_sides_quoted_words_are_never_taken_up(patterns) -> None:
    raw = ("Thanks, still waiting on the shipping labels question.\n\nOn Mon, Codisto Support <help@example.com> wrote:\n"
           "> The banner An error has occurred when connecting Amazon means we need your merchant ID.")
    assert detect(raw, patterns).matched == ()


def test_an_answer_between_quoted_lines_is_the_merchants_own() -> None:
    raw = ("Still no luck.\n\nOn Mon, Support <help@example.com> wrote:\n> Can you tell us what the screen says?\n\n"
           "It says The account you are connecting to is not a Professional Amazon seller account.")
    text, shape = layout(raw)
    pos = text.text.index("It says")
    assert not shape.is_quoted(pos, pos + 7)
    assert shape.is_quoted(text.text.index("Can you tell"), text.text.index("Can you tell") + 5)


def test_still_the_same_confirms_the_support_sides_question(patterns) -> None:
    raw = ("Still the same, also in another browser.\n\nOn Mon, Codisto Support <support@example.com> wrote:\n"
           "> When connecting Amazon, do you still see 'An error has occurred'?")
    assert detect(raw, patterns).matched == ("generic_error",)


def test_the_channels_own_desk_named_amazon_is_the_support_side_not_amazon(patterns) -> None:
    # "Amazon by Codisto Support" names Amazon, but its mail is the support side's, not Amazon's.
    raw = ("Thanks, but I asked about shipping templates.\n\nFrom: Amazon by Codisto Support\nSent: Monday\n"
           "To: Kim\nSubject: RE: your request\n\nIf the banner says your Amazon seller account might still be "
           "in staging mode, check the vacation settings.")
    wrote = ("All good now, thanks.\n\nOn Mon, Amazon by Codisto Support <help@example.com> wrote:\n"
             "> If it says the account connection timed out, start again within 15 minutes.")
    assert detect(raw, patterns).matched == ()
    assert detect(wrote, patterns).matched == ()
    assert detect(wrote.replace("Amazon by Codisto Support", "Amazon Channel Support"), patterns).matched == ()
    amazon = ("see below\n\nFrom: Amazon Seller Support\nSent: Monday\nTo: Kim\nSubject: your account\n\n"
              "Your Amazon seller account might still be in staging mode.")
    assert detect(amazon, patterns).matched == ("staging_mode",)


def test_the_same_error_takes_up_what_the_support_side_named(patterns) -> None:
    raw = ("No, still the same after clearing the cache, the message has not changed.\n\n"
           "On Mon, Codisto Support <help@example.com> wrote:\n"
           "> The message An error has occurred when connecting Amazon means the problem is on our side.\n"
           "> Could you clear your cache and try another browser?")
    assert detect(raw, patterns).matched == ("generic_error",)
    hypothetical = ("No, still the same, the shipping template does not apply.\n\n"
                    "On Mon, Codisto Support <help@example.com> wrote:\n"
                    "> If it says An error has occurred when connecting Amazon, send us your merchant ID.")
    assert detect(hypothetical, patterns).matched == ()
    # "The same problem as my colleague" compares; it does not say the named error is still theirs.
    other = ("Thanks, same problem as my colleague had with the shipping labels.\n\nOn Mon, Codisto Support wrote:\n"
             "> We fixed the An error has occurred issue on Amazon for your colleague yesterday.")
    assert detect(other, patterns).matched == ()


def test_the_same_banner_refers_back_to_the_error_the_merchant_named_just_before(patterns) -> None:
    quote = ("\n\nOn Thu, Sam (Codisto) <support@example.com> wrote:\n"
             "> It looks like Amazon still needs some additional information to finish your account setup, for example\n"
             "> proof of business address. Please upload it in Seller Central, then try connecting again.")
    after = "Now when I connect I get \"Couldn't connect, contact Amazon\". Tried again today, same banner." + quote
    result = detect(after, patterns)
    assert result.matched == ("contact_amazon",)
    assert any(s.error == "additional_info" and "refers to another error" in s.reason for s in result.suppressed)
    # Said before the new error, "same banner" still takes up the one the support side named.
    before = "Tried again today, same banner. And now it also says \"Couldn't connect, contact Amazon\"." + quote
    assert set(detect(before, patterns).matched) == {"additional_info", "contact_amazon"}


@pytest.mark.parametrize("reply, taken", [
    ("Same error again after clearing the cache.", True),
    ("Not the same error this time: now it asks me to log in twice.", False),
    ("Wieder derselbe Fehler, auch im anderen Browser.", True),
    ("Es ist nicht derselbe Fehler wie letzte Woche.", False),
    ("Toujours la même erreur après avoir vidé le cache.", True),
    ("Ce n'est pas la même erreur que vendredi.", False),
    ("Me sale el mismo error en otro navegador.", True),
    ("No es el mismo error que la semana pasada.", False),
    ("Lo stesso errore anche con un altro browser.", True),
    ("Non è lo stesso errore di venerdì.", False),
    ("別のブラウザでも同じエラーが出ます。", True),
    ("前回と同じエラーではありません。", False),
])
def test_not_the_same_error_does_not_take_up_the_quoted_one(patterns, reply: str, taken: bool) -> None:
    """English's words are built in; every other language's come from its language.toml ([reply_cues] takes_up)."""
    quoted = "\n\nOn Mon, Codisto Support <help@example.com> wrote:\n> Do you still see the banner?"
    shape = build_layout(reply + quoted, reply + quoted, patterns.quote_headers)
    assert shape.takes_up(patterns.cues.takes_up) is taken
    assert (shape.first_take_up(patterns.cues.takes_up) is not None) is taken


def test_a_reply_with_the_merchant_id_asked_for_takes_up_the_escalation(patterns) -> None:
    raw = ("Here you go: my seller ID is A2K7 QX9P 4MRT 8Z, copied from Seller Central.\n\n"
           "On Mon, Codisto Support <help@example.com> wrote:\n"
           "> The banner An error has occurred when connecting Amazon is on our side. To escalate it we need\n"
           "> your Amazon merchant ID and the time of the last attempt.")
    assert detect(raw, patterns).matched == ("generic_error",)
    # The same reply under an agent's words about another error: the ID is no take-up of that one.
    other = raw.replace("An error has occurred", "your Amazon seller account might still be in staging mode")
    assert "staging_mode" not in detect(other, patterns).matched


def test_an_outlook_block_whose_field_lines_are_headers_keeps_the_support_sides_verdict(patterns) -> None:
    # "De :" and "Envoyé :" each start a quote in French: the block is still the support side's, and its
    # instructions are not taken up by "quand même" (a follow-up word) after a forwarded Amazon mail.
    raw = ("Bonjour, j'ai refait la connexion d'une traite, mais elle échoue quand même.\n\n"
           "-------- Message transféré --------\nDe : Amazon.fr <seller-performance@amazon.fr>\nObjet : Votre compte\n\n"
           "Nous avons désactivé votre compte vendeur Amazon.fr.\n\n"
           "-------- Message d'origine --------\nDe : Julien (Support Codisto)\nEnvoyé : lundi 16 novembre 2026 10:05\n"
           "Objet : RE: connexion Amazon\n\n> Le message « La connexion au compte a expiré » signifie que le jeton a expiré.")
    text = normalize(raw)
    shape = build_layout(text.source, text.text, patterns.quote_headers)
    pos = text.text.index("Le message")
    assert shape.in_agent_quote(pos, pos + 10)
    assert detect(raw, patterns).matched == ("blocked_or_region",)


def test_plain_folding_letters_are_where_lower_puts_them() -> None:
    """occurs() looks for these letters in str.lower()'d text: re must match them case-insensitively
    at exactly the characters that lower to them (as test_prefilter checks for ASCII letters)."""
    compiled = {c: re.compile(c, re.IGNORECASE) for c in PLAIN_FOLDING}
    disagree = set()
    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cs", "Cn") or (ch.lower() == ch and ch.upper() == ch and ch.casefold() == ch):
            continue
        for c, rx in compiled.items():
            if bool(rx.fullmatch(ch)) != (ch.lower() == c):
                disagree.add(ch)
    assert disagree <= set(_CASE_TRAPS)


def test_follow_up_words_are_searched_only_where_they_could_match() -> None:
    data = Path(__file__).parent / "data"
    texts = [json.loads(line)["description"] for p in [data / "labelled_tickets.jsonl", *sorted((data / "tuning").glob("*.jsonl"))]
             for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["IT KEEPS FAILING", "STİLL the same", "ſtill", "Toujours LA MÊME", "todavía", "TODAVÍA", "相変わらず", "order sync"]
    assert folded_words(FOLLOW_UP) is not None and folded_words(TAKES_UP) is not None
    seen = {True: 0, False: 0}
    for rx in (FOLLOW_UP, TAKES_UP):
        words = folded_words(rx)
        for text in texts:
            want = rx.search(text) is not None
            assert occurs(rx, words, text) == want, (rx.pattern[:30], text[:80])
            seen[want] += 1
    assert seen[True] > 50 and seen[False] > 50


def _matched(patterns, subject: str, description: str) -> tuple[str, ...]:
    from datetime import datetime, timezone

    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    ticket = Ticket(subject=subject, description=description, created_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    return classify(ticket, patterns).detection.matched


FORWARDED_BODY = (
    "Hi, forwarding on behalf of our client, they got the message below when linking the app. Do they need the pro plan?\n\n"
    "-----Original Message-----\nFrom: Dan <dan@example.co.uk>\nSent: 03 November 2026 17:22\n"
    "To: accounts@example.co.uk\nSubject: Amazon thing\n\n"
    "The Amazon app says 'The account you are connecting to is not a Professional Amazon seller account.'\n"
)


def test_the_first_block_of_a_forwarded_ticket_is_the_senders_evidence(patterns) -> None:
    """A "FW:" ticket: the message under "-----Original Message-----" was forwarded on purpose."""
    assert _matched(patterns, "FW: Amazon connection", FORWARDED_BODY) == ("not_professional",)
    assert _matched(patterns, "WG: Amazon Verbindung", FORWARDED_BODY) == ("not_professional",)
    # Without the forward in the subject it is a quoted earlier message, as before.
    assert _matched(patterns, "Amazon connection", FORWARDED_BODY) == ()


def test_a_forwarded_mail_about_codisto_is_not_the_support_sides_for_its_subject_line(patterns) -> None:
    """Only who sent a mail makes it the support side's: "Subject: Amazon / Codisto" names its topic."""
    body = FORWARDED_BODY.replace("Subject: Amazon thing", "Subject: Amazon / Codisto note")
    assert _matched(patterns, "FW: Amazon connection", body) == ("not_professional",)


def test_a_forwarded_support_reply_stays_the_support_sides_words(patterns) -> None:
    body = ("FYI, see below.\n\n-----Original Message-----\nFrom: Codisto Support <support@example.com>\n"
            "Sent: Monday\nTo: me\nSubject: Amazon\n\n"
            "If Amazon says 'The account you are connecting to is not a Professional Amazon seller account', upgrade the plan.")
    assert _matched(patterns, "Fwd: Amazon", body) == ()


def test_the_merchants_own_earlier_mail_to_support_is_theirs(patterns) -> None:
    """A quoted mail the merchant sent to support (its "Para:"/"To:" names support, its sender does not)."""
    body = ("ok pero como cambio a plan profesional? en seller central no encuentro donde\n\n"
            "De: Lucía Ferrer <lucia@example.es>\nEnviado: miércoles, 18 de noviembre de 2026 19:02\n"
            "Para: soporte\nAsunto: error amazon\n\n"
            "me dice que la cuenta no es una cuenta de vendedor profesional de amazon, tengo la individual")
    assert _matched(patterns, "RE: error amazon", body) == ("not_professional",)
    agent = body.replace("De: Lucía Ferrer <lucia@example.es>", "De: Soporte Codisto <soporte@example.com>").replace(
        "Para: soporte", "Para: Lucía Ferrer").replace(
        "me dice que la cuenta", "si le dice que la cuenta")
    assert _matched(patterns, "RE: error amazon", agent) == ()


def test_the_merchants_quoted_mail_over_a_nested_support_quote_stays_theirs(patterns) -> None:
    # Only the header and its field lines say whose mail it is: a support header quoted inside its body does not.
    reply = ("Still the same as last week. Seller ID A2PL5RX8TN3WKC, no change.\n\n"
             "On Thu, 5 Nov 2026 at 16:40, Alessio Conti wrote:\n"
             "> It says my seller account might still be in staging mode.\n"
             "> I checked the vacation settings in Seller Central and they look off.\n>\n"
             "> > On Thu, 5 Nov 2026 at 15:02, Codisto Support wrote:\n"
             "> > > Hi Alessio, what is the exact message?")
    assert detect(reply, patterns).matched == ("staging_mode",)
    text, shape = layout(reply)
    assert shape.agent_quoted
    start = text.text.index("It says my seller")
    assert not shape.in_agent_quote(start, start + 10)


def test_a_japanese_condition_after_a_quoted_banner_is_an_instruction(patterns) -> None:
    reply = ("今朝9時に再度試したところ、問題なく接続できました。FBA納品プランはCodistoから作れますか？\n\n"
             "2026年11月26日 16:05 Codistoサポート:\n"
             "> 「エラーが発生しました」と表示される場合は、出品者IDと最後に試した日時をお送りください。")
    assert "generic_error" not in detect(reply, patterns).matched


def test_a_ticket_without_headers_gets_the_layout_the_full_loop_gives(patterns) -> None:
    """The shortcut for tickets with no header line: the same lines, quotes and agent quotes."""
    paths = [DATA / "labelled_tickets.jsonl", *sorted((DATA / "tuning").glob("*.jsonl"))]
    sources = [json.loads(line)["description"] for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    sources += ["> a\n> b\n\nc\n>\n> d", "x\n\n\n> y &amp; z\n  \n> w", "", "\n", "> > deep\n>\tq\u00a0r\n"]
    plain = 0
    for source in sources:
        normalized = normalize(source).text
        for forwarded in (False, True):
            quick = build_layout(source, normalized, patterns.quote_headers, forwarded)
            full = build_layout(source, normalized, patterns.quote_headers, forwarded, shortcut=False)
            assert (quick.line_starts, quick.quoted, quick.agent_quoted) == (full.line_starts, full.quoted, full.agent_quoted)
        plain += not any(_header_at(source.split("\n"), i, patterns.quote_headers) for i in range(source.count("\n") + 1))
    assert plain > 100


@pytest.mark.parametrize("text, found", [
    ("L'errore di prima non compare più. Però adesso, dopo il login su Amazon, mi dice che la connessione dell'account è scaduta.",
     ("connection_timeout",)),
    ("L'errore di prima non compare più. Dopo il login su Amazon, mi diceva che la connessione dell'account è scaduta.", ()),
    ("ご指示どおり15分以内に進めたところ、タイムアウトは出なくなりました。ただ今度は「接続しようとしているアカウントは"
     "プロフェッショナルのAmazon出品者アカウントではありません」と出ます。", ("not_professional",)),
    ("ご指示どおり15分以内に進めたところ、タイムアウトは出なくなりました。「接続しようとしているアカウントは"
     "プロフェッショナルのAmazon出品者アカウントではありません」と出ます。", ()),
])
def test_a_turn_to_now_lifts_what_a_windows_negative_said_before_it(patterns, text: str, found: tuple[str, ...]) -> None:
    """"The old message is gone. But now ...": the resolved negative before the turn does not veto the new error."""
    assert detect(text, patterns).matched == found


def test_detection_and_the_escalation_fields_build_one_layout(patterns) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    body = ("Still the same after trying again at 14:32 CET, merchant ID A1QX7PZR3KLM9T.\n\n"
            "On Tue, 24 Nov 2026 at 10:02, Dana <dana@example.com> wrote:\n> Amazon says: An error has occurred.")
    layout_of.cache_clear()
    result = classify(Ticket(subject="Amazon connection", description=body), patterns)
    assert result.detection.matched == ("generic_error",) and result.escalation.merchant_id is not None
    info = layout_of.cache_info()
    assert info.misses == 1 and info.hits >= 1


def test_thanks_again_does_not_take_up_a_quoted_error(patterns) -> None:
    for thanks in ("Thanks again!", "Merci encore.", "Gracias de nuevo.", "Grazie ancora."):
        assert not says_still(thanks, patterns.follow_up), thanks
    for still in ("It happened again.", "Encore la même erreur.", "Otra vez el error.", "Ancora lo stesso."):
        assert says_still(still, patterns.follow_up), still


def test_other_languages_follow_up_words_are_data_not_code(patterns) -> None:
    """Adding a language is a change to data files: without the languages, only English's words are known."""
    assert says_still("It happened again.") and not says_still("Es kommt immer noch.")
    assert says_still("Es kommt immer noch.", patterns.follow_up)
    assert not TAKES_UP.search("Toujours la même erreur.") and patterns.cues.takes_up.search("Toujours la même erreur.")


@pytest.mark.parametrize("header", [
    "Le 3 nov. 2026 à 18:05, Support Codisto a écrit :",
    "Am 19.11.2026 um 11:20 schrieb Aylin Demir (Codisto Support):",
    "El 20 nov 2026, a las 12:41, Sergio (Soporte Codisto) escribió:",
    "2026年11月26日(木) 10:41 Codistoサポート <support@codisto.com>:",
])
def test_a_support_header_quoted_inside_a_quote_is_known_in_every_language(patterns, header: str) -> None:
    text = normalize(f"Merci !\n\n> {header}\n> Si le message dit « Une erreur s'est produite », envoyez l'ID.")
    shape = build_layout(text.source, text.text, patterns.quote_headers)
    assert shape.agent_quoted and shape == build_layout(text.source, text.text, patterns.quote_headers, shortcut=False)


def test_another_problem_does_not_take_up_a_quoted_error(patterns) -> None:
    assert not says_still("これはまた別の問題ですか？", patterns.follow_up)
    assert says_still("またエラーが出ました。", patterns.follow_up)


SIGNED_QUOTE = ("Gracias, lo de la cuenta ya quedó resuelto. Ahora el problema es otro: los envíos FBA siguen en tránsito.\n\n"
                "> Hola Carmen,\n> El mensaje indica que Amazon ha bloqueado tu cuenta o que no está registrada en el "
                "marketplace que intentas usar.\n> {signature}")


def test_a_quote_without_a_header_signed_by_support_is_the_agents(patterns) -> None:
    text, shape = layout(SIGNED_QUOTE.format(signature="Sergio, Soporte Codisto"))
    start = text.text.index("Amazon ha bloqueado")
    assert shape.in_agent_quote(start, start + 10)
    # "siguen" (still) in the merchant's words is about their shipments: the agent's explanation is not their error.
    assert detect(SIGNED_QUOTE.format(signature="Sergio, Soporte Codisto"), patterns).matched == ()


def test_a_quote_signed_by_the_merchant_stays_theirs() -> None:
    text, shape = layout(SIGNED_QUOTE.format(signature="Carmen"))
    start = text.text.index("Amazon ha bloqueado")
    assert shape.is_quoted(start, start + 10) and not shape.in_agent_quote(start, start + 10)

"""Detection on whole tickets: typos, HTML, threads, several errors, look-alikes, bad patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin.core.detect import DetectOptions, detect
from plugin.core.patterns import load_patterns

from .test_patterns import VALID, write


def test_exact_banner_scores_full_and_quotes_the_text(patterns) -> None:
    raw = "Hi,\nwhen linking Amazon I get: The account you are connecting to is not a Professional Amazon seller account."
    [match] = detect(raw, patterns).matches
    assert match.error == "not_professional"
    assert match.score == 1.0
    best = match.evidence[0]
    assert best.regex == "banner"
    assert raw[best.start:best.end] == best.text
    assert best.text.startswith("The account you are connecting")


def test_typos_are_tolerated_and_counted(patterns) -> None:
    [match] = detect("Amazon says: the acount you are conecting to is not a profesional amazon seller account", patterns).matches
    assert match.error == "not_professional"
    assert match.evidence[0].typos == 3
    assert 0.5 < match.score < 1.0


def test_banner_split_across_quoted_lines_in_html_thread_is_context_not_the_merchants_error(patterns) -> None:
    raw = "<div>Thanks</div><blockquote>&gt; Amazon connection says: An error has<br>&gt; occurred</blockquote>"
    found = detect(raw, patterns)
    assert found.matched == ()
    assert any(s.error == "generic_error" and "quoted" in s.reason for s in found.suppressed)


def test_banner_split_across_lines_of_the_merchants_own_html_is_found(patterns) -> None:
    raw = "<div>Thanks</div><p>Amazon connection says: An error has<br>occurred</p>"
    assert detect(raw, patterns).matched == ("generic_error",)


def test_several_errors_come_back_in_priority_order(patterns) -> None:
    raw = ("Connecting Amazon: first the account connection timed out, then it said The account you are "
           "connecting to is not a Professional Amazon seller account.")
    assert detect(raw, patterns).matched == ("not_professional", "connection_timeout")


@pytest.mark.parametrize(
    "text",
    [
        "An error has occurred",
        "Connecting eBay: An error has occurred.",
        "Our staging site is down, can you help? We sell on Amazon.",
        "The product import timed out. Amazon connected fine.",
        "My card was blocked. I use the Amazon channel.",
        "How do customers leave a review on Amazon?",
        "It now works after upgrading to Professional, thanks! The account was not a professional seller account before.",
        "Which account type do I need for Amazon, Professional or Individual?",
        "Walmart says couldn't connect, contact Walmart.",
    ],
)
def test_look_alikes_do_not_match(patterns, text: str) -> None:
    assert detect(text, patterns).matches == ()


def test_generic_error_needs_amazon_connection_context(patterns) -> None:
    found = detect("An error has occurred while I connected nothing in particular", patterns)
    assert found.matches == ()
    assert any(s.error == "generic_error" and "amazon" in s.reason for s in found.suppressed)


def test_catastrophic_pattern_is_reported_not_hung(tmp_path: Path) -> None:
    evil = VALID.replace("pattern = '''demo banner text'''", "pattern = '''demo(?:(?:a|aa)+)+b'''")
    evil = evil.replace('match = ["the demo banner text appears", "DEMO BANNER TEXT", "x demo  banner\\ntext y"]',
                        'match = ["demoab", "demoaab", "demoaaab"]')
    write(tmp_path, "demo", evil)
    ps = load_patterns(tmp_path)
    # A "b" near the banner: every word the regex needs is in the window, so it runs (and backtracks).
    found = detect("b " + "demo" + "a" * 5000 + "c", ps, DetectOptions(timeout=0.05))
    assert found.matches == ()
    assert [f.pattern for f in found.failures] == ["demo"]
    assert "timed out" in found.failures[0].message
    # Without one the regex cannot match there, and is not run at all (see prefilter.branch_clauses).
    found = detect("demo" + "a" * 5000 + "c", ps, DetectOptions(timeout=0.05))
    assert found.matches == () and found.failures == ()


def test_very_long_text_is_cut_and_flagged(patterns) -> None:
    found = detect("x " * 200_000 + "An error has occurred connecting Amazon", patterns)
    assert found.truncated
    assert found.matches == ()


@pytest.mark.parametrize(("subject", "description", "found"), [
    # The text says what the subject's words are about: a shopper's Prime account, not the seller account.
    ("compte Amazon suspendu ??", "Mon compte Amazon Prime personnel a été suspendu ce matin à cause de ma carte et je ne "
     "peux plus lire mes livres Kindle. Est-ce que ça va bloquer la boutique ?", ()),
    # A text that says nothing else about it leaves the subject as it is.
    ("compte Amazon suspendu ??", "Bonjour, que dois-je faire maintenant pour la boutique ?", ("blocked_or_region",)),
])
def test_a_subject_goes_with_the_text_that_explains_its_words(patterns, subject: str, description: str,
                                                             found: tuple[str, ...]) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    assert classify(Ticket(subject=subject, description=description), patterns).detection.matched == found


@pytest.mark.parametrize(("elsewhere", "found"), [(True, ()), (False, ("demo",))])
def test_a_negative_marked_elsewhere_takes_the_subjects_same_words_with_it(tmp_path: Path, elsewhere: bool,
                                                                          found: tuple[str, ...]) -> None:
    """The body says the banner's words are about an arcade cabinet: marked ``elsewhere``, the subject's copy of
    them goes too; unmarked, the negative vetoes only the body's hit and the subject still counts."""
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    negative = f"""[[negative]]\nname = "arcade"\npattern = '''arcade'''\nwindow = 20\nelsewhere = {str(elsewhere).lower()}\n\n"""
    write(tmp_path, "demo", VALID.replace("[reply]", negative + "[reply]"))
    ticket = Ticket(subject="demo banner text", description="Hello, a question about our lobby screen. It shows the "
                    "demo banner text on the arcade cabinet.")
    assert classify(ticket, load_patterns(tmp_path)).detection.matched == found


OWN_EARLIER_MAIL = (
    "\n\n________________________________\nFrom: Codisto Support <support@codisto.com>\nSent: Friday, November 6, 2026 11:03 PM\n"
    "To: Jo Park <jo@example.com>\nSubject: RE: Amazon link\n\nHi Jo, please start again and finish within 15 minutes.\n\n"
    "________________________________\nFrom: Jo Park <jo@example.com>\nSent: Friday, November 6, 2026 6:40 PM\n"
    "To: Codisto Support\nSubject: Amazon link\n\nit says \"the account connection timed out\" and sends me back to the start"
)


OWN_QUOTED_MAIL = (
    "\n\nEl jue, 26 nov 2026 a las 16:00, Álvaro (Soporte) escribió:\n> Hola Héctor, vuelve a empezar y termina en "
    "15 minutos.\n>\n> El jue, 26 nov 2026 a las 11:30, Héctor Garza escribió:\n>> Al conectar Amazon me sale que se "
    "agotó el tiempo. ¿Qué hago?\n"
)
NOT_PRO = "\"The account you are connecting to is not a Professional Amazon seller account.\""
BLOCKED_ES = "dice que la cuenta está bloqueada o no está registrada en la región"


@pytest.mark.parametrize(("subject", "description", "found"), [
    # The newest message turns to now and names another error: the one in the merchant's older mail is over.
    ("RE: Amazon link", f"did it quickly this time, no time-out. But now it says {NOT_PRO}" + OWN_EARLIER_MAIL,
     ("not_professional",)),
    # Without the turn, both stand.
    ("RE: Amazon link", f"did it quickly this time. It also says {NOT_PRO}" + OWN_EARLIER_MAIL,
     ("not_professional", "connection_timeout")),
    # The merchant's older mail is quoted below their reply, which turns to now and another error: that one alone.
    # ("misma" reads as "still the same", so the quoted mail is taken up: the turn must still win.)
    ("Re: se agotó el tiempo", f"Lo de los 15 minutos funcionó. Pero ahora {BLOCKED_ES}. ¿Podéis tener las dos "
     "cuentas en la misma tienda?" + OWN_QUOTED_MAIL, ("blocked_or_region",)),
    # "Still" before the turn: the old error is still there, beside the new one.
    ("Re: se agotó el tiempo", f"Todavía nada, el tiempo igual. Pero ahora también {BLOCKED_ES}." + OWN_QUOTED_MAIL,
     ("blocked_or_region", "connection_timeout")),
    # No turn: the merchant's quoted error still counts beside the new one.
    ("Re: se agotó el tiempo", f"Sigue igual, y además {BLOCKED_ES}." + OWN_QUOTED_MAIL,
     ("blocked_or_region", "connection_timeout")),
])
def test_a_turn_in_the_newest_message_supersedes_the_merchants_older_error(patterns, subject: str, description: str,
                                                                          found: tuple[str, ...]) -> None:
    """Their older mail below a "From:" line, or quoted below their reply ("El jue, ... escribió: >")."""
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    result = classify(Ticket(subject=subject, description=description), patterns)
    assert set(result.detection.matched) == set(found)


def test_a_second_reading_never_takes_the_support_sides_quoted_words(patterns) -> None:
    """A list of shop addresses looks like wrapped words, so the ticket is read a second time with lines
    joined; that reading cannot tell quotes, and the agent's examples must stay the agent's."""
    body = ("Thanks, but to clarify: all our shops are connected. The issue is listing uploads.\n\n"
            "Shops:\n  first-shop.myshopify.com\n  second-shop.myshopify.com\n\n"
            "On Mon, 9 Nov 2026 at 14:20, Kieran <support@codisto.com> wrote:\n"
            "> Could you tell me what the banner says when you connect? For example \"Couldn't connect, contact Amazon\"\n"
            "> means the merchant needs to reach out to Amazon.")
    from plugin.core.normalize import has_wrapped_words

    assert has_wrapped_words(body)
    assert detect(body, patterns).matched == ()


@pytest.mark.parametrize(("subject", "found"), [
    # A reply's subject repeats the thread's old problem: it does not say the failure is still current.
    ("Re: Tiempo agotado al conectar", ()),
    # The merchant's own new subject does (their body may be about an earlier attempt).
    ("Tiempo agotado al conectar", ("connection_timeout",)),
])
def test_a_reply_subject_never_lifts_a_resolution(patterns, subject: str, found: tuple[str, ...]) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    body = "¡Hola! Ya está, funcionó: lo hice en cinco minutos y se conectó a la primera. Puedes cerrar la incidencia."
    assert classify(Ticket(subject=subject, description=body), patterns).detection.matched == found


def test_a_second_reading_never_takes_words_quoted_with_marks(patterns) -> None:
    body = ("Solved, thanks: we upgraded and it connected. How do I raise prices by 10%?\n\n"
            "Shops:\n  first-shop.myshopify.com\n  second-shop.myshopify.com\n\n"
            "> 26 Nov 2026, Yamaguchi:\n"
            "> The message 'The account you are connecting to is not a Professional Amazon seller account' appears\n"
            "> when the account is on the Individual plan.")
    assert detect(body, patterns).matched == ()


AGENT_ASKS = ("\n\nOn Tue, Nov 24, 2026 at 6:02 PM Codisto Support <support@codisto.com> wrote:\n> Hi Lena,\n>\n"
              "> Just to check, is the message you're getting \"The account connection timed out\"?\n>\n> Thanks, Priyanka")


@pytest.mark.parametrize(("newest", "found"), [
    # The support side asked whether it is that error, and the merchant says yes: theirs.
    ("Yes, exactly that one, every time I try.", ("connection_timeout",)),
    # "Yes, that's the one" answers the question: the error asked about is theirs, in their language too.
    ("yes thats the one, word for word. so what do I do now??", ("connection_timeout",)),
    ("Bonjour Priyanka,\n\nOui, c'est bien ce message-là, mot pour mot. Que dois-je faire ?", ("connection_timeout",)),
    ("Sí, es ese mismo. ¿Qué tengo que hacer?", ("connection_timeout",)),
    # "No, it isn't that": the error asked about is not theirs (a reply subject's "keeps timing out" repeats the thread).
    ("No, it isn't that. The problem is Shopify itself, the admin logs me out.", ()),
    ("Hi Priyanka, no, that's not it. I never even get to the Amazon login page.", ()),
])
def test_an_answer_to_the_support_sides_question_decides_whether_its_error_is_theirs(patterns, newest: str,
                                                                                      found: tuple[str, ...]) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    result = classify(Ticket(subject="Re: Amazon channel keeps timing out", description=newest + AGENT_ASKS), patterns)
    assert result.detection.matched == found


def test_a_reply_subjects_error_is_over_when_the_newest_message_turns_to_another(patterns) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    body = ("Nein, das ist es diesmal nicht, ich war ganz schnell durch. Jetzt kommt eine andere Meldung: "
            "\"Ihr Verkäuferkonto befindet sich möglicherweise noch im Staging-Modus\". Was heißt das?\n\n"
            "Am 3. Nov. 2026 um 10:02 schrieb Codisto Support <support@codisto.com>:\n"
            "> Hallo, bitte versuchen Sie es erneut und schließen Sie alle Schritte in 15 Minuten ab.")
    result = classify(Ticket(subject="Re: Zeitüberschreitung beim Verbinden", description=body), patterns)
    assert result.detection.matched == ("staging_mode",)
    assert any(s.error == "connection_timeout" and "turns to another error" in s.reason for s in result.detection.suppressed)


@pytest.mark.parametrize(("newest", "found"), [
    ("yes thats the one, word for word", ("connection_timeout",)),
    ("Ja, genau diese Meldung. Was nun?", ("connection_timeout",)),
    # A "yes" to something else is no answer about the error; neither is the quoted question alone.
    ("Yes, I have time on Thursday for a call.", ()),
    ("Thanks, I will look into it tomorrow.", ()),
])
def test_only_a_yes_about_the_message_makes_the_asked_error_theirs(patterns, newest: str, found: tuple[str, ...]) -> None:
    from plugin.core.classify import classify
    from plugin.core.models import Ticket

    assert classify(Ticket(subject="Re: help", description=newest + AGENT_ASKS), patterns).detection.matched == found

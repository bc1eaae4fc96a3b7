import pytest

from plugin.core.normalize import html_to_text, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("An error has\noccurred", "An error has occurred"),
        ("<p>An error</p><p>has occurred</p>", "An error has occurred"),
        ("line one<br>line two<br/>three", "line one line two three"),
        ("&ldquo;An error has&nbsp;occurred&rdquo;", '"An error has occurred"'),
        ("You\u2019re \u201cnot\u201d \u2014 ok", "You're \"not\" - ok"),
        ("> quoted\n> > twice quoted\nreply", "quoted twice quoted reply"),
        ("  lots   of\t\tspace \r\n\r\n here  ", "lots of space here"),
        ("\ufb01ne zero\u200bwidth", "fine zerowidth"),
        ("<style>p {color: red}</style><p>Visible</p><script>alert(1)</script>", "Visible"),
        ("AT&T and 3 < 4", "AT&T and 3 < 4"),
    ],
)
def test_normalize_canonical_text(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


def test_lowered_is_same_length_as_text() -> None:
    n = normalize("\u0130STANBUL An Error")
    assert len(n.lowered) == len(n.text)
    assert "an error" in n.lowered


@pytest.mark.parametrize(
    ("raw", "phrase", "as_written"),
    [
        ("I see \u201cAn error has\u00a0occurred\u201d now", "An error has occurred", "An error has\u00a0occurred"),
        ("The account you\u2019re connecting", "you're", "you\u2019re"),
        ("foo &amp; bar", "&", "&amp;"),
        ("An error has\n> occurred", "An error has occurred", "An error has\n> occurred"),
        ("<b>An error</b> has occurred", "An error has occurred", "An error has occurred"),
    ],
)
def test_evidence_quotes_the_merchants_own_text(raw: str, phrase: str, as_written: str) -> None:
    n = normalize(raw)
    start = n.text.index(phrase)
    assert n.evidence(start, start + len(phrase)) == as_written


def test_html_to_text_keeps_block_breaks() -> None:
    assert html_to_text("<div>a</div><div>b</div>").split() == ["a", "b"]


@pytest.mark.parametrize(("markup", "quoted"), [
    # A mail client's quote of the earlier mail: "> " lines, as a plain-text client shows it.
    ('<p>Thanks</p><blockquote type="cite"><p>Hi Greg,<br>Chloe</p></blockquote>', True),
    ('<p>Thanks</p><blockquote class="gmail_quote"><p>Hi Greg,</p></blockquote>', True),
    ("<div>On Tue, 17 Nov 2026, Chloe wrote:<br></div><blockquote><p>Hi Greg,</p></blockquote>", True),
    # A blockquote after "it says:" holds the banner the merchant pastes: their own evidence.
    ("<p>Me aparece este mensaje:</p><blockquote>No se pudo conectar.</blockquote>", False),
])
def test_a_mail_clients_blockquote_becomes_quoted_lines(markup: str, quoted: bool) -> None:
    lines = [line for line in html_to_text(markup).splitlines() if line.strip(" >")]
    assert lines[-1].startswith("> ") is quoted


def test_plain_text_with_angle_brackets_is_not_treated_as_html() -> None:
    assert normalize("Send to <jane@example.com> please").text == "Send to <jane@example.com> please"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # A screenshot's copy: short lines, wrapped inside words, in a block of three or more lines.
        ("Kopie:\n\nDas Konto ist i\nn dieser Region nicht re\ngistriert.", "Kopie: Das Konto ist in dieser Region nicht registriert."),
        # The copy may indent its lines: the indentation goes with the break.
        ("Copied:\n\n  ( ! ) Couldn't con\n  nect, contact\n  Amazon\n  Dismiss", "Copied: ( ! ) Couldn't connect, contact Amazon Dismiss"),
        # The copy may hyphenate the word it wraps: the hyphen goes with the break; a capital after it stays a
        # compound's hyphen ("Amazon-\nKonto" is a new line).
        ("Kopie:\n\nIhr Verkäufer-\nkonto ist no-\r\nch im Amazon-\nKonto", "Kopie: Ihr Verkäuferkonto ist noch im Amazon- Konto"),
        ("画面:\n\nアカウント接続がタイム\nアウトしました。最初から\nやり直してください。", "画面: アカウント接続がタイムアウトしました。最初からやり直してください。"),
        # Two short lines are a greeting and a sentence, not a wrapped banner; a long line ends where its writer chose.
        ("hi there\nnot professional it says", "hi there not professional it says"),
        ("We tried to connect the account again this morning and got\nthe same message again\nno change", "We tried to connect the account again this morning and got the same message again no change"),
        # Header lines stay lines (quote detection reads them); a capital letter starts a new line.
        ("宛先: 佐藤\n件名: 接続\nエラーです", "宛先: 佐藤 件名: 接続 エラーです"),
        ("Thanks\nAnna\nShop owner", "Thanks Anna Shop owner"),
        # A hyphen the copy put at a wrap goes with the break; a compound's hyphen before a capital stays.
        ("Copia:\n\nNo se pudo co-\nnectar. Póngase en contacto con\nAmazon.", "Copia: No se pudo conectar. Póngase en contacto con Amazon."),
        ("Mail:\n\nDie E-\nMail kam nie\nAm Montag", "Mail: Die E- Mail kam nie Am Montag"),
        # Text recognition's stray space between two Japanese characters goes in this reading.
        ("コピー:\n\n接続できませんでした。Ama\nzonにお問い合わ せください。\n閉じる", "コピー: 接続できませんでした。Amazonにお問い合わせください。 閉じる"),
    ],
)
def test_unwrapped_reading_joins_only_words_a_screenshot_wrapped(raw: str, expected: str) -> None:
    text = normalize(raw, unwrap=True)
    assert text.text == expected
    assert normalize(raw).text == " ".join(raw.split())  # the first reading never joins


def test_unwrapped_evidence_quotes_the_lines_as_written() -> None:
    raw = "Kopie:\n\nDas Konto ist i\nn dieser Region nicht re\ngistriert."
    text = normalize(raw, unwrap=True)
    start = text.text.index("nicht registriert")
    assert text.evidence(start, start + len("nicht registriert")) == "nicht re\ngistriert"
    hyphenated = normalize("Copia:\n\nNo se pudo co-\nnectar. Póngase en contacto con\nAmazon.", unwrap=True)
    start = hyphenated.text.index("conectar")
    assert hyphenated.evidence(start, start + len("conectar")) == "co-\nnectar"


def test_unwrapped_evidence_quotes_a_hyphenated_wrap_as_written() -> None:
    raw = "Testo:\n\nnon è un account vendi-\ntore Amazon Profes-\nsionale."
    text = normalize(raw, unwrap=True)
    assert text.text == "Testo: non è un account venditore Amazon Professionale."
    start = text.text.index("venditore")
    assert text.evidence(start, start + len("venditore")) == "vendi-\ntore"


def test_an_ocr_reading_reads_misrecognised_letters_and_keeps_the_merchants_words() -> None:
    from plugin.core.normalize import has_ocr_noise

    raw = "Y0ur Arnazon Seller acc0unt rnight stil1 be in staging. Merchant A1B0CDEFGHIJ at 10am"
    assert has_ocr_noise(raw) and not has_ocr_noise("at 10am on the 1st, merchant A2H7M4QX9ZL3K")
    text = normalize(raw, ocr=True)
    assert text.text.startswith("Your Amazon Seller account might still be in staging.")
    assert "A1B0CDEFGHIJ" in text.text  # an ID in capitals is no misread word
    start = text.text.index("Amazon")
    assert text.evidence(start, start + len("Amazon Seller account")) == "Arnazon Seller acc0unt"


def test_the_white_space_stage_finds_what_its_general_regex_finds() -> None:
    """Evidence offsets: the white space stage, rebuilt with a regex of the text's own white space
    characters, finds the spans ``[^\\S ]\\s*`` finds, and the rebuilt text is the normalised one."""
    import random

    from plugin.core.normalize import _OTHER_SPACE, _other_space

    rng = random.Random(3)
    pieces = ["a", "b ", " ", "  ", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u2003", "é", "> ", "x\n> y"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        found = _other_space(text)
        want = [m.span() for m in _OTHER_SPACE.finditer(text)]
        assert ([] if found is None else [m.span() for m in found.finditer(text)]) == want, repr(text)
        normalized = normalize(text)
        assert normalized._rebuilt[0] == normalized.text, repr(text)


def test_has_wrapped_words_reads_only_short_lines_as_the_full_scan_does() -> None:
    """has_wrapped_words skips the breaks after lines longer than WRAPPED_LINE + 2: the same answer as
    judging every break."""
    import random

    from plugin.core.normalize import _unwrap, _wrap_breaks, has_wrapped_words

    rng = random.Random(5)
    texts = ["Das Amazon-Konto ist i\nn dieser Region nicht re\ngistriert", "x" * 41 + "a-\r\nb\nc\nd",
             "a" * 40 + "-\r\nbc\nd\ne", "a" * 43 + "\nbc\nd\ne"]
    for _ in range(3000):
        texts.append("\n".join("".join(rng.choice("abc de") for _ in range(rng.randint(0, 48))) + rng.choice(["", "-", "\r"])
                               for _ in range(rng.randint(1, 5))))
    for text in texts:
        assert has_wrapped_words(text) == any(_unwrap(m) == "" for m in _wrap_breaks(text)), text

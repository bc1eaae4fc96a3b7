"""A pattern's time budget on a ticket (search.Deadline)."""

from __future__ import annotations

import gc
import time

import pytest
import regex

from plugin.core import patterns
from plugin.core.patterns import Branch
from plugin.core.search import Deadline


def test_a_spent_budget_is_a_timeout() -> None:
    deadline = Deadline(0.001)
    time.sleep(0.01)
    with pytest.raises(TimeoutError, match="budget 1 ms"):
        deadline.remaining()


def test_compiling_a_branch_on_first_use_is_not_the_tickets_time(monkeypatch) -> None:
    real = regex.compile

    def slow_compile(source, *args, **kwargs):
        time.sleep(0.2)  # a large branch compiled on a busy machine
        return real(source, *args, **kwargs)

    monkeypatch.setattr(patterns.regex, "compile", slow_compile)
    branch = Branch(r"\bstaging site\b", real(r"\bstaging site\b"))
    deadline = Deadline(0.05)
    found = branch.search("our staging site is down", 0, 24, deadline.remaining)
    assert found is not None and found.group() == "staging site"
    assert 0 < deadline.remaining() <= 0.05 + 0.2  # the compile was left out, nothing more


class _SlowToFree:
    """Garbage in a reference cycle whose finaliser takes a while: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        time.sleep(0.2)  # a full collection of a large heap on a busy machine


def test_a_garbage_collection_pause_is_not_the_tickets_time() -> None:
    deadline = Deadline(0.05)
    _SlowToFree()
    began = time.monotonic()
    gc.collect()
    assert time.monotonic() - began >= 0.2  # the pause outlasted the budget
    assert 0 < deadline.remaining() <= 0.05 + 0.2  # and was left out of it, nothing more


def test_a_short_text_without_the_needed_words_builds_no_windows(monkeypatch) -> None:
    """"account blocked" is needed besides the anchor "amazon": a short ticket holding the anchor but not
    those words is answered from its word set, and one holding them is scanned as before."""
    from plugin.core import search
    from plugin.core.normalize import normalize
    from plugin.core.schema import RegexSpec

    rx = patterns.compile_regex(RegexSpec(name="blocked", pattern=r"amazon (?:says )?account blocked", anchors=["amazon"]))
    built: list[int] = []
    real = search.anchor_windows
    monkeypatch.setattr(search, "anchor_windows", lambda *a, **k: built.append(1) or real(*a, **k))
    assert list(search.scan(rx, normalize("Amazon says all is fine"), Deadline(1.0))) == []
    assert built == []
    found = list(search.scan(rx, normalize("Amazon says account blocked"), Deadline(1.0)))
    assert [(f.start, f.end) for f in found] == [(0, 27)] and built == [1]


@pytest.mark.parametrize(("between", "found"), [
    # The next item of an agency's list is another shop: its "got sorted" says nothing of the first shop's error.
    ("2) Red Shoes\n", ("staging_mode",)),
    ("- Red Shoes:\n", ("staging_mode",)),
    # A paragraph of its own after the list speaks for every item above it.
    ("\n", ()),
])
def test_a_window_negative_stays_in_its_list_item(patterns, between: str, found: tuple[str, ...]) -> None:
    from plugin.core.detect import detect

    text = ("Update on our two clients:\n1) Green Tea Co\nThe app says the seller account might still be in staging "
            f"mode.\n{between}That one got sorted last week.")
    assert detect(text, patterns).matched == found


@pytest.mark.parametrize(("text", "found"), [
    # Shop A is fixed; shop B "still now" (は今も) shows the banner: the fix before the turn vetoes nothing after it.
    ("店舗Aはキャッシュ削除で直りました。店舗Bは今も「接続できませんでした。Amazonにお問い合わせください」と出ます。",
     ("contact_amazon",)),
    # Without the turn the fix is the banner's own end.
    ("キャッシュ削除で直りました。前は「接続できませんでした。Amazonにお問い合わせください」と出ていました。", ()),
])
def test_a_turn_to_now_keeps_a_window_negative_before_it_off_the_hit(patterns, text: str,
                                                                    found: tuple[str, ...]) -> None:
    from plugin.core.detect import detect

    assert detect(text, patterns).matched == found


def test_a_german_turn_may_put_aber_after_the_verb(patterns) -> None:
    """'Jetzt hängt aber Shop 2': shop 1's "ist jetzt verbunden" before it is over, shop 2's error is now."""
    from plugin.core.detect import detect

    text = ("Das mit Shop 1 ist erledigt, es ist jetzt verbunden. Jetzt hängt aber Shop 2: Da steht, das Verkäuferkonto "
            "befinde sich womöglich noch im Stagingmodus.")
    assert detect(text, patterns).matched == ("staging_mode",)
    # Without the turn (and with no other shop named: see test_shops.py), the resolution speaks for the banner.
    assert detect(text.replace("Jetzt hängt aber Shop 2", "Auch dort"), patterns).matched == ()

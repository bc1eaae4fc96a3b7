"""The shortcuts detection takes must give exactly what the regexes give: words a regex needs,
contexts asked term by term, language markers counted word by word, quote headers line by line."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import regex

from plugin.core.language import _ENGLISH_WORDS, _RE_WORD, _REGEX_WORD, marker_count
from plugin.core.normalize import FACTOR_PLACES, SHORT_TEXT, normalize
from plugin.core.patterns import PatternSet, first_match
from plugin.core.prefilter import (
    common_factors,
    folded_starts,
    fuzzy_pieces,
    leading_literals,
    marker_shape,
    may_match,
    required_chars,
    required_clauses,
    required_literals,
    split_alternatives,
    splittable,
    starts_finder,
)
from plugin.core.thread import _CANDIDATE, _CANDIDATE_WORDS, _CASE_TRAPS, _lines_holding

DATA = Path(__file__).parent / "data"
OLD_ENGLISH_MARKERS = re.compile(
    r"\b(?:the|and|is|are|my|i|it|to|you|your|not|have|has|with|this|that|what|when|please|can|can't|"
    r"cannot|we|our|but|of|for|get|still|says?|tried|when|thanks?)\b",
    re.IGNORECASE,
)
"""The English markers before "can't" was dropped (it never matched: "can" comes first)."""


SAMPLE = 1200
"""Real tickets the soundness checks run on: a fixed sample, so their cost stays put as tuning rounds are added
(the whole set, 3,442 tickets, took three minutes of CI)."""


def _tickets() -> list[str]:
    paths = [DATA / "labelled_tickets.jsonl", *sorted((DATA / "tuning").glob("*.jsonl"))]
    every = [json.loads(line)["description"] for p in paths for line in p.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return random.Random(1).sample(every, min(SAMPLE, len(every)))


@pytest.mark.parametrize(("source", "expected"), [
    (r"\bfoo (?:bar|baz)\b", {"foo ba"}),
    (r"(?:jetzt|nun) (?:\w+ )?verbunden", {"verbunden"}),
    (r"a|bc", {"a", "bc"}),
    (r"(?:x)?yz", {"yz"}),
    (r"\bstaging[ -]?(?:seite|site)", {"staging"}),
])
def test_required_literals(source: str, expected: set[str]) -> None:
    assert required_literals(source) == expected


@pytest.mark.parametrize(("source", "expected"), [
    (r"(?:abc){e<=1}", None),   # fuzzy: the stdlib parser would read "{e<=1}" as letters
    (r"[[:alpha:]]+ing", None),  # POSIX class
    (r"\p{L}+ing", None),        # Unicode property
    (r"(a)bc\1", None),          # back reference
    (r"(?i)abc", None),          # case-insensitive: a literal no longer means one string
    (r"(?i:abc)d", {"d"}),       # ... only the case-sensitive part counts
    (r"\w+", None),              # nothing literal at all
    (r"a?b*", None),
])
def test_no_requirement_where_unsure(source: str, expected: set[str] | None) -> None:
    assert required_literals(source) == expected


def test_avoided_words_are_chosen_last() -> None:
    assert required_literals(r"amazon ?pay\w*") == {"amazon"}
    assert required_literals(r"amazon ?pay\w*", frozenset({"amazon"})) == {"pay"}


def test_may_match_looks_only_inside_the_window() -> None:
    need = frozenset({"geht", "klappt"})
    assert may_match(need, "es geht jetzt", 0, 13)
    assert not may_match(need, "es geht jetzt", 4, 13)
    assert may_match(None, "", 0, 0)


@pytest.mark.parametrize("filler", ["", "x " * 3000])
def test_a_ticket_remembers_which_words_it_holds(filler: str) -> None:
    """Short tickets answer from memory, long ones look in the window; both say the same."""
    text = normalize("Es geht jetzt. " + filler + "Klappt nicht.")
    need = frozenset({"geht", "klappt"})
    end = len(text.lowered)
    assert text.holds(need) and text.holds(need, 0, 8) and text.holds(need, end - 14, end)
    assert not text.holds(need, 8, end - 14) and not text.holds(need, 0, 4)
    assert not text.holds(frozenset({"nie"})) and text.holds(None, 5, 5)


def _windows(rng: random.Random, text: str) -> list[tuple[int, int]]:
    out = [(0, len(text))]
    for _ in range(3):
        s = rng.randint(0, len(text))
        out.append((s, min(len(text), s + rng.randint(0, 400))))
    return out


def test_a_skipped_negative_or_context_could_not_have_matched(patterns: PatternSet) -> None:
    """Soundness on real tickets: wherever a regex matches in a window, its words are in that window."""
    rng = random.Random(5)
    texts = [normalize(t).lowered for t in _tickets()]
    checked = 0
    for p in patterns.error_patterns:
        for neg in p.negatives:
            if neg.need is None:
                continue
            for text in texts:
                for s, e in _windows(rng, text):
                    if neg.regex.search(text, s, e) is not None:
                        checked += 1
                        assert may_match(neg.need, text, s, e), (p.id, neg.spec.name, text[s:e])
    assert checked > 100


def test_contexts_term_by_term_find_what_the_joined_regex_finds(patterns: PatternSet) -> None:
    rng = random.Random(6)
    texts = [normalize(t) for t in _tickets()]
    contexts = {c.regex.pattern: c for p in patterns.error_patterns for c in p.contexts}.values()
    assert any(c.terms for c in contexts)
    found = 0
    for ctx in contexts:
        for text in texts:
            target = text.lowered if ctx.on_lowered else text.text
            for s, e in _windows(rng, target):
                joined = ctx.regex.search(target, s, e) is not None
                found += joined
                assert ctx.occurs(text, s, e, lambda: 1.0) is joined, (ctx.spec.name, target[s:e])
    assert found > 100


def test_terms_tied_to_each_other_are_not_split() -> None:
    assert splittable(r"verk(?:ä|a)ufer")
    assert not splittable(r"(a)\1")
    assert not splittable(r"(?i)abc")


def _fuzz_texts(patterns: PatternSet, count: int) -> list[str]:
    rng = random.Random(11)
    vocab = [regex.sub(r"\\[bw]|[\\()?:*+\[\]|]", "", t) for la in patterns.languages for t in la.spec.markers]
    vocab += ("the and is can't cannot THE İs ıt ſtill thanks it's J'AI j'ai E' e'x qu'il c'est aujourd'hui l'ordre "
              "d'accord è È straße STRASSE meine meinung _x 12 日本 です ありがとう").split()
    odd = [" ", ",", ".", "'", "’", "-", "_", "\n", "\u0301", "\u200d", "İ", "ı", "ſ", "\u212a", "ẞ", "ー", "1"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 40)):
            r = rng.random()
            word = rng.choice(vocab) if r < 0.6 else rng.choice(odd) if r < 0.8 else chr(rng.randint(0x20, 0x3100))
            parts.append(word.upper() if rng.random() < 0.15 else word)
            parts.append(rng.choice([" ", " ", "", ", ", "'", ".", "\u0301", "-"]))
        texts.append("".join(parts))
    return texts + [t[:800] for t in _tickets()]


def test_markers_counted_word_by_word_as_findall_counts_them(patterns: PatternSet) -> None:
    assert [la.lang for la in patterns.languages if la.words is not None]  # the shortcut is in use
    for text in _fuzz_texts(patterns, 4000):
        tokens = list(_REGEX_WORD.finditer(text))
        words = Counter(t.group() for t in tokens)
        assert _ENGLISH_WORDS.count(Counter(_RE_WORD.findall(text))) == len(OLD_ENGLISH_MARKERS.findall(text)), text
        for la in patterns.languages:
            assert marker_count(la, text, words, tokens) == len(la.markers.findall(text)), (la.lang, text)


@pytest.mark.parametrize(("term", "shape"), [
    (r"\bund\b", frozenset()),
    (r"\bmein\w*\b", frozenset()),
    (r"\best(?:á|a)\b", frozenset()),
    (r"\bj'\w+", frozenset({"j"})),
    (r"\b(?:è|e')\b", frozenset({"e"})),
    (r"です", None),
    (r"\b\w*\b", None),
    (r"\bfoo.\b", None),
])
def test_marker_shapes(term: str, shape: frozenset[str] | None) -> None:
    assert marker_shape(term, lambda c: _REGEX_WORD.fullmatch(c) is not None) == shape


def test_a_script_every_marker_needs() -> None:
    chars = required_chars(r"です|[\u3041-\u3096]+")
    assert chars is not None and regex.search(chars, "テスト です") and not regex.search(chars, "plain text")
    assert required_chars(r"\bund\b") is None


def test_case_traps_are_the_only_letters_lower_and_re_disagree_on() -> None:
    """_lines_holding finds re's case-insensitive words in str.lower()'d text; that is exact for ASCII
    letters except at these characters, which make it fall back to the regex."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    compiled = {c: re.compile(c, re.IGNORECASE) for c in letters}
    disagree = set()
    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cs", "Cn") or (ch.lower() == ch and ch.upper() == ch and ch.casefold() == ch):
            continue  # uncased: matches only itself, with or without IGNORECASE
        for c, rx in compiled.items():
            if bool(rx.fullmatch(ch)) != (ch.lower() == c):
                disagree.add(ch)
    assert disagree <= set(_CASE_TRAPS)


def test_header_lines_found_line_by_line_as_over_the_whole_text() -> None:
    rng = random.Random(2)
    bits = ["On Tue, Dana wrote:", "> On Mon, Support WROTE:", "-----Original Message-----", "From: a@amazon.com",
            "Sent: Monday", "_______", "meſſage", "İ wrote", "plain words", "   ", "MESSAGE from x", "from:"]
    for _ in range(2000):
        source = "\n".join(rng.choice(bits) for _ in range(rng.randint(1, 12)))
        lines = source.split("\n")
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        whole = {max(i for i, o in enumerate(offsets) if o <= m.start()) for m in _CANDIDATE.finditer(source)}
        holding = _lines_holding(source, offsets, _CANDIDATE_WORDS, ("_____",))
        by_line = whole if holding is None else {i for i in holding if _CANDIDATE.search(lines[i])}
        assert by_line == whole, source


def _mutations(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        if not chars:
            break
        i = rng.randrange(len(chars))
        kind = rng.random()
        if kind < 0.33:
            del chars[i]
        elif kind < 0.66:
            chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz "))
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
    return "".join(chars)


def test_regex_windows_skipped_only_where_no_match_could_be(patterns: PatternSet) -> None:
    """Exact and fuzzy twins: a match (up to max_errors edits) always holds one of the words or pieces."""
    rng = random.Random(9)
    examples = [e for p in patterns.error_patterns for e in p.spec.examples.match]
    examples += [e for p in patterns.error_patterns for o in p.overlays for e in o.match]
    texts = [normalize(_mutations(rng, e, rng.randint(0, 2)).upper() if rng.random() < 0.2 else _mutations(rng, e, rng.randint(0, 2)))
             for e in examples for _ in range(3)]
    texts += [normalize(t) for t in _tickets()[:200]]
    regexes = [r for p in [*patterns.error_patterns, *patterns.fields] for r in p.regexes]
    texts += [normalize(ex.text) for f in patterns.fields for ex in f.spec.examples.match]
    texts += [normalize(ex.text) for f in patterns.fields for o in f.overlays for ex in o.field_match]
    assert sum(r.need is not None for r in regexes) > len(regexes) // 2
    assert sum(r.chars is not None for r in regexes) > 10
    assert sum(r.fuzzy_need is not None for r in regexes) > 0
    matched = fuzzy_matched = 0
    for text in texts:
        assert text.folds_plainly
        for r in regexes:
            for m in r.exact.finditer(text.text):
                matched += 1
                assert may_match(r.need, text.lowered, m.start(), m.end()), (r.name, m.group())
                assert r.chars is None or r.chars.search(text.text, m.start(), m.end()), (r.name, m.group())
            if r.fuzzy is not None and r.fuzzy_need is not None:
                m = r.fuzzy.search(text.text)
                if m is not None and m.end() > m.start():
                    fuzzy_matched += 1
                    assert r.fuzzy_need.found_in(text.lowered, m.start(), m.end()), (r.name, m.group())
    assert matched > 500 and fuzzy_matched > 100


def test_analysis_is_sound_on_random_regexes() -> None:
    """Random regexes (groups, classes, repeats, lookarounds, flags) on random texts: every match holds
    a required string and a required character, and every fuzzy match enough pieces."""
    tokens = ["a", "b", "ab", "ba", "c", "ä", "日", "1", "2", " ", "'", ":", "\\b", "\\w", "\\d", "(", ")", "(?:",
              "(?P<x>", "(?=", "(?!", "(?<=a)", "|", "*", "+", "?", "{2}", "{1,3}", "[ab]", "[a-c]", "[^a]", "[\\d:]",
              ".", "(?>", "++", "(?i:", "[12]"]
    rng = random.Random(2)
    texts = ["".join(rng.choice("ab c1:2'ä日AB") for _ in range(rng.randint(0, 30))) for _ in range(60)]
    checked = 0
    for _ in range(3000):
        source = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 10)))
        try:
            compiled = regex.compile(source)
        except regex.error:
            continue
        need, chars, parts = required_literals(source), required_chars(source), fuzzy_pieces(source, 1)
        fuzzy = regex.compile(f"(?:{source}){{e<=1}}", regex.IGNORECASE) if parts is not None else None
        for text in texts:
            for m in compiled.finditer(text):
                if m.end() > m.start():
                    checked += 1
                    assert may_match(need, text, m.start(), m.end()), (source, text)
                    assert chars is None or regex.search(chars, text[m.start():m.end()]), (source, text)
            found = fuzzy.search(text) if fuzzy is not None else None
            if found is not None and found.end() > found.start():
                assert parts.found_in(text.lower(), found.start(), found.end()), (source, text)
    assert checked > 10_000


@pytest.mark.parametrize(("source", "branches"), [
    (r"\b(?:now|finally) works\b", [r"\b(?:now) works\b", r"\b(?:finally) works\b"]),
    (r"a|b(?:c|d)", ["a", "b(?:c|d)"]),
    (r"(?:x|\b(?:y|z)\b)", ["x", r"\b(?:y)\b", r"\b(?:z)\b"]),
    (r"(?:¿|\b)(?:necesito|hace falta)", [r"(?:¿)(?:necesito|hace falta)", r"(?:\b)(?:necesito|hace falta)"]),
    (r"\b(?:a|b)?c", None),      # a repeated group tries its branches, then none: not the same split
    (r"(a)|\1", None),           # back reference
    (r"(?i)a|b", None),          # inline flag reaches every branch
    (r"a\K|b", None),            # \K moves the match start
    (r"\bfoo\b", None),          # nothing to split
])
def test_split_alternatives(source: str, branches: list[str] | None) -> None:
    assert split_alternatives(source) == branches


def test_clauses_spell_out_fixed_runs() -> None:
    assert required_clauses(r"\b(?:please|you can) (?:mark|close) it\b") == (
        frozenset({"please mark it", "please close it", "you can mark it", "you can close it"}),)
    assert required_clauses(r"(?:now|finally) (?:\w+ )?works") == (frozenset({"works"}), frozenset({"finally ", "now "}))
    assert required_clauses(r"(?i)abc") is None


def test_analysis_of_branches_is_sound_on_random_regexes() -> None:
    """Random alternations: the first match of the branches searched alone, leftmost then earliest,
    is the regex's own, and every branch match holds a string of each of its clauses."""
    tokens = ["a", "b", "ab", "ba", "c", " ", "'", "\\b", "\\w", "(", ")", "(?:", "(?=", "(?!", "(?<=a)", "|", "|", "|",
              "*", "+", "?", "{1,3}", "[ab]", "[^a]", ".", "(?>", "(?i:"]
    rng = random.Random(4)
    texts = ["".join(rng.choice("ab c'AB") for _ in range(rng.randint(0, 30))) for _ in range(40)]
    split = checked = 0
    for _ in range(4000):
        body = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 10)))
        source = rng.choice(["{}", "\\b(?:{})", "\\b(?:{})\\b", "(?:{})a", "(?:{})+"]).format(body)
        try:
            compiled = regex.compile(source)
            parts = split_alternatives(source)
            branches = [regex.compile(p) for p in parts] if parts else []
        except regex.error:
            continue
        split += bool(branches)
        clauses = [required_clauses(p) for p in parts or ()]
        for text in texts:
            for s, e in ((0, len(text)), (2, max(2, len(text) - 3))):
                want = compiled.search(text, s, e)
                if not branches:
                    continue
                found = [b.search(text, s, e) for b in branches]
                got = min((m for m in found if m is not None), key=lambda m: m.start(), default=None)
                assert (want and want.span()) == (got and got.span()), (source, text)
                for m, need in zip(found, clauses, strict=True):
                    if m is not None and need is not None:
                        checked += 1
                        assert all(may_match(c, text, m.start(), m.end()) for c in need), (source, text)
    assert split > 200 and checked > 1000


def test_negatives_searched_branch_by_branch_find_what_the_regex_finds(patterns: PatternSet) -> None:
    rng = random.Random(8)
    texts = [normalize(t) for t in _tickets()[::3]]
    negatives = [n for p in patterns.error_patterns for n in p.negatives] + [n for f in patterns.fields for n in f.negatives]
    assert sum(1 for n in negatives if n.branches) > len(negatives) // 2
    found = 0
    for text in texts:
        text.preload_words(patterns.words)
        for neg in negatives:
            for s, e in _windows(rng, text.lowered):
                want = neg.regex.search(text.lowered if neg.on_lowered else text.text, s, e)
                got = neg.search(text, s, e, lambda: 1.0) if neg.may_occur(text) else None
                found += want is not None
                assert (want and want.span()) == (got and got.span()), (neg.spec.name, text.lowered[s:e])
    assert found > 100


def test_negatives_over_a_long_ticket_find_what_the_regex_finds(patterns: PatternSet) -> None:
    """A long ticket: its whole-ticket negatives are searched branch by branch (the branches whose
    clauses all occur), its windows with the whole regex; asked twice, the same answer."""
    rng = random.Random(9)
    tickets = _tickets()
    negatives = [n for p in patterns.error_patterns for n in p.negatives] + [n for f in patterns.fields for n in f.negatives]
    found = 0
    for _ in range(12):
        parts: list[str] = []
        while sum(map(len, parts)) <= 1.5 * SHORT_TEXT:
            parts.append(rng.choice(tickets))
        text = normalize("\n".join(parts))
        assert len(text.lowered) > SHORT_TEXT
        text.preload_words(patterns.words)
        for neg in negatives:
            for s, e in _windows(rng, text.lowered):
                want = neg.regex.search(text.lowered if neg.on_lowered else text.text, s, e)
                for _ in range(2):
                    got = neg.search(text, s, e, lambda: 1.0) if neg.may_occur(text) else None
                    assert (want and want.span()) == (got and got.span()), (neg.spec.name, s, e)
                found += want is not None
    assert found > 50


@pytest.mark.parametrize(("clause", "factors"), [
    ({"staging site", "staging copy", "staging build"}, ("staging ",)),
    ({"site for staging", "site in staging", "sites for staging"}, (" staging", "site")),
    ({"dev site"}, ("dev site",)),
    ({"and ", "or "}, ()),
    ({"ab", "abc"}, ()),
])
def test_common_factors(clause: set[str], factors: tuple[str, ...]) -> None:
    assert common_factors(frozenset(clause)) == factors


def test_a_clause_occurs_where_one_of_its_strings_does() -> None:
    """Random clauses over random long texts, a common piece found in few places or in many."""
    rng = random.Random(12)
    words = ["staging", "site", "store", "copy", "for", "in", "live", "prod", "a", "s"]
    checked = 0
    for _ in range(300):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(50, 1500)))
        text = normalize(body)
        head = rng.choice(["staging ", "site ", " in ", "x", ""])
        clause = frozenset(head + " ".join(rng.choice(words) for _ in range(rng.randint(0, 2))) + rng.choice(["", " for", "s"])
                           for _ in range(rng.randint(1, 6))) - {""}
        if not clause:
            continue
        for piece in common_factors(clause):
            assert all(piece in s for s in clause)
        places = max((text.lowered.count(f) for f in common_factors(clause)), default=0)
        checked += places > FACTOR_PLACES
        assert text.clause_occurs(clause) == any(s in text.lowered for s in clause), (clause, body[:200])
        assert text.clause_occurs(clause) == any(s in text.lowered for s in clause)
    assert checked > 20


def test_marker_counts_stay_right_when_the_memory_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    import plugin.core.language as language

    monkeypatch.setattr(language, "MAX_KNOWN_WORDS", 6)
    markers = language.WordMarkers(re.compile(r"\b(?:und|der|die)\b"))
    for text in ["und der die das ein eine und", "x y z und w v u t s der", "die die die a b c d e f g h"]:
        words = Counter(_RE_WORD.findall(text))
        assert markers.count(words) == len(markers.markers.findall(text))
        assert len(markers.known[0]) <= max(6, len(words))


@pytest.mark.parametrize(("source", "starts"), [
    (r"(?<!\blog ?in\b[^.]{0,30})\b(?:now|finally) works", {"now", "finally"}),
    (r"(?:\b(?:works now|(?<!said )all good)|problem (?:is )?fixed)", {"works now", "all good", "problem "}),
    (r"(?<=a)[xy]z+", {"x", "y"}),
    (r"\b(?:now|finally) works", None),   # no look-around first: the engine skips ahead by itself
    (r"(?<!a)(?:x|\w+)", None),           # a branch may start with any word character
    (r"(?<!a)(?:x)?y", {"x", "y"}),        # an optional first part, or what follows it
    (r"(?<!a)(?:x)?", None),               # ... and nothing follows: may be empty
    (r"(?<!a)(?i:x)", None),               # a flag of its own
    (r"(?=x)(?:)", None),                  # matches nothing but the empty string
])
def test_leading_literals(source: str, starts: set[str] | None) -> None:
    assert leading_literals(source) == (frozenset(starts) if starts is not None else None)


@pytest.mark.parametrize(("source", "starts"), [
    (r"(?:amazon has )?(?:Blocked|terminated) the", {"amazon has ", "blocked", "terminated"}),
    (r"\bstaging[ -]?mode\b", {"staging"}),
    (r"(?:x|\w+)y", None),                # a branch may start with any word character
    (r"verk(?:ä|ae)ufer", {"verk"}),
    (r"(?:ä|ae)ufer", None),               # a non-ASCII first string: str.lower and the regex may differ
    (r"(?i)abc", None),
])
def test_folded_starts(source: str, starts: set[str] | None) -> None:
    assert folded_starts(source) == (frozenset(starts) if starts is not None else None)


def test_search_from_the_first_folded_start_finds_the_same_on_random_regexes() -> None:
    """Random case-insensitive regexes, searched in a window from the first place one of their first
    strings occurs in the lowered text (search.scan), find what a search of the whole window finds."""
    tokens = ["a", "B", "ab", "Ba", "c", " ", "'", "\\b", "\\w", "(", ")", "(?:", "(?=", "(?!", "(?<=a)", "(?<!b )",
              "|", "|", "*", "+", "?", "{1,3}", "[ab]", "[^a]", ".", "^", "$"]
    rng = random.Random(12)
    texts = ["".join(rng.choice("aAb Bc'") for _ in range(rng.randint(0, 40))) for _ in range(40)]
    tried = found = 0
    for _ in range(4000):
        source = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 8)))
        try:
            compiled = regex.compile(source, regex.IGNORECASE)
        except regex.error:
            continue
        starts = folded_starts(source)
        if starts is None:
            continue
        finder = starts_finder(starts)
        tried += 1
        for text in texts:
            for s, e in ((0, len(text)), (3, max(3, len(text) - 2)), (len(text) // 2, len(text))):
                want = [m.span() for m in compiled.finditer(text, s, e)]
                first = finder.search(text.lower(), s, e)
                got = [] if first is None else [m.span() for m in compiled.finditer(text, first.start(), e)]
                found += bool(want)
                assert want == got, (source, text, s, e)
    assert tried > 300 and found > 1000


def test_first_match_is_the_search_on_random_regexes() -> None:
    """Random regexes opening with look-arounds: tried only where their first strings occur, they
    find what a search over the same window finds (look-behinds reach before the window)."""
    tokens = ["a", "b", "ab", "ba", "c", " ", "'", "\\b", "\\w", "(", ")", "(?:", "(?=", "(?!", "(?<=a)", "(?<!b )",
              "|", "|", "*", "+", "?", "{1,3}", "[ab]", "[^a]", ".", "^", "$"]
    rng = random.Random(11)
    texts = ["".join(rng.choice("ab c'") for _ in range(rng.randint(0, 40))) for _ in range(40)]
    tried = found = 0
    for _ in range(4000):
        body = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 8)))
        source = rng.choice(["(?<!a){}", "(?<=\\b)(?:{})", "(?:(?<!b)a|{})", "(?!ab)(?:{})b"]).format(body)
        try:
            compiled = regex.compile(source)
        except regex.error:
            continue
        starts = leading_literals(source)
        if starts is None:
            continue
        finder = starts_finder(starts)
        tried += 1
        for text in texts:
            for s, e in ((0, len(text)), (3, max(3, len(text) - 2)), (len(text) // 2, len(text))):
                want = compiled.search(text, s, e)
                got = first_match(compiled, finder, text, s, e, lambda: 1.0)
                found += want is not None
                assert (want and (want.span(), want.groups())) == (got and (got.span(), got.groups())), (source, text, s, e)
    assert tried > 300 and found > 1000


def test_negatives_tried_where_they_start_find_what_the_regex_finds(patterns: PatternSet) -> None:
    rng = random.Random(9)
    texts = [normalize(t) for t in _tickets()[::4]]
    long = normalize(" ".join(_tickets()[:40]))  # past SHORT_TEXT: searched whole, from their starts
    negatives = [n for p in patterns.error_patterns for n in p.negatives] + [n for f in patterns.fields for n in f.negatives]
    started = [n for n in negatives if n.starts is not None]
    assert len(started) > 20
    found = 0
    for text in [*texts, long]:
        for neg in started:
            for s, e in _windows(rng, text.lowered):
                want = neg.regex.search(text.lowered, s, e)
                got = first_match(neg.regex, neg.starts, text.lowered, s, e, lambda: 1.0)
                found += want is not None
                assert (want and want.span()) == (got and got.span()), (neg.spec.name, text.lowered[s:e])
    assert found > 50


def test_branches_tried_where_they_start_find_what_they_find_alone(patterns: PatternSet) -> None:
    rng = random.Random(10)
    texts = [normalize(t).lowered for t in _tickets()[::4]]
    branches = [b for p in patterns.error_patterns for n in p.negatives for b, _ in n.branches
                if leading_literals(b.source) is not None]
    assert len(branches) > 5
    found = 0
    for text in texts:
        for branch in branches:
            alone = regex.compile(branch.source)
            for s, e in _windows(rng, text):
                want = alone.search(text, s, e)
                got = branch.search(text, s, e, lambda: 1.0)
                found += want is not None
                assert (want and want.span()) == (got and got.span()), (branch.source[:40], text[s:e])
    assert found > 5

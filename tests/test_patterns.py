"""Loading pattern files: a broken file is reported by file, key and line, and never half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin.core.patterns import PatternSetError, load_patterns

VALID = '''id = "demo"
title = "Demo error"
article = "Demo section"
priority = 5

[[regex]]
name = "banner"
pattern = \'\'\'demo banner text\'\'\'
anchors = ["demo"]

[reply]
body = """Hi $first_name, do the demo steps."""

[examples]
match = ["the demo banner text appears", "DEMO BANNER TEXT", "x demo  banner\\ntext y"]
no_match = ["nothing here", "demo only", "banner text"]
'''


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_problems(directory: Path) -> list[str]:
    with pytest.raises(PatternSetError) as info:
        load_patterns(directory)
    return [str(e) for e in info.value.problems]


def test_valid_file_loads_with_default_tags(tmp_path: Path) -> None:
    write(tmp_path, "demo", VALID)
    ps = load_patterns(tmp_path)
    assert [p.id for p in ps.error_patterns] == ["demo"]
    assert ps.error_patterns[0].tags == ("amazon_error", "amazon_error_demo")
    assert ps.error_patterns[0].spec.reply.visibility == "internal"


def test_unchanged_files_give_the_set_already_compiled_and_an_edit_a_new_one(tmp_path: Path) -> None:
    write(tmp_path, "demo", VALID)
    first = load_patterns(tmp_path)
    assert load_patterns(tmp_path) is first  # nothing changed: no second compile
    write(tmp_path, "demo", VALID.replace("priority = 5", "priority = 6"))
    edited = load_patterns(tmp_path)
    assert edited is not first and edited.fingerprint != first.fingerprint
    assert edited.error_patterns[0].priority == 6
    write(tmp_path, "demo", VALID.replace("demo banner text", "demo banner [text"))
    assert any("regex" in p for p in load_problems(tmp_path))  # a broken edit is never served from the cache


def test_unknown_key_names_file_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", VALID.replace('anchors = ["demo"]', 'anchors = ["demo"]\nfuzzy = 2'))
    [message] = load_problems(tmp_path)
    assert message.startswith(f"{path}:10: regex[0].fuzzy: unknown key")
    assert "max_errors" in message


def test_bad_regex_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", VALID.replace("demo banner text", "demo (banner"))
    [message] = load_problems(tmp_path)
    assert message.startswith(f"{path}:8: regex[0].pattern: regex does not compile")


def test_toml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", VALID.replace('priority = 5', 'priority = = 5'))
    [message] = load_problems(tmp_path)
    assert message.startswith(f"{path}:4: not valid TOML")


def test_deeply_nested_toml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", VALID + "deep = " + "[" * 2000 + "]" * 2000 + "\n")
    [message] = load_problems(tmp_path)
    assert message.startswith(f"{path}:") and "nested too deeply" in message


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_bytes(VALID.encode() + b'note = "caf\xe9"\n')
    [message] = load_problems(tmp_path)
    line = VALID.count("\n") + 1
    assert message.startswith(f"{path}:{line}: cannot read the file: not UTF-8 text")


def test_id_must_equal_file_name(tmp_path: Path) -> None:
    write(tmp_path, "other", VALID)
    [message] = load_problems(tmp_path)
    assert "id 'demo' must equal the file name 'other'" in message


def test_missing_key_and_too_few_examples(tmp_path: Path) -> None:
    text = VALID.replace('title = "Demo error"\n', "").replace('"nothing here", ', "")
    messages = load_problems(write(tmp_path, "demo", text).parent)
    assert any(": title: Field required" in m for m in messages)
    assert any("examples.no_match" in m and "at least 3" in m for m in messages)


def test_unknown_placeholder_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "demo", VALID.replace("$first_name", "$first_nam"))
    [message] = load_problems(tmp_path)
    assert "reply" in message and "first_nam" in message


def test_negative_must_name_existing_regexes(tmp_path: Path) -> None:
    text = VALID + '\n[[negative]]\nname = "x"\npattern = "y"\nregexes = ["nope"]\n'
    write(tmp_path, "demo", text)
    [message] = load_problems(tmp_path)
    assert "unknown regexes ['nope']" in message


def test_fuzzy_needs_anchor_count_it_can_meet(tmp_path: Path) -> None:
    write(tmp_path, "demo", VALID.replace('anchors = ["demo"]', 'anchors = ["demo"]\nmin_anchors = 2'))
    [message] = load_problems(tmp_path)
    assert "min_anchors is 2 but only 1 anchors" in message


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "demo", VALID.replace("demo banner text", "demo (banner"))
    write(tmp_path, "second", VALID.replace('id = "demo"', 'id = "second"').replace("priority = 5", "priority = -1"))
    messages = load_problems(tmp_path)
    assert len(messages) == 2
    assert any("second.toml:4: priority" in m for m in messages)


def test_duplicate_zone_names_and_bad_zone(patterns_copy: Path) -> None:
    ts = patterns_copy / "fields" / "timestamp.toml"
    ts.write_text(ts.read_text().replace('utc = "+00:00"', 'utc = "Mars/Olympus"'))
    [message] = load_problems(patterns_copy)
    assert "zones.utc" in message and "Mars/Olympus" in message


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    assert "no pattern files" in load_problems(tmp_path)[0]
    assert "does not exist" in load_problems(tmp_path / "nope")[0]


def test_priority_orders_the_set(patterns) -> None:
    priorities = [p.priority for p in patterns.error_patterns]
    assert priorities == sorted(priorities)
    assert patterns.error_patterns[-1].id == "generic_error"
    assert patterns.get("generic_error").spec.escalation_fields

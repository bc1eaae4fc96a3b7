"""The amazon-triage command as admins use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main

from .conftest import free_port


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_check_passes_on_shipped_patterns() -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "8 error patterns, 5 field extractors" in result.output
    assert "OK: 0 error(s)" in result.output
    assert "generic_error" in result.output and "ms on the adversarial text" in result.output


def test_check_names_file_key_and_line_of_a_broken_file(patterns_copy: Path) -> None:
    path = patterns_copy / "staging_mode.toml"
    path.write_text(path.read_text().replace("window = 60", "window = 60\nwindw = 3", 1))
    result = run("check", "--patterns", str(patterns_copy), "--no-timing")
    assert result.exit_code == 1
    line = path.read_text().splitlines().index("windw = 3") + 1
    assert f"{path}:{line}: regex[0].windw: unknown key" in result.output


def test_check_reports_a_file_level_problem_without_an_empty_key(patterns_copy: Path) -> None:
    path = patterns_copy / "staging_mode.toml"
    path.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    result = run("check", "--patterns", str(patterns_copy), "--no-timing")
    assert result.exit_code == 1
    assert f"error: {path}:1: not valid TOML: arrays or tables nested too deeply" in result.output


def test_check_fails_on_an_example_that_no_longer_matches(patterns_copy: Path) -> None:
    path = patterns_copy / "contact_amazon.toml"
    path.write_text(path.read_text().replace('"The banner says Couldn\'t connect, contact Amazon."', '"Nothing to see here at all."'))
    result = run("check", "--patterns", str(patterns_copy), "--no-timing")
    assert result.exit_code == 1
    assert "contact_amazon.toml:" in result.output and "examples.match[0]: should match but does not" in result.output


def test_check_warns_when_an_example_matches_another_pattern(patterns_copy: Path) -> None:
    path = patterns_copy / "staging_mode.toml"
    both = "Amazon: seller account in staging mode, and The account connection timed out"
    path.write_text(path.read_text().replace("match = [\n", f'match = [\n  "{both}",\n', 1))
    result = run("check", "--patterns", str(patterns_copy), "--no-timing")
    assert result.exit_code == 0
    assert "warning:" in result.output and "also matches 'connection_timeout'" in result.output


def test_try_highlights_evidence_and_shows_the_comment() -> None:
    result = run("try", "Linking Amazon says: An error has occurred. Merchant ID A2EUQ1WTGCTBG2", "--first-name", "Jo")
    assert result.exit_code == 0
    assert ">>An error has occurred<<" in result.output
    assert "merchant ID: A2EUQ1WTGCTBG2" in result.output
    assert "last attempt: MISSING" in result.output
    assert "Hi Jo," in result.output


def test_try_reads_stdin_and_prints_json() -> None:
    result = run("try", "--json", input="Amazon: The account connection timed out")
    data = json.loads(result.output)
    assert [m["error"] for m in data["matches"]] == ["connection_timeout"]
    assert data["update"]["tags"][-1] == "amazon_triage_done"


def test_try_explains_dropped_hits() -> None:
    result = run("try", "An error has occurred when paying my invoice")
    assert "No known Amazon error found." in result.output
    assert "generic_error/banner" in result.output


def test_classify_jsonl_keeps_going_past_bad_lines(tmp_path: Path) -> None:
    src = tmp_path / "tickets.jsonl"
    src.write_text(
        '{"id": 1, "subject": "Amazon", "description": "The account connection timed out"}\n'
        "{not json\n"
        '{"id": "abc", "description": "x"}\n'
        "\n"
        '{"id": "2", "description": "Hello, where is my invoice?"}\n'
    )
    result = run("classify", str(src))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["id"] == 1 and records[0]["matches"][0]["error"] == "connection_timeout"
    assert records[0]["escalation"] == {"required": False, "merchant_id": None, "timestamp": None,
                                        "timestamp_utc": None, "missing": [], "checks": {}}
    assert records[1]["line"] == 2 and "not valid JSON" in records[1]["error"]
    assert records[2] == {"line": 3, "error": "'id' must be a ticket number, got 'abc'"}
    assert records[3]["id"] == 2 and records[3]["matches"] == [] and records[3]["update"] is None
    assert "2 input line(s) could not be read" in result.stderr and result.exit_code == 1
    assert f"{src}:2: not valid JSON" in result.stderr and f"{src}:3: 'id' must be a ticket number" in result.stderr


def test_classify_names_lines_that_are_not_utf8_and_reads_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"id": 3, "description": "Amazon: The account connection timed out"}\n'
                    b'{"id": 4, "description": "caf\xe9"}\n' + bytes(range(256)) + b"\n")
    result = run("classify", str(src))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["id"] == 3 and records[0]["matches"][0]["error"] == "connection_timeout"
    assert records[1]["line"] == 2 and "not UTF-8" in records[1]["error"] and records[2]["line"] == 3
    assert f"{src}:2: not UTF-8 text" in result.stderr and "Traceback" not in result.output


def test_classify_keeps_a_ticket_whole_across_unicode_line_separators(tmp_path: Path) -> None:
    src = tmp_path / "t.jsonl"
    ticket = {"id": 5, "description": "first\u2028second\x0cthird\x1c Amazon: The account connection timed out"}
    src.write_text(json.dumps(ticket, ensure_ascii=False) + "\n" + json.dumps({"id": 6, "description": "hi"}) + "\n",
                   encoding="utf-8")
    result = run("classify", str(src))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0, "every line was read"
    assert [r.get("id") for r in records] == [5, 6] and records[0]["matches"][0]["error"] == "connection_timeout"


def test_classify_says_when_a_file_holds_no_tickets(tmp_path: Path) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_text("")
    result = run("classify", str(src))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"{src}: no tickets found" in result.stderr


def test_classify_reads_a_zendesk_export_from_stdin() -> None:
    export = {"tickets": [
        {"id": 11, "subject": "Amazon link", "description": "An error has occurred when I connect Amazon", "tags": ["vip"]},
        {"id": 12, "subject": "Hi", "description": "Thanks!"},
    ]}
    result = run("classify", "-", input=json.dumps(export, indent=2))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == [11, 12]
    assert records[0]["escalation"]["required"] is True
    assert records[0]["escalation"]["missing"] == ["merchant_id", "timestamp"]
    assert "amazon_escalation_missing_merchant_id" in records[0]["update"]["tags"]


def test_broken_patterns_stop_try_with_a_clear_message(patterns_copy: Path) -> None:
    (patterns_copy / "staging_mode.toml").write_text("id = ")
    result = CliRunner().invoke(main, ["try", "x", "--patterns", str(patterns_copy)])
    assert result.exit_code == 2
    assert "staging_mode.toml:1: not valid TOML" in result.output


@pytest.mark.parametrize(("env", "message"), [
    ({"DATABASE_URL": "nope://"}, "database error (NoSuchModuleError, check DATABASE_URL)"),
    ({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:{port}/none"}, "check DATABASE_URL"),
    ({"INSTANCE_PATH": "/proc/amazon-triage-cannot-be-here"}, "cannot create INSTANCE_PATH"),
])
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_stop_with_a_message_when_the_store_cannot_work(tmp_path: Path, spawn, command: str, env, message) -> None:
    """In a child process, so a regression fails on the time limit instead of serving inside the test."""
    env = {"INSTANCE_PATH": str(tmp_path / "instance"), **{k: v.format(port=free_port()) for k, v in env.items()}}
    proc = spawn([command, "--port", str(free_port())] if command == "serve" else [command], env)
    assert proc.proc.wait(timeout=60) in (1, 2)
    output = proc.output()
    assert message in output and "Traceback" not in output, output


def test_classify_reads_a_wrapped_ticket_and_names_objects_without_text(tmp_path: Path) -> None:
    # Zendesk's GET /api/v2/tickets/N.json and the trigger webhook's body both wrap the ticket in {"ticket": ...}:
    # reading them as a ticket without text said "no match" for a ticket that plainly matches.
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"ticket": {"id": 21, "subject": "Amazon", "description": "Amazon says: staging mode"}}) + "\n"
                   + json.dumps({"id": 22, "comment": "no text field here"}) + "\n")
    result = run("classify", str(src))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["id"] == 21 and records[0]["matches"][0]["error"] == "staging_mode"
    assert records[1]["line"] == 2 and records[1]["error"].startswith("no ticket text: expected 'subject' and/or 'description'")
    assert f"{src}:2: no ticket text" in result.stderr
    whole = run("classify", "-", input=json.dumps({"ticket": {"id": 23, "description": "Amazon: staging mode"}}, indent=2))
    assert json.loads(whole.stdout)["matches"][0]["error"] == "staging_mode"


def test_reload_says_why_the_service_refused(make_app, monkeypatch) -> None:
    import threading

    from werkzeug.serving import make_server

    def serving(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    monkeypatch.setenv("ADMIN_TOKEN", "admin-token-for-tests")
    off = serving(make_app())  # the service runs without ADMIN_TOKEN: its /admin/api is off
    on = serving(make_app(ADMIN_TOKEN="admin-token-for-tests"))
    try:
        refused = CliRunner().invoke(main, ["reload", "--url", f"http://127.0.0.1:{off.server_port}"])
        assert refused.exit_code == 1 and "answered 404" in refused.output and "set ADMIN_TOKEN" in refused.output
        done = CliRunner().invoke(main, ["reload", "--url", f"http://127.0.0.1:{on.server_port}"])
        assert done.exit_code == 0 and done.output.startswith("reloaded: patterns ")
    finally:
        off.shutdown()
        on.shutdown()
    gone = CliRunner().invoke(main, ["reload", "--url", f"http://127.0.0.1:{off.server_port}"])
    assert gone.exit_code == 1 and "is the service running there?" in gone.output

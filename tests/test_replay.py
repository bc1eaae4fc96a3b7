"""`amazon-triage replay`: hits, agreement with agents' tags, and what an edit gains or loses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from plugin.cli import main

from .test_registry import NEW_TEXT, add_pattern

TICKETS = [
    {"id": 1, "subject": "Amazon", "description": "Amazon: The account connection timed out.", "tags": ["amazon_error_connection_timeout"]},
    {"id": 2, "subject": "Amazon", "description": "Connecting Amazon: An error has occurred", "tags": ["amazon_error_generic_error"]},
    {"id": 3, "subject": "Amazon", "description": "My Amazon seller account is in staging mode", "tags": []},
    {"id": 4, "subject": "Q", "description": "Where is my invoice?", "tags": ["amazon_error_contact_amazon"]},
    {"id": 5, "subject": "Amazon", "description": "Amazon: The account connection timed out.", "tags": ["amazon_triage_done", "amazon_error_connection_timeout"]},
    {"id": 6, "subject": "Z", "description": NEW_TEXT, "tags": []},
]


def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"tickets": TICKETS}))
    return path


def test_replay_reports_hits_and_precision_recall(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["replay", str(export(tmp_path)), "--json"])
    data = json.loads(result.stdout)
    assert data["tickets"] == 6 and data["labelled_by_agents"] == 3 and data["excluded_from_scores"] == 1
    reps = {p["error"]: p for p in data["patterns"]}
    assert reps["connection_timeout"]["hits"] == 2 and reps["connection_timeout"]["precision"] == 1.0
    assert reps["staging_mode"]["fp"] == 1 and reps["staging_mode"]["precision"] == 0.0
    assert reps["contact_amazon"]["fn"] == 1 and reps["contact_amazon"]["recall"] == 0.0
    assert reps["generic_error"]["samples"] == [{"ticket": 2, "evidence": "An error has occurred"}]


def test_replay_against_old_patterns_shows_gains_and_losses(tmp_path: Path, patterns_copy: Path) -> None:
    add_pattern(patterns_copy)
    result = CliRunner().invoke(main, ["replay", str(export(tmp_path)), "--patterns", str(patterns_copy),
                                       "--against", str(Path(__file__).parent.parent / "patterns")])
    assert result.exit_code == 0, result.output
    assert "staging_mode" in result.output and "gains: #6" in result.output
    assert "losses" not in result.output


def test_replay_reads_jsonl_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(TICKETS[0]) + "\n{broken\n" + json.dumps(TICKETS[3]) + "\n")
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 0
    assert "Replayed 2 tickets" in result.stdout
    assert "t.jsonl:2: skipped: not valid JSON" in result.stderr


def test_replay_of_a_binary_file_names_its_lines_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(bytes(range(256)) * 4)
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 0 and result.exception is None
    assert f"{path}:2: skipped: not UTF-8 text" in result.stderr and "Replayed 0 tickets" in result.stdout


def test_replay_without_agent_tags_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": 1, "description": "Amazon: The account connection timed out."}) + "\n")
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert "precision and recall are not computed" in result.stdout

"""LOG_FORMAT=json: one JSON object a line, with invocation and ticket ids; no ticket text, secrets or query strings."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from plugin import logs

from .conftest import SECRET, signed_headers, trigger_body, wait_for
from .fake_zendesk import FakeZendesk

SENTINEL = "Couldn't connect, contact Amazon. My card is 4111-1111-1111-1111 zebra-sentinel"


def test_json_lines_carry_the_context_ids(capsys) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    logs.setup("json")
    try:
        logs.INVOCATION_ID.set("inv-1")
        logs.bind_ticket(42)
        logging.getLogger("plugin.test").info("ticket %s: done", 42)
    finally:
        for handler in root.handlers:
            handler.flush()  # INFO lines are written in batches (see the next test)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logs.INVOCATION_ID.set(None)
        logs.TICKET_ID.set(None)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["invocation_id"] == "inv-1" and record["ticket_id"] == 42
    assert record["level"] == "INFO" and record["logger"] == "plugin.test" and record["message"] == "ticket 42: done"


class CountingStream:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)

    def flush(self) -> None:
        pass


def test_info_lines_are_written_together_and_a_warning_at_once_after_them() -> None:
    stream = CountingStream()
    handler = logs.BatchedStreamHandler(stream, delay=0.2)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.Logger("batched")
    logger.addHandler(handler)
    for i in range(5):
        logger.info("line %d", i)
    assert stream.writes == []  # not yet: they wait to share one write
    wait_for(lambda: stream.writes, timeout=5, interval=0.01)
    assert stream.writes == ["".join(f"INFO line {i}\n" for i in range(5))]
    logger.info("before")
    logger.warning("now")  # written at once, after the line before it, in one write
    assert stream.writes[1:] == ["INFO before\nWARNING now\n"]
    logger.info("last")
    handler.flush()  # what logging does at exit
    assert stream.writes[2:] == ["INFO last\n"]


@pytest.mark.parametrize(("header", "kept"), [("01HX5Z8K6J", "01HX5Z8K6J"), ("a b\nc", None), ("x" * 101, None), (None, None)])
def test_only_id_shaped_invocation_headers_are_logged(header, kept) -> None:
    assert logs.safe_invocation_id(header) == kept


@pytest.mark.slow
def test_service_logs_are_json_without_ticket_text_secrets_or_query_strings(service_config, start_server,
                                                                            fake_zendesk: FakeZendesk) -> None:
    proc, base = start_server({**service_config, "LOG_FORMAT": "json", "ADMIN_TOKEN": "admin-token-0123456789abcdef"},
                              probe="/healthz?token=query-secret-value")
    fake_zendesk.add_ticket(8, "Amazon", SENTINEL)
    body = trigger_body(8, subject="Amazon", description=SENTINEL)
    headers = signed_headers(body, invocation="inv-logs-8")
    assert requests.post(f"{base}/webhooks/zendesk", data=body, headers=headers, timeout=5).status_code == 202
    bad = {**headers, "X-Zendesk-Webhook-Signature": "forged"}
    assert requests.post(f"{base}/webhooks/zendesk", data=body, headers=bad, timeout=5).status_code == 401
    wait_for(lambda: len(fake_zendesk.writes(8)) == 1)
    wait_for(lambda: '"ticket_id": 8' in proc.output() and "done" in proc.output())
    proc.stop()

    output = proc.output()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is one JSON object
    assert any(r.get("invocation_id") == "inv-logs-8" and r.get("ticket_id") == 8 for r in records), output
    assert any(r["logger"].startswith("plugin.triage") and r.get("ticket_id") == 8
               and r.get("invocation_id") == "inv-logs-8" for r in records), output
    assert any(r["logger"] == "plugin.access" and "/healthz " in r["message"] for r in records)
    for secret in ("zebra-sentinel", "4111-1111", SECRET, "api-token-test", "admin-token-0123456789abcdef",
                   "query-secret-value", "forged"):
        assert secret not in output, secret

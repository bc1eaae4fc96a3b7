"""Whatever a comment_added or tags_changed event carries, the webhook answers 2xx or 4xx, never 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .conftest import signed_headers
from .test_webhook_fuzz import JSONISH

IDISH = JSONISH | st.sampled_from(["12", "²", "١٢", "-1", "99999999999999999999999", "0"])
CHANGE = st.fixed_dictionaries(
    {"type": st.sampled_from(["zen:event-type:ticket.comment_added", "zen:event-type:ticket.tags_changed"]),
     "detail": st.dictionaries(st.sampled_from(["id", "tags", "subject", "actor_id", "updated_at"]), IDISH) | JSONISH,
     "event": st.fixed_dictionaries({}, optional={
         "comment": st.dictionaries(st.sampled_from(["id", "body", "is_public", "author"]),
                                    IDISH | st.dictionaries(st.just("id"), IDISH)) | JSONISH,
         "tags_added": st.lists(st.text(max_size=20), max_size=3) | JSONISH,
         "tags_removed": st.lists(st.text(max_size=20), max_size=3) | JSONISH}) | JSONISH},
    optional={"id": JSONISH})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=CHANGE)
@example(event={"type": "zen:event-type:ticket.comment_added", "detail": {"id": "1"}, "event": {"comment": {"id": "²"}}})
@example(event={"type": "zen:event-type:ticket.tags_changed", "detail": {"id": "1"}, "event": {}})
@example(event={"type": "zen:event-type:ticket.tags_changed", "detail": {"id": "1"}, "event": {"tags_added": "x\ud800"}})
def test_change_events_never_answer_5xx(client, event: dict) -> None:
    body = json.dumps(event).encode()
    r = client.post("/webhooks/zendesk", data=body, headers=signed_headers(body))
    assert r.status_code < 500 and r.is_json
    if r.status_code >= 400:
        assert "error" in r.get_json()

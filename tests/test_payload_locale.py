"""A trigger payload may carry the requester's locale: it reaches the ticket the core classifies."""

from __future__ import annotations

from plugin.core.tickets import ticket_from_mapping
from plugin.web.payloads import parse_delivery


def test_requester_locale_travels_from_the_payload_to_the_ticket() -> None:
    delivery = parse_delivery({"ticket": {"id": "12", "description": "x", "requester_locale": "fr-CA"}})
    assert delivery.ticket.requester_locale == "fr-CA"
    assert ticket_from_mapping({"id": 12, **delivery.ticket.to_json()}).locale == "fr-CA"


def test_the_trigger_body_carries_the_requesters_language_and_the_reply_follows_it(patterns) -> None:
    """Zendesk fills {{ticket.requester.language}} with the language's name; an English ticket from a
    requester whose Zendesk language is German gets its reply in German."""
    import json

    from plugin.core.classify import classify
    from plugin.zendesk_setup import TRIGGER_BODY

    template = json.dumps(TRIGGER_BODY)
    assert "{{ticket.requester.language}}" in template
    filled = {"{{ticket.id}}": "31", "{{ticket.title}}": "Amazon",
              "{{ticket.description}}": "Amazon says my seller account might still be in staging mode",
              "{{ticket.requester.first_name}}": "Lena", "{{ticket.requester.language}}": "Deutsch",
              "{{ticket.created_at_with_timestamp}}": "2026-11-20T10:00:00Z"}
    for placeholder, value in filled.items():
        template = template.replace(placeholder, value)
    delivery = parse_delivery(json.loads(template))
    ticket = ticket_from_mapping({"id": 31, **delivery.ticket.to_json()})
    result = classify(ticket, patterns)
    assert list(result.detection.matched) == ["staging_mode"]
    assert (result.language, result.reply_language) == ("en", "de")

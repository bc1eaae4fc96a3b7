"""A trigger payload may carry the requester's locale: it reaches the ticket the core classifies."""

from __future__ import annotations

from plugin.core.tickets import ticket_from_mapping
from plugin.web.payloads import parse_delivery


def test_requester_locale_travels_from_the_payload_to_the_ticket() -> None:
    delivery = parse_delivery({"ticket": {"id": "12", "description": "x", "requester_locale": "fr-CA"}})
    assert delivery.ticket.requester_locale == "fr-CA"
    assert ticket_from_mapping({"id": 12, **delivery.ticket.to_json()}).locale == "fr-CA"

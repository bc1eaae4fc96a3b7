import pytest

from plugin.core.tickets import TicketDataError, parse_ticket_id, ticket_from_mapping


@pytest.mark.parametrize(("value", "expected"), [(5, 5), ("42", 42), (" 7 ", 7)])
def test_ticket_ids_as_numbers_or_strings(value, expected) -> None:
    assert parse_ticket_id(value) == expected


@pytest.mark.parametrize("value", [None, "", "abc", "{{ticket.id}}", -3, 0, True, 1.5, [], "9" * 30,
                                   "\u00b2", "\u0661\u0662", "\uff11", "1" * 5000])
def test_bad_ticket_ids(value) -> None:
    with pytest.raises(TicketDataError):
        parse_ticket_id(value)


def test_ticket_from_export_row() -> None:
    t = ticket_from_mapping({"id": 3, "subject": "S", "description": "D", "tags": "a b", "created_at": "2026-11-26T10:00:00Z"})
    assert (t.id, t.subject, t.description, t.tags) == (3, "S", "D", ("a", "b"))
    assert t.created_at is not None and t.created_at.utcoffset().total_seconds() == 0
    assert t.text == "S\n\nD"


@pytest.mark.parametrize("data", [[], "x", {"id": 1, "subject": 5}, {"id": 1, "tags": [1, 2]}])
def test_bad_ticket_shapes(data) -> None:
    with pytest.raises(TicketDataError):
        ticket_from_mapping(data)


def test_locale_brand_and_form_are_read() -> None:
    from plugin.core.tickets import ticket_from_mapping

    t = ticket_from_mapping({"id": 3, "description": "x", "locale": "de-CH", "brand_id": 77, "ticket_form_id": "5"})
    assert (t.locale, t.brand_id, t.form_id) == ("de-CH", 77, 5)

"""One definition of a table's row, shared by listing.py (status rows) and shops.py (a row is its shop's)."""

from __future__ import annotations

import pytest

from plugin.core.tables import is_row, row_at

STATUS = "Shop | Marketplace | Status\nShop A | amazon.de | connected\nShop B | amazon.fr | Couldn't connect, contact Amazon"


def _line(source: str, n: int) -> tuple[int, int]:
    start = 0
    for _ in range(n):
        start = source.index("\n", start) + 1
    end = source.find("\n", start)
    return start, len(source) if end < 0 else end


@pytest.mark.parametrize("n", [0, 1, 2])
def test_every_line_of_a_status_table_is_a_row(n: int) -> None:
    assert row_at(STATUS, *_line(STATUS, n))


@pytest.mark.parametrize("source", [
    # A sentence with an aside between bars has no neighbour row with as many cells.
    "We tried again | no luck | same banner\nThanks, Anna",
    # Two cells are a label and its value, not a table.
    "Shop A\tconnected\nShop B\tfailing",
])
def test_a_line_alone_or_two_cells_is_no_row(source: str) -> None:
    assert not row_at(source, *_line(source, 0))


def test_tabs_and_full_width_bars_part_cells_too() -> None:
    assert is_row(["店舗｜マーケット｜状態", "店舗A｜amazon.co.jp｜エラー"], 1)
    assert is_row(["Shop\tMarket\tStatus", "B\tamazon.fr\tKO"], 0)

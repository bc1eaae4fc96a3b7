"""Server-side SVG charts: well-formed, scaled to the data, escaped, no script or style."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from plugin.web.charts import Step, bars_by_day, funnel, nice_ceiling, swatch, ticks

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (250, 500)])
def test_nice_ceiling(value, top) -> None:
    assert nice_ceiling(value) == top


def test_stacked_bars_scale_to_the_busiest_day() -> None:
    a, b = [0] * 30, [0] * 30
    a[0], a[29], b[29] = 2, 3, 2  # the busiest day has 5
    svg = parse(bars_by_day(DAYS, {"generic_error": a, "<script>": b}, "Tickets per day", "per-day"))
    assert svg.get("viewBox") == "0 0 720 300" and svg.get("width") == "100%" and svg.get("role") == "img"
    rects = svg.findall(f"{SVG}rect")
    assert len(rects) == 3
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in rects}
    assert heights["2026-11-30: generic_error 3"] + heights["2026-11-30: <script> 2"] == pytest.approx(242)  # the plot is 300 - 14 - 44 high
    assert heights["2026-11-01: generic_error 2"] == pytest.approx(242 * 2 / 5)
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert "Nov 1" in labels and "Nov 30" in labels and "5" in labels
    text = str(bars_by_day(DAYS, {"<script>": b}, "x", "y"))
    assert "<script>" not in text and "style=" not in text


def test_side_by_side_bars() -> None:
    svg = parse(bars_by_day(DAYS[:2], {"dead": [1, 0], "retried": [1, 2]}, "Reliability", "rel", stacked=False))
    rects = svg.findall(f"{SVG}rect")
    assert len(rects) == 3 and rects[0].get("y") == rects[1].get("y")  # day 1: two bars of 1, side by side


def test_funnel_bars_and_an_unknown_step() -> None:
    ol = parse(funnel([Step("Flagged", 10), Step("Completed <later>", None, "needs follow-ups"), Step("Ready", 4)],
                      "Escalations", "funnel"))
    assert ol.tag == "ol" and ol.get("aria-label") == "Escalations"
    items = ol.findall("li")
    assert [i.find("span").text for i in items] == ["Flagged", "Completed <later>", "Ready"]
    assert [i.find("span[@class='n']").text for i in items] == ["10", "?", "4 (40%)"]
    assert items[1].find("span[@class='why']").text == "needs follow-ups"
    assert [i.find("svg/rect").get("width") for i in (items[0], items[2])] == ["100.0%", "40.0%"]
    assert "style=" not in str(funnel([Step("a", 1)], "x", "y"))


@pytest.mark.parametrize(("top", "expected"), [(1, [0, 1]), (2, [0, 1, 2]), (5, [0, 1, 2, 3, 4, 5]),
                                               (10, [0, 2, 4, 6, 8, 10]), (20, [0, 5, 10, 15, 20]), (50, [0, 10, 20, 30, 40, 50])])
def test_gridlines_are_whole_numbers(top, expected) -> None:
    assert ticks(top) == expected


def test_swatch_is_an_svg_square() -> None:
    assert parse(swatch(1)).find("rect").get("fill") == "#E69F00"

"""Charts as inline SVG, drawn on the server: no script, no CDN, the page works offline.

Each chart scales with its container (``width="100%"`` and a viewBox), colours and sizes are SVG
attributes (no ``style``, so a strict Content-Security-Policy allows them), every mark has a
``<title>`` tooltip, and the numbers are also given as a table for screen readers and copy-paste.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

# Okabe & Ito's colour-blind-safe palette, then a few more distinct hues.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#7F7F7F", "#882255")
WIDTH = 720
FONT = 22
AXIS = "#5f6b76"


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^k that is at least ``value`` (at least 1): a round axis top."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return int(step * exp)
    return int(10 * exp)


def ticks(top: int) -> list[int]:
    """Whole-number gridlines from 0 to ``top`` (a nice ceiling): 3 to 6 of them."""
    mantissa = top / 10 ** math.floor(math.log10(top))
    step = max(1, top // (4 if mantissa == 2 else 5))
    return list(range(0, top + 1, step))


def _svg(height: int, label: str, body: list[str], chart_id: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" width="100%" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">'
        f'<title id="{escape(chart_id)}-title">{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def bars_by_day(days: Sequence[date], series: Mapping[str, Sequence[int]], label: str, chart_id: str,
                stacked: bool = True) -> Markup:
    """Bars per day: one stack per day (``stacked``) or the series side by side."""
    height, left, right, top, bottom = 300, 52, 8, 14, 44
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(s[i] for s in series.values()) if stacked else max([s[i] for s in series.values()] or [0])
              for i in range(len(days))]
    top_value = nice_ceiling(max(totals or [0]))
    slot = plot_w / max(len(days), 1)
    body: list[str] = []
    for value in ticks(top_value):
        y = top + plot_h * (1 - value / top_value)
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dcde" stroke-width="1"/>')
        body.append(f'<text x="{left - 8}" y="{y + 7:.1f}" text-anchor="end" fill="{AXIS}">{value}</text>')
    last = len(days) - 1
    labelled = {i for i in range(0, last, 7) if last - i >= 4} | {last}
    names = list(series)
    for i, day in enumerate(days):
        x0 = left + i * slot + slot * 0.12
        width = slot * 0.76
        base = top + plot_h
        for k, name in enumerate(names):
            n = series[name][i]
            if not n:
                continue
            h = plot_h * n / top_value
            tip = escape(f"{day.isoformat()}: {name} {n}")
            if stacked:
                base -= h
                x, w, y = x0, width, base
            else:
                w = width / len(names)
                x, y = x0 + k * w, top + plot_h - h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour(k)}">'
                        f"<title>{tip}</title></rect>")
        if i in labelled:
            anchor = "end" if i == last else "start" if i == 0 else "middle"
            x_text = left + (i + 1) * slot if anchor == "end" else left + i * slot if anchor == "start" else x0 + width / 2
            body.append(f'<text x="{x_text:.1f}" y="{height - 10}" text-anchor="{anchor}" fill="{AXIS}">'
                        f"{escape(day_label(day))}</text>")
    body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{AXIS}" stroke-width="1.5"/>')
    return _svg(height, label, body, chart_id)


@dataclass(frozen=True)
class Step:
    label: str
    value: int | None
    """None: not known yet (shown as "?" with the reason in ``note``)."""
    note: str = ""


def funnel(steps: Sequence[Step], label: str, chart_id: str) -> Markup:
    """One bar per step, widest first: how many tickets reach each step.

    Text is HTML (it wraps and keeps its size on a phone); each bar is an SVG whose rectangle's width is a
    percentage attribute, so no style attribute is needed.
    """
    widest = max([s.value or 0 for s in steps] + [1])
    items: list[str] = []
    for i, step in enumerate(steps):
        if step.value is None:
            items.append(f'<li class="unknown"><span class="step">{escape(step.label)}</span>'
                         f'<span class="why">{escape(step.note or "not known yet")}</span><span class="n">?</span></li>')
            continue
        pct = 100 * step.value / widest
        share = f" ({pct:.0f}%)" if i else ""
        items.append(
            f'<li><span class="step">{escape(step.label)}</span>'
            f'<svg class="bar" width="100%" height="28" aria-hidden="true" focusable="false">'
            f'<rect width="{max(pct, 0.5):.1f}%" height="28" fill="{colour(i)}"/></svg>'
            f'<span class="n">{step.value}{escape(share)}</span></li>'
        )
    return Markup(f'<ol class="funnel" id="{escape(chart_id)}" aria-label="{escape(label)}">' + "".join(items) + "</ol>")


def swatch(i: int) -> Markup:
    """A small colour square for a legend entry (an SVG: no style attribute needed)."""
    return Markup(f'<svg width="14" height="14" aria-hidden="true" focusable="false"><rect width="14" height="14" '
                  f'fill="{colour(i)}"/></svg>')

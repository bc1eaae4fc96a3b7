"""Draw the app's icons (a funnel with a tick: triage done) without an image library.

Run ``python -m plugin.app_package.logo zendesk_app/assets`` to write logo.png (320x320, opaque: Zendesk
rounds the corners itself) and logo-small.png (128x128, transparent background), the sizes Zendesk's
"Create app brand assets" page asks for.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .png import encode_rgba

NAVY, WHITE, ORANGE = (35, 47, 62), (255, 255, 255), (255, 153, 0)
FUNNEL = ((0.18, 0.2), (0.82, 0.2), (0.57, 0.5), (0.57, 0.76), (0.43, 0.84), (0.43, 0.5))
BADGE = (0.72, 0.72, 0.19)  # centre x, centre y, radius
TICK = ((0.635, 0.725), (0.7, 0.79), (0.81, 0.655))
SIZES = {"logo.png": (320, False), "logo-small.png": (128, True)}


def _inside(poly: tuple[tuple[float, float], ...], x: float, y: float) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def _near_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float], width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width * width


def _sample(x: float, y: float, transparent: bool) -> tuple[int, int, int, int] | None:
    cx, cy, r = BADGE
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    if d2 <= r * r:
        if any(_near_segment(x, y, a, b, 0.028) for a, b in zip(TICK, TICK[1:], strict=False)):
            return (*WHITE, 255)
        return (*ORANGE, 255)
    if d2 <= (r + 0.035) ** 2:  # a ring that separates the badge from the funnel
        return None if transparent else (*NAVY, 255)
    if _inside(FUNNEL, x, y):
        return (*(NAVY if transparent else WHITE), 255)
    return None if transparent else (*NAVY, 255)


def draw(size: int, transparent: bool, samples: int = 3) -> bytes:
    """The icon as PNG bytes, anti-aliased by averaging ``samples``² points per pixel."""
    rows = []
    step = 1.0 / (size * samples)
    for py in range(size):
        row = bytearray()
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    c = _sample((px * samples + sx + 0.5) * step, (py * samples + sy + 0.5) * step, transparent)
                    if c is not None:
                        for i in range(3):
                            acc[i] += c[i] * c[3]
                        acc[3] += c[3]
            alpha = acc[3] // (samples * samples)
            row += bytes((acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3], alpha)) if acc[3] else b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return encode_rgba(size, size, rows)


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "zendesk_app/assets")
    for name, (size, transparent) in SIZES.items():
        (out / name).write_bytes(draw(size, transparent))
        print(f"wrote {out / name} ({size}x{size})")


if __name__ == "__main__":
    main(sys.argv[1:])

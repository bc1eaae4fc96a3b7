"""Just enough PNG for the app's icons: read a file's size and type, write an RGBA image (stdlib only)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOR_TYPES = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}


class NotPNG(ValueError):
    """The bytes are not a PNG image; the message says what is wrong."""


@dataclass(frozen=True)
class PNGInfo:
    width: int
    height: int
    bit_depth: int
    color_type: int

    @property
    def has_alpha(self) -> bool:
        return self.color_type in (4, 6)


def info(data: bytes) -> PNGInfo:
    """Size and colour type from the IHDR chunk, which a PNG must start with."""
    if not data.startswith(SIGNATURE):
        raise NotPNG("not a PNG file (the PNG signature is missing)")
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise NotPNG("truncated PNG (no IHDR header)")
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    if color not in COLOR_TYPES or width == 0 or height == 0:
        raise NotPNG("corrupt PNG header")
    return PNGInfo(width, height, depth, color)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def encode_rgba(width: int, height: int, rows: Sequence[bytes]) -> bytes:
    """An 8-bit RGBA PNG from ``height`` rows of ``4 * width`` bytes each."""
    if len(rows) != height or any(len(r) != 4 * width for r in rows):
        raise ValueError("rows do not match the size")
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return (SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def solid(width: int, height: int, rgba: tuple[int, int, int, int] = (0, 0, 0, 255)) -> bytes:
    """A one-colour image (tests use it for icons of the wrong size)."""
    return encode_rgba(width, height, [bytes(rgba) * width] * height)

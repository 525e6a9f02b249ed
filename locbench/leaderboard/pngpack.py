"""Small palette PNGs for the grid maps, written directly (IHDR, PLTE, tRNS, IDAT, IEND).

Why not Pillow's writer: the 587 grid maps of a version are inline base64 PNGs (0.97 MB); Pillow compresses
with one zlib setting, and trying a few (scanline filter none/up x zlib strategy default/filtered/RLE) and
keeping the smallest makes them a quarter smaller. The pixels are unchanged; every try is deterministic, so
the same grid always gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _scanlines(index: np.ndarray, bits: int) -> np.ndarray:
    """Rows of `index` packed `bits` per pixel, most significant first (PNG's order), as uint8."""
    h, w = index.shape
    per = 8 // bits
    a = np.pad(index.astype(np.uint8), ((0, 0), (0, (-w) % per))).reshape(h, -1, per)
    shifts = (8 - bits * (np.arange(per) + 1)).astype(np.uint8)
    return np.bitwise_or.reduce(a << shifts, axis=2).astype(np.uint8)


def _smallest_idat(rows: np.ndarray) -> bytes:
    """The smallest zlib stream over filter none / up (same for every row) and three zlib strategies."""
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # uint8 arithmetic wraps modulo 256, as the filter defines
    best = b""
    for ftype, data in ((0, rows), (2, up)):
        raw = np.hstack([np.full((data.shape[0], 1), ftype, np.uint8), data]).tobytes()
        for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_RLE):
            c = zlib.compressobj(9, zlib.DEFLATED, 15, 9, strategy)
            z = c.compress(raw) + c.flush()
            if not best or len(z) < len(best):
                best = z
    return best


def palette_png(index: np.ndarray, colours: list[str]) -> bytes:
    """A palette PNG of class indices (row 0 on top): 0 is transparent, i is colours[i - 1] ("#rrggbb"); the
    fewest bits per pixel that hold the classes and only the colours used."""
    if index.ndim != 2 or index.size == 0 or int(index.max()) > len(colours):
        raise ValueError(f"class indices of shape {index.shape} do not fit {len(colours)} colour(s)")
    bits = next(b for b in (1, 2, 4, 8) if len(colours) + 1 <= 2 ** b)
    h, w = index.shape
    palette = bytes([0, 0, 0] + [int(c[i:i + 2], 16) for c in colours for i in (1, 3, 5)])
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, 3, 0, 0, 0))
            + _chunk(b"PLTE", palette) + _chunk(b"tRNS", b"\x00")
            + _chunk(b"IDAT", _smallest_idat(_scanlines(index, bits))) + _chunk(b"IEND", b""))

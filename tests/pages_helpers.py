"""Test images: real PNG files (the phone-camera stand-in), built with zlib alone."""

from __future__ import annotations

import struct
import zlib


def png_bytes(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """An RGB PNG with a colour gradient; ``seed`` shifts the colours so two images differ."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 4 + seed) % 256, (y * 4) % 256, (x + y + seed) % 256))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

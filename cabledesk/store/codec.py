"""Compact JSON for the ingest's write path (stored records, index documents), via orjson.

The ingest serialises every cable's text three times (the stored record, the cable document, the
paragraph documents); the stdlib encoder made that a fifth of a parser worker's time at Cablegate
scale, orjson a tenth of that (BENCHMARKS.md, issue 8). Output is the stdlib's
``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` text. orjson refuses lone
surrogates (valid in a Python str, not in UTF-8); those few objects go through the stdlib, so the
callers see exactly what they saw before: a str that cannot be encoded as UTF-8.

Stored records are compressed with zstd level 1: 3x faster than zlib level 1 with a smaller output
(0.033 against 0.104 ms a cable, 24.2 % against 25.5 % of the JSON, 5,000 generated cables), which
was 18 % of a parser worker's time. Rows written before keep their zlib BLOB (or plain TEXT) and
are read as they are: :func:`decompress` tells the formats apart by their first bytes.
"""

from __future__ import annotations

import json
import threading
import zlib
from typing import Any

import orjson
import zstandard

#: First bytes of a zstd frame; a zlib stream starts with 0x78 (the formats never collide).
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: zstd level of stored records (1: the fastest standard level; see the module docstring).
ZSTD_LEVEL = 1
_local = threading.local()  # zstd contexts are not thread-safe: one per thread, reused


def compress(raw: bytes) -> bytes:
    """A stored record's bytes, zstd-compressed (a reused per-thread context: 4x cheaper than a new one)."""
    c = getattr(_local, "compressor", None)
    if c is None:
        c = _local.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return c.compress(raw)


def decompress(data: bytes) -> bytes:
    """The bytes :func:`compress` (or, in older rows, ``zlib.compress``) was given."""
    if data[:4] == ZSTD_MAGIC:
        d = getattr(_local, "decompressor", None)
        if d is None:
            d = _local.decompressor = zstandard.ZstdDecompressor()
        return d.decompress(data)
    return zlib.decompress(data)


def dumps_bytes(obj: Any) -> bytes:
    """UTF-8 JSON; raises UnicodeEncodeError for text with lone surrogates, as ``str.encode`` would."""
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return dumps(obj).encode("utf-8")


def dumps_utf8(obj: Any) -> str:
    """Compact JSON text that is valid UTF-8 (what tantivy takes); UnicodeEncodeError for lone surrogates.

    orjson only succeeds on valid text, so the check costs nothing in the common case.
    """
    try:
        return orjson.dumps(obj).decode("utf-8")
    except orjson.JSONEncodeError:
        text = dumps(obj)
        text.encode("utf-8")
        return text


def dumps(obj: Any) -> str:
    """Compact JSON text, non-ASCII kept readable (Datasette shows the stored columns)."""
    try:
        return orjson.dumps(obj).decode("utf-8")
    except orjson.JSONEncodeError:  # lone surrogates: the stdlib writes them as they are
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


__all__ = ["compress", "decompress", "dumps", "dumps_bytes", "dumps_utf8"]

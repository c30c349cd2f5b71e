"""Compact JSON for the ingest's write path (stored records, index documents), via orjson.

The ingest serialises every cable's text three times (the stored record, the cable document, the
paragraph documents); the stdlib encoder made that a fifth of a parser worker's time at Cablegate
scale, orjson a tenth of that (BENCHMARKS.md, issue 8). Output is the stdlib's
``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` text. orjson refuses lone
surrogates (valid in a Python str, not in UTF-8); those few objects go through the stdlib, so the
callers see exactly what they saw before: a str that cannot be encoded as UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


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


__all__ = ["dumps", "dumps_bytes", "dumps_utf8"]

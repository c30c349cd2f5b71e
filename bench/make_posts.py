"""Regenerate cabledesk/data/posts.json, the known post codes, from the full release's manifest.

Usage: python bench/make_posts.py /path/to/shared/corpus  (writes cabledesk/data/posts.json)

A post code is what remains of a reference id once the two-digit year prefix and the trailing serial
digits are removed (``10MEXICO83`` -> ``MEXICO``). Only letter-only codes are kept: the 53 ids of
the manifest that do not follow the ``YYPOSTNNNN`` shape (``06SECTION01O02HONGKONG2311``) would
otherwise contribute junk codes.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

_ID = re.compile(r"^\d{2}([A-Z]+)\d+$")
OUT = Path(__file__).resolve().parents[1] / "cabledesk" / "data" / "posts.json"


def posts_from_manifest(manifest: Path) -> dict[str, int]:
    """Post code -> number of cables in the manifest (the counts help judge one-off typo codes)."""
    counts: dict[str, int] = {}
    with gzip.open(manifest, "rt", encoding="ascii") as fh:
        for line in fh:
            m = _ID.match(line.split(",", 1)[0].strip())
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def main(argv: list[str]) -> int:
    """Write posts.json from the manifest found in the shared corpus folder given as argument."""
    if len(argv) != 2:
        print(__doc__)
        return 2
    counts = posts_from_manifest(Path(argv[1]) / "cablegate-manifest-2011.csv.gz")
    payload = {
        "source": "cablegate-manifest-2011.csv.gz (251,287 ids); code -> cables",
        "posts": dict(sorted(counts.items())),
    }
    OUT.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(counts)} post codes -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""Benchmark source protection on a database: full scan, one cable's findings, a redacted export.

Usage: python bench/protect.py DB   (e.g. a database of the 1,295-cable shared corpus)
Prints one markdown row: cables, findings, people, scan s, cached lookup ms, export cables/s.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cabledesk import protect as P
from cabledesk.desk import Desk
from cabledesk.protect_detect import scan
from cabledesk.store import index_path_for


def main(db: Path) -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        copy = tmp / db.name  # decisions are written: never into the caller's database
        with Desk(db) as d:
            d.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(db, copy)
        shutil.copytree(index_path_for(db), index_path_for(copy))
        with Desk(copy) as desk:
            n = desk.store.count()
            t = time.perf_counter()
            s = scan(desk)
            scan_s = time.perf_counter() - t
            P.review(desk)  # fills the cache
            t = time.perf_counter()
            P.cable_findings(desk, "09LONDON2222")
            lookup_ms = (time.perf_counter() - t) * 1000
            rv = P.review(desk)
            for key in rv.scan.persons:
                first = next(f for f in rv.findings if f.person == key)
                P.decide(desk, first.key, "accepted", user="bench", all_mentions=True)
            ids = list(desk.store.ids())
            t = time.perf_counter()
            m = P.export(desk, io.StringIO(), ids=ids, fmt="jsonl", user="bench")
            exp_s = time.perf_counter() - t
        print("| cables | findings | people | scan (s) | cable lookup, cached (ms) | redacted export (cables/s) | masks |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {n:,} | {len(s.findings):,} | {len(s.persons)} | {scan_s:.1f} | {lookup_ms:.0f} | "
              f"{len(m['cables']) / exp_s:,.0f} | {sum(r['masked'] for r in m['rules']):,} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "cabledesk.db"))

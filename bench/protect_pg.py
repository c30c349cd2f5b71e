"""Benchmark source protection in server mode: the same scan on SQLite and PostgreSQL, whole and scoped.

Usage: python bench/protect_pg.py CORPUS.tar.gz [postgresql://maintenance-url]
Ingests the corpus into a temporary SQLite file and a temporary PostgreSQL database, then times in
one run: the full protect scan on each backend, the scan of a collection-scoped Desk (what an
editor's first review-queue or cable-page load pays in server mode), and a cached lookup.
Prints markdown rows with wall and CPU seconds (the machine is shared: compare the ratios).
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from cabledesk import protect as P
from cabledesk.desk import Desk
from cabledesk.protect_detect import scan
from cabledesk.search import matching_ids
from cabledesk.server.access import ScopedDesk
from cabledesk.store import INDEX_ENV


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main(corpus: Path, admin: str) -> None:
    tmp = Path(tempfile.mkdtemp())
    name = f"cabledesk_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    os.environ[INDEX_ENV] = str(tmp / "pg-index")
    try:
        rows = []
        for label, db in (("SQLite", str(tmp / "c.db")), ("PostgreSQL", url)):
            with Desk(db) as d:
                d.ingest([corpus])
            with Desk(db, readonly=True) as desk:
                s, wall, cpu = _timed(lambda desk=desk: scan(desk))  # type: ignore[misc]
                rows.append(f"| {label} | full scan, {desk.store.count()} cables | {wall:.2f} | {cpu:.2f} | "
                            f"{len(s.findings)} findings |")  # fmt: skip
                for q in ("origin:london", "origin:london OR origin:paris OR origin:madrid"):
                    scoped = ScopedDesk(desk, frozenset(matching_ids(desk.index, q)))
                    s, wall, cpu = _timed(lambda d=scoped: P.review(d))  # type: ignore[misc]
                    rows.append(f"| {label} | scoped review `{q}`, {len(scoped.allowed)} cables | {wall:.2f} | "
                                f"{cpu:.2f} | {len(s.findings)} findings |")  # fmt: skip
                    _, wall, cpu = _timed(lambda d=scoped: P.highlights(d, "09LONDON2222"))  # type: ignore[misc]
                    rows.append(f"| {label} | cached highlights, one cable | {wall * 1000:.1f} ms | "
                                f"{cpu * 1000:.1f} ms | |")  # fmt: skip
        print("| backend | what | wall s | CPU s | |\n|---|---|---|---|---|")
        print("\n".join(rows))
        print(f"load average: {os.getloadavg()[0]:.1f}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/postgres")

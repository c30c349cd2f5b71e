"""Server-mode search: the tantivy index vs PostgreSQL full-text search (tsvector + GIN), same corpus.

    python bench/pg_fts.py CORPUS.tar.gz [--admin postgresql://postgres@127.0.0.1/postgres] [--repeat 5]

Ingests the corpus into a fresh PostgreSQL database (dropped afterwards) through ``Desk(url)``,
adds a GIN index on ``to_tsvector('simple', subject || body)``, then times a few queries of
bench/search.py both ways (median of ``--repeat`` runs, total count + top 20) and prints the match
counts side by side: a different count means different semantics (phrases, accents, prefixes).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from cabledesk.desk import Desk

#: (query language, the closest websearch_to_tsquery / to_tsquery text)
QUERIES = [
    ("cartels", "cartels", "web"),
    ('"zero-sum competition"', '"zero-sum competition"', "web"),
    ('"human rights"', '"human rights"', "web"),
    ("iran nuclear", "iran nuclear", "web"),
    ("calderon", "calderon", "web"),
    ("calderón", "calderón", "web"),
    ("milit*", "milit:*", "raw"),
    ('"nuclear program" -israel', '"nuclear program" -israel', "web"),
]


def timed(fn: object, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    name = f"cabledesk_bench_{secrets.token_hex(4)}"
    base = args.admin.rpartition("/")[0]
    url = f"{base}/{name}"
    with psycopg.connect(args.admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        import os

        os.environ["CABLEDESK_INDEX"] = tempfile.mkdtemp(prefix="pgfts-index-")
        with Desk(url) as desk:
            t = time.perf_counter()
            desk.ingest([args.corpus])
            ingest_s = time.perf_counter() - t
            with psycopg.connect(url, autocommit=True) as conn:
                t = time.perf_counter()
                conn.execute(
                    "ALTER TABLE cables ADD COLUMN fts tsvector GENERATED ALWAYS AS "
                    "(to_tsvector('simple', coalesce(subject, '') || ' ' || body)) STORED"
                )
                conn.execute("CREATE INDEX cables_fts ON cables USING gin (fts)")
                gin_s = time.perf_counter() - t
                print(
                    f"ingest into PostgreSQL + tantivy: {ingest_s:.1f} s; tsvector + GIN build: {gin_s:.1f} s\n"
                )
                print(
                    "| query | tantivy ms (search+facets+snippets) | tantivy hits | PG FTS ms (count + top 20) | PG hits |"
                )
                print("|---|---:|---:|---:|---:|")
                for q, pgq, kind in QUERIES:
                    t_ms, res = timed(lambda q=q: desk.search(q, limit=20), args.repeat)
                    fn = "websearch_to_tsquery" if kind == "web" else "to_tsquery"

                    def pg(pgq: str = pgq, fn: str = fn) -> int:
                        tsq = f"{fn}('simple', %s)"
                        conn.execute(
                            f"SELECT id FROM cables WHERE fts @@ {tsq} ORDER BY ts_rank(fts, {tsq}) DESC LIMIT 20",
                            (pgq, pgq),
                        ).fetchall()
                        row = conn.execute(
                            f"SELECT count(*) FROM cables WHERE fts @@ {tsq}", (pgq,)
                        ).fetchone()
                        return int(row[0]) if row else 0

                    p_ms, n = timed(pg, args.repeat)
                    print(f"| `{q}` | {t_ms:.1f} | {res.total} | {p_ms:.1f} | {n} |")  # type: ignore[attr-defined]
    finally:
        with psycopg.connect(args.admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

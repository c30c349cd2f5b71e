"""The search page's entity facet: how long ``matching_ids`` + ``entity_facet`` take per query.

    python bench/entity_facet.py CORPUS_TGZ ENRICHED_DB [--repeat R]

Ingests the mirror ``.tar.gz`` into a temporary database, copies the entity tables of
``ENRICHED_DB`` (a database enriched with ``cabledesk enrich``, e.g. the 40 labelled cables of the
test kit) into it, then times, for a few queries, ``matching_ids`` and ``entity_facet`` (median of R
runs). Prints one markdown row per query. Only the enriched cables carry mentions: the GROUP BY
scales with the mentions of the matching cables, so a fully enriched corpus is slower than this.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from cabledesk.desk import Desk
from cabledesk.enrich.entity_read import entity_facet
from cabledesk.search import matching_ids

TABLES = ("entity_meta", "entity_cables", "entity_heads", "entity_mentions", "entity_roles",
          "entity_nodes", "entity_entities", "entity_decisions")  # fmt: skip
QUERIES = ("sedena", "origin:mexico", "class:secret", "iran OR iraq", "date:1966..2010")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("enriched", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        with Desk(db) as desk:
            desk.ingest([a.corpus])
        con = sqlite3.connect(db)
        con.execute("ATTACH DATABASE ? AS src", (str(a.enriched),))
        for t in TABLES:
            sql = con.execute("SELECT sql FROM src.sqlite_master WHERE name = ?", (t,)).fetchone()[0]
            con.execute(sql)
            con.execute(f"INSERT INTO main.{t} SELECT * FROM src.{t}")
        for (sql,) in con.execute(
            "SELECT sql FROM src.sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 'entity_%'"
        ):
            con.execute(sql)
        con.commit()
        n_mentions = con.execute("SELECT count(*) FROM entity_mentions").fetchone()[0]
        con.close()
        with Desk(db, readonly=True) as desk:
            print(f"corpus {desk.store.count()} cables; {n_mentions} mentions copied from {a.enriched}")
            print("| query | matching cables | matching_ids ms | entity_facet ms |")
            print("|---|---:|---:|---:|")
            for q in QUERIES:
                t_ids, t_fac = [], []
                ids: list[str] = []
                for _ in range(a.repeat):
                    t0 = time.perf_counter()
                    ids = matching_ids(desk.index, q, resolvers=desk.resolvers)
                    t1 = time.perf_counter()
                    entity_facet(desk.store, ids)
                    t2 = time.perf_counter()
                    t_ids.append(t1 - t0)
                    t_fac.append(t2 - t1)
                print(f"| `{q}` | {len(ids)} | {statistics.median(t_ids) * 1e3:.1f} | "
                      f"{statistics.median(t_fac) * 1e3:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()

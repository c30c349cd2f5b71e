"""Entity enrichment speed on the shared corpus: cables/s, words/s, projection to 251,287 cables.

Usage: python bench/enrich.py [--limit N] [--processes P] [--truecase statistical|simple|none]
Ingests the shared mirror archive into a temp database, runs ``enrich`` on the first N cables
(all 1,295 by default) and prints one markdown row. Target: the whole Cablegate corpus in under
two hours on a 2-core machine, i.e. >= 35 cables/s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cabledesk.desk import Desk
from cabledesk.enrich.entities import default_truecase, enrich
from cabledesk.enrich.entity_store import EntityStore

CORPUS = Path(os.environ.get("CABLEDESK_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "corpus"
FULL = 251_287


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="enrich only the first N cables (0 = all)")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--truecase", default=None, choices=["statistical", "simple", "none"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        desk = Desk(Path(tmp) / "b.db")
        desk.ingest([CORPUS / "cablegate-2010-12-mirror.tar.gz"])
        store = desk.store
        ids = sorted(store.ids())
        if args.limit:
            es = EntityStore(store)  # mark the rest as done so only the first N are processed
            es.set_meta("pipeline", __import__("cabledesk.enrich.ner", fromlist=["x"]).PIPELINE_VERSION)
            hashes = store.content_hashes()
            with es.transaction() as c:
                c.executemany(
                    "INSERT INTO entity_cables (cable_id, content_hash, at, heads) VALUES (?, ?, '', 0)",
                    [(i, hashes[i]) for i in ids[args.limit :]],
                )
            ids = ids[: args.limit]
        words = sum(len(p.text.split()) for c in store.get_many(ids).values() for p in c.paragraphs)
        t = time.perf_counter()
        summary = enrich(store, n_process=args.processes, truecase=args.truecase)
        dt = time.perf_counter() - t
        desk.close()
    rate = summary.processed / dt
    hours = FULL / rate / 3600
    tc = args.truecase or default_truecase()
    print(
        "| cables | words | processes | truecase | seconds | cables/s | words/s | 251,287 cables (h) | target met |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {summary.processed:,} | {words:,} | {args.processes} | {tc} | {dt:,.1f} | {rate:,.1f} | "
        f"{words / dt:,.0f} | {hours:,.1f} | {'yes' if rate >= 35 else 'no'} |"
    )


if __name__ == "__main__":
    main()

"""References, threads and graphs on a real database: rates, and how long each library call takes.

    python bench/refs.py SOURCE_OR_DB [--repeat R]

SOURCE_OR_DB is a cabledesk database (``.db``) or anything ``cabledesk ingest`` reads (the mirror
``.tar.gz``), which is ingested into a temporary database first. Prints the rates of
:func:`cabledesk.enrich.references.reference_stats` and the median time of: the stats, the packed
manifest load, ``cites``+``cited_by``+``thread`` for every cable (per cable), the whole refs and
routing graphs, and their GraphML/GEXF/CSV exports; then one markdown row of each.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cabledesk.desk import Desk
from cabledesk.enrich import references, threads
from cabledesk.graph import neighbourhood, reference_graph, routing_graph
from cabledesk.graph_export import write_graph


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    tmp = None
    db = args.source
    if db.suffix != ".db":
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "bench.db"
        with Desk(db) as desk:
            desk.ingest([args.source])
    with Desk(db, readonly=True) as desk:
        store = desk.store
        ids = list(store.ids())

        def load_manifest() -> frozenset[str]:
            references.manifest_ids.cache_clear()
            return references.manifest_ids()

        t_manifest, _ = timed(load_manifest, args.repeat)
        t_stats, s = timed(lambda: references.reference_stats(store), args.repeat)

        def per_cable() -> None:
            for i in ids:
                references.cites(store, i)
                references.cited_by(store, i)
                threads.thread(store, i)

        t_all, _ = timed(per_cable, 1)
        t_nb, _ = timed(lambda: [neighbourhood(store, i, 2) for i in ids[:200]], 1)
        t_refs, rg = timed(lambda: reference_graph(store), args.repeat)
        t_route, ro = timed(lambda: routing_graph(store), args.repeat)
        export: dict[str, float] = {}
        for fmt in ("graphml", "gexf", "csv"):
            export[fmt], _ = timed(lambda fmt=fmt: write_graph(rg, fmt, io.BytesIO()), args.repeat)  # type: ignore[misc]
    if tmp:
        tmp.cleanup()

    print(
        f"cables {len(ids):,}; REF items {s['items']:,}; cable-like {s['cable_like']:,}; resolved {s['resolved']:,}"
    )
    print(
        f"resolution rate {s['resolution_rate']:.1%}; in corpus {s['in_corpus_rate']:.1%}; "
        f"in 2011 manifest {s['in_manifest_rate']:.1%}; distinct absent ids {s['distinct_absent']:,} "
        f"({s['absent_in_manifest']:,} released in 2011)"
    )
    print(
        f"refs graph {len(rg.nodes):,} nodes / {len(rg.edges):,} edges; routing graph {len(ro.nodes):,} / {len(ro.edges):,}"
    )
    print()
    print(
        "| cables | REF items | resolution rate | in-corpus rate | in-manifest rate | absent ids (released 2011) "
        "| reference_stats | manifest load | cites+cited_by+thread / cable | neighbourhood depth 2 / cable "
        "| refs graph | routing graph | GraphML / GEXF / CSV export |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(ids):,} | {s['items']:,} | {s['resolution_rate']:.1%} ({s['resolved']:,}/{s['cable_like']:,}) "
        f"| {s['in_corpus_rate']:.1%} ({s['in_corpus']:,}) | {s['in_manifest_rate']:.1%} "
        f"| {s['distinct_absent']:,} ({s['absent_in_manifest']:,}) | {t_stats * 1e3:.0f} ms | {t_manifest * 1e3:.0f} ms "
        f"| {t_all / len(ids) * 1e3:.2f} ms | {t_nb / min(200, len(ids)) * 1e3:.2f} ms | {t_refs * 1e3:.0f} ms "
        f"| {t_route * 1e3:.0f} ms | {export['graphml'] * 1e3:.0f} / {export['gexf'] * 1e3:.0f} / {export['csv'] * 1e3:.0f} ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

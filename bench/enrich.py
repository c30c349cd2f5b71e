"""Entity enrichment speed on the shared corpus: cables/s, words/s, projection to 251,287 cables.

Usage: python bench/enrich.py [--limit N] [--processes P] [--truecase statistical|simple|none]
Ingests the shared mirror archive into a temp database, runs ``enrich`` on the first N cables
(all 1,295 by default) and prints one markdown row. Target: the whole Cablegate corpus in under
two hours on a 2-core machine, i.e. >= 35 cables/s.

The machine is usually shared, so besides wall time the row gives CPU seconds (this process plus
the extraction workers), cables per CPU-second, the share of words the NER model read (the rest was
settled by the planner, see docs/entities.md) and the 1-minute load average before and after.
"loading" is the workers' one-time model and true-caser load (in the CPU total, not in "without
loading"). The "2 idle cores" projection is 251,287 / (2 x cables per CPU-second without loading):
what an unloaded 2-core machine would take with both cores busy (the parent's share is small).
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
from cabledesk.enrich.ner import Extractor, TrueCase
from cabledesk.enrich.planner import Planner
from cabledesk.enrich.work import WorkStats

CORPUS = Path(os.environ.get("CABLEDESK_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "corpus"
FULL = 251_287


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="enrich only the first N cables (0 = all)")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--truecase", default=None, choices=["statistical", "simple", "none"])
    ap.add_argument(
        "--compare",
        type=int,
        default=0,
        help="also time extraction alone on the first N cables, whole paragraphs vs planner (one process)",
    )
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
        stats = WorkStats()
        load0 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        summary = enrich(store, n_process=args.processes, truecase=args.truecase, stats=stats)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        load1 = os.getloadavg()[0]
        parent = cpu
        if args.processes > 1:
            cpu += stats.cpu_seconds  # the workers' extraction time (the parent's is already in cpu)
        compared = (
            compare(store, ids[: args.compare], args.truecase or default_truecase()) if args.compare else []
        )
        desk.close()
    rate = summary.processed / dt
    per_cpu = summary.processed / cpu
    steady = summary.processed / (cpu - stats.load_seconds)  # without the workers' one-time loading
    tc = args.truecase or default_truecase()
    share = stats.model_words / stats.all_words if stats.all_words else 1.0
    print(
        "| cables | words | processes | truecase | wall s | cables/s | CPU s (parent; loading) | cables/CPU-s | "
        "without loading | model read | 251,287 cables: at this wall rate (h) | on 2 idle cores (h) | load before/after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {summary.processed:,} | {words:,} | {args.processes} | {tc} | {dt:,.1f} | {rate:,.1f} | "
        f"{cpu:,.1f} ({parent:,.1f}; {stats.load_seconds:,.1f}) | {per_cpu:,.2f} | {steady:,.2f} | {share:.0%} | "
        f"{FULL / rate / 3600:,.1f} | {FULL / (2 * steady) / 3600:,.2f} | {load0:.1f} / {load1:.1f} |"
    )
    if compared:
        print()
        print("| extraction only, one process | cables | CPU s | cables/CPU-s | model read |")
        print("|---|---|---|---|---|")
        for row in compared:
            print(row)


def compare(store: object, ids: list[str], truecase: TrueCase) -> list[str]:
    """CPU time of extraction alone on the same cables: the model on whole paragraphs vs the planner."""
    cables = [c for c in store.get_many(ids).values()]  # type: ignore[attr-defined]
    rows = []
    for name, planner in (("whole paragraphs (before)", None), ("planner windows + memo", Planner())):
        ex = Extractor(truecase=truecase, planner=planner)
        list(ex.extract(cables[:3]))  # load the model and the true-caser outside the timing
        m0, a0 = ex.words_read()
        c0 = time.process_time()
        n = sum(1 for _ in ex.extract(cables))
        cpu = time.process_time() - c0
        m1, a1 = ex.words_read()
        share = (m1 - m0) / (a1 - a0) if a1 > a0 else 1.0
        rows.append(f"| {name} | {n:,} | {cpu:,.1f} | {n / cpu:,.2f} | {share:.0%} |")
    return rows


if __name__ == "__main__":
    main()

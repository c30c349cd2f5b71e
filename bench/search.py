"""Search latency on fixed realistic queries: full search() with facets and snippets vs the bare tantivy query.

    python bench/search.py CORPUS_DIR [--index DIR] [--scale N] [--repeat R] [--paragraphs]

Builds an index of the corpus folder (read_source + telegram.parse) unless ``--index`` already holds
one, optionally replicating every cable N times under new ids (``--scale 194`` turns the 1,295-cable
mirror into ~251k cables, the size of the full release: the text is repeated, so term statistics
scale linearly; it is a load test, not a second corpus). Prints p50/p99 latencies and a markdown row.

``--paragraphs`` times paragraph searches instead: cable-only fields (``origin:``, ``subject:``,
``to:``, ``signer:``, ``cites:``) are joined through the cable index, and that join is part of
the timed search(); the "bare" figure is then the tantivy top-20 of the already joined query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from cabledesk.model import Cable
from cabledesk.query import compile_query, parse
from cabledesk.search import search
from cabledesk.search_paragraphs import paragraph_query
from cabledesk.store.index import CableIndex

QUERIES = [
    "cartels", '"zero-sum competition"', "calderon", "origin:mexico", "origin:mexico tag:SNAR",
    "class:secret caveat:noforn", '"human rights"', '"army police"~10', "sedena OR semar", "iran nuclear",
    '"nuclear program" -israel', "date:2009-10..2010-01", "year:2009 tag:PREL", "milit*", "decapitat*",
    "signer:CLINTON", "subject:visit", "to:secstate class:confidential", 'corruption origin:"rio de janeiro"',
    '(china OR russia) "missile defense"', "terrorism date:..2005", "marking:S cartels", "the", "president",
    "hezbollah", "gazprom", '"prime minister" berlusconi', "guantanamo", "id:10MEXICO83",
    "cites:06MADRID1914", "caveat:sipdis", "-sipdis", '"strictly protect"', "before:2008 tag:PTER",
    "afghanistan taliban karzai", "calderón narco*", 'subject:(visit OR meeting) year:2009',
]  # fmt: skip


def load(corpus: Path) -> list[Cable]:
    """Parse every readable item of the corpus folder with the project's reader and parser."""
    from cabledesk.readers import read_source
    from cabledesk.telegram import parse as parse_cable

    return [parse_cable(r) for r in read_source(corpus) if r.error is None]


def replicas(cables: list[Cable], scale: int) -> Iterator[Cable]:
    """Each cable ``scale`` times; copies get ids like 10MEXICO83~7 (the original keeps its id)."""
    for k in range(scale):
        for c in cables:
            yield c if k == 0 else replace(c, id=f"{c.id}~{k}")


def build(index: CableIndex, cables: list[Cable], scale: int, batch: int = 1000) -> float:
    """Index in batches of ``batch`` as the ingest does; returns seconds."""
    started = time.perf_counter()
    buf: list[Cable] = []
    for i, c in enumerate(replicas(cables, scale), 1):
        buf.append(c)
        if len(buf) == batch:
            index.add(buf)
            buf = []
            if i % (batch * 20) == 0:
                index.commit()
                print(f"  {i:,} cables indexed, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    index.add(buf)
    index.commit()
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))] * 1000


def measure(
    index: CableIndex, repeat: int, paragraphs: bool = False
) -> tuple[list[float], list[float], dict[str, tuple[float, int]]]:
    """Per run: full search() (limit 20, facets, snippets) and the bare tantivy top-20 of the same query."""
    full: list[float] = []
    bare: list[float] = []
    per_query: dict[str, tuple[float, int]] = {}
    kind = "paragraphs" if paragraphs else "cables"
    for q in QUERIES:  # warm-up: first touch of each posting list
        search(index, q, paragraphs=paragraphs)
    for _ in range(repeat):
        for q in QUERIES:
            t0 = time.perf_counter()
            res = search(index, q, limit=20, facets=True, paragraphs=paragraphs)
            t1 = time.perf_counter()
            tq = paragraph_query(index, parse(q)) if paragraphs else compile_query(parse(q), index.schema)
            t2 = time.perf_counter()  # building the (joined) query is not part of "bare"
            index.searcher(kind).search(tq, 20, count=True)
            t3 = time.perf_counter()
            full.append(t1 - t0)
            bare.append(t3 - t2)
            best = per_query.get(q, (1e9, 0))[0]
            per_query[q] = (min(best, t1 - t0), res.total)
    return full, bare, per_query


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "corpus", type=Path, help="corpus folder (cable/YYYY/MM/ID.html) or any read_source input"
    )
    ap.add_argument("--index", type=Path, help="index folder to reuse (built there if empty)")
    ap.add_argument("--scale", type=int, default=1, help="replicate each cable N times (194 ≈ 251k cables)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of the whole query set")
    ap.add_argument("--paragraphs", action="store_true", help="time paragraph searches (joins included)")
    args = ap.parse_args(argv)
    folder = args.index or Path(tempfile.mkdtemp(prefix="cabledesk-bench-")) / "index"
    index = CableIndex(folder)
    build_s = None
    if index.count() == 0:
        cables = load(args.corpus)
        print(f"parsed {len(cables):,} cables; indexing x{args.scale} into {folder}", file=sys.stderr)
        build_s = build(index, cables, args.scale)
    stats = index.stats()
    full, bare, per_query = measure(index, args.repeat, args.paragraphs)
    size_mb = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
    print(
        f"\n{len(QUERIES)} {'paragraph' if args.paragraphs else 'cable'} queries x {args.repeat} runs on "
        f"{stats['cables']:,} cables / {stats['paragraphs']:,} paragraphs"
    )
    for q, (best, total) in sorted(per_query.items(), key=lambda kv: -kv[1][0])[:8]:
        print(f"  slowest: {best * 1000:7.1f} ms  {total:>8,} hits  {q}")
    f50, f99, b50, b99 = pct(full, 50), pct(full, 99), pct(bare, 50), pct(bare, 99)
    print(
        f"search() with facets+snippets: p50 {f50:.1f} ms  p99 {f99:.1f} ms  mean {statistics.mean(full) * 1000:.1f} ms"
    )
    print(f"bare tantivy top-20:           p50 {b50:.1f} ms  p99 {b99:.1f} ms")
    print()
    print(
        "| cables | paragraphs | queries | build s | index MB | p50 ms | p99 ms | bare p50 ms | bare p99 ms | p50 ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    built = f"{build_s:.0f}" if build_s is not None else "reused"
    print(
        f"| {stats['cables']:,} | {stats['paragraphs']:,} | {len(QUERIES)} | {built} | {size_mb:.0f} | "
        f"{f50:.1f} | {f99:.1f} | {b50:.2f} | {b99:.2f} | {f50 / b50 if b50 else float('nan'):.1f}x |"
    )
    index.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Store throughput on real cables: add_many, duplicate re-ingest, get, iter_cables, stats.

    python bench/store_bench.py [--corpus DIR] [--scale N] [--batch 1000] [--db PATH]

Cables come from the shared mirror (1,295 real pages), through the real parser when it exists.
``--scale N`` stores N cables by repeating the real ones under new ids (the full release is 251,287),
so the figure covers a database of the real size without the full release at hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "store"))

from store_kit import load_cables  # noqa: E402

from cabledesk.model import Cable  # noqa: E402
from cabledesk.store import SQLiteStore  # noqa: E402


def corpus_pages(corpus: Path | None, tmp: Path) -> list[Path]:
    """Mirror pages from an unpacked folder, or unpacked from the shared archive."""
    if corpus is None:
        with tarfile.open(ROOT.parent / "shared" / "corpus" / "cablegate-2010-12-mirror.tar.gz") as tf:
            tf.extractall(tmp, filter="data")
        corpus = tmp / "cablegate-2010-12"
    return sorted(corpus.glob("cable/*/*/*.html"))


def scaled(cables: list[Cable], n: int) -> Iterator[Cable]:
    """``n`` cables: the real ones, then copies under new ids (text unchanged, so sizes are real)."""
    for k, cable in enumerate(itertools.islice(itertools.cycle(cables), n)):
        copy = k // len(cables)
        yield cable if copy == 0 else dataclasses.replace(cable, id=f"{cable.id}X{copy}")


def batches(cables: Iterator[Cable], size: int) -> Iterator[list[tuple[Cable, str, str]]]:
    while chunk := list(itertools.islice(cables, size)):
        yield [(c, "bench", c.id) for c in chunk]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--scale", type=int, default=0, help="cables to store (default: the real ones once)")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--db", type=Path, help="database path (default: a temp file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        t = time.perf_counter()
        cables = load_cables(corpus_pages(args.corpus, tmp))
        print(f"parsed {len(cables)} real cables in {time.perf_counter() - t:.1f}s")
        n = args.scale or len(cables)
        db = args.db or tmp / "bench.db"
        text_mb = 0.0
        with SQLiteStore(db) as store:
            t = time.perf_counter()
            for batch in batches(scaled(cables, n), args.batch):
                text_mb += sum(len(c.body) + len(c.header) for c, _s, _i in batch) / 1e6
                store.add_many(batch)
            dt = time.perf_counter() - t
            print(
                f"add_many: {n} cables ({text_mb:.0f} MB text) in {dt:.1f}s = {n / dt:,.0f} cables/s, "
                f"{text_mb / dt:.1f} MB/s (batch {args.batch})"
            )
            t = time.perf_counter()
            for batch in batches(iter(cables), args.batch):
                store.add_many(batch)
            dt = time.perf_counter() - t
            print(f"re-ingest duplicates: {len(cables)} in {dt:.2f}s = {len(cables) / dt:,.0f} cables/s")
            t = time.perf_counter()
            for c in cables:
                store.get(c.id)
            dt = time.perf_counter() - t
            print(f"get: {len(cables) / dt:,.0f} cables/s")
            t = time.perf_counter()
            streamed = sum(1 for _ in store.iter_cables())
            dt = time.perf_counter() - t
            print(f"iter_cables: {streamed} in {dt:.1f}s = {streamed / dt:,.0f} cables/s")
            t = time.perf_counter()
            store.stats()
            print(f"stats: {time.perf_counter() - t:.2f}s")
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
        print(f"database size: {size / 1e6:,.0f} MB ({size / n / 1e3:.1f} kB per cable)")


if __name__ == "__main__":
    main()

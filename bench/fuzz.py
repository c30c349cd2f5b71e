"""A longer fuzz campaign than the test suite: parser, readers and query language on damaged real input.

    python bench/fuzz.py [--examples 5000] [--seed 0]

Hypothesis drives the same mutations as ``tests/fuzz`` (deletions, duplicated and swapped lines,
case flips, injected junk, truncation; byte damage for files) with many more examples per target.
A crash is any exception other than the documented ones (ParseError, QueryError; the readers must
not raise at all). Prints one markdown row per target: inputs tried, crashes found, seconds;
the minimal failing input of each crash is printed below the table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CORPUS_TGZ = ROOT.parent / "shared" / "corpus" / "cablegate-2010-12-mirror.tar.gz"
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from mutate import MUTATIONS, mutate_bytes, mutate_text  # noqa: E402

from cabledesk.dumps import csv_field, page_to_csv_row  # noqa: E402
from cabledesk.errors import InputError, ParseError, QueryError  # noqa: E402
from cabledesk.readers import read_source  # noqa: E402
from cabledesk.readers.archive import iter_items  # noqa: E402
from cabledesk.search import search  # noqa: E402
from cabledesk.store.index import CableIndex  # noqa: E402
from cabledesk.telegram import parse_text  # noqa: E402

QUERIES = [
    'origin:"Embassy Mexico" date:2009..2010 cartel', "tag:PGOV AND NOT class:unclassified",
    '"strictly protect" -origin:state', "cites:09STATE15113", "marking:NF year:2008 (iran OR tehran)",
    "signer:feeley subject:narco*", '"nuclear program"~5', "date:2010-01-29", "petraeus nazarbayev",
]  # fmt: skip


def real_pages(limit: int = 200) -> list[bytes]:
    """Raw bytes of real mirror pages from the shared archive."""
    pages = []
    for item in iter_items(CORPUS_TGZ, lambda n: n.endswith(".html"), "page"):
        if item.data:
            pages.append(item.data)
        if len(pages) >= limit:
            break
    return pages


def campaign(
    name: str, strategy: st.SearchStrategy, check: Callable[..., None], examples: int, rng_seed: int
) -> dict:
    """Run ``check`` on ``examples`` generated inputs; returns counts and the minimal crash, if any."""
    tried = [0]

    @seed(rng_seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(args: tuple) -> None:
        tried[0] += 1
        check(*args)

    t0 = time.perf_counter()
    crash = None
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for
        crash = "".join(traceback.format_exception(exc)[-6:])
    return {"target": name, "tried": tried[0], "crashes": 0 if crash is None else 1,
            "seconds": round(time.perf_counter() - t0, 1), "crash": crash}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pages = real_pages()
    rows = [page_to_csv_row(p, i) for i, p in enumerate(pages, 1)]
    texts = [f"{r.header}\n\n{r.body}" for r in rows]
    csv_lines = [",".join(csv_field(str(v)) for v in (r.sequence, r.created, r.id, r.origin, r.classification,
                                                     r.references, r.header, r.body)) + "\n" for r in rows]  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="cabledesk-fuzz-"))
    index = CableIndex(tmp / "idx")

    def parser(i: int, muts: list) -> None:
        try:
            parse_text(mutate_text(texts[i % len(texts)], muts))
        except ParseError:
            pass

    def read(path: Path) -> None:
        try:
            records = list(read_source(path))
        except InputError:
            return
        for r in records:
            if not (r.error or r.body or r.header):
                raise AssertionError(f"record with neither content nor error: {r}")

    def page(i: int, muts: list) -> None:
        path = tmp / f"{uuid.uuid4().hex}.html"
        path.write_bytes(mutate_bytes(pages[i % len(pages)], muts))
        read(path)
        path.unlink()

    def csv(i: int, n: int, muts: list) -> None:
        path = tmp / f"{uuid.uuid4().hex}.csv"
        text = "".join(csv_lines[(i + k) % len(csv_lines)] for k in range(n))
        path.write_bytes(mutate_bytes(text.encode(), muts))
        read(path)
        path.unlink()

    def raw(data: bytes, suffix: str) -> None:
        path = tmp / f"{uuid.uuid4().hex}{suffix}"
        path.write_bytes(data)
        read(path)
        path.unlink()

    def query(i: int, muts: list) -> None:
        q = mutate_text(QUERIES[i % len(QUERIES)], muts)
        try:
            search(index, q, limit=5, facets=True)
        except QueryError as exc:
            if not (0 <= exc.position <= max(len(q), 1)):
                raise AssertionError(f"QueryError position {exc.position} outside {q!r}") from exc

    n = args.examples
    idx = st.integers(0, 10_000)
    targets: list[tuple[str, Any, Callable[..., None], int]] = [
        ("telegram parser (mutated real cables)", st.tuples(idx, MUTATIONS), parser, n),
        ("mirror reader (mutated real pages)", st.tuples(idx, MUTATIONS), page, n // 2),
        ("csv reader (mutated real rows)", st.tuples(idx, st.integers(1, 4), MUTATIONS), csv, n // 2),
        ("readers (random bytes, any suffix)", st.tuples(st.binary(max_size=4000),
         st.sampled_from([".html", ".txt", ".csv", ".csv.gz", ".tar.gz", ".zip", ".tar"])), raw, n // 2),
        ("query language (mutated real queries)", st.tuples(idx, MUTATIONS), query, n),
    ]  # fmt: skip
    results = [campaign(name, strat, fn, k, args.seed) for name, strat, fn, k in targets]
    print(f"| {date.today()} | target | inputs tried | crashes | seconds |")
    for r in results:
        print(f"| | {r['target']} | {r['tried']:,} | {r['crashes']} | {r['seconds']} |")
    for r in results:
        if r["crash"]:
            print(f"\n### crash in {r['target']}\n```\n{r['crash']}```")
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())

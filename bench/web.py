"""Throughput and tail latency of GET /api/search on 127.0.0.1, with 10 and 50 concurrent clients.

    python bench/web.py --db cabledesk.db            # an existing database
    python bench/web.py --corpus ../shared/corpus/cablegate-2010-12-mirror.tar.gz   # builds one in a temp dir

Serves the real app with Uvicorn (one process, as ``cabledesk serve`` does) in a child process,
then runs httpx async clients that cycle through a fixed list of realistic queries. Each level is
bounded by a request count and a time limit, so the script always stops by itself. Prints one
markdown table row per concurrency level.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cabledesk.desk import Desk

QUERIES = [
    '"zero-sum competition"',
    "origin:mexico tag:SNAR",
    "calderon class:secret",
    "sedena OR semar",
    "decapitat*",
    '"army police"~10',
    "nuclear iran date:2009..2010",
    "tag:PREL -tag:PGOV",
    "cites:09MEXICO193",
    "merkel",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``cabledesk.web.server.run`` in its own process (a client in the same process would share its GIL)."""
    port = _free_port()
    code = f"from cabledesk.web.server import run; run({str(db)!r}, host='127.0.0.1', port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code])
    url = f"http://127.0.0.1:{port}"
    wait_up(proc, url + "/api/stats", {}, 30)
    return proc, url


def wait_up(proc: subprocess.Popen[bytes], probe: str, headers: dict[str, str], seconds: float) -> None:
    """Return once ``probe`` answers 200; kill ``proc`` and stop if it dies or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(probe, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("server did not start")
        time.sleep(0.1)


async def _level(url: str, clients: int, max_requests: int, max_seconds: float) -> dict[str, float]:
    """Run ``clients`` concurrent loops until ``max_requests`` are done or ``max_seconds`` pass."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    stop_at = time.perf_counter() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def worker(k: int) -> None:
            nonlocal issued, errors
            i = k
            while issued < max_requests and time.perf_counter() < stop_at:
                issued += 1
                q = QUERIES[i % len(QUERIES)]
                i += 1
                t0 = time.perf_counter()
                r = await http.get("/api/search", params={"q": q, "limit": 20})
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        await http.get("/api/search", params={"q": "warmup"})
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "wall_s": wall,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="existing cabledesk database")
    ap.add_argument("--corpus", type=Path, help="mirror .tar.gz to ingest into a temporary database")
    ap.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--requests", type=int, default=2000, help="requests per level (upper bound)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time limit per level")
    args = ap.parse_args(argv)
    tmp = None
    db = args.db
    if db is None:
        if args.corpus is None:
            ap.error("give --db or --corpus")
        tmp = tempfile.TemporaryDirectory(prefix="cabledesk-bench-web-")
        db = Path(tmp.name) / "bench.db"
        with Desk(db) as desk:
            desk.ingest([args.corpus])
    with Desk(db, readonly=True) as desk:
        n_cables = desk.store.count()
    proc, url = _serve(db)
    try:
        rows = [asyncio.run(_level(url, c, args.requests, args.seconds)) for c in args.clients]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if tmp is not None:
            tmp.cleanup()
    print(
        f"GET /api/search, {len(QUERIES)} queries cycled, limit=20 with facets and snippets, "
        f"{n_cables:,} cables, 1 Uvicorn process on 127.0.0.1"
    )
    print("| clients | requests | errors | req/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Signed-in readers on the newsroom server (PostgreSQL mode): GET /api/search with facets, 10 and 50 clients.

    python bench/web_pg.py --corpus ../shared/corpus/cablegate-2010-12-mirror.tar.gz
    python bench/web_pg.py --corpus ... --clients 10 50 --requests 2000 --seconds 30
    python bench/web_pg.py --corpus ... --collection "NOT origin:mexico"   # a newsroom seeing part only

Creates a fresh database on the PostgreSQL server named by ``--admin-url`` (default: $CABLEDESK_TEST_PG
or postgresql://postgres@127.0.0.1:5432/postgres), ingests the corpus, gives one organisation a
collection holding every cable (or the saved query ``--collection``: the filtered path) and one API token per simulated reader, then serves the real app
(sign-in middleware, collection filter, audit row per search) with ``--workers`` Uvicorn processes
(default 1) on 127.0.0.1 in a child process. Each client is a different signed-in user sending ``Authorization: Bearer``.
Each level is bounded by a request count and a time limit; the database is dropped at the end, unless
``--keep NAME`` names it: then it and its index (in the temp folder, by name) stay, and a later run
with the same ``--keep NAME`` skips the ingest (new tokens for the same readers): a Cablegate-scale
corpus takes about half an hour to ingest into PostgreSQL on this machine.
Prints one markdown row per level, with the 1-minute load average after it.

Load generator (``--driver``): ``wrk`` (Debian package ``wrk``; the default when it is installed) costs about
0.1 ms of CPU per request; the Python ``httpx`` driver costs about 6 ms per request, more than the server
itself, so on a 2-core machine it takes half the CPU away from the server it measures. With wrk each
request carries the next reader's token in turn (50 readers, one token each) and wrk's own latency
percentiles are reported; the server's CPU per request (all its processes, and PostgreSQL's) is read from
/proc around each level, a figure that does not depend on how loaded the machine is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import QUERIES, _free_port, wait_up  # noqa: E402  (the SQLite bench's queries: same workload)

from cabledesk.desk import Desk  # noqa: E402
from cabledesk.server import access  # noqa: E402
from cabledesk.server.accounts import Accounts  # noqa: E402

DEFAULT_ADMIN = os.environ.get("CABLEDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _build(url: str, corpus: Path, readers: int, query: str | None = None) -> tuple[int, list[str]]:
    """Ingest, one collection (every cable, or ``query``) granted to one newsroom, a token per reader."""
    with Desk(url) as desk:
        desk.ingest([corpus])
        n = desk.store.count()
    with Accounts(url) as accounts:
        if query:
            access.create_collection(accounts, "everything", "query", query)
        else:
            access.create_collection(accounts, "everything", "source", str(corpus))
        access.grant(accounts, "Bench Newsroom", "everything")
        tokens = []
        for k in range(readers):
            accounts.create_user(f"reader{k:02d}", secrets.token_urlsafe(16), "reader", "Bench Newsroom")
            tokens.append(accounts.create_token(f"reader{k:02d}", "bench")[1])
    return n, tokens


def _reuse(url: str, readers: int) -> tuple[int, list[str]]:
    """A kept database: its cable count and a fresh token for each existing reader."""
    with Desk(url) as desk:
        n = desk.store.count()
    with Accounts(url) as accounts:
        tokens = [accounts.create_token(f"reader{k:02d}", "bench")[1] for k in range(readers)]
    return n, tokens


def _serve(url: str, index: Path, token: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``uvicorn --factory cabledesk.web.server:app_from_env --workers N`` as docs/deployment.md runs it."""
    port = _free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "cabledesk.web.server:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "CABLEDESK_INDEX": str(index), "CABLEDESK_DB": url}
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    wait_up(proc, base + "/api/me", {"Authorization": f"Bearer {token}"}, 60)
    return proc, base


async def _level(
    base: str, tokens: list[str], clients: int, max_requests: int, max_seconds: float
) -> dict[str, float]:
    """``clients`` concurrent signed-in readers until ``max_requests`` are done or ``max_seconds`` pass."""
    latencies: list[float] = []
    errors = issued = 0
    empty = 0
    kinds: dict[str, int] = {}
    stop_at = time.perf_counter() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:

        async def worker(k: int) -> None:
            nonlocal issued, errors, empty
            headers = {"Authorization": f"Bearer {tokens[k % len(tokens)]}"}
            i = k
            while issued < max_requests and time.perf_counter() < stop_at:
                issued += 1
                q = QUERIES[i % len(QUERIES)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await http.get(
                        "/api/search", params={"q": q, "limit": 20, "facets": "true"}, headers=headers
                    )
                except httpx.HTTPError as exc:
                    errors += 1
                    kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1
                    kinds[f"{r.status_code} {r.text[:80]}"] = (
                        kinds.get(f"{r.status_code} {r.text[:80]}", 0) + 1
                    )
                elif q == "merkel" and not r.json()["total"]:
                    empty += 1  # a scoped search that sees nothing would be a meaningless benchmark

        await http.get(
            "/api/search", params={"q": "warmup"}, headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        wall = time.perf_counter() - t0
    latencies.sort()
    if kinds:
        print(f"{clients} clients, errors: {kinds}", file=sys.stderr)
    return {
        "clients": clients, "requests": len(latencies), "errors": errors + empty, "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "load1": os.getloadavg()[0],
    }  # fmt: skip


_LUA = """
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) n = tid * 7919 end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]})
end
"""


def _lua_list(items: list[str]) -> str:
    return "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"


def _ms(value: str) -> float:
    """wrk's '123.45ms' / '1.20s' / '900.00us' as milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


def _cpu_ticks(pids: list[int]) -> int:
    """utime+stime (clock ticks) of ``pids`` and their children still running."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def _tree(root: int) -> list[int]:
    """``root`` and every descendant (Uvicorn's worker processes)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        todo.extend(int(k) for k in kids)
    return out


def _postgres_pids() -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip().startswith("postgres"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def _wrk_level(base: str, tokens: list[str], clients: int, seconds: float, server: int) -> dict[str, float]:
    """One level driven by wrk (2 threads, ``clients`` connections, ``seconds`` long)."""
    paths = [
        "/api/search?" + urllib.parse.urlencode({"q": q, "limit": 20, "facets": "true"}) for q in QUERIES
    ]
    with tempfile.TemporaryDirectory(prefix="cabledesk-wrk-") as tmp:
        script = Path(tmp) / "readers.lua"
        script.write_text(f"tokens = {_lua_list(tokens)}\npaths = {_lua_list(paths)}\n{_LUA}")
        cmd = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s", str(script), base]
        pg0, srv0 = _cpu_ticks(_postgres_pids()), _cpu_ticks(_tree(server))
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        pg1, srv1 = _cpu_ticks(_postgres_pids()), _cpu_ticks(_tree(server))
    pct = dict(_percentiles(out))
    done = int(out.split(" requests in ", 1)[0].rsplit(None, 1)[-1])
    bad = sum(int(x) for x in _grab(out, "Non-2xx or 3xx responses: "))
    sock = sum(int(v) for v in _socket_errors(out))
    hz = os.sysconf("SC_CLK_TCK")
    return {
        "clients": clients, "requests": done, "errors": bad + sock,
        "rps": float(out.split("Requests/sec:", 1)[1].split()[0]),
        "p50_ms": pct["50%"], "p99_ms": pct["99%"], "load1": os.getloadavg()[0],
        "server_cpu_ms": (srv1 - srv0) / hz * 1000 / max(done, 1),
        "pg_cpu_ms": (pg1 - pg0) / hz * 1000 / max(done, 1),
    }  # fmt: skip


def _percentiles(out: str) -> list[tuple[str, float]]:
    """The 'Latency Distribution' block of ``wrk --latency``: ('50%', ms) ..."""
    block = out.split("Latency Distribution", 1)[1].splitlines()[1:5]
    return [(a, _ms(b)) for a, b in (line.split() for line in block)]


def _grab(out: str, prefix: str) -> list[str]:
    return [line.split(prefix, 1)[1].split()[0] for line in out.splitlines() if prefix in line]


def _socket_errors(out: str) -> list[str]:
    """Counts of 'Socket errors: connect 0, read 0, write 0, timeout 0'."""
    line = next((ln for ln in out.splitlines() if "Socket errors:" in ln), "")
    return [part.split()[-1] for part in line.split(":", 1)[1].split(",")] if line else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="mirror .tar.gz to ingest")
    ap.add_argument("--admin-url", default=DEFAULT_ADMIN, help="maintenance URL of a PostgreSQL server")
    ap.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--requests", type=int, default=2000, help="requests per level (upper bound)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time limit per level")
    ap.add_argument("--workers", type=int, default=1, help="Uvicorn worker processes")
    ap.add_argument("--collection", default=None, help="saved query the readers see (default: every cable)")
    ap.add_argument("--driver", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx",
                    help="load generator (default: wrk when installed)")  # fmt: skip
    ap.add_argument("--keep", metavar="NAME", help="keep (or reuse) the database NAME and its index")
    args = ap.parse_args(argv)
    if "127.0.0.1" not in args.admin_url and "localhost" not in args.admin_url:
        ap.error("the benchmark only runs against a PostgreSQL server on this machine")
    name = args.keep or f"cabledesk_bench_{secrets.token_hex(4)}"
    base_url, _sep, _db = args.admin_url.rpartition("/")
    url = f"{base_url}/{name}"
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    if args.keep:
        kept = Path(tempfile.gettempdir()) / f"cabledesk-bench-pg-{name}"
        kept.mkdir(exist_ok=True)
        os.environ["CABLEDESK_INDEX"] = str(kept / "index")
    else:
        tmp = tempfile.TemporaryDirectory(prefix="cabledesk-bench-pg-")
        os.environ["CABLEDESK_INDEX"] = str(Path(tmp.name) / "index")
    proc = None
    try:
        if exists and args.keep:
            n_cables, tokens = _reuse(url, max(args.clients))
        else:
            n_cables, tokens = _build(url, args.corpus, max(args.clients), args.collection)
        proc, base = _serve(url, Path(os.environ["CABLEDESK_INDEX"]), tokens[0], args.workers)
        if args.driver == "wrk":
            for token in tokens[:4]:  # each worker process fills its caches once (cold: ~1.5 s at 251k)
                httpx.get(base + "/api/search", params={"q": "warmup"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=600)  # fmt: skip
            warm = asyncio.run(_level(base, tokens, len(tokens), len(tokens) * 2, args.seconds))
            if warm["errors"]:  # every reader signed in, and the scoped search sees cables
                raise SystemExit(f"warm-up failed: {warm}")
            rows = [_wrk_level(base, tokens, c, args.seconds, proc.pid) for c in args.clients]
        else:
            rows = [asyncio.run(_level(base, tokens, c, args.requests, args.seconds)) for c in args.clients]
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            with psycopg.connect(args.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            tmp.cleanup()
    print(f"GET /api/search (PostgreSQL server mode, bearer tokens, one user per client, audit on), "
          f"{len(QUERIES)} queries cycled, limit=20 with facets, {n_cables:,} cables, "
          f"collection {args.collection or 'every cable'!r}, "
          f"{args.workers} Uvicorn worker(s) on 127.0.0.1, load generator {args.driver}")  # fmt: skip
    print("| clients | requests | errors | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req "
          "| load avg (1 min) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        cpu = [f"{r[k]:.2f}" if k in r else "—" for k in ("server_cpu_ms", "pg_cpu_ms")]
        print(f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | {r['p50_ms']:.1f} "
              f"| {r['p99_ms']:.1f} | {cpu[0]} | {cpu[1]} | {r['load1']:.2f} |")  # fmt: skip
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

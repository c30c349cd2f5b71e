"""Parse on every core, write in one process: an ordered, bounded map over worker processes.

The ingest's CPU work (telegram parsing, the store's rows, the index's documents as JSON, compression)
happens in worker processes; the parent only reads the input, writes SQLite and feeds tantivy. At most
``window`` chunks are in flight (submitted, being parsed, or parsed and not yet written), so memory
does not grow with the corpus: ``Pool.imap`` would read the whole input ahead, this does not.
Results come back in input order, so a parallel ingest writes exactly what a serial one writes.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import signal
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

from cabledesk.errors import CabledeskError
from cabledesk.model import Cable, RawRecord
from cabledesk.store.index import PreparedDocs, cable_documents
from cabledesk.store.sqlite import PreparedCable, prepare_cable

#: One record after the worker: (item, failure reason or None, store rows, index documents).
Prepared = tuple[str, str | None, PreparedCable | None, PreparedDocs | None]

#: Environment override of the worker count: 0 = parse in the writer process (no workers).
WORKERS_ENV = "CABLEDESK_WORKERS"

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


class WorkerError(CabledeskError):
    """A parser worker process died (killed, out of memory); the ingest can simply be run again."""


def prepare_record(record: RawRecord, parse_record: Callable[[RawRecord], Cable | str]) -> Prepared:
    """Parse one record and build its rows and documents; a failure becomes its ledger reason."""
    result = parse_record(record)
    if isinstance(result, str):
        return record.item, result, None, None
    try:
        return record.item, None, prepare_cable(result), cable_documents(result)
    except Exception as exc:  # a bug in row/document building must not stop the batch either
        return record.item, f"internal error preparing {result.id} ({type(exc).__name__}): {exc}", None, None


def prepare_chunk(records: list[RawRecord]) -> list[Prepared]:
    """The worker's job: a chunk of records in, their prepared results out, in the same order."""
    from cabledesk.ingest import parse_record  # late: ingest imports this module

    return [prepare_record(r, parse_record) for r in records]


def worker_count(total_bytes: int, min_bytes: int) -> int:
    """Workers for an input of ``total_bytes``: none for small inputs or one core, else cores - 1."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env.isdigit():
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or total_bytes < min_bytes:
        return 0
    # 2 cores get one worker too: since documents travel as JSON strings (a pickled
    # tantivy.Document cost more than parsing the cable), a worker costs ~3% more CPU and takes
    # parsing off the writer's critical path (see BENCHMARKS.md, issue 8).
    return cores - 1


def _init_worker() -> None:
    """Workers leave Ctrl-C to the parent and exit as soon as the parent dies (even by kill -9).

    Nothing else would stop them: each worker holds both ends of the pool's pipes and the
    forkserver's liveness pipe, so none of them ever sees end-of-file when the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = mp.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        mp_connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="cabledesk-parent-watch", daemon=True).start()


@contextmanager
def _bare_main() -> Iterator[None]:
    """Hide the caller's ``__main__`` while workers start, so they never re-run the user's script.

    The forkserver/spawn machinery re-imports the main script in every worker; a notebook or a
    script without an ``if __name__ == "__main__"`` guard would then start an ingest per worker.
    Workers need nothing from ``__main__``: every function they run lives in this package.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose ``workers`` processes are all running (started cleanly, see :func:`_bare_main`)."""
    ctx = mp.get_context("forkserver")  # never fork a parent that runs tantivy's threads
    ctx.set_forkserver_preload(["cabledesk.parallel", "cabledesk.ingest"])
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
    with _bare_main():
        warm = [pool.submit(os.getpid) for _ in range(workers)]
        for f in warm:
            f.result()
    return pool


def ordered_map(
    func: Callable[[P], R], tasks: Iterable[tuple[T, P]], workers: int, window: int
) -> Iterator[tuple[T, R]]:
    """``(tag, func(payload))`` in input order, with at most ``window`` payloads in flight.

    ``workers == 0`` runs ``func`` inline (no processes: faster for small inputs). Input is pulled
    lazily, one task per result handed out, so a slow consumer holds back the reader.
    """
    if workers <= 0:
        for tag, payload in tasks:
            yield tag, func(payload)
        return
    pool = start_pool(workers)
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        for tag, payload in tasks:
            pending.append((tag, pool.submit(func, payload)))
            if len(pending) >= window:
                tag0, fut = pending.popleft()
                yield tag0, fut.result()
        while pending:
            tag0, fut = pending.popleft()
            yield tag0, fut.result()
    except BrokenProcessPool as exc:
        raise WorkerError(
            "a parser worker process died (out of memory, or killed); nothing was lost: "
            "run the same ingest again to resume"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


__all__ = [
    "WORKERS_ENV",
    "Prepared",
    "WorkerError",
    "ordered_map",
    "prepare_chunk",
    "prepare_record",
    "worker_count",
]

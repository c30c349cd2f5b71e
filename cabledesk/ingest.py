"""The ingest pipeline: readers -> telegram parser -> store -> index, with a ledger row per item.

Every input item ends in the ledger as ingested, duplicate, updated or failed (with a reason), and
the batch goes on after a failure. Large inputs are parsed in worker processes
(:mod:`cabledesk.parallel`) and written by this one process, in input order.

Crash safety (``kill -9`` at any instant, then the same command again): records and their ledger
rows (failures included) are committed together in one SQLite transaction per batch, so an item is
either fully recorded or absent; a resumed ingest skips the items that have a ledger row. The
index is derived data written AFTER the store: it is committed every :data:`INDEX_COMMIT_EVERY`
cables and at the end, and each commit is followed by an ``index mark`` in the store (the ledger id
it covers). On start, :func:`repair_index` re-indexes every cable stored or updated after the mark,
and any id the index lacks or holds in excess, so after any crash point store, index and ledger
agree again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cabledesk.errors import CabledeskError, InputError
from cabledesk.model import Cable, LedgerEntry, RawRecord
from cabledesk.parallel import Prepared, ordered_map, prepare_chunk, worker_count
from cabledesk.readers import pick_reader
from cabledesk.store.index import CableIndex, PreparedDocs
from cabledesk.store.sqlite import PreparedCable, SQLiteStore
from cabledesk.telegram import parse

#: Cables written to the store in one transaction.
BATCH_SIZE = 1000
#: The index is committed after this many changed cables (and at the end): fewer, larger segments.
#: A crash redoes at most this many from the store on the next run.
INDEX_COMMIT_EVERY = 25_000
#: ... or after this many seconds, whichever comes first.
INDEX_COMMIT_SECONDS = 120.0
#: Records per chunk sent to a worker process, and the byte size that closes a chunk early.
CHUNK_RECORDS = 200
CHUNK_BYTES = 4_000_000
#: Below this much input (bytes on disk), parsing in the writer process is faster than workers.
PARALLEL_MIN_BYTES = 8_000_000
#: Failure entries kept in memory for the summary (the ledger holds all of them).
MAX_FAILURES_KEPT = 1000


@dataclass
class IngestSummary:
    """What one ``ingest`` call did; ``to_dict()`` is the ``ingest --json`` contract."""

    ingested: int = 0
    duplicate: int = 0
    updated: int = 0
    failed: int = 0
    skipped: int = 0  # items already in the ledger from an earlier, interrupted run
    bytes: int = 0
    failures: list[LedgerEntry] = field(default_factory=list)

    def count(self, entries: Iterable[LedgerEntry]) -> None:
        for e in entries:
            if e.status == "ingested":
                self.ingested += 1
            elif e.status == "duplicate":
                self.duplicate += 1
            elif e.status == "updated":
                self.updated += 1
            else:
                self.failed += 1
                if len(self.failures) < MAX_FAILURES_KEPT:
                    self.failures.append(e)

    @property
    def items(self) -> int:
        return self.ingested + self.duplicate + self.updated + self.failed + self.skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "duplicate": self.duplicate,
            "updated": self.updated,
            "failed": self.failed,
            "skipped": self.skipped,
        }


#: Called after each item with (items done, bytes done); the CLI draws its progress bar from it.
Progress = Callable[[int, int], None]


def source_size(path: Path) -> int:
    """Bytes on disk under ``path``: the progress bar's total (compressed size for archives)."""
    if path.is_dir():
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        return total
    try:
        return path.stat().st_size
    except OSError:
        return 0


def parse_record(record: RawRecord) -> Cable | str:
    """A cable, or the human-readable reason why this record cannot become one."""
    if record.error:
        return record.error
    try:
        return parse(record)
    except CabledeskError as exc:
        return str(exc)
    except Exception as exc:  # a parser bug must not stop the batch; the ledger keeps the reason
        return f"parser error ({type(exc).__name__}): {exc}"


def _records(source: Path) -> Iterator[RawRecord]:
    try:
        reader = pick_reader(source)
    except InputError as exc:
        yield RawRecord(source=str(source), item=source.name or str(source), format="?", error=str(exc))
        return
    yield from reader().read(source)


@dataclass(slots=True)
class _Chunk:
    """What the reader hands on besides the records: bookkeeping for the progress bar."""

    source: str
    nbytes: int = 0
    skipped: int = 0


def _chunks(source: Path, seen: set[str]) -> Iterator[tuple[_Chunk, list[RawRecord]]]:
    """Records not yet in the ledger, in chunks of bounded count and size, in input order."""
    key = str(source)
    tag, records, size = _Chunk(key), [], 0
    for record in _records(source):
        tag.nbytes += record.size
        if record.item in seen:
            tag.skipped += 1
        else:
            records.append(record)
            size += len(record.body) + len(record.header or "")
        if len(records) >= CHUNK_RECORDS or size >= CHUNK_BYTES or tag.skipped >= 10 * CHUNK_RECORDS:
            yield tag, records
            tag, records, size = _Chunk(key), [], 0
    if records or tag.nbytes or tag.skipped:
        yield tag, records


class _Writer:
    """The single writer: batches prepared cables into store transactions, then into the index."""

    def __init__(
        self, store: SQLiteStore, index: CableIndex, summary: IngestSummary, batch_size: int
    ) -> None:
        self.store, self.index, self.summary, self.batch_size = store, index, summary, batch_size
        self.cables: list[tuple[PreparedCable, str, str]] = []
        self.docs: list[PreparedDocs | None] = []
        self.failures: list[tuple[str, str, str]] = []
        self.unindexed = 0  # changed cables added to the index writer since its last commit
        self.last_commit = time.monotonic()

    @property
    def pending(self) -> int:
        return len(self.cables) + len(self.failures)

    def take(self, source: str, results: list[Prepared]) -> None:
        for item, reason, rows, docs in results:
            if rows is None:
                self.failures.append((source, item, reason or "unknown failure"))
            else:
                self.cables.append((rows, source, item))
                self.docs.append(docs)
        if self.pending >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Store first (records + ledger in one transaction), then hand the changes to the index."""
        if not self.pending:
            return
        entries = self.store.add_prepared(self.cables, self.failures)
        self.summary.count(entries)
        latest: dict[str, PreparedDocs] = {}
        fresh: set[str] = set()  # first stored by this batch: the index has no document to replace
        for entry, docs in zip(entries, self.docs, strict=False):  # cable entries come first, in order
            if entry.status in ("ingested", "updated") and docs is not None:
                latest[docs[0]] = docs
                if entry.status == "ingested":
                    fresh.add(docs[0])
        self.cables, self.docs, self.failures = [], [], []
        if latest:
            self.index.add_documents(latest.values(), fresh)
            self.unindexed += len(latest)
        if self.unindexed >= INDEX_COMMIT_EVERY or (
            self.unindexed and time.monotonic() - self.last_commit > INDEX_COMMIT_SECONDS
        ):
            self.commit_index()

    def commit_index(self) -> None:
        """Commit the index, then record in the store which ledger rows it now covers."""
        if self.unindexed:
            self.index.commit()
            self.store.set_index_mark(self.store.last_ledger_id())
        self.unindexed = 0
        self.last_commit = time.monotonic()


def ingest(
    store: SQLiteStore,
    index: CableIndex,
    sources: Iterable[Path],
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
) -> IngestSummary:
    """Read every source, parse (in parallel for large inputs), store and index; one ledger row per item.

    ``workers``: parser processes (0 = parse here); by default cores - 1 on 3+ cores for inputs
    over :data:`PARALLEL_MIN_BYTES`, none otherwise (env ``CABLEDESK_WORKERS`` overrides).
    """
    sources = list(sources)
    summary = IngestSummary()
    repair_index(store, index)
    if workers is None:
        workers = worker_count(sum(source_size(s) for s in sources), PARALLEL_MIN_BYTES)
    writer = _Writer(store, index, summary, batch_size)
    done = 0

    def tasks() -> Iterator[tuple[_Chunk, list[RawRecord]]]:
        for source in sources:
            yield from _chunks(source, store.seen_items(str(source)))

    try:
        for tag, results in ordered_map(prepare_chunk, tasks(), workers, window=2 * workers + 2):
            summary.bytes += tag.nbytes
            summary.skipped += tag.skipped
            writer.take(tag.source, results)
            done += tag.skipped + len(results)
            if progress:
                progress(done, summary.bytes)
        writer.flush()
    finally:
        # Whatever is already stored gets indexed now; a hard crash is repaired on the next run.
        try:
            writer.commit_index()
        except CabledeskError:
            pass
    return summary


def repair_index(store: SQLiteStore, index: CableIndex) -> dict[str, int]:
    """Make the index hold exactly the store's current cables (after a crash between the two writes).

    Re-indexes what changed after the store's index mark (new versions the index may lack), adds
    ids the index misses, removes ids the store does not have, then moves the mark forward.
    """
    head = store.last_ledger_id()
    mark = store.index_mark()
    stored = set(store.ids())
    indexed = index.ids()
    stale = (store.changed_since(mark) & stored) if mark is not None and mark < head else set()
    missing = (stored - indexed) | stale
    extra = indexed - stored
    if extra:
        index.delete(extra)
    if missing:
        ids = sorted(missing)
        for start in range(0, len(ids), BATCH_SIZE):
            index.add(store.get_many(ids[start : start + BATCH_SIZE]).values())
    if missing or extra:
        index.commit()
    if mark != head:
        store.set_index_mark(head)
    return {"added": len(missing - stale), "removed": len(extra), "refreshed": len(stale)}


def index_lag(store: SQLiteStore) -> int:
    """Cables stored or updated after the last index commit (0 = the index is known to be current)."""
    mark = store.index_mark()
    if mark is None:
        return 0
    return len(store.changed_since(mark)) if mark < store.last_ledger_id() else 0


def reindex(store: SQLiteStore, index: CableIndex, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the store (the index is derived data)."""
    head = store.last_ledger_id()
    index.clear()
    done = 0
    batch: list[Cable] = []
    for cable in store.iter_cables():
        batch.append(cable)
        if len(batch) >= BATCH_SIZE:
            index.add(batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done, 0)
    index.add(batch)
    done += len(batch)
    index.commit()
    store.set_index_mark(head)
    if progress:
        progress(done, 0)
    return done

"""The ingest pipeline: readers -> telegram parser -> store -> index, with a ledger row per item.

Every input item ends in the ledger as ingested, duplicate, updated or failed (with a reason), and
the batch goes on after a failure. An interrupted ingest resumes: items already in the ledger for
the same source are skipped, and the index is repaired from the store where the two disagree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cabledesk.errors import CabledeskError, InputError
from cabledesk.model import Cable, LedgerEntry, RawRecord
from cabledesk.readers import pick_reader
from cabledesk.store.base import Store
from cabledesk.store.index import CableIndex
from cabledesk.telegram import parse

#: Cables written to the store in one transaction (and to the index between commits).
BATCH_SIZE = 1000


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


def ingest(
    store: Store,
    index: CableIndex,
    sources: Iterable[Path],
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> IngestSummary:
    """Read every source, parse, store and index; one ledger row per input item."""
    summary = IngestSummary()
    repair_index(store, index)
    for source in sources:
        source_key = str(source)
        seen = store.seen_items(source_key)
        batch: list[tuple[Cable, str, str]] = []
        failures: list[tuple[str, str, str]] = []
        for record in _records(source):
            summary.bytes += record.size
            if record.item in seen:
                summary.skipped += 1
            else:
                result = parse_record(record)
                if isinstance(result, str):
                    failures.append((source_key, record.item, result))
                else:
                    batch.append((result, source_key, record.item))
                if len(batch) + len(failures) >= batch_size:
                    _flush(store, index, batch, failures, summary)
                    batch, failures = [], []
            if progress:
                progress(summary.items + len(batch) + len(failures), summary.bytes)
        _flush(store, index, batch, failures, summary)
    return summary


def _flush(
    store: Store,
    index: CableIndex,
    batch: list[tuple[Cable, str, str]],
    failures: list[tuple[str, str, str]],
    summary: IngestSummary,
) -> None:
    """Write a batch: records first (the truth), then the derived index for what changed."""
    if failures:
        summary.count(store.record_failures(failures))
    if not batch:
        return
    entries = store.add_many(batch)
    summary.count(entries)
    changed = {e.cable_id for e in entries if e.status in ("ingested", "updated")}
    if changed:
        # Index the current version of each changed id once, even if a batch held it twice.
        latest: dict[str, Cable] = {}
        for cable, _source, _item in batch:
            if cable.id in changed:
                latest[cable.id] = cable
        index.add(latest.values())
        index.commit()


def repair_index(store: Store, index: CableIndex) -> dict[str, int]:
    """Make the index hold exactly the store's cables (after a crash between the two writes)."""
    stored = set(store.ids())
    indexed = index.ids()
    missing = stored - indexed
    extra = indexed - stored
    if extra:
        index.delete(extra)
    if missing:
        ids = sorted(missing)
        for start in range(0, len(ids), BATCH_SIZE):
            index.add(store.get_many(ids[start : start + BATCH_SIZE]).values())
    if missing or extra:
        index.commit()
    return {"added": len(missing), "removed": len(extra)}


def reindex(store: Store, index: CableIndex, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the store (the index is derived data)."""
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
    if progress:
        progress(done, 0)
    return done

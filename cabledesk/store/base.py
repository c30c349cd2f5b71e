"""The Store protocol: what any records backend (SQLite now, PostgreSQL later) must offer.

The store keeps cables (with versions), their paragraphs, tags and references, and the ingest
ledger. It never parses text. The full-text index (:mod:`cabledesk.store.index`) is derived from it
and can be rebuilt from :meth:`Store.iter_cables` at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from cabledesk.model import Cable, LedgerEntry


@runtime_checkable
class Store(Protocol):
    """Records backend. Every method is safe to call from the single writer process."""

    def add_many(self, items: Iterable[tuple[Cable, str, str]]) -> list[LedgerEntry]:
        """Store (cable, source, item) triples in one transaction and write their ledger rows.

        Status per item: ``ingested`` (new id), ``duplicate`` (same id and same content hash as the
        current version), ``updated`` (same id, changed text: kept as a new version).
        """
        ...

    def record_failures(self, items: Iterable[tuple[str, str, str]]) -> list[LedgerEntry]:
        """Write ``failed`` ledger rows for (source, item, reason) triples."""
        ...

    def get(self, cable_id: str, version: int | None = None) -> Cable:
        """The current (or a given) version of a cable; raises NotFoundError."""
        ...

    def get_many(self, cable_ids: Iterable[str]) -> dict[str, Cable]:
        """Current versions of the ids that exist (missing ids are simply absent)."""
        ...

    def has(self, cable_id: str) -> bool: ...

    def versions(self, cable_id: str) -> list[dict[str, Any]]:
        """[{version, content_hash, source, item, at}] oldest first; raises NotFoundError."""
        ...

    def count(self) -> int:
        """Number of distinct cables."""
        ...

    def ids(self) -> Iterator[str]: ...

    def iter_cables(self, batch_size: int = 500) -> Iterator[Cable]:
        """Every current cable, streamed (used by reindex and export)."""
        ...

    def seen_items(self, source: str) -> set[str]:
        """Items of ``source`` already in the ledger with a final status (for resuming an ingest)."""
        ...

    def ledger(self, failed_only: bool = False, limit: int | None = None) -> list[LedgerEntry]: ...

    def ledger_counts(self) -> dict[str, int]:
        """{status: count} over the whole ledger."""
        ...

    def stats(self) -> dict[str, Any]:
        """{"cables": n, "classification": {..}, "origin": {..}, "year": {..}, "tag": {..}}."""
        ...

    def close(self) -> None: ...


def keyset_pages(fetch: Callable[[str], Sequence[Sequence[Any]]]) -> Iterator[Sequence[Any]]:
    """Rows of a query paged by its first column: ``fetch(last)`` returns the page after ``last``.

    Each page is its own short read (no transaction stays open while the caller works), and a
    row written meanwhile after ``last`` is still reached. Shared by both store backends.
    """
    last = ""
    while rows := fetch(last):
        yield from rows
        last = rows[-1][0]

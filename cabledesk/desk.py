"""The library's front door: one object that holds a database and its index.

The CLI and the web app are thin layers over :class:`Desk`; anything they can do, a notebook can
do with ``Desk("cabledesk.db")``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

from cabledesk import ingest as _ingest
from cabledesk.errors import CabledeskError, NotFoundError, QueryError
from cabledesk.model import Cable, LedgerEntry, dumps
from cabledesk.query import Resolvers
from cabledesk.store import index_path_for, is_postgres_url, open_store
from cabledesk.store.index import CableIndex

#: Columns of ``export --format csv``: the flat fields of the JSON contract, lists joined by "; ".
CSV_COLUMNS = (
    "id", "created", "released", "origin", "classification", "caveats", "classification_label",
    "precedence", "dtg", "from", "to", "info", "tags", "subject", "references", "classified_by",
    "declassify", "signer", "paragraphs", "body",
)


class Desk:
    """A cabledesk database (SQLite records) with its full-text index beside it."""

    def __init__(self, db: str | Path, *, readonly: bool = False) -> None:
        self.db_path = Path(db)
        # Server mode (docs/deployment.md): a postgresql:// URL is kept as is, not made a Path.
        self.db: str | Path = str(db) if is_postgres_url(str(db)) else self.db_path
        self.readonly = readonly
        self.store = open_store(self.db, readonly=readonly)
        self._index: CableIndex | None = None

    @property
    def index(self) -> CableIndex:
        """The tantivy index, opened on first use (commands that only read records skip it)."""
        if self._index is None:
            self._index = CableIndex(index_path_for(self.db))
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest and maintenance -------------------------------------------------------------

    def ingest(
        self, sources: Iterable[str | Path], progress: _ingest.Progress | None = None
    ) -> _ingest.IngestSummary:
        """Ingest folders, archives, CSV or text files; every item gets a ledger row."""
        return _ingest.ingest(self.store, self.index, [Path(s) for s in sources], progress=progress)

    def reindex(self, progress: _ingest.Progress | None = None) -> int:
        """Rebuild the full-text index from the records; returns the number of cables indexed."""
        return _ingest.reindex(self.store, self.index, progress=progress)

    def check(self, repair: bool = True) -> dict[str, Any]:
        """Compare store, index and ledger; with ``repair`` make the index match the store."""
        stored = set(self.store.ids())
        indexed = self.index.ids()
        report: dict[str, Any] = {
            "cables": len(stored),
            "indexed": len(indexed),
            "missing_from_index": len(stored - indexed),
            "extra_in_index": len(indexed - stored),
            "ledger": self.store.ledger_counts(),
        }
        lag = _ingest.index_lag(self.store)
        report["stale_in_index"] = lag  # stored or updated after the index's last commit
        report["consistent"] = stored == indexed and lag == 0
        if repair and not report["consistent"]:
            report["repaired"] = _ingest.repair_index(self.store, self.index)
            report["consistent"] = self.index.ids() == set(self.store.ids())
        return report

    # -- reading ----------------------------------------------------------------------------

    def cable(self, cable_id: str) -> Cable:
        """One cable by reference id (case-insensitive); raises NotFoundError."""
        return self.store.get(cable_id.strip().upper())

    def stats(self) -> dict[str, Any]:
        """Counts by classification, origin, year and tag, and how well REF lines resolve."""
        from cabledesk.enrich.references import reference_stats

        return {**self.store.stats(), "references": reference_stats(self.store)}

    def ledger(self, failed_only: bool = False, limit: int | None = None) -> list[LedgerEntry]:
        """What became of every input item, newest last."""
        return self.store.ledger(failed_only=failed_only, limit=limit)

    def search(self, query: str, **options: Any) -> Any:
        """Run a query-language search; see :func:`cabledesk.search.search` for the options."""
        from cabledesk.search import search

        return search(self.index, query, resolvers=self.resolvers, **options)

    def batch_search(self, queries: Iterable[str], top: int = 3) -> Iterator[dict[str, Any]]:
        """One result per query line (for checking a list of names against the whole leak)."""
        from cabledesk.search import batch_search

        return batch_search(self.index, queries, top=top, resolvers=self.resolvers)

    @property
    def resolvers(self) -> Resolvers:
        """What the query language asks of the records: citations, protected sources, entities."""
        return Resolvers(cites_of=self.cites_of, protected=self.protected_ids, entity=self.entity_cable_ids)

    def entity_cable_ids(self, kind: str, name: str) -> list[str]:
        """Cables naming the person, organisation or place ``name`` (after ``cabledesk enrich``)."""
        from cabledesk.enrich.entity_read import AmbiguousEntityError, cable_ids_for_entity, resolve_one

        try:
            entity = resolve_one(self.store, name)
        except NotFoundError:
            return []
        except AmbiguousEntityError as exc:
            raise QueryError(str(exc), 0, f'write the entity id, e.g. {kind}:"E123"') from exc
        except CabledeskError as exc:
            raise QueryError(f"{kind}: cannot be answered: {exc}", 0, "run `cabledesk enrich` first") from exc
        if entity.get("type") != kind:
            return []
        return cable_ids_for_entity(self.store, entity["entity_id"])

    def protected_ids(self) -> set[str]:
        """Cables with protected sources (markers, redactions, accepted names): ``protected:yes``."""
        from cabledesk.protect import protected_ids

        return protected_ids(self)

    def cites_of(self, cable_id: str) -> list[str]:
        """Reference ids that a cable cites (empty for an unknown id): powers ``citedby:``."""
        try:
            cable = self.store.get(cable_id.strip().upper())
        except NotFoundError:
            return []
        return [r.id for r in cable.references if r.id]

    def matching_ids(self, query: str | None) -> Iterator[str]:
        """Every cable id matching ``query`` (all ids when None), in id order."""
        if not query:
            yield from self.store.ids()
            return
        from cabledesk.search import matching_ids

        yield from sorted(matching_ids(self.index, query, resolvers=self.resolvers))

    def export(
        self, out: IO[str], *, query: str | None = None, fmt: Literal["jsonl", "csv"] = "jsonl"
    ) -> int:
        """Write matching cables as JSONL (the ``show --json`` contract) or CSV; returns the count."""
        writer = csv.writer(out) if fmt == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        n = 0
        for cable in self._cables(self.matching_ids(query)):
            d = cable.to_dict()
            if writer:
                writer.writerow([_csv_cell(d, col) for col in CSV_COLUMNS])
            else:
                out.write(dumps(d) + "\n")
            n += 1
        return n

    def _cables(self, ids: Iterable[str], chunk: int = 500) -> Iterator[Cable]:
        buf: list[str] = []
        for cid in ids:
            buf.append(cid)
            if len(buf) >= chunk:
                got = self.store.get_many(buf)
                yield from (got[i] for i in buf if i in got)
                buf = []
        if buf:
            got = self.store.get_many(buf)
            yield from (got[i] for i in buf if i in got)


def _csv_cell(d: dict[str, Any], col: str) -> str:
    v = d.get(col)
    if v is None:
        return ""
    if col == "references":
        return "; ".join(r["id"] or r["raw"] for r in v)
    if col == "paragraphs":
        return "\n\n".join(
            f"{p['n'] if p['n'] is not None else ''}. ({p['marking']}) {p['text']}" if p["marking"]
            else f"{p['n'] if p['n'] is not None else ''}. {p['text']}"
            for p in v
        )
    if col == "classified_by":
        return str(v.get("text") or "")
    if col == "declassify":
        return str(v.get("raw") or "")
    if isinstance(v, list):
        return "; ".join(str(x) for x in v)
    return str(v)


def export_string(desk: Desk, query: str | None = None, fmt: Literal["jsonl", "csv"] = "jsonl") -> str:
    """Export into a string (tests and the API use it on small sets)."""
    buf = io.StringIO()
    desk.export(buf, query=query, fmt=fmt)
    return buf.getvalue()

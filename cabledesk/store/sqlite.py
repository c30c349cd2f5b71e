"""The SQLite records backend: one file, WAL, every cable version kept, one transaction per batch.

Concurrency: one writer process at a time; any number of readers (web, CLI search) may open the
same file meanwhile, each with its own :class:`SQLiteStore` (WAL lets them read while the writer
writes, and they only ever see committed batches). One store object holds one connection, opened
with ``check_same_thread=False`` and guarded by a lock, so it may be shared between threads (the web
server's worker threads) but calls are serialised.

``get`` reads the ``cable_versions.data`` JSON (``Cable.to_dict()``, zstd-compressed: a quarter of
the bytes; older rows hold a zlib BLOB or plain TEXT and are read as they are), so a cable
comes back exactly as it was stored; the ``cables``, ``paragraphs``, ``tags`` and ``refs`` tables are the same data
spread into columns for SQL queries, facets and Datasette.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cabledesk.errors import NotFoundError, SchemaError, StoreError, StoreWriteError
from cabledesk.model import Cable, LedgerEntry, LedgerStatus
from cabledesk.store.base import keyset_pages
from cabledesk.store.codec import compress, decompress, dumps, dumps_bytes
from cabledesk.store.schema import migrate, read_version

#: Ledger statuses that settle an item: a resumed ingest skips items that have any of them.
FINAL_STATUSES: tuple[str, ...] = ("ingested", "duplicate", "updated", "failed")

#: Parameters per ``IN (...)`` query; far below SQLite's limit, large enough to be cheap.
_CHUNK = 500

_CABLE_COLUMNS = (
    "id, version, content_hash, created, year, released, origin, classification, classification_label, "
    "caveats, precedence, dtg, from_addr, to_addrs, info_addrs, subject, subject_marking, signer, "
    "classified_by, declassify, conflicts, body, header, source, item, ingested_at"
)
_UPSERT_CABLE = (
    f"INSERT INTO cables ({_CABLE_COLUMNS}) VALUES ({', '.join('?' * 26)}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CABLE_COLUMNS.split(", ")[1:])
)
_CURRENT = (
    "SELECT c.id, v.data FROM cables c JOIN cable_versions v ON v.cable_id = c.id AND v.version = c.version"
)
_SURROGATES = re.compile("[\ud800-\udfff]")

# Primary SQLite result codes (the low byte of sqlite_errorcode) and what they mean to a user.
_WRITE_ERRORS = {
    13: "the database disk is full",  # SQLITE_FULL
    8: "the database is read-only (opened read-only, or the file is not writable)",  # SQLITE_READONLY
    5: "the database is locked by another writer (only one ingest may run at a time)",  # SQLITE_BUSY
    6: "the database is locked by another writer (only one ingest may run at a time)",  # SQLITE_LOCKED
    10: "the database file could not be written (input/output error)",  # SQLITE_IOERR
    11: "the database file is damaged",  # SQLITE_CORRUPT
    14: "the database file could not be opened for writing",  # SQLITE_CANTOPEN
}


def _now() -> str:
    """One ISO UTC timestamp per batch, so a batch's rows share it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _clean(text: str | None) -> str | None:
    """Lone surrogates cannot be stored as SQLite TEXT; columns get U+FFFD, the JSON keeps them."""
    return _SURROGATES.sub("\ufffd", text) if text else text


def _write_error(exc: sqlite3.Error, path: Path) -> StoreWriteError:
    """Turn a sqlite3 write error into a message a journalist can act on."""
    code = getattr(exc, "sqlite_errorcode", None)
    what = _WRITE_ERRORS.get(code & 0xFF) if isinstance(code, int) else None
    if what is None:
        text = str(exc).lower()
        if "full" in text:
            what = _WRITE_ERRORS[13]
        elif "readonly" in text or "read-only" in text:
            what = _WRITE_ERRORS[8]
        elif "locked" in text or "busy" in text:
            what = _WRITE_ERRORS[5]
        else:
            what = "writing to the database failed"
    return StoreWriteError(f"{what}: {path} ({exc}); nothing from this batch was written")


def _chunks(seq: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


#: ``meta`` key: ledger id up to which every stored change is committed in the search index.
INDEX_MARK = "index_ledger_mark"


def _load(data: str | bytes) -> Any:
    """A ``cable_versions.data`` value (zstd or, in older rows, zlib BLOB, or TEXT) as a dict."""
    return json.loads(decompress(data) if isinstance(data, bytes) else data)


@dataclass(slots=True)
class PreparedCable:
    """A cable already turned into its rows, so parser processes do this work, not the one writer."""

    id: str
    content_hash: str
    data: bytes  # compressed Cable.to_dict() JSON (codec.compress)
    columns: tuple[Any, ...]  # the ``cables`` columns from created to header
    paragraphs: list[tuple[Any, ...]]  # (idx, n, marking, text)
    tags: list[tuple[int, str]]  # (pos, tag)
    refs: list[tuple[Any, ...]]  # (pos, raw, target_id, year_source, kind, label)


def prepare_cable(cable: Cable) -> PreparedCable:
    """Everything the writer needs for one cable, computed without touching the database."""
    d = cable.to_dict()
    try:
        raw = dumps_bytes(d)
    except UnicodeEncodeError:  # lone surrogates: keep them exactly, escaped in the JSON
        raw = json.dumps(d, separators=(",", ":")).encode("ascii")
        d = json.loads(_clean(json.dumps(d, ensure_ascii=False)) or "{}")
    cb, decl = d["classified_by"], d["declassify"]
    columns = (
        d["created"], cable.year, d["released"], d["origin"], d["classification"],
        d["classification_label"], dumps(d["caveats"]), d["precedence"], d["dtg"], d["from"],
        dumps(d["to"]), dumps(d["info"]), d["subject"], d["subject_marking"], d["signer"],
        dumps(cb) if cb is not None else None, dumps(decl) if decl is not None else None,
        dumps(d["conflicts"]), d["body"], d["header"],
    )  # fmt: skip
    return PreparedCable(
        id=d["id"],
        content_hash=cable.content_hash(),
        data=compress(raw),
        columns=columns,
        paragraphs=[(i, p["n"], p["marking"], p["text"]) for i, p in enumerate(d["paragraphs"])],
        tags=list(enumerate(d["tags"])),
        refs=[
            (i, r["raw"], r["id"], r["year_source"], r["kind"], r["label"])
            for i, r in enumerate(d["references"])
        ],
    )


class SQLiteStore:
    """The Store protocol on one SQLite file (see the module docstring for concurrency)."""

    def __init__(self, path: str | Path, *, readonly: bool = False, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._conn = self._connect(busy_timeout)
        try:
            read_version(self._conn, self.path)  # refuse a foreign file before changing anything in it
            self._configure()
            self.schema_version = migrate(self._conn, self.path, readonly=readonly)
        except BaseException:
            self._conn.close()
            raise

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        """Open the file (read-only through a ``mode=ro`` URI); StoreError if it cannot be opened."""
        try:
            if self.readonly:
                if not self.path.exists():
                    raise StoreError(f"no cabledesk database at {self.path}")
                uri = "file:" + quote(str(self.path.absolute())) + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=busy_timeout, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc
        conn.isolation_level = None  # we issue BEGIN/COMMIT ourselves: one transaction per batch
        return conn

    def _configure(self) -> None:
        """WAL + synchronous=NORMAL: crash-safe (a crash loses at most the last batch), fast."""
        try:
            if not self.readonly:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.path}: cannot switch the database to WAL mode (got {mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            # 32 MiB: a 64 MiB cache made the 251k-cable ingest no faster (223 s against 215 s) and
            # pushed its peak RSS over 1 GB (BENCHMARKS.md, issue 8); other reads touch few pages.
            self._conn.execute("PRAGMA cache_size = -32768")
            self._conn.execute("PRAGMA temp_store = MEMORY")
            self._conn.execute("PRAGMA journal_size_limit = 67108864")  # shrink the WAL to 64 MiB
        except sqlite3.DatabaseError as exc:
            raise SchemaError(
                f"{self.path} is not a cabledesk database: it is not an SQLite file ({exc})"
            ) from exc

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, readonly={self.readonly})"

    # -- writing -------------------------------------------------------------------------------

    def add_many(self, items: Iterable[tuple[Cable, str, str]]) -> list[LedgerEntry]:
        """Store (cable, source, item) triples in one transaction and write their ledger rows."""
        return self.add_prepared([(prepare_cable(cable), source, item) for cable, source, item in items])

    def add_prepared(
        self,
        items: Sequence[tuple[PreparedCable, str, str]],
        failures: Sequence[tuple[str, str, str]] = (),
    ) -> list[LedgerEntry]:
        """Prepared cables and (source, item, reason) failures in ONE transaction, ledger rows included.

        One transaction for both means a crash never leaves an item half-recorded: after any crash
        point an item either has its final ledger row (and its records) or nothing at all.
        """
        if not items and not failures:
            return []
        with self._lock:
            at = _now()
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                entries = self._write_batch(items, at) if items else []
                fails = [LedgerEntry(s, i, "failed", None, reason, None, at) for s, i, reason in failures]
                self._insert_ledger(fails)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _write_error(exc, self.path) from exc
            except BaseException:
                self._rollback()
                raise
        return entries + fails

    def _write_batch(self, batch: Sequence[tuple[PreparedCable, str, str]], at: str) -> list[LedgerEntry]:
        """Decide each item's status against the stored and in-batch state, then write in bulk."""
        ids = list(dict.fromkeys(p.id for p, _s, _i in batch))
        state: dict[str, tuple[int, str]] = {}  # id -> (current version, hash)
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for cid, version, chash in self._conn.execute(
                f"SELECT id, version, content_hash FROM cables WHERE id IN ({marks})", chunk
            ):
                state[cid] = (version, chash)
        existed = set(state)

        entries: list[LedgerEntry] = []
        versions: list[tuple[Any, ...]] = []
        final: dict[str, tuple[Any, ...]] = {}  # id -> cables row of the last new version
        children: dict[str, PreparedCable] = {}  # id -> the last new version
        for p, source, item in batch:
            chash = p.content_hash
            current = state.get(p.id)
            if current is not None and current[1] == chash:
                entries.append(LedgerEntry(source, item, "duplicate", p.id, None, chash, at))
                continue
            version = 1 if current is None else current[0] + 1
            state[p.id] = (version, chash)
            src, itm = _clean(source), _clean(item)
            versions.append((p.id, version, chash, p.data, src, itm, at))
            final[p.id] = (p.id, version, chash, *p.columns, src, itm, at)
            children[p.id] = p
            status: LedgerStatus = "ingested" if current is None else "updated"
            entries.append(LedgerEntry(source, item, status, p.id, None, chash, at))

        replaced = [(cid,) for cid in final if cid in existed]
        if replaced:
            for table in ("paragraphs", "tags", "refs"):
                self._conn.executemany(f"DELETE FROM {table} WHERE cable_id = ?", replaced)
        conn = self._conn
        conn.executemany(_UPSERT_CABLE, final.values())
        conn.executemany(
            "INSERT INTO cable_versions (cable_id, version, content_hash, data, source, item, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            versions,
        )
        conn.executemany(
            "INSERT INTO paragraphs (cable_id, idx, n, marking, text) VALUES (?, ?, ?, ?, ?)",
            ((cid, *row) for cid, p in children.items() for row in p.paragraphs),
        )
        conn.executemany(
            "INSERT INTO tags (cable_id, pos, tag) VALUES (?, ?, ?)",
            ((cid, *row) for cid, p in children.items() for row in p.tags),
        )
        conn.executemany(
            "INSERT INTO refs (cable_id, pos, raw, target_id, year_source, kind, label) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((cid, *row) for cid, p in children.items() for row in p.refs),
        )
        self._insert_ledger(entries)
        return entries

    def _insert_ledger(self, entries: list[LedgerEntry]) -> None:
        self._conn.executemany(
            "INSERT INTO ledger (source, item, status, cable_id, reason, content_hash, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    _clean(e.source),
                    _clean(e.item),
                    e.status,
                    e.cable_id,
                    _clean(e.reason),
                    e.content_hash,
                    e.at,
                )
                for e in entries
            ),
        )

    def record_failures(self, items: Iterable[tuple[str, str, str]]) -> list[LedgerEntry]:
        """Write ``failed`` ledger rows for (source, item, reason) triples."""
        return self.add_prepared((), list(items))

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already done so (it may after SQLITE_FULL)."""
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    # -- reading -------------------------------------------------------------------------------

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"reading the database {self.path} failed: {exc}") from exc

    def has_tables(self, *names: str) -> bool:
        """True when every named table exists: a read-only open of an older file may lack feature tables."""
        marks = ", ".join("?" * len(names))
        rows = self._all(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})", names
        )
        return int(rows[0][0]) == len(set(names))

    def get(self, cable_id: str, version: int | None = None) -> Cable:
        """The current (or a given) version of a cable; raises NotFoundError."""
        if version is None:
            rows = self._all(f"{_CURRENT} WHERE c.id = ?", (cable_id,))
            if not rows:
                raise NotFoundError(f"no cable {cable_id} in the store")
            return Cable.from_dict(_load(rows[0][1]))
        rows = self._all(
            "SELECT data FROM cable_versions WHERE cable_id = ? AND version = ?", (cable_id, version)
        )
        if not rows:
            if not self.has(cable_id):
                raise NotFoundError(f"no cable {cable_id} in the store")
            raise NotFoundError(f"cable {cable_id} has no version {version}")
        return Cable.from_dict(_load(rows[0][0]))

    def get_many(self, cable_ids: Iterable[str]) -> dict[str, Cable]:
        """Current versions of the ids that exist (missing ids are simply absent)."""
        ids = list(dict.fromkeys(cable_ids))
        found: dict[str, Cable] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for cid, data in self._all(f"{_CURRENT} WHERE c.id IN ({marks})", chunk):
                found[cid] = Cable.from_dict(_load(data))
        return {cid: found[cid] for cid in ids if cid in found}

    def has(self, cable_id: str) -> bool:
        return bool(self._all("SELECT 1 FROM cables WHERE id = ?", (cable_id,)))

    def versions(self, cable_id: str) -> list[dict[str, Any]]:
        """[{version, content_hash, source, item, at}] oldest first; raises NotFoundError."""
        rows = self._all(
            "SELECT version, content_hash, source, item, at FROM cable_versions "
            "WHERE cable_id = ? ORDER BY version",
            (cable_id,),
        )
        if not rows:
            raise NotFoundError(f"no cable {cable_id} in the store")
        keys = ("version", "content_hash", "source", "item", "at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count(self) -> int:
        """Number of distinct cables."""
        return int(self._all("SELECT count(*) FROM cables")[0][0])

    def ids(self) -> Iterator[str]:
        """Every id in id order, paged so no read transaction stays open between pages."""
        sql = "SELECT id FROM cables WHERE id > ? ORDER BY id LIMIT 10000"
        return (r[0] for r in keyset_pages(lambda last: self._all(sql, (last,))))

    def iter_cables(self, batch_size: int = 500) -> Iterator[Cable]:
        """Every current cable in id order, ``batch_size`` rows in memory at a time."""
        sql = f"{_CURRENT} WHERE c.id > ? ORDER BY c.id LIMIT ?"
        for _cid, data in keyset_pages(lambda last: self._all(sql, (last, batch_size))):
            yield Cable.from_dict(_load(data))

    def content_hashes(self) -> dict[str, str]:
        """{id: content hash of the current version}, for consistency checks."""
        return dict(self._all("SELECT id, content_hash FROM cables"))

    def seen_items(self, source: str) -> set[str]:
        """Items of ``source`` already in the ledger with a final status (for resuming an ingest)."""
        marks = ",".join("?" * len(FINAL_STATUSES))
        rows = self._all(
            f"SELECT DISTINCT item FROM ledger WHERE source = ? AND status IN ({marks})",
            (source, *FINAL_STATUSES),
        )
        return {r[0] for r in rows}

    def ledger(self, failed_only: bool = False, limit: int | None = None) -> list[LedgerEntry]:
        """Ledger rows in the order they were written (the first ``limit`` when given)."""
        sql = "SELECT source, item, status, cable_id, reason, content_hash, at FROM ledger"
        if failed_only:
            sql += " WHERE status = 'failed'"
        sql += " ORDER BY id LIMIT ?"
        return [LedgerEntry(*row) for row in self._all(sql, (-1 if limit is None else limit,))]

    def ledger_counts(self) -> dict[str, int]:
        """{status: count} over the whole ledger, every status present (0 when none)."""
        counts = dict.fromkeys(FINAL_STATUSES, 0)
        counts.update(self._all("SELECT status, count(*) FROM ledger GROUP BY status"))
        return counts

    def stats(self) -> dict[str, Any]:
        """Facet counts by count desc; cables without a value are left out of that facet."""

        def facet(sql: str) -> dict[Any, int]:
            return dict(self._all(sql + " ORDER BY 2 DESC, 1"))

        def column(name: str) -> dict[Any, int]:
            return facet(f"SELECT {name}, count(*) FROM cables WHERE {name} IS NOT NULL GROUP BY 1")

        with self._lock:  # one read transaction: every facet counts the same committed cables
            self._conn.execute("BEGIN")
            try:
                return {
                    "cables": self.count(),
                    "classification": column("classification_label"),
                    "level": column("classification"),
                    "origin": column("origin"),
                    "year": column("year"),
                    "tag": facet("SELECT tag, count(DISTINCT cable_id) FROM tags GROUP BY 1"),
                }
            finally:
                self._conn.execute("COMMIT")

    # -- index bookkeeping ---------------------------------------------------------------------

    def last_ledger_id(self) -> int:
        """Id of the newest ledger row (0 when empty)."""
        return int(self._all("SELECT coalesce(max(id), 0) FROM ledger")[0][0])

    def index_mark(self) -> int | None:
        """Ledger id up to which every change is committed in the index (None: never recorded)."""
        rows = self._all("SELECT value FROM meta WHERE key = ?", (INDEX_MARK,))
        return int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else None

    def set_index_mark(self, ledger_id: int) -> None:
        """Record that the index holds every change up to ``ledger_id`` (after an index commit)."""
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (INDEX_MARK, str(ledger_id)),
                )
            except sqlite3.Error as exc:
                raise _write_error(exc, self.path) from exc

    def changed_since(self, ledger_id: int) -> set[str]:
        """Ids stored or updated by ledger rows after ``ledger_id`` (what the index may lack)."""
        rows = self._all(
            "SELECT DISTINCT cable_id FROM ledger WHERE id > ? AND status IN ('ingested', 'updated')",
            (ledger_id,),
        )
        return {r[0] for r in rows}

    def close(self) -> None:
        """Close the connection (idempotent); the WAL is checkpointed by SQLite on last close."""
        with self._lock:
            try:
                if not self.readonly:
                    self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
            self._conn.close()

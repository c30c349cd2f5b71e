"""The PostgreSQL records backend: the same Store as SQLite, for a newsroom server shared by many.

Same tables and the same bytes as :mod:`cabledesk.store.sqlite` (``cable_versions.data`` is the
compressed ``Cable.to_dict()`` JSON (:func:`~cabledesk.store.codec.compress`), so a cable comes back exactly as stored). The schema is
managed by alembic (:mod:`cabledesk.store.pg_migrate`), applied on open.

Concurrency: any number of processes may read and write. Each write batch is one transaction that
first takes a transaction-level advisory lock, so two ingests never decide "new or duplicate"
against the same stale state; readers never wait for it. One store object holds one connection
guarded by a lock (shared between a web server's threads, calls serialised), like SQLiteStore.

Text columns cannot hold NUL or lone surrogates in PostgreSQL: columns get U+FFFD for them, the
compressed JSON keeps the original exactly.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg

from cabledesk.errors import NotFoundError, StoreError, StoreWriteError
from cabledesk.model import Cable, LedgerEntry, LedgerStatus
from cabledesk.store.base import keyset_pages
from cabledesk.store.pg_migrate import libpq_url, migrate_pg, redact
from cabledesk.store.sqlite import (
    _CABLE_COLUMNS,
    FINAL_STATUSES,
    INDEX_MARK,
    PreparedCable,
    _load,
    _now,
    prepare_cable,
)

#: Advisory-lock key serialising write batches across processes ("CBLW").
WRITE_LOCK = 0x43424C57

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_UPSERT_CABLE = (
    f"INSERT INTO cables ({_CABLE_COLUMNS}) VALUES ({', '.join(['%s'] * 26)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CABLE_COLUMNS.split(", ")[1:])
)
_CURRENT = (
    "SELECT c.id, v.data FROM cables c JOIN cable_versions v ON v.cable_id = c.id AND v.version = c.version"
)
#: Record tables shadowed in :meth:`PostgresStore.scoped_all`, with their cable-id column.
_SCOPED_TABLES = (
    ("cables", "id"), ("cable_versions", "cable_id"), ("paragraphs", "cable_id"),
    ("tags", "cable_id"), ("refs", "cable_id"), ("ledger", "cable_id"),
)  # fmt: skip
_QMARK = re.compile(r"'(?:[^']|'')*'|\?|%")


def _pg(value: Any) -> Any:
    """A value PostgreSQL TEXT accepts: NUL and lone surrogates become U+FFFD."""
    return _BAD_TEXT.sub("\ufffd", value) if isinstance(value, str) and value else value


def _row(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_pg(v) for v in values)


def qmark_to_pyformat(sql: str) -> str:
    """SQLite-style ``?`` placeholders -> psycopg ``%s`` (quoted literals and ``%`` kept intact)."""

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        return "%s" if tok == "?" else "%%" if tok == "%" else tok.replace("%", "%%")

    return _QMARK.sub(sub, sql)


class PostgresStore:
    """The Store protocol on one PostgreSQL database (see the module docstring for concurrency)."""

    def __init__(self, url: str, *, readonly: bool = False, connect_timeout: int = 10) -> None:
        self.url = url
        self.readonly = readonly
        self.shown = redact(url)
        self._lock = threading.RLock()
        self.schema_version = migrate_pg(url, readonly=readonly)
        options = "-c default_transaction_read_only=on" if readonly else ""
        try:
            self._conn = psycopg.connect(
                libpq_url(url), autocommit=True, connect_timeout=connect_timeout, options=options
            )
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the database {self.shown}: {exc}") from exc

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.shown!r}, readonly={self.readonly})"

    # -- writing -------------------------------------------------------------------------------

    def add_many(self, items: Iterable[tuple[Cable, str, str]]) -> list[LedgerEntry]:
        """Store (cable, source, item) triples in one transaction and write their ledger rows."""
        return self.add_prepared([(prepare_cable(cable), source, item) for cable, source, item in items])

    def add_prepared(
        self,
        items: Sequence[tuple[PreparedCable, str, str]],
        failures: Sequence[tuple[str, str, str]] = (),
    ) -> list[LedgerEntry]:
        """Prepared cables and (source, item, reason) failures in ONE transaction, ledger rows included."""
        if not items and not failures:
            return []
        with self._lock:
            at = _now()
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    entries = self._write_batch(cur, items, at) if items else []
                    fails = [LedgerEntry(s, i, "failed", None, reason, None, at) for s, i, reason in failures]
                    self._insert_ledger(cur, fails)
            except psycopg.Error as exc:
                raise StoreWriteError(
                    f"writing to the database {self.shown} failed ({exc}); nothing from this batch was written"
                ) from exc
        return entries + fails

    def _write_batch(
        self, cur: psycopg.Cursor[Any], batch: Sequence[tuple[PreparedCable, str, str]], at: str
    ) -> list[LedgerEntry]:
        """Decide each item's status against the stored and in-batch state, then write in bulk."""
        ids = list(dict.fromkeys(p.id for p, _s, _i in batch))
        cur.execute("SELECT id, version, content_hash FROM cables WHERE id = ANY(%s)", (ids,))
        state: dict[str, tuple[int, str]] = {cid: (v, h) for cid, v, h in cur.fetchall()}
        existed = set(state)

        entries: list[LedgerEntry] = []
        versions: list[tuple[Any, ...]] = []
        final: dict[str, tuple[Any, ...]] = {}
        children: dict[str, PreparedCable] = {}
        for p, source, item in batch:
            current = state.get(p.id)
            if current is not None and current[1] == p.content_hash:
                entries.append(LedgerEntry(source, item, "duplicate", p.id, None, p.content_hash, at))
                continue
            version = 1 if current is None else current[0] + 1
            state[p.id] = (version, p.content_hash)
            src, itm = _pg(source), _pg(item)
            versions.append((p.id, version, p.content_hash, p.data, src, itm, at))
            final[p.id] = _row((p.id, version, p.content_hash, *p.columns, src, itm, at))
            children[p.id] = p
            status: LedgerStatus = "ingested" if current is None else "updated"
            entries.append(LedgerEntry(source, item, status, p.id, None, p.content_hash, at))

        replaced = [cid for cid in final if cid in existed]
        if replaced:
            for table in ("paragraphs", "tags", "refs"):
                cur.execute(f"DELETE FROM {table} WHERE cable_id = ANY(%s)", (replaced,))
        if final:
            cur.executemany(_UPSERT_CABLE, list(final.values()))
            cur.executemany(
                "INSERT INTO cable_versions (cable_id, version, content_hash, data, source, item, at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                versions,
            )
        self._copy(cur, "paragraphs (cable_id, idx, n, marking, text)",
                   (_row((cid, *r)) for cid, p in children.items() for r in p.paragraphs))  # fmt: skip
        self._copy(cur, "tags (cable_id, pos, tag)",
                   (_row((cid, *r)) for cid, p in children.items() for r in p.tags))  # fmt: skip
        self._copy(cur, "refs (cable_id, pos, raw, target_id, year_source, kind, label)",
                   (_row((cid, *r)) for cid, p in children.items() for r in p.refs))  # fmt: skip
        self._insert_ledger(cur, entries)
        return entries

    @staticmethod
    def _copy(cur: psycopg.Cursor[Any], target: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Bulk insert with COPY (several times faster than INSERTs for paragraphs)."""
        with cur.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _insert_ledger(self, cur: psycopg.Cursor[Any], entries: list[LedgerEntry]) -> None:
        self._copy(
            cur,
            "ledger (source, item, status, cable_id, reason, content_hash, at)",
            (_row((e.source, e.item, e.status, e.cable_id, e.reason, e.content_hash, e.at)) for e in entries),
        )

    def record_failures(self, items: Iterable[tuple[str, str, str]]) -> list[LedgerEntry]:
        """Write ``failed`` ledger rows for (source, item, reason) triples."""
        return self.add_prepared((), list(items))

    # -- reading -------------------------------------------------------------------------------

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one query; accepts the SQLite ``?`` style too, so SQL shared with SQLite runs here."""
        if "?" in sql:
            sql = qmark_to_pyformat(sql)
        with self._lock:
            try:
                return self._conn.execute(sql, params or None).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"reading the database {self.shown} failed: {exc}") from exc

    def scoped_all(self, sql: str, params: Sequence[Any], allowed: Iterable[str]) -> list[Any]:
        """Rows of one query that sees ONLY the ``allowed`` cables, whatever SQL it is.

        In a transaction that is rolled back afterwards, temporary views named like the record
        tables shadow them (PostgreSQL looks up ``pg_temp`` first), each filtered to the allowed
        ids: a reference or graph query written for the whole corpus cannot count, join or list a
        cable outside the set. Unqualified table names only (as all of cabledesk's SQL is).
        """
        if "?" in sql:
            sql = qmark_to_pyformat(sql)
        with self._lock:
            try:
                with self._conn.transaction(force_rollback=True), self._conn.cursor() as cur:
                    cur.execute("SET TRANSACTION READ WRITE")
                    schema = cur.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
                    cur.execute('CREATE TEMP TABLE allowed_ids (id TEXT COLLATE "C" PRIMARY KEY)')
                    self._copy(cur, "pg_temp.allowed_ids (id)", ((_pg(i),) for i in allowed))
                    for table, key in _SCOPED_TABLES:
                        cur.execute(
                            f'CREATE TEMP VIEW {table} AS SELECT * FROM "{schema}".{table} t '
                            f"WHERE t.{key} IN (SELECT id FROM pg_temp.allowed_ids)"
                        )
                    cur.execute(sql, params or None)
                    return cur.fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"reading the database {self.shown} failed: {exc}") from exc

    def get(self, cable_id: str, version: int | None = None) -> Cable:
        """The current (or a given) version of a cable; raises NotFoundError."""
        if version is None:
            rows = self._all(f"{_CURRENT} WHERE c.id = %s", (_pg(cable_id),))
            if not rows:
                raise NotFoundError(f"no cable {cable_id} in the store")
            return Cable.from_dict(_load(bytes(rows[0][1])))
        rows = self._all(
            "SELECT data FROM cable_versions WHERE cable_id = %s AND version = %s", (_pg(cable_id), version)
        )
        if not rows:
            if not self.has(cable_id):
                raise NotFoundError(f"no cable {cable_id} in the store")
            raise NotFoundError(f"cable {cable_id} has no version {version}")
        return Cable.from_dict(_load(bytes(rows[0][0])))

    def get_many(self, cable_ids: Iterable[str]) -> dict[str, Cable]:
        """Current versions of the ids that exist (missing ids are simply absent)."""
        ids = list(dict.fromkeys(cable_ids))
        found = {
            cid: Cable.from_dict(_load(bytes(data)))
            for cid, data in self._all(f"{_CURRENT} WHERE c.id = ANY(%s)", ([_pg(i) for i in ids],))
        }
        return {cid: found[cid] for cid in ids if cid in found}

    def has(self, cable_id: str) -> bool:
        return bool(self._all("SELECT 1 FROM cables WHERE id = %s", (_pg(cable_id),)))

    def versions(self, cable_id: str) -> list[dict[str, Any]]:
        """[{version, content_hash, source, item, at}] oldest first; raises NotFoundError."""
        rows = self._all(
            "SELECT version, content_hash, source, item, at FROM cable_versions "
            "WHERE cable_id = %s ORDER BY version",
            (_pg(cable_id),),
        )
        if not rows:
            raise NotFoundError(f"no cable {cable_id} in the store")
        keys = ("version", "content_hash", "source", "item", "at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count(self) -> int:
        """Number of distinct cables."""
        return int(self._all("SELECT count(*) FROM cables")[0][0])

    def ids(self) -> Iterator[str]:
        """Every id in id order (bytewise: the column is COLLATE "C"), paged."""
        sql = "SELECT id FROM cables WHERE id > %s ORDER BY id LIMIT 10000"
        return (r[0] for r in keyset_pages(lambda last: self._all(sql, (last,))))

    def iter_cables(self, batch_size: int = 500) -> Iterator[Cable]:
        """Every current cable in id order, ``batch_size`` rows in memory at a time."""
        sql = f"{_CURRENT} WHERE c.id > %s ORDER BY c.id LIMIT %s"
        for _cid, data in keyset_pages(lambda last: self._all(sql, (last, batch_size))):
            yield Cable.from_dict(_load(bytes(data)))

    def content_hashes(self) -> dict[str, str]:
        """{id: content hash of the current version}, for consistency checks."""
        return dict(self._all("SELECT id, content_hash FROM cables"))

    def seen_items(self, source: str) -> set[str]:
        """Items of ``source`` already in the ledger with a final status (for resuming an ingest)."""
        rows = self._all(
            "SELECT DISTINCT item FROM ledger WHERE source = %s AND status = ANY(%s)",
            (_pg(source), list(FINAL_STATUSES)),
        )
        return {r[0] for r in rows}

    def ledger(self, failed_only: bool = False, limit: int | None = None) -> list[LedgerEntry]:
        """Ledger rows in the order they were written (the first ``limit`` when given)."""
        sql = "SELECT source, item, status, cable_id, reason, content_hash, at FROM ledger"
        if failed_only:
            sql += " WHERE status = 'failed'"
        sql += " ORDER BY id LIMIT %s"
        return [LedgerEntry(*row) for row in self._all(sql, (limit,))]

    def ledger_counts(self) -> dict[str, int]:
        """{status: count} over the whole ledger, every status present (0 when none)."""
        counts = dict.fromkeys(FINAL_STATUSES, 0)
        counts.update(self._all("SELECT status, count(*) FROM ledger GROUP BY status"))
        return counts

    def stats(self, ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Facet counts by count desc, from one snapshot; ``ids`` restricts them to those cables."""
        where, params = ("WHERE id = ANY(%s)", (list(ids),)) if ids is not None else ("", ())
        tag_where = "WHERE cable_id = ANY(%s)" if ids is not None else ""

        def column(cur: psycopg.Cursor[Any], name: str) -> dict[Any, int]:
            cond = f"{where} AND {name} IS NOT NULL" if where else f"WHERE {name} IS NOT NULL"
            cur.execute(f"SELECT {name}, count(*) FROM cables {cond} GROUP BY 1 ORDER BY 2 DESC, 1", params)
            return {k: int(v) for k, v in cur.fetchall()}

        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cur.execute(f"SELECT count(*) FROM cables {where}", params)
                    row = cur.fetchone()
                    out: dict[str, Any] = {"cables": int(row[0]) if row else 0}
                    for facet, col in (("classification", "classification_label"), ("level", "classification"),
                                       ("origin", "origin"), ("year", "year")):  # fmt: skip
                        out[facet] = column(cur, col)
                    cur.execute(
                        f"SELECT tag, count(DISTINCT cable_id) FROM tags {tag_where} GROUP BY 1 ORDER BY 2 DESC, 1",
                        params,
                    )
                    out["tag"] = {k: int(v) for k, v in cur.fetchall()}
                    return out
            except psycopg.Error as exc:
                raise StoreError(f"reading the database {self.shown} failed: {exc}") from exc

    # -- index bookkeeping ---------------------------------------------------------------------

    def last_ledger_id(self) -> int:
        """Id of the newest ledger row (0 when empty)."""
        return int(self._all("SELECT coalesce(max(id), 0) FROM ledger")[0][0])

    def index_mark(self) -> int | None:
        """Ledger id up to which every change is committed in the index (None: never recorded)."""
        rows = self._all("SELECT value FROM meta WHERE key = %s", (INDEX_MARK,))
        return int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else None

    def set_index_mark(self, ledger_id: int) -> None:
        """Record that the index holds every change up to ``ledger_id`` (after an index commit)."""
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (INDEX_MARK, str(ledger_id)),
                )
            except psycopg.Error as exc:
                raise StoreWriteError(f"writing to the database {self.shown} failed: {exc}") from exc

    def changed_since(self, ledger_id: int) -> set[str]:
        """Ids stored or updated by ledger rows after ``ledger_id`` (what the index may lack)."""
        rows = self._all(
            "SELECT DISTINCT cable_id FROM ledger WHERE id > %s AND status IN ('ingested', 'updated')",
            (ledger_id,),
        )
        return {r[0] for r in rows}

    def ids_from_source(self, source: str) -> set[str]:
        """Ids of cables any version of which came from ``source`` (a collection by ingest source)."""
        rows = self._all("SELECT DISTINCT cable_id FROM cable_versions WHERE source = %s", (_pg(source),))
        return {r[0] for r in rows}

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

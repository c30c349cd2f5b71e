"""The SQL seam of the feature tables (entities, protect): one API over SQLite and PostgreSQL.

Feature modules write their SQL once, SQLite style (``?`` placeholders, ``ON CONFLICT``,
``RETURNING``, ``"user"`` quoted), and run it here on either backend. A collection-scoped store
(:class:`cabledesk.server.access.ScopedStore`, server mode) is seen through: queries run on the real
store and :meth:`FeatureDB.scope` gives the clause that keeps them inside the allowed cables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cabledesk.errors import StoreError, StoreWriteError
from cabledesk.store.sqlite import SQLiteStore


def _db_errors() -> tuple[type[BaseException], ...]:
    """Database error classes of the installed backends (psycopg only with the server extra)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


class Tx:
    """One open write transaction: ``exec``/``many`` with SQLite-style SQL on either backend."""

    def __init__(self, db: FeatureDB, cur: Any) -> None:
        self._db, self._cur = db, cur

    def exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        return self._cur.execute(self._db.sql(sql), self._db.params(params))

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement per row (psycopg pipelines them)."""
        batch = [self._db.params(r) for r in rows]
        if batch:
            self._cur.executemany(self._db.sql(sql), batch)

    #: The DB-API spellings, for callers written against a connection.
    execute = exec
    executemany = many


class FeatureDB:
    """Feature-table access on the store behind ``store`` (SQLite, PostgreSQL, or a scoped view of one)."""

    def __init__(self, store: Any) -> None:
        inner = getattr(store, "_store", None)  # ScopedStore: the real store, and the allowed ids
        self.allowed: frozenset[str] | None = getattr(store, "allowed", None) if inner is not None else None
        self.base: Any = inner if inner is not None else store
        self.pg = not isinstance(self.base, SQLiteStore)
        self.conn: Any = self.base._conn
        self.lock: Any = self.base._lock
        self.readonly = bool(getattr(self.base, "readonly", False))
        self.errors = _db_errors()

    def __repr__(self) -> str:
        return f"FeatureDB({self.base!r}, scoped={self.allowed is not None})"

    # -- SQL -------------------------------------------------------------------------------------

    def sql(self, sql: str) -> str:
        """The statement in the backend's placeholder style."""
        if self.pg:
            from cabledesk.store.postgres import qmark_to_pyformat

            return qmark_to_pyformat(sql)
        return sql

    def params(self, params: Sequence[Any]) -> tuple[Any, ...]:
        """Parameters the backend accepts (PostgreSQL TEXT holds no NUL or lone surrogate: U+FFFD)."""
        if not self.pg:
            return tuple(params)
        from cabledesk.store.postgres import _pg

        return tuple(_pg(v) for v in params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of one read."""
        with self.lock:
            try:
                return list(self.conn.execute(self.sql(sql), self.params(params)).fetchall())
            except self.errors as exc:
                raise StoreError(f"reading the feature tables failed: {exc}") from exc

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        got = self.rows(sql, params)
        return got[0][0] if got else None

    @contextmanager
    def write(self, *, user_action: bool = False) -> Iterator[Tx]:
        """One write transaction; errors become StoreWriteError and nothing is half-written.

        ``user_action``: an explicit user decision (protect review) may write through a PostgreSQL
        connection opened read-only by default (the web app's): that one transaction is made
        READ WRITE. SQLite read-only connections cannot be lifted: callers open a writable store.
        """
        with self.lock:
            try:
                if self.pg:
                    with self.conn.transaction(), self.conn.cursor() as cur:
                        if user_action and self.readonly:
                            cur.execute("SET TRANSACTION READ WRITE")
                        yield Tx(self, cur)
                    return
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield Tx(self, self.conn)
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            except self.errors as exc:
                raise StoreWriteError(f"writing the feature tables failed: {exc}") from exc

    def has_tables(self, *names: str) -> bool:
        """True when every table in ``names`` exists (a read-only open of an old file may lack them)."""
        if not self.pg:
            return bool(self.base.has_tables(*names))
        n = self.value(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(?)",
            (list(names),),
        )
        return int(n or 0) == len(set(names))

    # -- lists and scope ---------------------------------------------------------------------------

    def in_list(self, column: str, values: Collection[str]) -> tuple[str, list[Any]]:
        """``column IN values`` as SQL and its one parameter (an array or a JSON list)."""
        ordered = sorted(values)
        if self.pg:
            return f"{column} = ANY(?)", [ordered]
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(ordered)]

    def scope(self, column: str) -> tuple[str, list[Any]]:
        """`` AND column IN allowed`` when the store is collection-scoped, else nothing."""
        if self.allowed is None:
            return "", []
        clause, params = self.in_list(column, self.allowed)
        return f" AND {clause}", params

    def visible(self, cable_id: str | None) -> bool:
        """May this store's user see ``cable_id`` (always, unless collection-scoped)?"""
        return self.allowed is None or (cable_id is not None and cable_id in self.allowed)

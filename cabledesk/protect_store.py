"""Review decisions, the watch list and the export log, kept in the cable database itself.

The tables are declared in :mod:`cabledesk.store.schema` (migration 2) and, for PostgreSQL, in alembic
revision 0005; this module creates none. The same SQL runs on both (:mod:`cabledesk.store.featuredb`).
Decisions are append-only: undo marks a row undone, so the log always says who decided what, when,
and who took it back. Reads go through the store's own connection (read-only in the web app, which
must never write the user's file just to show a page). Only an explicit user action (decide, undo,
watch, export) writes: when the Desk is read-only it opens a writable store on the same file then,
which also brings an older file up to the current schema; on PostgreSQL that one transaction is
made READ WRITE on the app's connection. In server mode the desk's store is collection-scoped, and
:meth:`ProtectStore.visible` says which rows its user may see.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cabledesk.errors import StoreError
from cabledesk.store.featuredb import FeatureDB
from cabledesk.store.schema import PROTECT_TABLES
from cabledesk.store.sqlite import SQLiteStore


def current_user(user: str | None = None) -> str:
    """Who decides: ``--user``, else CABLEDESK_USER, else the OS user."""
    if user and user.strip():
        return user.strip()
    env = os.environ.get("CABLEDESK_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers)
        return "unknown"


_SELECT = (
    'SELECT id, scope, target, cable_id, name, decision, "user", at, undone_by, undone_at FROM protect_decisions'
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ProtectStore:
    """Decisions, watch list and export log in the desk's database (SQLite file or PostgreSQL)."""

    def __init__(self, desk: Any) -> None:
        store = desk.store
        self._path = Path(getattr(desk, "db_path", getattr(store, "path", "")))
        inner = getattr(store, "_store", store)  # a collection-scoped store: its real store
        #: PostgreSQL (server mode): reads and writes on the app's own connection, the tables are
        #: always there (alembic revision 0005); a user action writes in a READ WRITE transaction.
        self._pg: FeatureDB | None = None if isinstance(inner, SQLiteStore) else FeatureDB(store)
        self._store: SQLiteStore | None = inner if isinstance(inner, SQLiteStore) else None
        self._own_reader = False
        self._writer: SQLiteStore | None = None

    def close(self) -> None:
        """Close the stores this object opened itself (never the Desk's)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._own_reader and self._store is not None:
            self._store.close()
            self._store, self._own_reader = None, False

    def _reader(self) -> FeatureDB | None:
        """Where reads go; None when there is nothing to read (an SQLite file without the tables)."""
        if self._pg is not None:
            return self._pg
        if self._writer is not None:
            return FeatureDB(self._writer)
        if self._store is not None:
            return FeatureDB(self._store) if self._store.has_tables(*PROTECT_TABLES) else None
        if not self._path.exists():
            return None
        self._store, self._own_reader = SQLiteStore(self._path, readonly=True), True
        return self._reader()

    def _target(self) -> FeatureDB:
        """Where a user action writes: the Desk's own store, or a writable one opened for it (SQLite)."""
        if self._pg is not None:
            return self._pg
        if self._store is not None and not self._store.readonly:
            return FeatureDB(self._store)
        if self._writer is None:
            self._writer = SQLiteStore(self._path)  # migrates an older file: the tables appear
        return FeatureDB(self._writer)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        db = self._reader()
        if db is None:  # a read-only open of a version-1 file: no decision was ever made
            return []
        try:
            return db.rows(sql, params)
        except StoreError as exc:
            raise StoreError(f"protect tables: {exc}") from exc

    def _write(self, sql: str, params: tuple[Any, ...]) -> Any:
        """One statement in its own transaction; returns its first row (RETURNING) or the row count."""
        with self._target().write(user_action=True) as tx:
            cur = tx.exec(sql, params)
            return cur.fetchone() if "RETURNING" in sql else cur.rowcount

    def visible(self, cable_id: str | None) -> bool:
        """May the desk's user see rows about ``cable_id`` (always, unless collection-scoped)?"""
        return self._pg is None or self._pg.visible(cable_id)

    # -- decisions ----------------------------------------------------------------------------

    def decide(self, scope: str, target: str, name: str, decision: str, user: str | None = None,
               cable_id: str | None = None) -> int:
        """Record a decision; returns its id (for undo)."""
        if scope not in ("finding", "person") or decision not in ("accepted", "rejected"):
            raise ValueError(f"bad decision {scope}/{decision}")
        row = self._write(
            'INSERT INTO protect_decisions (scope, target, cable_id, name, decision, "user", at) '
            "VALUES (?,?,?,?,?,?,?) RETURNING id",
            (scope, target, cable_id, name, decision, current_user(user), now()),
        )
        return int(row[0])

    def undo(self, decision_id: int | None = None, user: str | None = None, target: str | None = None,
             visible: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any] | None:
        """Take back one decision (the given id, the latest on ``target``, or the latest of all).

        ``visible``: only a decision it accepts can be taken back (server mode: the user's collections).
        """
        if decision_id is not None:
            rows = self._rows(f"{_SELECT} WHERE id = ? AND undone_at IS NULL", (decision_id,))
        elif target is not None:
            rows = self._rows(f"{_SELECT} WHERE target = ? AND undone_at IS NULL ORDER BY id DESC", (target,))
        else:
            rows = self._rows(f"{_SELECT} WHERE undone_at IS NULL ORDER BY id DESC")
        row = next((d for d in map(self._row, rows) if visible is None or visible(d)), None)
        if row is None:
            return None
        self._write("UPDATE protect_decisions SET undone_by = ?, undone_at = ? WHERE id = ?",
                    (current_user(user), now(), row["id"]))
        return row

    @staticmethod
    def _row(r: tuple[Any, ...]) -> dict[str, Any]:
        keys = ("id", "scope", "target", "cable_id", "name", "decision", "user", "at", "undone_by", "undone_at")
        return dict(zip(keys, r, strict=True))

    def active(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The standing decision per (scope, target): the latest one not undone."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self._rows(f"{_SELECT} WHERE undone_at IS NULL ORDER BY id"):
            d = self._row(r)
            out[(d["scope"], d["target"])] = d
        return out

    def log(self, limit: int = 200, visible: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Every decision ``visible`` accepts, newest first (undone ones included, marked)."""
        out = []
        for r in self._rows(f"{_SELECT} ORDER BY id DESC"):
            d = self._row(r)
            if visible is None or visible(d):
                out.append(d)
                if len(out) >= limit:
                    break
        return out

    # -- watch list -----------------------------------------------------------------------------

    def watch_add(self, name: str, user: str | None = None) -> None:
        self._write('INSERT INTO protect_watch (name, "user", at) VALUES (?,?,?) ON CONFLICT (name) DO NOTHING',
                    (name.strip(), current_user(user), now()))

    def watch_remove(self, name: str) -> bool:
        return int(self._write("DELETE FROM protect_watch WHERE name = ?", (name.strip(),))) > 0

    def watch_list(self) -> list[dict[str, Any]]:
        return [{"name": n, "user": u, "at": a} for n, u, a in self._rows('SELECT name, "user", at FROM protect_watch ORDER BY name')]

    # -- exports --------------------------------------------------------------------------------

    def record_export(self, selection: str, fmt: str, cables: int, manifest: dict[str, Any], user: str | None = None) -> int:
        row = self._write(
            'INSERT INTO protect_exports ("user", at, selection, format, cables, manifest) '
            "VALUES (?,?,?,?,?,?) RETURNING id",
            (current_user(user), now(), selection, fmt, cables, json.dumps(manifest, ensure_ascii=False)),
        )
        return int(row[0])

    def export_manifest(self, export_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT manifest FROM protect_exports WHERE id = ?", (export_id,))
        return json.loads(rows[0][0]) if rows else None

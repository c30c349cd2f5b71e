"""Review decisions, the watch list and the export log, kept in the cable database itself.

The tables are declared in :mod:`cabledesk.store.schema` (migration 2); this module creates none.
Decisions are append-only: undo marks a row undone, so the log always says who decided what, when,
and who took it back. Reads go through the store's own connection (read-only in the web app, which
must never write the user's file just to show a page). Only an explicit user action (decide, undo,
watch, export) writes: when the Desk is read-only it opens a writable store on the same file then,
which also brings an older file up to the current schema.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cabledesk.errors import StoreError
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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ProtectStore:
    """Decisions, watch list and export log in the desk's SQLite file."""

    def __init__(self, desk: Any) -> None:
        store = desk.store
        self._path = Path(getattr(desk, "db_path", getattr(store, "path", "")))
        # A non-SQLite store (server mode) keeps no protect tables: decisions go to the SQLite file.
        self._store: SQLiteStore | None = store if isinstance(store, SQLiteStore) else None
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

    def _reader(self) -> SQLiteStore | None:
        """The connection reads go through; None when there is nothing to read (no tables, no file)."""
        if self._writer is not None:
            return self._writer
        if self._store is not None:
            return self._store if self._store.has_tables(*PROTECT_TABLES) else None
        if not self._path.exists():
            return None
        self._store, self._own_reader = SQLiteStore(self._path, readonly=True), True
        return self._reader()

    def _target(self) -> SQLiteStore:
        """A store that can write: the Desk's own, or a writable one opened for this user action."""
        if self._store is not None and not self._store.readonly:
            return self._store
        if self._writer is None:
            self._writer = SQLiteStore(self._path)  # migrates an older file: the tables appear
        return self._writer

    def _exec(self, sql: str, params: tuple[Any, ...] = (), *, write: bool = False) -> sqlite3.Cursor:
        target = self._target() if write else self._reader()
        if target is None:  # a read-only open of a version-1 file: no decision was ever made
            return sqlite3.connect(":memory:").execute("SELECT 1 WHERE 0")
        with target._lock:
            try:
                return target._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(f"protect tables: {exc}") from exc

    # -- decisions ----------------------------------------------------------------------------

    def decide(self, scope: str, target: str, name: str, decision: str, user: str | None = None,
               cable_id: str | None = None) -> int:
        """Record a decision; returns its id (for undo)."""
        if scope not in ("finding", "person") or decision not in ("accepted", "rejected"):
            raise ValueError(f"bad decision {scope}/{decision}")
        cur = self._exec(
            "INSERT INTO protect_decisions (scope, target, cable_id, name, decision, user, at) VALUES (?,?,?,?,?,?,?)",
            (scope, target, cable_id, name, decision, current_user(user), now()),
            write=True,
        )
        return int(cur.lastrowid or 0)

    def undo(self, decision_id: int | None = None, user: str | None = None, target: str | None = None) -> dict[str, Any] | None:
        """Take back one decision (the given id, the latest on ``target``, or the latest of all)."""
        if decision_id is not None:
            row = self._exec("SELECT * FROM protect_decisions WHERE id = ? AND undone_at IS NULL", (decision_id,)).fetchone()
        elif target is not None:
            row = self._exec("SELECT * FROM protect_decisions WHERE target = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                             (target,)).fetchone()
        else:
            row = self._exec("SELECT * FROM protect_decisions WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        self._exec("UPDATE protect_decisions SET undone_by = ?, undone_at = ? WHERE id = ?",
                   (current_user(user), now(), row[0]), write=True)
        return self._row(row)

    @staticmethod
    def _row(r: tuple[Any, ...]) -> dict[str, Any]:
        keys = ("id", "scope", "target", "cable_id", "name", "decision", "user", "at", "undone_by", "undone_at")
        return dict(zip(keys, r, strict=True))

    def active(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The standing decision per (scope, target): the latest one not undone."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self._exec("SELECT * FROM protect_decisions WHERE undone_at IS NULL ORDER BY id"):
            d = self._row(r)
            out[(d["scope"], d["target"])] = d
        return out

    def log(self, limit: int = 200) -> list[dict[str, Any]]:
        """Every decision, newest first (undone ones included, marked)."""
        return [self._row(r) for r in self._exec("SELECT * FROM protect_decisions ORDER BY id DESC LIMIT ?", (limit,))]

    # -- watch list -----------------------------------------------------------------------------

    def watch_add(self, name: str, user: str | None = None) -> None:
        self._exec("INSERT OR IGNORE INTO protect_watch (name, user, at) VALUES (?,?,?)",
                   (name.strip(), current_user(user), now()), write=True)

    def watch_remove(self, name: str) -> bool:
        return self._exec("DELETE FROM protect_watch WHERE name = ?", (name.strip(),), write=True).rowcount > 0

    def watch_list(self) -> list[dict[str, Any]]:
        return [{"name": n, "user": u, "at": a} for n, u, a in self._exec("SELECT name, user, at FROM protect_watch ORDER BY name")]

    # -- exports --------------------------------------------------------------------------------

    def record_export(self, selection: str, fmt: str, cables: int, manifest: dict[str, Any], user: str | None = None) -> int:
        cur = self._exec(
            "INSERT INTO protect_exports (user, at, selection, format, cables, manifest) VALUES (?,?,?,?,?,?)",
            (current_user(user), now(), selection, fmt, cables, json.dumps(manifest, ensure_ascii=False)),
            write=True,
        )
        return int(cur.lastrowid or 0)

    def export_manifest(self, export_id: int) -> dict[str, Any] | None:
        row = self._exec("SELECT manifest FROM protect_exports WHERE id = ?", (export_id,)).fetchone()
        return json.loads(row[0]) if row else None

"""Review decisions, the watch list and the export log, kept in the cable database itself.

Tables are created with ``CREATE TABLE IF NOT EXISTS`` (the lead folds them into the store's
migrations later). Decisions are append-only: undo marks a row undone, so the log always says who
decided what, when, and who took it back. The web app's Desk is read-only, so when the store's
connection cannot write, a separate writable connection to the same file is used.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cabledesk.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS protect_decisions (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('finding', 'person')),
    target TEXT NOT NULL,          -- finding key (cable:fieldN:start-end) or person key
    cable_id TEXT,                 -- the finding's cable (NULL for person decisions)
    name TEXT NOT NULL,            -- the name as written / the person's display name
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
CREATE INDEX IF NOT EXISTS protect_decisions_target ON protect_decisions (target);
CREATE TABLE IF NOT EXISTS protect_watch (
    name TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS protect_exports (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    selection TEXT NOT NULL,       -- the cable id or query exported
    format TEXT NOT NULL,
    cables INTEGER NOT NULL,
    manifest TEXT NOT NULL         -- JSON: what was masked, where, by whose decision
);
"""


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
        self._lock: Any = getattr(store, "_lock", threading.RLock())
        conn = getattr(store, "_conn", None)
        self._own: sqlite3.Connection | None = None
        if conn is None or getattr(store, "readonly", False):
            path = Path(getattr(desk, "db_path", getattr(store, "path", "")))
            self._own = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
            self._own.isolation_level = None
            self._lock = threading.RLock()
            conn = self._own
        self._conn: sqlite3.Connection = conn
        try:
            with self._lock:
                self._conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create the protect tables: {exc}") from exc

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
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
        self._exec("UPDATE protect_decisions SET undone_by = ?, undone_at = ? WHERE id = ?", (current_user(user), now(), row[0]))
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
        self._exec("INSERT OR IGNORE INTO protect_watch (name, user, at) VALUES (?,?,?)", (name.strip(), current_user(user), now()))

    def watch_remove(self, name: str) -> bool:
        return self._exec("DELETE FROM protect_watch WHERE name = ?", (name.strip(),)).rowcount > 0

    def watch_list(self) -> list[dict[str, Any]]:
        return [{"name": n, "user": u, "at": a} for n, u, a in self._exec("SELECT name, user, at FROM protect_watch ORDER BY name")]

    # -- exports --------------------------------------------------------------------------------

    def record_export(self, selection: str, fmt: str, cables: int, manifest: dict[str, Any], user: str | None = None) -> int:
        cur = self._exec(
            "INSERT INTO protect_exports (user, at, selection, format, cables, manifest) VALUES (?,?,?,?,?,?)",
            (current_user(user), now(), selection, fmt, cables, json.dumps(manifest, ensure_ascii=False)),
        )
        return int(cur.lastrowid or 0)

    def export_manifest(self, export_id: int) -> dict[str, Any] | None:
        row = self._exec("SELECT manifest FROM protect_exports WHERE id = ?", (export_id,)).fetchone()
        return json.loads(row[0]) if row else None

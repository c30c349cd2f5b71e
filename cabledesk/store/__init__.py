"""Where cables live: the Store protocol, its SQLite backend, and where the index sits beside it."""

from __future__ import annotations

from pathlib import Path

from cabledesk.store.base import Store
from cabledesk.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "index_path_for", "open_store"]


def open_store(path: str | Path, *, readonly: bool = False) -> SQLiteStore:
    """Open (creating and migrating if needed) the cabledesk database at ``path``."""
    return SQLiteStore(path, readonly=readonly)


def index_path_for(db_path: str | Path) -> Path:
    """The full-text index folder beside the database: ``cabledesk.db`` -> ``cabledesk.db.index/``."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".index")

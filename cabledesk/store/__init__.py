"""Where cables live: the Store protocol, its SQLite backend, and where the index sits beside it.

A ``postgresql://`` URL opens the PostgreSQL backend (newsroom server mode, see docs/deployment.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from cabledesk.store.base import Store
from cabledesk.store.pg_migrate import database_name, is_postgres_url
from cabledesk.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "index_path_for", "is_postgres_url", "open_store"]

#: Environment variable naming the index folder of a PostgreSQL database (server mode).
INDEX_ENV = "CABLEDESK_INDEX"


def open_store(path: str | Path, *, readonly: bool = False) -> SQLiteStore:
    """Open (creating and migrating if needed) the cabledesk database at ``path`` or URL.

    A URL gives a :class:`~cabledesk.store.postgres.PostgresStore`, which offers every public method
    of SQLiteStore (ingest's ``add_prepared`` and index bookkeeping included); it is typed as
    SQLiteStore until ``cabledesk.ingest`` types its store against a protocol.
    """
    if is_postgres_url(path):
        from cabledesk.store.postgres import PostgresStore

        return cast(SQLiteStore, PostgresStore(str(path), readonly=readonly))
    return SQLiteStore(path, readonly=readonly)


def index_path_for(db_path: str | Path) -> Path:
    """The full-text index folder: ``cabledesk.db`` -> ``cabledesk.db.index/``.

    For a PostgreSQL URL: ``$CABLEDESK_INDEX`` when set, else ``<cwd>/cabledesk-index/<dbname>``.
    """
    if is_postgres_url(db_path):
        env = os.environ.get(INDEX_ENV)
        return Path(env) if env else Path.cwd() / "cabledesk-index" / database_name(str(db_path))
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".index")

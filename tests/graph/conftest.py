"""A database of the whole real corpus (1,295 cables), built once per session and shared by
tests/enrich and tests/graph (the file sits in the session's base temp folder)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from cabledesk.desk import Desk
from cabledesk.store import SQLiteStore, open_store


@pytest.fixture(scope="session")
def refs_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """Path of the shared whole-corpus database (ingested on first use)."""
    base = tmp_path_factory.getbasetemp()
    db = base / "refs-corpus" / "c.db"
    db.parent.mkdir(exist_ok=True)
    with (base / "refs-corpus.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (db.parent / "done").exists():
            with Desk(db) as desk:
                desk.ingest([corpus_tgz])
                assert desk.store.count() == 1295
            (db.parent / "done").touch()
    return db


@pytest.fixture(scope="session")
def store(refs_db: Path) -> Iterator[SQLiteStore]:
    """A read-only store over the shared corpus database."""
    s = open_store(refs_db, readonly=True)
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()

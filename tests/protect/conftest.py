"""Protect fixtures: the whole real corpus ingested once, writable copies for tests that decide."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_kit import fresh_database
from protect_kit import HERE, OUTPUT, REPO  # noqa: F401  (re-exported for the fixtures below)

from cabledesk.desk import Desk
from cabledesk.store import INDEX_ENV, index_path_for
from cabledesk.store.featuredb import FeatureDB


@pytest.fixture(scope="session")
def truth() -> list[dict[str, Any]]:
    """The hand-checked list of every protection marker in the shared corpus."""
    return json.loads((HERE / "markers.json").read_text(encoding="utf-8"))["markers"]


@pytest.fixture(scope="session")
def protect_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """A database holding all 1,295 cables (never decided on: tests that decide use ``fresh_db``)."""
    db = tmp_path_factory.mktemp("protectdb") / "c.db"
    with Desk(db) as desk:
        desk.ingest([corpus_tgz])
        assert desk.store.count() == 1295
    return db


@pytest.fixture(scope="session")
def desk(protect_db: Path) -> Iterator[Desk]:
    with Desk(protect_db) as d:
        yield d


def copy_db(src: Path, dst_dir: Path) -> Path:
    """A copy of a database and its index (decisions made there stay there)."""
    dst = dst_dir / src.name
    with Desk(src) as d:  # checkpoint the WAL so the copy is complete
        d.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(src, dst)
    shutil.copytree(index_path_for(src), index_path_for(dst))
    return dst


@pytest.fixture()
def fresh_db(protect_db: Path, tmp_path: Path) -> Path:
    """A writable copy of the corpus database with no decisions yet."""
    return copy_db(protect_db, tmp_path)


@pytest.fixture(scope="session")
def protect_pg(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Iterator[tuple[str, Path]]:
    """The whole corpus in a fresh PostgreSQL database (server mode's backend): (URL, index folder)."""
    index = tmp_path_factory.mktemp("protectpg") / "index"
    with fresh_database("cabledesk_protect") as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv(INDEX_ENV, str(index))
        with Desk(url) as desk:
            desk.ingest([corpus_tgz])
            assert desk.store.count() == 1295
        yield url, index


@pytest.fixture(params=["sqlite", "postgres"])
def review_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The corpus with no decisions, no watch list and no exports yet, on each backend (a path or a URL)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("fresh_db"))
    url, index = request.getfixturevalue("protect_pg")
    monkeypatch.setenv(INDEX_ENV, str(index))  # where a Desk on this URL finds its index
    with Desk(url) as desk, FeatureDB(desk.store).write() as tx:
        tx.exec("TRUNCATE protect_decisions, protect_watch, protect_exports")
    return str(url)

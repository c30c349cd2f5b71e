"""Fixtures for the entity tests: the 40 labelled cables plus Mexico cables, enriched once per session."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from cabledesk.desk import Desk
from cabledesk.enrich.entities import enrich
from cabledesk.store import SQLiteStore, open_store

LABELS = Path(__file__).parent / "labels"
LABEL_IDS = sorted(p.stem for p in LABELS.glob("*.json"))
EXTRA_IDS = ["09MEXICO3101"]  # names the DCM (FEELEY) in full


@pytest.fixture(scope="session")
def ent_db(tmp_path_factory: pytest.TempPathFactory, cable_page) -> Path:
    """A database of the labelled cables, enriched (built once, shared across workers by a lock)."""
    base = tmp_path_factory.getbasetemp()
    db = base / "entities" / "e.db"
    db.parent.mkdir(exist_ok=True)
    with (base / "entities.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (db.parent / "done").exists():
            with Desk(db) as desk:
                desk.ingest([cable_page(i) for i in sorted(set(LABEL_IDS + EXTRA_IDS))])
                enrich(desk.store)
            (db.parent / "done").touch()
    return db


@pytest.fixture(scope="session")
def ent_store(ent_db: Path) -> Iterator[SQLiteStore]:
    s = open_store(ent_db, readonly=True)
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


def test_kit_lists_forty_labelled_cables() -> None:
    assert len(LABEL_IDS) >= 40

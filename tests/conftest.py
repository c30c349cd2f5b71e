"""Shared fixtures: the real shared corpus, unpacked once per test session into a temp folder."""

from __future__ import annotations

import fcntl
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cabledesk.desk import Desk
from cabledesk.store import SQLiteStore, open_store

SHARED = Path(os.environ.get("CABLEDESK_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
CORPUS_TGZ = SHARED / "corpus" / "cablegate-2010-12-mirror.tar.gz"
MANIFEST = SHARED / "corpus" / "cablegate-manifest-2011.csv.gz"
CHROMIUM = Path(os.environ.get("CABLEDESK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def corpus_tgz() -> Path:
    """The real mirror archive (1,295 cables) from ../shared/corpus."""
    if not CORPUS_TGZ.exists():
        pytest.fail(f"shared corpus not found at {CORPUS_TGZ}; set CABLEDESK_SHARED")
    return CORPUS_TGZ


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """The mirror archive unpacked into a temp folder; returns the folder holding cable/YYYY/MM/."""
    root = tmp_path_factory.mktemp("corpus")
    with tarfile.open(corpus_tgz) as tf:
        tf.extractall(root, filter="data")
    return root / "cablegate-2010-12"


@pytest.fixture(scope="session")
def cable_page(corpus_dir: Path):
    """Path of one cable page by reference id: cable_page('10MEXICO83')."""
    index = {p.stem: p for p in corpus_dir.glob("cable/*/*/*.html")}

    def find(cable_id: str) -> Path:
        return index[cable_id]

    return find


@pytest.fixture(scope="session")
def refs_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """The whole real corpus ingested once per session (tests/enrich, tests/graph and others)."""
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
    """A read-only store over the shared corpus database (tests/store overrides it per backend)."""
    s = open_store(refs_db, readonly=True)
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no browser download), one for the whole session."""
    # Browser tests never skip silently in CI (.ci/run installs Chromium); locally they say why.
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "the playwright package is not installed (pip install -e '.[test]')"
    if missing is None and not CHROMIUM.exists():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()

"""One index of the whole real corpus per session, and the parsed cables it was built from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from search_corpus import load_cables

from cabledesk.model import Cable
from cabledesk.store.index import CableIndex


@pytest.fixture(scope="session")
def cables(corpus_dir: Path) -> list[Cable]:
    """Every real cable of the shared corpus, parsed (the real parser once it exists)."""
    return load_cables(corpus_dir)


@pytest.fixture(scope="session")
def by_id(cables: list[Cable]) -> dict[str, Cable]:
    return {c.id: c for c in cables}


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory, cables: list[Cable]) -> Iterator[CableIndex]:
    """A CableIndex of the 1,295 real cables, added in batches of 500 as the ingest does."""
    ix = CableIndex(tmp_path_factory.mktemp("search") / "cabledesk.db.index")
    for start in range(0, len(cables), 500):
        ix.add(cables[start : start + 500])
        ix.commit()
    yield ix
    ix.close()

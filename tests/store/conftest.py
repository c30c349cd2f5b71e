"""Store fixtures, parametrised by backend so a second backend (PostgreSQL) runs the same suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pg_kit import fresh_database
from store_kit import StoreFactory, StoreUnderTest, load_cables, sample_pages

from cabledesk.model import Cable
from cabledesk.store import SQLiteStore
from cabledesk.store.postgres import PostgresStore

#: Backends the contract tests run against; add one here with a branch in ``store_factory``.
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens stores on one fresh database (call again to reopen it); closes them all afterwards."""
    opened: list[StoreUnderTest] = []
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database()) if request.param == "postgres" else ""

        def make() -> StoreUnderTest:
            if request.param == "sqlite":
                store: StoreUnderTest = SQLiteStore(tmp_path / "cabledesk.db")
            elif request.param == "postgres":
                store = PostgresStore(url)
            else:  # pragma: no cover - a new backend must say how to build itself
                raise NotImplementedError(request.param)
            opened.append(store)
            return store

        yield make
        for store in opened:
            store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> StoreUnderTest:
    """A fresh, empty store."""
    return store_factory()


@pytest.fixture(scope="session")
def real_cables(corpus_dir: Path) -> list[Cable]:
    """About 30 real cables (the format's named oddities plus an even spread), parsed once."""
    return load_cables(sample_pages(corpus_dir, 30))


@pytest.fixture(scope="session")
def all_cables(corpus_dir: Path) -> list[Cable]:
    """Every cable of the shared mirror (1,295), parsed once."""
    return load_cables(sorted(corpus_dir.glob("cable/*/*/*.html")))

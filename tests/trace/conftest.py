"""Trace fixtures: one database of the whole real corpus per session, and a matcher over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cabledesk.desk import Desk
from cabledesk.trace_match import Matcher

ARTICLES = Path(__file__).with_name("articles")


@pytest.fixture(scope="session")
def trace_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """A database of all 1,295 real cables."""
    db = tmp_path_factory.mktemp("tracedb") / "c.db"
    with Desk(db) as desk:
        desk.ingest([corpus_tgz])
    return db


@pytest.fixture(scope="session")
def desk(trace_db: Path) -> Iterator[Desk]:
    with Desk(trace_db, readonly=True) as d:
        yield d


@pytest.fixture(scope="session")
def matcher(desk: Desk) -> Matcher:
    return Matcher(desk.index)

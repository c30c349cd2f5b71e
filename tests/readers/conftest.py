"""Helpers for reader tests: real cable pages by id, and a folder that must stay untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from cabledesk.model import RawRecord


@pytest.fixture(scope="session")
def page_bytes(cable_page):
    """The raw bytes of a real mirror page: page_bytes('10MEXICO83')."""

    def get(cable_id: str) -> bytes:
        return Path(cable_page(cable_id)).read_bytes()

    return get


@pytest.fixture(scope="session")
def all_pages(corpus_dir: Path) -> list[Path]:
    """Every real page in the mirror, sorted by path."""
    return sorted(corpus_dir.glob("cable/*/*/*.html"))


@pytest.fixture(scope="session")
def by_name():
    """Records keyed by the file name of their item, for short assertions."""

    def index(records: list[RawRecord]) -> dict[str, RawRecord]:
        return {Path(r.item).name: r for r in records}

    return index

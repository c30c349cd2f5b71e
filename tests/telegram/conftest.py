"""Telegram-test fixtures: every real page of the shared corpus as a RawRecord, read once."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram_pages import page_record

from cabledesk.model import RawRecord


@pytest.fixture(scope="session")
def page_records(corpus_dir: Path) -> list[RawRecord]:
    """All 1,295 mirror pages as RawRecords (local helper, metadata from the page table)."""
    return [page_record(p) for p in sorted(corpus_dir.glob("cable/*/*/*.html"))]


@pytest.fixture(scope="session")
def record_of(page_records: list[RawRecord]):
    """RawRecord of one cable by reference id."""
    index = {r.meta["id"]: r for r in page_records}

    def get(cable_id: str) -> RawRecord:
        return index[cable_id]

    return get

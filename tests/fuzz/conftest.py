"""Real inputs to damage: telegram texts, mirror pages and CSV rows of the shared corpus."""

from __future__ import annotations

import pytest

from cabledesk.dumps import csv_field, page_to_csv_row
from cabledesk.store.index import CableIndex

#: Real cables of every shape (mixed case, ALL CAPS, e-mail printout, database dump, sentence case).
SAMPLE_IDS = ["10MEXICO83", "03ABUDHABI2641", "09KHARTOUM881", "88BAGHDAD28", "79TEHRAN8980", "09STATE124636",
              "05PARIS1699", "06PARIS741", "08BRASILIA429", "72TEHRAN1164"]  # fmt: skip


@pytest.fixture(scope="session")
def real_pages(cable_page) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """The raw bytes of the sample cables' mirror pages."""
    return {cid: cable_page(cid).read_bytes() for cid in SAMPLE_IDS}


@pytest.fixture(scope="session")
def real_texts(real_pages: dict[str, bytes]) -> list[str]:
    """Telegram text (header, blank line, body) of the sample cables."""
    rows = [page_to_csv_row(page, i) for i, page in enumerate(real_pages.values(), 1)]
    return [f"{r.header}\n\n{r.body}" for r in rows]


@pytest.fixture(scope="session")
def real_csv_rows(real_pages: dict[str, bytes]) -> list[str]:
    """The sample cables as cables.csv lines in the release's quoting."""
    rows = [page_to_csv_row(page, i) for i, page in enumerate(real_pages.values(), 1)]
    return [",".join(csv_field(str(v)) for v in (r.sequence, r.created, r.id, r.origin, r.classification,
                                                   r.references, r.header, r.body)) + "\n" for r in rows]  # fmt: skip


@pytest.fixture(scope="session")
def empty_index(tmp_path_factory: pytest.TempPathFactory) -> CableIndex:
    """An index with no documents: queries still compile and run against its schema."""
    return CableIndex(tmp_path_factory.mktemp("fuzzindex") / "idx")

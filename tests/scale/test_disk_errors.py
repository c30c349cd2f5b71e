"""A full disk during ingest: a clear error, a consistent database, and a clean resume afterwards."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from cabledesk.desk import Desk
from cabledesk.errors import StoreWriteError
from cabledesk.ingest import ingest, repair_index
from cabledesk.search import matching_ids

CLI = "import sys; from cabledesk.cli import main; sys.argv[0] = 'cabledesk'; main()"


def _consistent(db: Path) -> None:
    """Every ledger row of a stored cable has its records, and the index holds exactly the store."""
    with sqlite3.connect(db) as conn:
        orphans = conn.execute(
            "SELECT count(*) FROM ledger WHERE cable_id IS NOT NULL AND cable_id NOT IN (SELECT id FROM cables)"
        ).fetchone()[0]
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ledger GROUP BY source, item HAVING count(*) > 1)"
        )
        assert orphans == 0 and doubled.fetchone()[0] == 0
    with Desk(db) as desk:
        assert desk.index.ids() == set(desk.store.ids())


@pytest.mark.parametrize("workers", [0, 2])
def test_full_disk_mid_ingest_raises_clearly_and_a_rerun_completes(
    scale_csv: Path, tmp_path: Path, workers: int
) -> None:
    db = tmp_path / "c.db"
    with Desk(db) as desk:
        pages = desk.store._conn.execute("PRAGMA page_count").fetchone()[0]
        desk.store._conn.execute(f"PRAGMA max_page_count = {pages + 3000}")  # ~12 MB: room for a few batches
        with pytest.raises(StoreWriteError, match="disk is full"):
            ingest(desk.store, desk.index, [scale_csv], workers=workers, batch_size=250)
        stored_before_rerun = desk.store.count()
    assert 0 < stored_before_rerun < 2500
    _consistent(db)
    with Desk(db) as desk:
        summary = ingest(desk.store, desk.index, [scale_csv], workers=workers, batch_size=250)
        assert summary.skipped == stored_before_rerun
        assert desk.store.count() == summary.skipped + summary.ingested + summary.duplicate
    _consistent(db)


def test_cli_reports_an_unwritable_database_without_a_traceback(scale_csv: Path, tmp_path: Path) -> None:
    """Files may not grow past 2 MB (RLIMIT_FSIZE, SIGXFSZ ignored): writes fail like a full disk."""

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    db = tmp_path / "c.db"
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "ingest", str(scale_csv), "--db", str(db)],
        capture_output=True, text=True, preexec_fn=small_files, timeout=300,
        env={**os.environ, "CABLEDESK_WORKERS": "0"},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "Error:" in proc.stderr and str(db) in proc.stderr.replace("\n", "")
    _consistent(db)


def test_repair_reindexes_a_cable_updated_in_the_store_but_not_yet_in_the_index(
    cable_page: Callable[[str], Path], tmp_path: Path
) -> None:
    with Desk(tmp_path / "c.db") as desk:
        desk.ingest([cable_page("10MEXICO83"), cable_page("09ASTANA95")])
        cable = desk.store.get("10MEXICO83")
        changed = replace(cable, body=cable.body + "\nZYZZYVA")
        desk.store.add_many([(changed, "edited", "10MEXICO83.txt")])  # crash here: index never told
        assert matching_ids(desk.index, "zyzzyva") == []
        report = repair_index(desk.store, desk.index)
        assert report["refreshed"] >= 1
        assert matching_ids(desk.index, "zyzzyva") == ["10MEXICO83"]

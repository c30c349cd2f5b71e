"""kill -9 at random moments during `cabledesk ingest`, then the same command: nothing lost or doubled."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cabledesk.desk import Desk
from cabledesk.ingest import ingest

KILLS = 3
#: The console script, run the way `cabledesk` runs it (not `-m`: cli.py as __main__ is not the module).
CLI = "import sys; from cabledesk.cli import main; sys.argv[0] = 'cabledesk'; main()"


def _snapshot(db: Path) -> dict[str, object]:
    """What a finished ingest must agree on: ids + content hashes, index ids, ledger rows per item."""
    with Desk(db) as desk:
        hashes = desk.store.content_hashes()
        indexed = desk.index.ids()
        index_stats = desk.index.stats()
    with sqlite3.connect(db) as conn:
        per_item = conn.execute("SELECT source, item, count(*) FROM ledger GROUP BY 1, 2").fetchall()
    return {"hashes": hashes, "indexed": indexed, "index_stats": index_stats, "per_item": per_item}


def _cli(src: Path, db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CABLEDESK_WORKERS": "2"}  # the parallel path, even on this small input
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "ingest", str(src), "--db", str(db), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


@pytest.mark.slow
def test_ingest_killed_three_times_then_resumed_equals_a_clean_ingest(
    scale_csv: Path, tmp_path: Path
) -> None:
    clean_db = tmp_path / "clean.db"
    started = time.monotonic()
    with Desk(clean_db) as desk:
        summary = ingest(desk.store, desk.index, [scale_csv], workers=0)
    assert summary.failed == 0
    clean = _snapshot(clean_db)
    # Kill points are drawn as fractions of how long a whole ingest takes on this machine (plus the
    # interpreter's start-up), so the test holds on a fast idle machine and on a loaded one alike.
    whole = time.monotonic() - started + 1.0

    db = tmp_path / "crashed.db"
    rng = random.Random(20101128)
    interrupted, orphans, scale = 0, [], 1.0
    for _attempt in range(12):
        proc = _cli(scale_csv, db)
        time.sleep(rng.uniform(0.15, 0.6) * whole * scale)
        if proc.poll() is not None:
            # It finished before this kill: start again on a fresh database with earlier kill points.
            for leftover in tmp_path.glob("crashed.db*"):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            interrupted, scale = 0, scale * 0.6
            continue
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        interrupted += 1
        _gone, alive = psutil.wait_procs(children, timeout=10)
        orphans += [p.pid for p in alive]
        if interrupted >= KILLS:
            break
    assert interrupted >= KILLS, "the ingest finished before it could be killed three times"
    assert not orphans, f"worker processes outlived the killed ingest: {orphans}"

    final = _cli(scale_csv, db)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()[-2000:]
    resumed = json.loads(out.decode().strip().splitlines()[-1])
    assert resumed["skipped"] + resumed["ingested"] + resumed["duplicate"] == len(clean["hashes"])  # type: ignore[arg-type]

    after = _snapshot(db)
    assert after["hashes"] == clean["hashes"]
    assert after["indexed"] == clean["indexed"] == set(clean["hashes"])  # type: ignore[call-overload]
    assert after["index_stats"] == clean["index_stats"]
    assert all(n == 1 for _s, _i, n in after["per_item"])  # type: ignore[attr-defined]
    assert len(after["per_item"]) == len(clean["per_item"])  # type: ignore[arg-type]
    with Desk(db) as desk:
        assert desk.check()["consistent"]

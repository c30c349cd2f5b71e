"""`cabledesk demo` works with no download: the bundled sample holds the real cables."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cabledesk.cli import app


def test_demo_ingests_the_bundled_real_sample(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--json", "--no-serve"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cables"] == 1295 and data["failed"] == 0
    shown = json.loads(runner.invoke(app, ["show", "09MEXICO2882", "--db", str(db), "--json"]).stdout)
    assert shown["origin"] == "Embassy Mexico"

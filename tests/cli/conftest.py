"""A database of the whole real corpus, ingested once through the CLI for the CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cabledesk.cli import app


@pytest.fixture(scope="session")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def corpus_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path, runner: CliRunner) -> Path:
    """The 1,295 real cables ingested from the mirror archive with `cabledesk ingest`."""
    db = tmp_path_factory.mktemp("cli") / "corpus.db"
    result = runner.invoke(app, ["ingest", str(corpus_tgz), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["ingested"] == 1295
    return db

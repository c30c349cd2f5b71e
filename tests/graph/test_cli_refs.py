"""`cabledesk refs / thread / graph / unreleased` on the real corpus: contracts and exit codes."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from cabledesk.cli import app

runner = CliRunner()


def run(*args: str, db: Path) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    return result.exit_code, result.stdout


def test_refs_json_is_exactly_the_contract(refs_db: Path) -> None:
    code, out = run("refs", "08OSLO670", "--json", db=refs_db)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"id", "cites", "cited_by", "thread"}
    assert data["id"] == "08OSLO670"
    assert [c["id"] for c in data["cites"]] == ["08OSLO629", "08OSLO585", "08OSLO522"]
    assert all(set(c) == {"id", "raw", "in_corpus", "year_source"} for c in data["cites"])
    assert {"08OSLO522", "08OSLO585", "08OSLO629", "08OSLO670"} <= set(data["thread"])


def test_refs_json_lists_citing_cables_with_dates(refs_db: Path) -> None:
    code, out = run("refs", "08london1115", "--json", db=refs_db)
    assert code == 0
    cited_by = json.loads(out)["cited_by"]
    assert {"08LONDON1350", "08LONDON1412"} <= {c["id"] for c in cited_by}
    assert all(set(c) == {"id", "created"} and c["created"] for c in cited_by)


def test_refs_of_an_unknown_id_exits_1_and_a_missing_id_exits_2(refs_db: Path) -> None:
    code, out = run("refs", "99NOWHERE1", "--json", db=refs_db)
    assert code == 1 and "99NOWHERE1" in json.loads(out)["error"]
    code, _ = run("refs", db=refs_db)
    assert code == 2


def test_refs_unparsed_lists_each_unresolved_item(refs_db: Path) -> None:
    conn = sqlite3.connect(f"file:{refs_db}?mode=ro", uri=True)
    n = conn.execute("SELECT count(*) FROM refs WHERE target_id IS NULL").fetchone()[0]
    conn.close()
    code, out = run("refs", "--unparsed", "--json", db=refs_db)
    assert code == 0 and len(json.loads(out)) == n
    code, out = run("refs", "--unparsed", db=refs_db)
    assert code == 0 and "WHITE HOUSE 853" in out


def test_thread_prints_the_conversation_in_date_order(refs_db: Path) -> None:
    code, out = run("thread", "08OSLO670", "--json", db=refs_db)
    assert code == 0
    data = json.loads(out)
    assert data["ids"] == [c["id"] for c in data["cables"]]
    dates = [c["created"] for c in data["cables"]]
    assert dates == sorted(dates)
    code, out = run("thread", "08OSLO670", db=refs_db)
    assert code == 0 and "08OSLO522" in out


def test_unreleased_limit_and_manifest_flag(refs_db: Path) -> None:
    code, out = run("unreleased", "--limit", "7", "--json", db=refs_db)
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 7 and all(isinstance(r["in_manifest"], bool) for r in rows)
    conn = sqlite3.connect(f"file:{refs_db}?mode=ro", uri=True)
    for r in rows:
        assert conn.execute("SELECT count(*) FROM cables WHERE id = ?", (r["id"],)).fetchone()[0] == 0
        n = conn.execute(
            "SELECT count(DISTINCT cable_id) FROM refs WHERE target_id = ?", (r["id"],)
        ).fetchone()[0]
        assert r["cited_by"] == n
    conn.close()


@pytest.mark.parametrize("kind", ["refs", "routing"])
def test_graph_command_writes_every_format(refs_db: Path, tmp_path: Path, kind: str) -> None:
    counts = {}
    for fmt in ("graphml", "gexf", "csv"):
        out = tmp_path / f"g.{fmt}"
        code, stdout = run("graph", "--query", "origin:oslo", "--kind", kind, "--format", fmt, "-o", str(out),
                           "--json", db=refs_db)  # fmt: skip
        assert code == 0, stdout
        summary = json.loads(stdout)
        assert summary["output"] == str(out) and summary["matching"] > 0
        counts[fmt] = summary["edges"]
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_edges() == counts["graphml"]
    assert nx.read_gexf(tmp_path / "g.gexf").number_of_edges() == counts["gexf"]
    with (tmp_path / "g.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == counts["csv"]


def test_graph_to_stdout_and_usage_errors(refs_db: Path) -> None:
    code, out = run("graph", "--kind", "routing", "--format", "csv", db=refs_db)
    assert code == 0 and out.splitlines()[0] == "source,target,copy,weight"
    assert len(list(csv.DictReader(io.StringIO(out)))) > 100
    assert run("graph", "--kind", "nope", db=refs_db)[0] == 2
    assert run("graph", "--format", "dot", db=refs_db)[0] == 2
    code, out = run("graph", "--query", "origin:(", "--json", db=refs_db)
    assert code == 2 and "error" in json.loads(out)

"""The CLI on the real corpus: contracts of --json, exit codes, ledger, export, resume."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from cabledesk.cli import app

SHOW_KEYS = {
    "id", "created", "released", "origin", "classification", "caveats", "classification_label",
    "precedence", "dtg", "from", "to", "info", "tags", "subject", "references", "classified_by",
    "declassify", "signer", "paragraphs", "body", "conflicts",
}


def _json(result) -> object:
    return json.loads(result.stdout)


def test_show_json_follows_the_contract_for_10mexico83(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["show", "10MEXICO83", "--db", str(corpus_db), "--json"])
    assert result.exit_code == 0, result.output
    data = _json(result)
    assert SHOW_KEYS <= set(data)
    assert data["id"] == "10MEXICO83"
    assert data["created"].startswith("2010-01-29T20:08")
    assert data["origin"] == "Embassy Mexico"
    assert data["classification"] == "SECRET"
    for ref in data["references"]:
        assert set(ref) >= {"raw", "id", "year_source"}
    assert set(data["classified_by"] or {}) >= {"text", "name", "reasons"} or data["classified_by"] is None
    assert all(set(p) == {"n", "marking", "text"} for p in data["paragraphs"])


def test_show_accepts_a_lower_case_id_and_renders_paragraphs(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["show", "10mexico83", "--db", str(corpus_db)])
    assert result.exit_code == 0, result.output
    assert "Embassy Mexico" in result.stdout
    assert "zero-sum competition" in result.stdout.replace("\n", " ")


def test_show_unknown_id_exits_1_with_a_message(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["show", "99NOWHERE1", "--db", str(corpus_db), "--json"])
    assert result.exit_code == 1
    assert "99NOWHERE1" in _json(result)["error"]


def test_missing_database_is_a_clear_error_not_a_new_file(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    result = runner.invoke(app, ["stats", "--db", str(db)])
    assert result.exit_code == 1
    assert "no database" in result.output
    assert not db.exists()


def test_stats_counts_match_the_corpus_readme(runner: CliRunner, corpus_db: Path) -> None:
    data = _json(runner.invoke(app, ["stats", "--db", str(corpus_db), "--json"]))
    assert data["cables"] == 1295
    # Figures from ../shared/corpus/README.md (page labels).
    assert data["classification"]["CONFIDENTIAL"] == 605
    assert data["classification"]["SECRET//NOFORN"] == 217
    assert data["classification"]["UNCLASSIFIED"] == 36
    assert sum(data["year"].values()) == 1295


def test_reingesting_the_same_archive_creates_no_duplicates(
    runner: CliRunner, corpus_db: Path, corpus_tgz: Path, tmp_path: Path
) -> None:
    db = tmp_path / "again.db"
    shutil.copy(corpus_db, db)
    # A different source path for the same cables: every item is read, none is stored twice.
    copy = tmp_path / "copy.tar.gz"
    shutil.copy(corpus_tgz, copy)
    result = runner.invoke(app, ["ingest", str(copy), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert _json(result) == {"ingested": 0, "duplicate": 1295, "updated": 0, "failed": 0, "skipped": 0}
    stats = _json(runner.invoke(app, ["stats", "--db", str(db), "--json"]))
    assert stats["cables"] == 1295


def test_bad_items_fail_with_reasons_exit_3_and_the_rest_is_ingested(
    runner: CliRunner, cable_page, tmp_path: Path
) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    shutil.copy(cable_page("10MEXICO83"), folder / "10MEXICO83.html")
    shutil.copy(cable_page("09MEXICO2882"), folder / "09MEXICO2882.html")
    (folder / "junk.html").write_bytes(b"\x00\x01\x02binary\xff\xfe junk")
    (folder / "empty.html").write_bytes(b"")
    (folder / "notacable.html").write_text("<html><body><p>Hello</p></body></html>")
    db = tmp_path / "bad.db"
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(db), "--json"])
    assert result.exit_code == 3, result.output
    summary = _json(result)
    assert summary["ingested"] == 2 and summary["failed"] == 3
    ledger = _json(runner.invoke(app, ["ledger", "--failed", "--db", str(db), "--json"]))
    reasons = {Path(e["item"]).name: e["reason"] for e in ledger["entries"]}
    assert set(reasons) == {"junk.html", "empty.html", "notacable.html"}
    assert all(reasons.values())
    assert ledger["counts"]["ingested"] == 2


def test_interrupted_ingest_resumes_without_duplicates(
    runner: CliRunner, corpus_tgz: Path, tmp_path: Path
) -> None:
    # Simulate an interruption: ingest the first 200 members, then the whole archive again.
    part = tmp_path / "part.tar.gz"
    with tarfile.open(corpus_tgz) as src, tarfile.open(part, "w:gz") as dst:
        n = 0
        for m in src:
            if m.isfile() and m.name.endswith(".html") and n < 200:
                dst.addfile(m, src.extractfile(m))
                n += 1
    db = tmp_path / "resume.db"
    first = _json(runner.invoke(app, ["ingest", str(part), "--db", str(db), "--json"]))
    assert first["ingested"] == 200
    second = _json(runner.invoke(app, ["ingest", str(corpus_tgz), "--db", str(db), "--json"]))
    assert second["ingested"] == 1095 and second["duplicate"] == 200
    check = _json(runner.invoke(app, ["check", "--db", str(db), "--json"]))
    assert check["consistent"] and check["cables"] == 1295 and check["indexed"] == 1295


def test_export_jsonl_rows_follow_the_show_contract(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["export", "--db", str(corpus_db), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 1295
    assert all(SHOW_KEYS <= set(r) for r in rows)


def test_export_csv_with_a_query_holds_only_matching_cables(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["export", "--db", str(corpus_db), "--format", "csv", "--query", '"zero-sum competition"'])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert "10MEXICO83" in {r["id"] for r in rows}
    assert all("zero-sum competition" in r["body"].replace("\n", " ").lower() or "zero" in r["body"].lower()
               for r in rows)


def test_search_json_finds_the_phrase_in_10mexico83(runner: CliRunner, corpus_db: Path) -> None:
    data = _json(runner.invoke(app, ["search", '"zero-sum competition"', "--db", str(corpus_db), "--json"]))
    assert data["total"] >= 1
    assert "10MEXICO83" in [h["id"] for h in data["hits"]]


def test_malformed_query_exits_2_with_position(runner: CliRunner, corpus_db: Path) -> None:
    result = runner.invoke(app, ["search", '"unbalanced phrase', "--db", str(corpus_db), "--json"])
    assert result.exit_code == 2
    err = _json(result)
    assert "error" in err and isinstance(err["position"], int)


def test_reindex_rebuilds_an_index_with_every_cable(runner: CliRunner, corpus_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "re.db"
    shutil.copy(corpus_db, db)
    result = runner.invoke(app, ["reindex", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert _json(result) == {"indexed": 1295}


def test_every_command_has_help_and_a_json_flag(runner: CliRunner) -> None:
    for cmd in ("ingest", "show", "search", "stats", "ledger", "reindex", "check", "export", "demo", "serve"):
        result = runner.invoke(app, [cmd, "--help"])
        assert result.exit_code == 0
        assert "--json" in result.stdout, cmd


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["show"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "/no/such/path"]).exit_code == 2


def test_citedby_finds_the_cables_a_cable_cites(runner: CliRunner, corpus_db: Path) -> None:
    data = _json(runner.invoke(app, ["search", "citedby:08OSLO670", "--db", str(corpus_db), "--json",
                                     "--limit", "50"]))
    # 08OSLO670's REF line names 08OSLO522, 08OSLO585 and 08OSLO629 (read from the cable).
    assert {h["id"] for h in data["hits"]} == {"08OSLO522", "08OSLO585", "08OSLO629"}


def test_protected_filter_splits_the_corpus_by_protected_sources(runner: CliRunner, corpus_db: Path) -> None:
    def ids(q: str) -> set[str]:
        out = _json(runner.invoke(app, ["search", q, "--db", str(corpus_db), "--json", "--limit", "2000"]))
        assert out["total"] == len(out["hits"])
        return {h["id"] for h in out["hits"]}

    yes, no = ids("protected:yes"), ids("protected:no")
    # 89PANAMA8545 writes "XXXXXXXXXXXXXX(STRICTLY PROTECT)"; 06PARIS741 "(PROTECT THROUGHOUT)".
    assert {"89PANAMA8545", "06PARIS741"} <= yes
    assert not yes & no and len(yes | no) == 1295
    bad = runner.invoke(app, ["search", "protected:maybe", "--db", str(corpus_db), "--json"])
    assert bad.exit_code == 2 and "yes or no" in _json(bad)["error"]

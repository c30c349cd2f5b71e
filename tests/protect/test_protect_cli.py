"""The protect commands: the JSON contract, decisions with --user, export with a manifest, check-article."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cabledesk.cli import app

CONTRACT = {"name", "entity_id", "marker", "paragraph", "start", "end", "confidence", "status"}


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args), env=env)
    return r.exit_code, r.stdout


def test_protect_id_json_is_exactly_the_contract(protect_db: Path) -> None:
    code, out = _run("protect", "09london2222", "--json", "--db", str(protect_db))
    assert code == 0, out
    d = json.loads(out)
    assert set(d) == {"id", "findings"} and d["id"] == "09LONDON2222"
    assert d["findings"] and all(set(f) == CONTRACT for f in d["findings"])
    gough = next(f for f in d["findings"] if f["name"] == "Judith Gough")
    assert gough["marker"] == "(strictly protect)" and gough["paragraph"] == 5 and gough["status"] == "suggested"


def test_unknown_cable_is_an_error_and_bad_format_a_usage_error(protect_db: Path) -> None:
    assert _run("protect", "99NOWHERE1", "--json", "--db", str(protect_db))[0] == 1
    assert _run("protect", "export", "09LONDON2222", "--format", "pdf", "--db", str(protect_db))[0] == 2


def test_accept_all_then_export_writes_masked_file_and_manifest(review_db: str, tmp_path: Path) -> None:
    db = review_db
    code, out = _run("protect", "accept", "09LONDON2222", "--name", "Judith Gough", "--all", "--json", "--db", db,
                     env={"CABLEDESK_USER": "cli-editor"})
    assert code == 0, out
    assert json.loads(out)["decisions"][0]["scope"] == "person"
    target = tmp_path / "out.jsonl"
    code, out = _run("protect", "export", "--query", "gough", "--format", "jsonl", "--out", str(target), "--json",
                     "--db", db, "--user", "exporter")
    assert code == 0, out
    summary = json.loads(out)
    text = target.read_text(encoding="utf-8")
    assert "gough" not in text.lower() and summary["masked"] > 0
    manifest = json.loads(Path(summary["manifest"]).read_text(encoding="utf-8"))
    assert manifest["exported_by"] == "exporter" and manifest["rules"][0]["decided_by"] == "cli-editor"
    code, out = _run("protect", "undo", "--json", "--db", db)
    assert code == 0 and json.loads(out)["undone"]["name"] == "Judith Gough"
    code, out = _run("protect", "09LONDON2222", "--json", "--db", db)
    assert all(f["status"] == "suggested" for f in json.loads(out)["findings"])


def test_watch_add_and_list(review_db: str) -> None:
    db = review_db
    assert _run("protect", "watch", "add", "Genaro Garcia Luna", "--db", db)[0] == 0
    code, out = _run("protect", "watch", "list", "--json", "--db", db)
    assert [w["name"] for w in json.loads(out)["watch"]] == ["Genaro Garcia Luna"]


def test_check_article_flags_names_and_revealing_quotes(protect_db: Path, tmp_path: Path) -> None:
    from cabledesk.desk import Desk

    with Desk(protect_db) as desk:
        para = next(p.text for p in desk.cable("09LONDON2222").paragraphs if "Judith Gough" in p.text)
    words = para.split()
    clean = [i for i in range(len(words) - 10) if not any(c in " ".join(words[i:i + 10]) for c in "\"“”‘’'()")]
    quote = " ".join(words[clean[-1]:clean[-1] + 10])  # a verbatim stretch of the protected paragraph
    draft = tmp_path / "draft.txt"
    draft.write_text(f'A defence official told the embassy that "{quote}" according to the cable.\n\n'
                     "Meanwhile Judith Gough declined to comment.\n", encoding="utf-8")
    code, out = _run("check-article", str(draft), "--json", "--db", str(protect_db))
    res = json.loads(out)
    assert code == 1 and not res["safe"]
    assert any(n["name"] == "Judith Gough" and n["line"] == 3 for n in res["names"])
    assert any(q["cable_id"] == "09LONDON2222" and q["paragraph"] == 5 for q in res["quotes"])
    clean = tmp_path / "clean.txt"
    clean.write_text('The minister said "we will study the proposal carefully" on Monday.\n', encoding="utf-8")
    code, out = _run("check-article", str(clean), "--json", "--db", str(protect_db))
    assert code == 0 and json.loads(out)["safe"]

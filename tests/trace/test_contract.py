"""The CLI and JSON contract of ``cabledesk trace``, the HTML report's escaping, batch mode."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cabledesk.cli import app
from cabledesk.desk import Desk

ARTICLE = (
    "Diplomats were blunt. In a Jan. 29 cable the embassy in Mexico City said the GOM had "
    "“struggled with an unwieldy and uncoordinated interagency and spiraling rates of violence.”\n\n"
    "Officials called the army “risk averse” <script>alert(1)</script>. A spokesman said: "
    "\"We never comment on leaked documents of any kind, whatever their source.\"\n"
)


@pytest.fixture()
def article(tmp_path: Path) -> Path:
    p = tmp_path / "story.md"
    p.write_text(ARTICLE, encoding="utf-8")
    return p


APP = app  # the real `cabledesk` command, with every feature registered


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(APP, list(args), input=stdin)


def test_json_contract_has_exactly_the_documented_fields(article: Path, trace_db: Path) -> None:
    res = _run("trace", str(article), "--db", str(trace_db), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"quotes", "cables"}
    for q in out["quotes"]:
        assert set(q) == {"text", "start", "end", "status", "matches"}
        assert q["status"] in ("matched", "unmatched", "too_short")
        assert ARTICLE[q["start"] : q["end"]] == q["text"]
        for m in q["matches"]:
            assert set(m) == {"id", "paragraph", "score", "excerpt", "diff"}
            assert 0 <= m["score"] <= 100
            assert all(set(op) == {"op", "cable", "quote"} for op in m["diff"])
            assert {op["op"] for op in m["diff"]} <= {"equal", "insert", "delete", "replace"}
    for c in out["cables"]:
        assert set(c) == {"id", "score", "quotes", "evidence"}
        assert isinstance(c["quotes"], int) and all(isinstance(e, str) for e in c["evidence"])
    assert [c["score"] for c in out["cables"]] == sorted((c["score"] for c in out["cables"]), reverse=True)
    statuses = [q["status"] for q in out["quotes"]]
    assert statuses == ["matched", "too_short", "unmatched"]
    first = out["quotes"][0]["matches"][0]
    assert (first["id"], first["paragraph"]) == ("10MEXICO83", 5)
    top = out["cables"][0]
    assert top["id"] == "10MEXICO83" and top["quotes"] == 1
    assert any(e.startswith("quote 1 matched ¶5") for e in top["evidence"])
    assert any(e.startswith("date 'Jan. 29' = created") for e in top["evidence"])
    assert any(e.startswith("origin Embassy Mexico ↔ 'embassy in Mexico City'") for e in top["evidence"])


def test_stdin_and_html_report_are_escaped_and_link_to_paragraphs(trace_db: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    res = _run("trace", "-", "--db", str(trace_db), "--html", str(report), stdin=ARTICLE)
    assert res.exit_code == 0, res.output
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" not in html  # outside quotes: not in the report
    assert 'href="/cable/10MEXICO83#p5"' in html
    assert re.search(r'<span class="badge unmatched">unmatched</span>', html)
    assert "<del>" in html or "<ins>" in html


def test_hostile_quote_text_is_escaped_in_the_report(trace_db: Path, tmp_path: Path) -> None:
    art = tmp_path / "x.txt"
    art.write_text('He wrote "<img src=x onerror=alert(1)> the military was not trained to patrol the streets".')
    report = tmp_path / "x.html"
    res = _run("trace", str(art), "--db", str(trace_db), "--html", str(report))
    assert res.exit_code == 0, res.output
    html = report.read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_batch_writes_a_report_per_article_and_a_summary(trace_db: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text(ARTICLE, encoding="utf-8")
    (src / "b.html").write_text(f"<html><body><p>{ARTICLE}</p></body></html>".replace("<script>alert(1)</script>", ""))
    out = tmp_path / "out"
    res = _run("trace", "--batch", str(src), "--out", str(out), "--db", str(trace_db), "--json")
    assert res.exit_code == 0, res.output
    assert (out / "a.html").exists() and (out / "b.html").exists()
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    assert [r["article"] for r in rows] == ["a.md", "b.html"]
    assert all(r["top_cable"] == "10MEXICO83" and r["matched"] == "1" for r in rows)


def test_usage_errors_exit_2(trace_db: Path, tmp_path: Path) -> None:
    assert _run("trace", "--db", str(trace_db)).exit_code == 2
    assert _run("trace", str(tmp_path / "missing.md"), "--db", str(trace_db)).exit_code == 2
    res = _run("trace", str(tmp_path / "missing.md"), "--db", str(trace_db), "--json")
    assert "error" in json.loads(res.stdout)


def test_library_and_cli_agree(article: Path, desk: Desk, trace_db: Path) -> None:
    from cabledesk.trace import trace_file

    lib = trace_file(desk, article).to_dict()
    cli = json.loads(_run("trace", str(article), "--db", str(trace_db), "--json").stdout)
    assert lib == cli

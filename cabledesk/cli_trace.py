"""``cabledesk trace``: from a published article back to the cable and paragraph behind every quote."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cabledesk import render
from cabledesk.cli import DEFAULT_DB, EXIT_USAGE, DbOption, JsonOption, _desk, _fail, _out
from cabledesk.desk import Desk
from cabledesk.trace import TraceResult, trace, trace_file
from cabledesk.trace_match import Matcher
from cabledesk.trace_report import render_report

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
SUMMARY_COLUMNS = ("article", "quotes", "matched", "unmatched", "too_short", "top_cable", "top_score", "cables", "ms")


def register(app: typer.Typer) -> None:
    """Add the ``trace`` command to the cabledesk CLI."""
    app.command(name="trace")(trace_command)


def trace_command(
    article: Annotated[
        str | None, typer.Argument(help="Article file (.txt, .md or .html), or - for standard input.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML report to this file.")] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="Trace every article in this folder (one report each + summary.csv).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for --batch reports [default: DIR/trace-reports].")] = None,
    base_url: Annotated[str, typer.Option("--base-url", help="Prefix of /cable/ID links in HTML reports.")] = "",
) -> None:
    """Find the cable and paragraph behind every quote of an article, and rank the cables behind it."""
    if (article is None) == (batch is None):
        _fail("give one ARTICLE (or - for stdin), or --batch DIR", EXIT_USAGE, as_json)
    if batch is not None and not batch.is_dir():
        _fail(f"no such folder: {batch}", EXIT_USAGE, as_json)
    if article not in (None, "-") and not Path(str(article)).is_file():
        _fail(f"no such file: {article}", EXIT_USAGE, as_json)
    with _desk(db, as_json, readonly=True) as desk:
        if batch is not None:
            _batch(desk, batch, out or batch / "trace-reports", base_url, as_json)
            return
        if article == "-":
            raw = sys.stdin.read()
            result = trace(desk, raw, "html" if raw.lstrip()[:1] == "<" else "txt")
            name = "standard input"
        else:
            result = trace_file(desk, str(article))
            name = Path(str(article)).name
    if html is not None:
        html.write_text(render_report(result, f"Trace: {name}", base_url), encoding="utf-8")
    if as_json:
        _out(result.to_dict())
    else:
        _print(result, html)


def _batch(desk: Desk, folder: Path, out: Path, base_url: str, as_json: bool) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
    if not files:
        _fail(f"no articles (.txt, .md, .html) in {folder}", EXIT_USAGE, as_json)
    out.mkdir(parents=True, exist_ok=True)
    matcher = Matcher(desk.index)
    rows = []
    for path in files:
        result = trace_file(desk, path, matcher=matcher)
        (out / f"{path.stem}.html").write_text(render_report(result, f"Trace: {path.name}", base_url), "utf-8")
        c = result.counts()
        top = result.cables[0] if result.cables else None
        rows.append({
            "article": path.name, "quotes": len(result.quotes), **c,
            "top_cable": top.id if top else "", "top_score": round(top.score, 1) if top else "",
            "cables": ";".join(x.id for x in result.cables[:5]), "ms": result.elapsed_ms,
        })
    summary = out / "summary.csv"
    with summary.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    if as_json:
        _out({"reports": str(out), "summary": str(summary), "articles": rows})
        return
    t = Table("article", "quotes", "matched", "unmatched", "too short", "top cable", title=f"Traced {len(rows)} articles")
    for r in rows:
        t.add_row(str(r["article"]), str(r["quotes"]), str(r["matched"]), str(r["unmatched"]),
                  str(r["too_short"]), str(r["top_cable"]))
    con = render.console()
    con.print(t)
    con.print(f"Reports in {out}; summary in {summary}")


def _print(result: TraceResult, html: Path | None) -> None:
    con = render.console()
    t = Table("#", "status", "cable ¶", "score", "quote", title="Quotations", show_lines=False)
    style = {"matched": "green", "unmatched": "red", "too_short": "dim"}
    for i, qr in enumerate(result.quotes, 1):
        m = qr.matches[0] if qr.matches else None
        where = f"{m.id} ¶{m.paragraph if m.paragraph is not None else '-'}" if m else ""
        if m and qr.status != "matched":
            where = f"(near miss {where})"
        text = qr.quote.text if len(qr.quote.text) <= 70 else qr.quote.text[:67] + "…"
        t.add_row(str(i), Text(qr.status, style=style[qr.status]), Text(where), f"{m.score:g}" if m else "",
                  Text(text))
    con.print(t)
    if result.cables:
        ct = Table("cable", "score", "quotes", "evidence", title="Cables behind this story")
        for c in result.cables:
            ct.add_row(c.id, f"{c.score:.1f}", str(c.quotes), Text("\n".join(c.evidence)))
        con.print(ct)
    else:
        con.print("No cable in this database is behind this article.")
    if html is not None:
        con.print(f"HTML report: {html}")

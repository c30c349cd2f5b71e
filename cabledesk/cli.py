"""The ``cabledesk`` command: a thin Typer layer over :class:`cabledesk.desk.Desk`.

Exit codes: 0 ok; 1 error (unknown cable id, unusable database); 2 usage error (bad option,
malformed query); 3 some inputs failed to ingest (the rest were ingested).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from cabledesk import render
from cabledesk.desk import Desk
from cabledesk.errors import CabledeskError, QueryError
from cabledesk.ingest import IngestSummary, source_size
from cabledesk.model import dumps

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3

app = typer.Typer(
    name="cabledesk",
    help="A workbench for journalists working on a leaked package of diplomatic cables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="CABLEDESK_DB", help="Database file (env CABLEDESK_DB).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
DEFAULT_DB = Path("cabledesk.db")
DEMO_SAMPLE = "sample-cables.tar.xz"


def _out(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None, default=str) + "\n")


def _fail(message: str, code: int = EXIT_ERROR, as_json: bool = False, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        _out({"error": message, **(extra or {})})
    else:
        render.console(stderr=True).print(Text(f"Error: {message}", style="bold red"))
    raise typer.Exit(code)


def _desk(db: Path, as_json: bool, readonly: bool = False) -> Desk:
    from cabledesk.store.pg_migrate import is_postgres_url

    if readonly and not is_postgres_url(db) and not db.exists():
        _fail(f"no database at {db} (run `cabledesk ingest SOURCE` or `cabledesk demo` first)", as_json=as_json)
    try:
        return Desk(db, readonly=readonly)
    except CabledeskError as exc:
        _fail(str(exc), as_json=as_json)
        raise  # unreachable; keeps type checkers calm


class RateColumn(ProgressColumn):
    """Items/s and MB/s, the two speeds a reporter watching a night-time ingest cares about."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("")
        items = task.fields.get("items", 0)
        mb = task.fields.get("mb", 0.0)
        return Text(f"{items:,} items  {items / elapsed:,.0f}/s  {mb / elapsed:,.1f} MB/s", style="cyan")


def _ingest_with_progress(desk: Desk, sources: list[Path], quiet: bool) -> IngestSummary:
    total = sum(source_size(s) for s in sources)
    if quiet:
        return desk.ingest(sources)
    with Progress(
        TextColumn("[bold]Ingesting"), BarColumn(bar_width=30), TextColumn("{task.percentage:>3.0f}%"),
        RateColumn(), TimeRemainingColumn(), console=render.console(stderr=True), transient=False,
    ) as bar:
        task = bar.add_task("ingest", total=total or None, items=0, mb=0.0)
        last = [0.0]

        def progress(items: int, nbytes: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.1:
                last[0] = now
                bar.update(task, completed=min(nbytes, total) if total else nbytes, items=items, mb=nbytes / 1e6)

        summary = desk.ingest(sources, progress=progress)
        bar.update(task, completed=total, items=summary.items, mb=summary.bytes / 1e6)
    return summary


@app.command()
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="Folders, .tar.gz/.zip archives, cables.csv or .txt files.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Ingest cable dumps; every input item gets a ledger row (ingested, duplicate, failed)."""
    missing = [str(s) for s in sources if not s.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}", EXIT_USAGE, as_json)
    desk = _desk(db, as_json)
    with desk:
        started = time.monotonic()
        summary = _ingest_with_progress(desk, sources, quiet=as_json)
        seconds = time.monotonic() - started
    if as_json:
        _out(summary.to_dict())
    else:
        con = render.console()
        con.print(
            f"[green]{summary.ingested:,} ingested[/], {summary.updated:,} updated, "
            f"{summary.duplicate:,} duplicate, [red]{summary.failed:,} failed[/]"
            + (f", {summary.skipped:,} already done" if summary.skipped else "")
            + f" in {seconds:.1f} s → {db}"
        )
        if summary.failures:
            con.print(render.ledger_view(summary.failures[:20]))
            con.print("See them all with: cabledesk ledger --failed")
    raise typer.Exit(EXIT_PARTIAL if summary.failed else EXIT_OK)


@app.command()
def show(
    cable_id: Annotated[str, typer.Argument(metavar="ID", help="Reference id, e.g. 10MEXICO83.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the telegram text as stored.")] = False,
) -> None:
    """Show one cable: header fields, then paragraphs with their portion markings."""
    with _desk(db, as_json, readonly=True) as desk:
        try:
            cable = desk.cable(cable_id)
        except KeyError:
            _fail(f"no cable {cable_id.upper()} in {db}", EXIT_ERROR, as_json)
            return
    if as_json:
        sys.stdout.write(dumps(cable.to_dict()) + "\n")
    elif raw:
        sys.stdout.write((cable.header + "\n\n" if cable.header else "") + cable.body + "\n")
    else:
        render.console().print(render.cable_view(cable))


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="Query, e.g. '\"zero-sum competition\" origin:mexico'.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 10,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    sort: Annotated[str, typer.Option(help="relevance, date or -date.")] = "relevance",
    paragraphs: Annotated[bool, typer.Option("--paragraphs", help="Hits are paragraphs.")] = False,
    batch: Annotated[Path | None, typer.Option(help="File with one query per line.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Batch output: csv or json.")] = "csv",
) -> None:
    """Search with the query language (see docs/query-language.md)."""
    if sort not in ("relevance", "date", "-date"):
        _fail(f"--sort must be relevance, date or -date, not {sort!r}", EXIT_USAGE, as_json)
    if batch is None and not query:
        _fail("give a QUERY or --batch FILE", EXIT_USAGE, as_json)
    with _desk(db, as_json, readonly=True) as desk:
        if batch is not None:
            _batch(desk, batch, "json" if as_json else fmt)
            return
        assert query is not None
        try:
            result = desk.search(query, limit=limit, offset=offset, sort=sort, paragraphs=paragraphs)
        except QueryError as exc:
            if as_json:
                _out(exc.to_dict())
            else:
                hint = f" ({exc.suggestion})" if exc.suggestion else ""
                render.console(stderr=True).print(
                    Text(f"Query error at position {exc.position}: {exc.message}{hint}", style="bold red"))
            raise typer.Exit(EXIT_USAGE) from None
        data = result.to_dict()
    if as_json:
        _out(data)
    else:
        render.console().print(render.search_view(data, paragraphs=paragraphs))


def _batch(desk: Desk, path: Path, fmt: str) -> None:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    results = list(desk.batch_search(lines))
    if fmt == "json":
        _out(results)
        return
    w = csv.writer(sys.stdout)
    w.writerow(["query", "total", "top_ids", "error"])
    for r in results:
        w.writerow([r.get("query"), r.get("total", ""), " ".join(h["id"] for h in r.get("hits", [])),
                    r.get("error", "")])


@app.command()
def stats(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Counts by classification, origin, year and tag."""
    with _desk(db, as_json, readonly=True) as desk:
        data = desk.stats()
    if as_json:
        _out(data)
    else:
        render.console().print(render.stats_view(data))


@app.command()
def ledger(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only failed items.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
) -> None:
    """What became of every input item: ingested, duplicate, updated or failed (with the reason)."""
    with _desk(db, as_json, readonly=True) as desk:
        entries = desk.ledger(failed_only=failed, limit=limit)
        counts = desk.store.ledger_counts()
    if as_json:
        _out({"counts": counts, "entries": [e.to_dict() for e in entries]})
    else:
        con = render.console()
        con.print(render.ledger_view(entries))
        con.print(", ".join(f"{v:,} {k}" for k, v in counts.items()) or "the ledger is empty")


@app.command()
def reindex(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Rebuild the full-text index from the database (the index is derived data)."""
    with _desk(db, as_json) as desk:
        started = time.monotonic()
        n = desk.reindex()
    if as_json:
        _out({"indexed": n})
    else:
        render.console().print(f"indexed {n:,} cables in {time.monotonic() - started:.1f} s")


@app.command()
def check(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    repair: Annotated[bool, typer.Option(help="Repair the index from the store.")] = True,
) -> None:
    """Verify that the store, the index and the ledger agree; repair the index if not."""
    with _desk(db, as_json) as desk:
        report = desk.check(repair=repair)
    if as_json:
        _out(report)
    else:
        render.console().print(report)
    raise typer.Exit(EXIT_OK if report["consistent"] else EXIT_ERROR)


@app.command()
def export(
    db: DbOption = DEFAULT_DB,
    query: Annotated[str | None, typer.Option(help="Only cables matching this query.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Export cables as JSONL (the `show --json` contract, one per line) or CSV."""
    if fmt not in ("jsonl", "csv"):
        _fail(f"--format must be jsonl or csv, not {fmt!r}", EXIT_USAGE, as_json)
    fmt_lit: Literal["jsonl", "csv"] = "csv" if fmt == "csv" else "jsonl"
    with _desk(db, as_json, readonly=True) as desk:
        try:
            if output is None:
                n = desk.export(sys.stdout, query=query, fmt=fmt_lit)
            else:
                with output.open("w", encoding="utf-8", newline="") as fh:
                    n = desk.export(fh, query=query, fmt=fmt_lit)
        except QueryError as exc:
            _fail(f"query error at position {exc.position}: {exc.message}", EXIT_USAGE, as_json, exc.to_dict())
            return
    if output is not None:
        if as_json:
            _out({"exported": n, "output": str(output)})
        else:
            render.console(stderr=True).print(f"exported {n:,} cables to {output}")


@app.command()
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
    as_json: JsonOption = False,
) -> None:
    """Start the web workbench (search, cable reader, timeline) on http://HOST:PORT/."""
    from cabledesk.store.pg_migrate import is_postgres_url

    if not is_postgres_url(db) and not db.exists():
        _fail(f"no database at {db} (run `cabledesk ingest SOURCE` or `cabledesk demo` first)", as_json=as_json)
    from cabledesk.web.server import run

    if as_json:
        _out({"url": f"http://{host}:{port}/", "db": str(db)})
    else:
        render.console().print(f"cabledesk is serving {db} at [bold]http://{host}:{port}/[/] (Ctrl+C to stop)")
    run(db, host=host, port=port)


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", envvar="CABLEDESK_DB", help="Database file.")] = Path("cabledesk-demo.db"),
    as_json: JsonOption = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web workbench afterwards.")] = True,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
) -> None:
    """Ingest the bundled sample of real cables (no download), then open the web workbench."""
    sample = resources.files("cabledesk") / "data" / DEMO_SAMPLE
    with resources.as_file(sample) as path, _desk(db, as_json) as desk:
        summary = _ingest_with_progress(desk, [path], quiet=as_json)
        total = desk.store.count()
    if as_json:
        _out({**summary.to_dict(), "cables": total, "db": str(db)})
        if serve_after:
            serve(db=db, host="127.0.0.1", port=port, as_json=True)
        return
    con = render.console()
    con.print(f"[bold green]{total:,} real cables[/] from the December 2010 mirror are in {db}. Try:")
    for cmd in (
        f"cabledesk show 10MEXICO83 --db {db}",
        f"cabledesk search '\"zero-sum competition\"' --db {db}",
        f"cabledesk search 'origin:mexico tag:SNAR' --db {db}",
        f"cabledesk stats --db {db}",
        f"cabledesk ledger --db {db}",
    ):
        con.print(f"  [cyan]{cmd}[/]")
    if serve_after:
        serve(db=db, host="127.0.0.1", port=port, as_json=False)


# --- EXTENSIONS: each feature module adds its commands here, one import and one call per line. ---
# (Kept in modules of their own so this file stays a thin, short layer.)
from cabledesk import cli_refs; cli_refs.register(app)  # noqa: E402, E702, I001  refs/thread/graph/unreleased
from cabledesk import cli_trace; cli_trace.register(app)  # noqa: E402, E702, I001  trace
from cabledesk import cli_entities; cli_entities.register(app)  # noqa: E402, E702, I001  enrich/entities/entity
from cabledesk import cli_admin; cli_admin.register(app)  # noqa: E402, E702, I001  admin/audit (server mode)
from cabledesk import cli_protect; cli_protect.register(app)  # noqa: E402, E702, I001  protect/check-article
# --- END EXTENSIONS ---


def main() -> None:
    """Console-script entry point; turns cabledesk errors into messages, never tracebacks."""
    try:
        app()
    except CabledeskError as exc:
        render.console(stderr=True).print(Text(f"Error: {exc}", style="bold red"))
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()

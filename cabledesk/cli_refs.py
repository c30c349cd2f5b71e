"""CLI for the conversation around a cable: ``refs``, ``thread``, ``graph``, ``unreleased``.

A thin layer over :mod:`cabledesk.enrich.references`, :mod:`cabledesk.enrich.threads`,
:mod:`cabledesk.graph` and :mod:`cabledesk.graph_export`; registered by ``cabledesk/cli.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cabledesk import render
from cabledesk.cli import DEFAULT_DB, EXIT_ERROR, EXIT_USAGE, DbOption, JsonOption, _desk, _fail, _out
from cabledesk.enrich import references as refs_lib
from cabledesk.enrich import threads as threads_lib
from cabledesk.enrich.threads import refs_report
from cabledesk.errors import NotFoundError, QueryError


def register(app: typer.Typer) -> None:
    """Add refs, thread, graph and unreleased to the ``cabledesk`` command."""

    @app.command("refs")
    def refs_cmd(
        cable_id: Annotated[
            str | None, typer.Argument(metavar="ID", help="Reference id, e.g. 08OSLO670.")
        ] = None,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
        unparsed: Annotated[
            bool, typer.Option("--unparsed", help="List every REF item that did not resolve to a cable id.")
        ] = False,
        cable_like: Annotated[
            bool, typer.Option("--cable-like", help="With --unparsed: only items that read like POST SERIAL.")
        ] = False,
    ) -> None:
        """What a cable cites, who cites it, and its conversation (thread) in date order."""
        if unparsed:
            with _desk(db, as_json, readonly=True) as desk:
                items = refs_lib.unparsed_refs(desk.store, cable_like_only=cable_like)
            _print_unparsed(items, as_json)
            return
        if not cable_id:
            _fail("give a cable ID (or --unparsed)", EXIT_USAGE, as_json)
            return
        with _desk(db, as_json, readonly=True) as desk:
            try:
                report = refs_report(desk.store, cable_id)
            except NotFoundError as exc:
                _fail(str(exc), EXIT_ERROR, as_json)
                return
        if as_json:
            _out(report)
        else:
            _print_refs(report)

    @app.command("thread")
    def thread_cmd(
        cable_id: Annotated[str, typer.Argument(metavar="ID", help="Reference id.")],
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """The conversation a cable belongs to (taskings, replies, follow-ups) in date order."""
        with _desk(db, as_json, readonly=True) as desk:
            try:
                view = threads_lib.thread_view(desk.store, cable_id)
                info = threads_lib.thread_info(desk.store, cable_id)
            except NotFoundError as exc:
                _fail(str(exc), EXIT_ERROR, as_json)
                return
        if as_json:
            _out({**info.to_dict(), "cables": view["cables"]})
            return
        con = render.console()
        if not view["cables"]:
            con.print(f"{view['id']} stands alone: no cable of this database cites it or is cited by it.")
            return
        t = Table("", "id", "created", "origin", "subject", box=None, title=f"Thread of {view['id']}")
        for it in view["cables"]:
            t.add_row(
                "▶" if it["current"] else "",
                it["id"],
                (it["created"] or "")[:10],
                it["origin"] or "",
                it["subject"] or "",
            )
        con.print(t)
        if info.truncated:
            con.print(f"(cut at {threads_lib.MAX_THREAD} cables)")
        if info.hubs:
            con.print("not followed through (cited by many): " + ", ".join(info.hubs))

    @app.command("graph")
    def graph_cmd(
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
        query: Annotated[
            str | None, typer.Option("--query", "-q", help="Only cables matching this query.")
        ] = None,
        kind: Annotated[
            str, typer.Option("--kind", help="refs (citations) or routing (FM -> TO/INFO).")
        ] = "refs",
        fmt: Annotated[
            str, typer.Option("--format", help="graphml, gexf (Gephi) or csv (edge list).")
        ] = "graphml",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Output file (default: stdout).")
        ] = None,
    ) -> None:
        """Export the citation or routing graph for Gephi, networkx or a spreadsheet."""
        from cabledesk.graph import build_graph
        from cabledesk.graph_export import FORMATS, write_graph

        if kind not in ("refs", "routing"):
            _fail(f"--kind must be refs or routing, not {kind!r}", EXIT_USAGE, as_json)
        if fmt not in FORMATS:
            _fail(f"--format must be graphml, gexf or csv, not {fmt!r}", EXIT_USAGE, as_json)
        with _desk(db, as_json, readonly=True) as desk:
            ids = None
            if query:
                from cabledesk.search import matching_ids

                try:
                    ids = matching_ids(desk.index, query, resolvers=desk.resolvers)
                except QueryError as exc:
                    _fail(
                        f"query error at position {exc.position}: {exc.message}",
                        EXIT_USAGE,
                        as_json,
                        extra={"position": exc.position},
                    )
                    return
            graph = build_graph(desk.store, kind, ids)  # type: ignore[arg-type]
        if output is None or str(output) == "-":
            write_graph(graph, fmt, sys.stdout.buffer)  # type: ignore[arg-type]
            sys.stdout.flush()
        else:
            try:
                with output.open("wb") as fh:
                    write_graph(graph, fmt, fh)  # type: ignore[arg-type]
            except OSError as exc:
                _fail(f"cannot write {output}: {exc}", EXIT_ERROR, as_json)
        summary = {
            "kind": kind,
            "format": fmt,
            "query": query,
            "matching": len(ids) if ids is not None else None,
            "nodes": len(graph.nodes),
            "edges": len(graph.edges),
            "output": str(output) if output else None,
        }
        if output is not None and str(output) != "-":
            if as_json:
                _out(summary)
            else:
                render.console(stderr=True).print(
                    f"wrote {summary['nodes']:,} nodes and {summary['edges']:,} edges ({kind}, {fmt}) to {output}"
                )

    @app.command("unreleased")
    def unreleased_cmd(
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
        limit: Annotated[int | None, typer.Option(min=1, help="At most this many ids.")] = 50,
    ) -> None:
        """Cited cables that are not in this database, most cited first: a lead list."""
        with _desk(db, as_json, readonly=True) as desk:
            rows = refs_lib.unreleased(desk.store, limit=limit)
        if as_json:
            _out(rows)
            return
        t = Table("id", "cited by", "in 2011 release", "year", "citing cables", box=None)
        for r in rows:
            shown = ", ".join(r["citing"][:4]) + (" …" if len(r["citing"]) > 4 else "")
            t.add_row(
                r["id"],
                str(r["cited_by"]),
                "yes" if r["in_manifest"] else "no",
                "stated" if r["year_stated"] else "inferred",
                shown,
            )
        render.console().print(t)


def _print_refs(report: dict[str, Any]) -> None:
    con = render.console()
    con.print(Text(report["id"], style="bold"))
    con.print("Cites:" if report["cites"] else "Cites: nothing (no REF line)")
    for c in report["cites"]:
        where = "in corpus" if c["in_corpus"] else ("not in corpus" if c["id"] else "not a cable")
        year = " · year inferred" if c["year_source"] == "inferred" else ""
        con.print(f"  {c['id'] or '—':<20} {where:<14} {c['raw']}{year}")
    con.print(f"Cited by ({len(report['cited_by'])}):" if report["cited_by"] else "Cited by: no cable here")
    for c in report["cited_by"]:
        con.print(f"  {c['id']:<20} {(c['created'] or '')[:10]}")
    if len(report["thread"]) > 1:
        con.print("Thread: " + " → ".join(report["thread"]))


def _print_unparsed(items: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        _out(items)
        return
    t = Table("cable", "label", "kind", "cable-like", "raw", box=None)
    for it in items:
        t.add_row(it["cable_id"], it["label"] or "", it["kind"], "yes" if it["cable_like"] else "", it["raw"])
    con = render.console()
    con.print(t)
    con.print(f"{len(items):,} REF items without a cable id")

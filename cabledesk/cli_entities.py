"""CLI for people, organisations and places: ``enrich``, ``entities``, ``entity``.

Thin layer over :mod:`cabledesk.enrich.entities`; registered from the EXTENSIONS block of cli.py.
``cabledesk entities ID`` lists a cable's entities; ``entities export|merge|split|undo`` are
subcommands of the same group (an argument that is not a subcommand name is taken as a cable id).
"""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from cabledesk.errors import CabledeskError, NotFoundError

_SUBCOMMANDS = {"show", "export", "merge", "split", "undo"}

# Same options as cli.py's (house rules: every command takes --db and --json).
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="CABLEDESK_DB", help="Database file (env CABLEDESK_DB).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class _CableOrCommand(TyperGroup):
    """``entities 10MEXICO83`` means ``entities show 10MEXICO83``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in _SUBCOMMANDS and not args[0].startswith("-"):
            args.insert(0, "show")
        return super().resolve_command(ctx, args)


def register(app: typer.Typer) -> None:
    """Add ``enrich``, ``entities`` and ``entity`` to the main app."""
    from cabledesk import cli as c
    from cabledesk import render
    from cabledesk.enrich import entities as ent
    from cabledesk.enrich import entity_read

    def store_of(db: Path, as_json: bool, readonly: bool = True) -> Any:
        desk = c._desk(db, as_json, readonly=readonly)
        return desk

    def guard(as_json: bool, fn: Any) -> Any:
        try:
            return fn()
        except entity_read.AmbiguousEntityError as exc:
            c._fail(str(exc), code=c.EXIT_USAGE, as_json=as_json)
        except (NotFoundError, CabledeskError) as exc:
            c._fail(str(exc), as_json=as_json)

    @app.command("enrich")
    def enrich_cmd(
        db: DbOption = c.DEFAULT_DB,
        rebuild: Annotated[
            bool, typer.Option("--rebuild", help="Drop derived entity data and start again.")
        ] = False,
        processes: Annotated[
            int | None,
            typer.Option("--processes", min=1, help="Worker processes (default: one per core, at most 4)."),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Find people, organisations and places in new or changed cables (resumable)."""
        desk = store_of(db, as_json, readonly=False)
        try:
            if quiet or as_json:
                summary = guard(
                    as_json,
                    lambda: ent.enrich(
                        desk.store, rebuild=rebuild, n_process=processes or ent.default_processes()
                    ),
                )
            else:
                cols = (TextColumn("enrich"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
                with Progress(*cols, console=render.console(stderr=True)) as bar:
                    task = bar.add_task("enrich", total=None)

                    def tick(done: int, total: int) -> None:
                        bar.update(task, completed=done, total=total)

                    summary = guard(
                        as_json,
                        lambda: ent.enrich(
                            desk.store,
                            rebuild=rebuild,
                            progress=tick,
                            n_process=processes or ent.default_processes(),
                        ),
                    )
        finally:
            desk.close()
        if as_json:
            c._out(summary.to_dict())
        else:
            sys.stdout.write(
                f"{summary.processed} cables enriched, {summary.skipped} unchanged, {summary.entities} entities\n"
            )

    entities_app = typer.Typer(
        cls=_CableOrCommand, no_args_is_help=True, help="Entities of a cable; export, merge, split, undo."
    )
    app.add_typer(entities_app, name="entities")

    @entities_app.command("show")
    def show_cmd(cable_id: str, db: DbOption = c.DEFAULT_DB, as_json: JsonOption = False) -> None:
        """People, organisations and places in one cable, with their mentions."""
        desk = store_of(db, as_json)
        try:
            data = guard(as_json, lambda: entity_read.entities_for_cable(desk.store, cable_id))
        finally:
            desk.close()
        if as_json:
            c._out(data)
            return
        t = Table(title=f"Entities in {data['id']}")
        for col in ("type", "name", "id", "mentions", "aliases"):
            t.add_column(col)
        for e in data["entities"]:
            paras = sorted({m["paragraph"] for m in e["mentions"] if m["paragraph"] is not None})
            where = ", ".join(f"[{p}]" for p in paras) or "signature"
            t.add_row(
                e["type"],
                e["name"],
                e["entity_id"],
                f"{len(e['mentions'])} ({where})",
                "; ".join(e["aliases"][:6]),
            )
        render.console().print(t)

    @entities_app.command("export")
    def export_cmd(
        fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or ftm.")] = "jsonl",
        kind: Annotated[str, typer.Option("--kind", help="entities or mentions (csv/jsonl).")] = "entities",
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="File to write (default stdout).")
        ] = None,
        db: DbOption = c.DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Export entities or mentions as CSV, JSONL or FollowTheMoney JSON lines."""
        if fmt not in ("csv", "jsonl", "ftm") or kind not in ("entities", "mentions"):
            c._fail(
                "--format must be csv, jsonl or ftm; --kind entities or mentions",
                code=c.EXIT_USAGE,
                as_json=as_json,
            )
        desk = store_of(db, as_json)
        try:
            if out is None:
                n = guard(as_json, lambda: ent.export(desk.store, sys.stdout, fmt, kind))  # type: ignore[arg-type]
            else:
                with out.open("w", encoding="utf-8", newline="") as fh:
                    n = guard(as_json, lambda: ent.export(desk.store, fh, fmt, kind))  # type: ignore[arg-type]
        finally:
            desk.close()
        if out is not None:
            if as_json:
                c._out({"rows": n, "out": str(out)})
            else:
                sys.stderr.write(f"{n} rows written to {out}\n")

    @entities_app.command("merge")
    def merge_cmd(a: str, b: str, db: DbOption = c.DEFAULT_DB, as_json: JsonOption = False) -> None:
        """Record that B is the same entity as A (undo with `entities undo`)."""
        desk = store_of(db, as_json, readonly=False)
        try:
            res = guard(as_json, lambda: ent.merge(desk.store, a, b))
        finally:
            desk.close()
        c._out(res) if as_json else sys.stdout.write(f"merged into {res['entity_id']} {res['name']}\n")

    @entities_app.command("split")
    def split_cmd(entity: str, form: str, db: DbOption = c.DEFAULT_DB, as_json: JsonOption = False) -> None:
        """Detach the mentions written FORM from ENTITY into an entity of their own."""
        desk = store_of(db, as_json, readonly=False)
        try:
            res = guard(as_json, lambda: ent.split(desk.store, entity, form))
        finally:
            desk.close()
        c._out(res) if as_json else sys.stdout.write(
            f"split {form!r} off {res['entity']}: {', '.join(res['detached'])}\n"
        )

    @entities_app.command("undo")
    def undo_cmd(db: DbOption = c.DEFAULT_DB, as_json: JsonOption = False) -> None:
        """Undo the last merge or split."""
        desk = store_of(db, as_json, readonly=False)
        try:
            res = guard(as_json, lambda: ent.undo(desk.store))
        finally:
            desk.close()
        if as_json:
            c._out({"undone": res})
        else:
            sys.stdout.write(
                "nothing to undo\n" if res is None else f"undone: {res['kind']} {res['a']} {res['b']}\n"
            )

    @app.command("entity")
    def entity_cmd(
        name_or_id: str,
        db: DbOption = c.DEFAULT_DB,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Mentions to list.")] = 50,
        as_json: JsonOption = False,
    ) -> None:
        """One person, organisation or place: mentions by date, roles, co-occurring entities, cables signed."""
        desk = store_of(db, as_json)
        try:
            d = guard(as_json, lambda: entity_read.entity_detail(desk.store, name_or_id, limit=limit))
        finally:
            desk.close()
        if as_json:
            c._out(d)
            return
        con = render.console()
        con.print(
            f"[bold]{d['name']}[/bold]  {d['type']}  {d['entity_id']}  {d['mentions']} mentions in {d['cables']} cables"
        )
        con.print("aliases: " + "; ".join(d["aliases"]))
        for r in d["roles"]:
            con.print(f"role: {r['title']}, {r['span']} ({len(r['cables'])} cables)")
        if d["signed"]:
            con.print("signed: " + ", ".join(d["signed"]))
        t = Table(title="Mentions (date order)")
        for col in ("date", "cable", "¶", "text"):
            t.add_column(col)
        for m in d["mention_list"]:
            where = "" if m["paragraph"] is None else str(m["paragraph"])
            t.add_row((m["created"] or "")[:10], m["cable_id"], where or m["source"], m["text"])
        con.print(t)
        if d["co_occurring"]:
            con.print("with: " + "; ".join(f"{x['name']} ({x['cables']})" for x in d["co_occurring"]))

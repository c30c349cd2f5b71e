"""``cabledesk protect …`` and ``cabledesk check-article``: the source-protection review queue from a shell.

``cabledesk protect ID`` shows one cable's findings (``--json``: the contract); subcommands list the
queue, accept/reject/undo, manage the watch list and export redacted copies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from cabledesk import protect as P
from cabledesk import render
from cabledesk.cli import DEFAULT_DB, EXIT_USAGE, DbOption, JsonOption, _desk, _fail, _out
from cabledesk.errors import CabledeskError, QueryError

UserOption = Annotated[
    str | None, typer.Option("--user", envvar="CABLEDESK_USER", help="Who decides (env CABLEDESK_USER; default: OS user).")
]
FORMATS = ("text", "html", "jsonl")


class _DefaultShow(TyperGroup):
    """``protect ID`` means ``protect show ID``: any first word that is not a subcommand is a cable id."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


protect_app = typer.Typer(cls=_DefaultShow, no_args_is_help=True,
                          help="Find protected sources, review them, export redacted copies.")
watch_app = typer.Typer(no_args_is_help=True, help="Names to watch for wherever they appear.")
protect_app.add_typer(watch_app, name="watch")


def register(app: typer.Typer) -> None:
    """Add ``protect`` and ``check-article`` to the cabledesk CLI."""
    app.add_typer(protect_app, name="protect")
    app.command(name="check-article")(check_article_command)


def _guard(fn: Any, as_json: bool) -> Any:
    try:
        return fn()
    except QueryError as exc:
        _fail(f"query error at position {exc.position}: {exc.message}", EXIT_USAGE, as_json, exc.to_dict())
    except CabledeskError as exc:
        _fail(str(exc), 1, as_json)


@protect_app.command("show")
def show_command(
    cable_id: Annotated[str, typer.Argument(help="Reference id, e.g. 09LONDON2222.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    min_confidence: Annotated[float, typer.Option("--min-confidence", help="Hide findings below this.")] = 0.0,
) -> None:
    """Protection findings of one cable: markers, the names they protect, mentions of protected people."""
    with _desk(db, as_json) as desk:
        result = _guard(lambda: P.cable_findings(desk, cable_id, min_confidence), as_json)
        if as_json:
            _out(result)
            return
        rv = P.review(desk)
        ctx = {f.key: f for f in rv.findings if f.cable_id == result["id"]}
    t = Table("¶", "name", "kind", "marker / source", "conf", "status", "context", title=f"Protection findings: {result['id']}")
    for f in sorted(ctx.values(), key=lambda x: (x.field != "paragraph", x.index or 0, x.start)):
        if f.confidence < min_confidence:
            continue
        where = str(f.paragraph) if f.field == "paragraph" else f.field
        t.add_row(where, Text(f.name), f.kind, Text(f.marker or ""), f"{f.confidence:.2f}", f.status, Text(f.context[:90]))
    render.console().print(t)


@protect_app.command("list")
def list_command(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    status: Annotated[str | None, typer.Option("--status", help="suggested, accepted or rejected.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="marker, redacted, descriptor, mention, watch, possible_source.")] = None,
    min_confidence: Annotated[float, typer.Option("--min-confidence")] = 0.5,
    people: Annotated[bool, typer.Option("--people", help="One row per protected person instead.")] = False,
) -> None:
    """The review queue: every finding in the corpus with its context, confidence and status."""
    with _desk(db, as_json) as desk:
        rv = _guard(lambda: P.review(desk), as_json)
    if people:
        rows = P.persons_summary(rv)
        if as_json:
            _out({"people": rows, "matching": rv.scan.matching})
            return
        t = Table("person", "marked in", "mentions", "cables", "status", title=f"Protected people ({rv.scan.matching})")
        for r in rows:
            t.add_row(Text(r["name"]), ", ".join(r["marked_in"]) or ("watch list" if r["watch"] else ""),
                      str(r["mentions"]), str(r["cables"]), r["status"])
        render.console().print(t)
        return
    fs = [f for f in rv.findings if f.confidence >= min_confidence and (status is None or f.status == status)
          and (kind is None or f.kind == kind)]
    if as_json:
        _out({"findings": [f.to_dict() for f in fs], "matching": rv.scan.matching})
        return
    t = Table("key", "name", "kind", "conf", "status", "context", title=f"Review queue: {len(fs)} findings")
    for f in fs:
        t.add_row(f.key, Text(f.name), f.kind, f"{f.confidence:.2f}", f.status, Text(f.context[:80]))
    render.console().print(t)


def _decide(decision: str, key_or_cable: str, name: str | None, all_mentions: bool, db: Path, as_json: bool,
            user: str | None) -> None:
    with _desk(db, as_json) as desk:
        if name:
            res = _guard(lambda: P.decide_name(desk, key_or_cable, name, decision, user, all_mentions), as_json)
        else:
            res = [_guard(lambda: P.decide(desk, key_or_cable, decision, user, all_mentions), as_json)]
    if as_json:
        _out({"decisions": res})
        return
    for r in res:
        render.console().print(f"#{r['decision_id']} {r['decision']} {r['scope']} {r['name']!r} ({r['target']})")


@protect_app.command("accept")
def accept_command(
    target: Annotated[str, typer.Argument(help="A finding key (from `protect list`) or a cable id with --name.")],
    name: Annotated[str | None, typer.Option("--name", help="The name as shown in `protect ID`.")] = None,
    all_mentions: Annotated[bool, typer.Option("--all", help="Accept every mention of this person, in every cable.")] = False,
    db: DbOption = DEFAULT_DB, as_json: JsonOption = False, user: UserOption = None,
) -> None:
    """Accept a finding for redaction (``--all``: the person everywhere)."""
    _decide("accepted", target, name, all_mentions, db, as_json, user)


@protect_app.command("reject")
def reject_command(
    target: Annotated[str, typer.Argument(help="A finding key or a cable id with --name.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    all_mentions: Annotated[bool, typer.Option("--all", help="Reject the person everywhere.")] = False,
    db: DbOption = DEFAULT_DB, as_json: JsonOption = False, user: UserOption = None,
) -> None:
    """Reject a suggestion (not a protected source, or not the same person)."""
    _decide("rejected", target, name, all_mentions, db, as_json, user)


@protect_app.command("undo")
def undo_command(
    decision_id: Annotated[int | None, typer.Argument(help="Decision number; default: the latest.")] = None,
    db: DbOption = DEFAULT_DB, as_json: JsonOption = False, user: UserOption = None,
) -> None:
    """Take back a decision (it stays in the log, marked undone)."""
    with _desk(db, as_json) as desk:
        res = P.undo(desk, decision_id, user)
    if res is None:
        _fail("nothing to undo", 1, as_json)
    if as_json:
        _out({"undone": res})
    else:
        render.console().print(f"undid #{res['id']}: {res['decision']} {res['name']!r}") if res else None


@protect_app.command("log")
def log_command(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Every decision: who, when, undone by whom."""
    with _desk(db, as_json) as desk:
        rows = P._store(desk).log()
    if as_json:
        _out({"decisions": rows})
        return
    t = Table("#", "decision", "scope", "name", "user", "at", "undone")
    for r in rows:
        t.add_row(str(r["id"]), r["decision"], r["scope"], Text(r["name"]), r["user"], r["at"],
                  f"{r['undone_by']} {r['undone_at']}" if r["undone_at"] else "")
    render.console().print(t)


@protect_app.command("export")
def export_command(
    cable_id: Annotated[str | None, typer.Argument(help="One cable; or use --query.")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Export every cable matching this query.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, html or jsonl.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (manifest beside it: FILE.manifest.json).")] = None,
    db: DbOption = DEFAULT_DB, as_json: JsonOption = False, user: UserOption = None,
) -> None:
    """Redacted copy: accepted names masked everywhere; the database keeps the originals."""
    import json

    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}", EXIT_USAGE, as_json)
    if (cable_id is None) == (query is None):
        _fail("give one CABLE_ID or --query", EXIT_USAGE, as_json)
    with _desk(db, as_json) as desk:
        if out is None:
            m = _guard(lambda: P.export(desk, sys.stdout, cable_id=cable_id, query=query, fmt=fmt, user=user), as_json)  # type: ignore[arg-type]
            return
        with out.open("w", encoding="utf-8") as fh:
            m = _guard(lambda: P.export(desk, fh, cable_id=cable_id, query=query, fmt=fmt, user=user), as_json)  # type: ignore[arg-type]
    mpath = out.with_name(out.name + ".manifest.json")
    mpath.write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    summary = {"out": str(out), "manifest": str(mpath), "cables": len(m["cables"]), "export_id": m["export_id"],
               "masked": sum(r["masked"] for r in m["rules"]), "rules": len(m["rules"])}
    if as_json:
        _out(summary)
    else:
        render.console().print(f"{summary['cables']} cable(s) → {out}; {summary['masked']} masks from "
                               f"{summary['rules']} decision(s); manifest {mpath}")


@watch_app.command("add")
def watch_add(name: Annotated[str, typer.Argument()], db: DbOption = DEFAULT_DB, as_json: JsonOption = False,
              user: UserOption = None) -> None:
    """Watch a name: every cable mentioning it is flagged for review."""
    with _desk(db, as_json) as desk:
        rows = P.watch(desk, "add", name, user)
    _out({"watch": rows}) if as_json else render.console().print(f"watching {len(rows)} name(s)")


@watch_app.command("remove")
def watch_remove(name: Annotated[str, typer.Argument()], db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Stop watching a name."""
    with _desk(db, as_json) as desk:
        rows = P.watch(desk, "remove", name)
    _out({"watch": rows}) if as_json else render.console().print(f"watching {len(rows)} name(s)")


@watch_app.command("list")
def watch_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """The watch list."""
    with _desk(db, as_json) as desk:
        rows = P.watch(desk, "list")
    if as_json:
        _out({"watch": rows})
        return
    for r in rows:
        render.console().print(f"{r['name']}  (added by {r['user']} at {r['at']})")


def check_article_command(
    draft: Annotated[str, typer.Argument(help="Story draft (.txt, .md, .html), or - for standard input.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """List every protected name, and every quote that would reveal a source, in a story draft."""
    from cabledesk.trace_quotes import kind_of

    if draft == "-":
        text, kind = sys.stdin.read(), "txt"
    else:
        p = Path(draft)
        if not p.is_file():
            _fail(f"no such file: {draft}", EXIT_USAGE, as_json)
        text, kind = p.read_text(encoding="utf-8", errors="replace"), kind_of(p)
    with _desk(db, as_json) as desk:
        res = _guard(lambda: P.check_article(desk, text, kind), as_json)
    if as_json:
        _out(res)
    else:
        con = render.console()
        if res["safe"]:
            con.print("[green]No protected name or revealing quote found.[/]")
        for n in res["names"]:
            con.print(Text(f"line {n['line']}: {n['name']!r} — {n['why']} ({n['person']}): …{n['context']}…", style="red"))
        for q in res["quotes"]:
            con.print(Text(f"line {q['line']}: quote from {q['cable_id']} ¶{q['paragraph']} reveals "
                           f"{', '.join(q['protects'])}: “{q['quote'][:80]}”", style="red"))
    raise typer.Exit(0 if res["safe"] else 1)

"""``cabledesk admin ...`` and ``cabledesk audit``: accounts, collections and the audit trail (server mode).

Every admin action is itself written to the audit trail (user = the operating-system account that
ran it, action ``admin``).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer

from cabledesk.errors import CabledeskError

UrlOption = Annotated[
    str,
    typer.Option("--db", envvar="CABLEDESK_DB", help="PostgreSQL URL of the server (env CABLEDESK_DB)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]

admin_app = typer.Typer(
    help="Newsroom server administration: users, roles, collections, tokens.", no_args_is_help=True
)


def _out(as_json: bool, data: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False) if as_json else text)


def _fail(message: str, as_json: bool, code: int = 1) -> None:
    if as_json:
        typer.echo(json.dumps({"error": message}, ensure_ascii=False))
    else:
        typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _accounts(db: str, as_json: bool) -> Iterator[Any]:
    from cabledesk.store.pg_migrate import is_postgres_url

    if not is_postgres_url(db):
        _fail("server mode needs a PostgreSQL database: --db postgresql://HOST/DBNAME", as_json, code=2)
    try:
        from cabledesk.server.accounts import Accounts

        with Accounts(db) as accounts:
            yield accounts
    except CabledeskError as exc:
        _fail(str(exc), as_json)


def _admin_action(accounts: Any, what: str, **detail: Any) -> None:
    from cabledesk.server import audit

    audit.record(accounts, "admin", user=f"os:{getpass.getuser()}", target=what, detail=detail, remote="cli")


def _run(db: str, as_json: bool, action: Callable[[Any], tuple[dict[str, Any], str]], what: str) -> None:
    with _accounts(db, as_json) as accounts:
        try:
            data, text = action(accounts)
        except CabledeskError as exc:
            _fail(str(exc), as_json)
        _admin_action(accounts, what, **{k: v for k, v in data.items() if k != "token"})
        _out(as_json, data, text)


@admin_app.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="User name.")],
    org: Annotated[str, typer.Option("--org", help="Organisation (created when new).")],
    role: Annotated[str, typer.Option("--role", help="admin, editor or reader.")] = "reader",
    password: Annotated[
        str | None, typer.Option("--password", envvar="CABLEDESK_PASSWORD", help="Else asked for.")
    ] = None,
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Create a user of an organisation with a role."""
    pw = (
        password
        if password is not None
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )

    def act(a: Any) -> tuple[dict[str, Any], str]:
        u = a.create_user(name, pw, role, org)
        return {"user": u.name, "role": u.role, "org": u.org}, f"created {u.name} ({u.role}, {u.org})"

    _run(db, as_json, act, "create-user")


@admin_app.command("set-role")
def set_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help="admin, editor or reader.")],
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Change a user's role."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        u = a.set_role(name, role)
        return {"user": u.name, "role": u.role}, f"{u.name} is now {u.role}"

    _run(db, as_json, act, "set-role")


@admin_app.command("create-collection")
def create_collection(
    name: Annotated[str, typer.Argument(help="Collection name.")],
    source: Annotated[
        str | None, typer.Option("--source", help="Every cable ingested from this input.")
    ] = None,
    query: Annotated[str | None, typer.Option("--query", help="Every cable matching this query.")] = None,
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Create a collection by ingest source or by saved query."""
    if (source is None) == (query is None):
        _fail("give exactly one of --source or --query", as_json, code=2)

    def act(a: Any) -> tuple[dict[str, Any], str]:
        from cabledesk.server import access

        c = access.create_collection(
            a, name, "source" if source is not None else "query", source or query or ""
        )
        return {"collection": c.name, "kind": c.kind, "spec": c.spec}, f"created collection {c.name}"

    _run(db, as_json, act, "create-collection")


@admin_app.command("grant")
def grant(
    collection: Annotated[str, typer.Argument(help="Collection name.")],
    org: Annotated[str, typer.Argument(help="Organisation.")],
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Share a collection with an organisation."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        from cabledesk.server import access

        access.grant(a, org, collection)
        return {"collection": collection, "org": org}, f"{org} now sees {collection}"

    _run(db, as_json, act, "grant")


@admin_app.command("revoke")
def revoke(
    collection: Annotated[str, typer.Argument(help="Collection name.")],
    org: Annotated[str, typer.Argument(help="Organisation.")],
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Stop sharing a collection with an organisation."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        from cabledesk.server import access

        access.revoke(a, org, collection)
        return {"collection": collection, "org": org}, f"{org} no longer sees {collection}"

    _run(db, as_json, act, "revoke")


@admin_app.command("create-token")
def create_token(
    name: Annotated[str, typer.Argument(help="User the token acts for.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Create an API token (printed once; only its hash is stored)."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        token_id, token = a.create_token(name, label)
        return {"id": token_id, "user": name, "token": token}, f"token {token_id} for {name}: {token}"

    _run(db, as_json, act, "create-token")


@admin_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="Token id (from create-token).")],
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Revoke an API token at once."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        a.revoke_token(token_id)
        return {"id": token_id, "revoked": True}, f"token {token_id} revoked"

    _run(db, as_json, act, "revoke-token")


@admin_app.command("app-role")
def app_role(
    role: Annotated[str, typer.Argument(help="PostgreSQL role the web app connects as (created when new).")],
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="CABLEDESK_APP_PASSWORD", help="Set its password (else none)."),
    ] = None,
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Grant the app's own role (run with the OWNER's URL): audit rows insert-only, no DDL."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        from cabledesk.server.roles import grant_app_role

        done = grant_app_role(a, role, password)
        verb = "created and granted" if done["created"] else "granted"
        return done, f"{verb} {role}: the app may read and write, but only append to the audit trail"

    _run(db, as_json, act, "app-role")


@admin_app.command("unlock-address")
def unlock_address(
    address: Annotated[str, typer.Argument(help="Client address locked out after failed sign-ins.")],
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Lift a sign-in lock-out of a client address at once."""

    def act(a: Any) -> tuple[dict[str, Any], str]:
        a.unlock_address(address)
        return {"address": address, "unlocked": True}, f"{address} may sign in again"

    _run(db, as_json, act, "unlock-address")


@admin_app.command("migrate")
def migrate(db: UrlOption = "cabledesk.db", as_json: JsonOption = False) -> None:
    """Upgrade the PostgreSQL schema to this cabledesk's version (also done on every open)."""
    from cabledesk.store.pg_migrate import migrate_pg

    with _accounts(db, as_json):
        pass  # opening migrated it
    _out(as_json, {"revision": migrate_pg(db)}, "schema is up to date")


def audit_cmd(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's actions.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO date or time, e.g. 2026-01-31.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="login, search, view, export, admin...")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many rows.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO date or time (exclusive).")] = None,
    cable: Annotated[str | None, typer.Option("--cable", help="Only rows about this cable id.")] = None,
    db: UrlOption = "cabledesk.db",
    as_json: JsonOption = False,
) -> None:
    """Who signed in, searched, read and exported what, when and from where (oldest first)."""
    from cabledesk.server import audit

    times: dict[str, datetime | None] = {}
    for option, value in (("--since", since), ("--until", until)):
        try:
            times[option] = datetime.fromisoformat(value) if value else None
        except ValueError:
            _fail(f"{option} {value!r} is not an ISO date or time", as_json, code=2)
    with _accounts(db, as_json) as accounts:
        rows = audit.rows(accounts, user=user, since=times["--since"], until=times["--until"], action=action,
                          target=cable.strip().upper() if cable else None, limit=limit)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    for r in rows:
        detail = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""
        typer.echo(f"{r['at']:%Y-%m-%d %H:%M:%S%z}  {r['user'] or '-':<16} {r['action']:<12} "
                   f"{r['target'] or '':<30} {r['remote'] or ''} {detail}".rstrip())  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``admin`` (a command group) and ``audit`` to the main CLI."""
    app.add_typer(admin_app, name="admin")
    app.command("audit")(audit_cmd)

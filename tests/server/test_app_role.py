"""Role separation: the app's PostgreSQL role may append to the audit trail, never change or delete it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from server_kit import Server, sign_in
from typer.testing import CliRunner

from cabledesk.cli import app as cli_app
from cabledesk.server import audit
from cabledesk.server.accounts import AccountError, Accounts
from cabledesk.server.roles import app_privileges, grant_app_role
from cabledesk.web.auth_routes import CSRF_COOKIE
from cabledesk.web.server import create_app


def as_role(url: str, role: str) -> str:
    """The same database, connecting as ``role`` (the test server trusts local connections)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))


@pytest.fixture(scope="module")
def app_role(server_db: Server) -> Iterator[str]:
    """A fresh app role, created and granted by `cabledesk admin app-role` run as the owner."""
    role = "cdk_app_" + secrets.token_hex(4)
    r = CliRunner().invoke(
        cli_app, ["admin", "app-role", role, "--json"], env={"CABLEDESK_DB": server_db.url}
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["created"] is True
    yield role
    with psycopg.connect(server_db.url, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET username = 'rewritten'", "DELETE FROM audit", "TRUNCATE audit"],
)
def test_the_app_role_cannot_update_delete_or_truncate_audit_rows(
    server_db: Server, app_role: str, statement: str
) -> None:
    with psycopg.connect(as_role(server_db.url, app_role), autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (app_role,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table audit"):
            conn.execute(statement)


def test_the_app_role_can_append_and_read_audit_rows_but_not_touch_the_trigger(
    server_db: Server, app_role: str
) -> None:
    mark = "append-" + secrets.token_hex(4)
    with psycopg.connect(as_role(server_db.url, app_role), autocommit=True) as conn:
        conn.execute("INSERT INTO audit (username, action, target) VALUES ('app', 'admin', %s)", (mark,))
        assert conn.execute("SELECT count(*) FROM audit WHERE target = %s", (mark,)).fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_update_delete")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE alembic_version SET version_num = 'x'")


def test_the_trigger_still_refuses_the_owner_as_a_second_wall(accounts: Accounts, app_role: str) -> None:
    audit.record(accounts, "admin", user="owner-check", target="second wall")
    with pytest.raises(Exception, match="append-only"):
        accounts.run("DELETE FROM audit WHERE username = 'owner-check'")
    assert app_privileges(accounts, app_role, "audit") == {"SELECT", "INSERT"}
    assert app_privileges(accounts, app_role, "notes") == {"SELECT", "INSERT", "UPDATE", "DELETE"}


def test_the_whole_app_serves_as_the_app_role(server_db: Server, app_role: str) -> None:
    """Sign-in, search, a note and the audit API all work with only the app role's grants."""
    with TestClient(create_app(as_role(server_db.url, app_role)), follow_redirects=False) as c:
        assert sign_in(c, "eva").status_code == 303
        assert c.get("/api/search", params={"q": "sedena"}).json()["total"] > 0
        csrf = {"X-CSRF-Token": c.cookies.get(CSRF_COOKIE) or ""}
        r = c.post("/api/cable/10MEXICO83/notes", json={"paragraph": 0, "text": "as app role"}, headers=csrf)
        assert r.status_code == 201
        assert c.delete(f"/api/notes/{r.json()['id']}", headers=csrf).status_code == 204
        rows = c.get("/api/audit", params={"user": "eva", "action": "note_delete"}).json()
        assert rows and rows[-1]["target"] == "10MEXICO83"


def test_app_role_refuses_the_owner_and_a_bad_name(accounts: Accounts) -> None:
    owner = accounts.run("SELECT current_user")[0][0]
    with pytest.raises(AccountError, match="owns the tables"):
        grant_app_role(accounts, owner)
    with pytest.raises(AccountError, match="role name"):
        grant_app_role(accounts, 'x"; DROP TABLE audit; --')
    assert audit.count(accounts, audit.AuditFilter()) > 0

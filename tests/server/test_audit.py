"""The audit trail: sign-ins, searches, views and exports are recorded, and rows cannot be changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, sign_in
from typer.testing import CliRunner

from cabledesk.cli import app
from cabledesk.server import audit
from cabledesk.server.accounts import Accounts
from cabledesk.web.server import create_app

cli_app = app  # the real `cabledesk` command


def test_sign_in_search_view_and_export_are_audited(server_db: Server, accounts: Accounts) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    accounts.create_user("audited", PASSWORD, "editor", "El Pais")
    c = TestClient(create_app(server_db.url), follow_redirects=False)
    sign_in(c, "audited", "wrong-password-here")
    sign_in(c, "audited")
    c.get("/api/search", params={"q": "sedena"})
    c.get("/api/cable/10MEXICO83")
    c.get("/api/export", params={"q": "sedena"})
    rows = audit.rows(accounts, user="audited", since=start)
    got = [(r["action"], r["target"]) for r in rows]
    assert got == [("login_failed", None), ("login", None), ("search", "sedena"),
                   ("view", "10MEXICO83"), ("export", "sedena")]  # fmt: skip
    assert all(r["remote"] and r["at"] >= start for r in rows)
    r = CliRunner().invoke(cli_app, ["audit", "--user", "audited", "--cable", "10mexico83", "--json"],
                           env={"CABLEDESK_DB": server_db.url})  # fmt: skip
    assert [(row["action"], row["target"]) for row in json.loads(r.output)] == [("view", "10MEXICO83")]


def test_audit_rows_cannot_be_updated_deleted_or_truncated(accounts: Accounts) -> None:
    audit.record(accounts, "admin", user="tester", target="append-only check")
    for sql in ("UPDATE audit SET username = 'someone else'", "DELETE FROM audit", "TRUNCATE audit"):
        with pytest.raises(Exception, match="append-only"):
            accounts.run(sql)
    # the OWNER, directly: the trigger is the wall here (the app role's privileges: test_app_role.py)
    with psycopg.connect(server_db_url(accounts), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit WHERE username = 'tester'")
    assert audit.rows(accounts, user="tester")[-1]["target"] == "append-only check"


def server_db_url(accounts: Accounts) -> str:
    return accounts.url


def test_cli_admin_actions_are_audited_and_listed_by_cabledesk_audit(server_db: Server) -> None:
    runner = CliRunner()
    env = {"CABLEDESK_DB": server_db.url}
    r = runner.invoke(cli_app, ["admin", "create-user", "zoe", "--org", "Le Monde", "--role", "editor",
                                "--password", "a-long-enough-password", "--json"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"user": "zoe", "role": "editor", "org": "Le Monde"}
    r = runner.invoke(cli_app, ["admin", "set-role", "zoe", "overlord", "--json"], env=env)
    assert r.exit_code == 1 and "unknown role" in json.loads(r.output)["error"]
    r = runner.invoke(cli_app, ["admin", "create-token", "zoe", "--json"], env=env)
    token_id = json.loads(r.output)["id"]
    assert runner.invoke(cli_app, ["admin", "revoke-token", str(token_id)], env=env).exit_code == 0
    r = runner.invoke(cli_app, ["audit", "--action", "admin", "--json"], env=env)
    targets = [row["target"] for row in json.loads(r.output)]
    assert targets[-3:] == ["create-user", "create-token", "revoke-token"]
    assert all("token" not in row["detail"] for row in json.loads(r.output))
    r = runner.invoke(cli_app, ["audit", "--since", "not-a-date"], env=env)
    assert r.exit_code == 2
    r = runner.invoke(cli_app, ["audit", "--until", "2001-01-01", "--json"], env=env)
    assert r.exit_code == 0 and json.loads(r.output) == []  # nothing before this database existed


def test_cli_admin_refuses_an_sqlite_database() -> None:
    r = CliRunner().invoke(cli_app, ["admin", "grant", "x", "y", "--db", "cabledesk.db"])
    assert r.exit_code == 2


def test_a_refused_request_leaves_no_audit_row_and_a_token_search_leaves_one(
    server_db: Server, accounts: Accounts
) -> None:
    # The audit row of a search is written by the statement that identifies the user (one round
    # trip): it must still be written only for a user whose role allows the route.
    start = datetime.now(UTC) - timedelta(seconds=1)
    accounts.create_user("lowly", PASSWORD, "reader", "El Pais")
    _tid, token = accounts.create_token("lowly", "script")
    c = TestClient(create_app(server_db.url), follow_redirects=False)
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/export", params={"q": "sedena"}, headers=auth).status_code == 403
    assert c.get("/api/search", params={"q": "semar"}, headers=auth).status_code == 200
    got = [(r["action"], r["target"]) for r in audit.rows(accounts, user="lowly", since=start)]
    assert got == [("search", "semar")]

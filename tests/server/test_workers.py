"""Several app processes on one PostgreSQL database agree at once: notes, grant revokes, sign-outs, tokens.

Process A is the documented deployment command, ``uvicorn --factory
cabledesk.web.server:app_from_env --workers 2``; process B is a second, separate uvicorn. A change
made through one is checked through the other on the very next request: nothing that decides
access (sessions, tokens, grants, the allowed-id caches) may be stale in another process.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from server_kit import PASSWORD, Server

from cabledesk.server import access
from cabledesk.server.accounts import Accounts

CABLE = "10MEXICO83"  # in the "mexico" collection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn(db: str, *extra: str) -> Iterator[str]:
    """``uvicorn --factory cabledesk.web.server:app_from_env`` on a free port; its base URL."""
    port = free_port()
    env = {**os.environ, "CABLEDESK_DB": db}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "cabledesk.web.server:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *extra]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"uvicorn exited with {proc.returncode}: {out[-2000:]}")
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not answer within 120 s")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def servers(server_db: Server) -> Iterator[tuple[str, str]]:
    with uvicorn(server_db.url, "--workers", "2") as a, uvicorn(server_db.url) as b:
        yield a, b


def signed_in(base: str, name: str) -> httpx.Client:
    """A cookie-keeping client signed in through ``base``'s /login form."""
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text
    return c


def on(c: httpx.Client, base: str) -> httpx.Client:
    """The same browser session (cookies) talking to another process."""
    other = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    for cookie in c.cookies.jar:
        other.cookies.set(cookie.name, cookie.value or "")
    return other


def csrf(c: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": c.cookies.get("cabledesk_csrf") or ""}


def test_a_session_and_a_note_made_through_one_process_are_seen_by_the_other(
    servers: tuple[str, str],
) -> None:
    a, b = servers
    eva_a = signed_in(a, "eva")
    eva_b = on(eva_a, b)
    assert eva_b.get("/api/me").json()["user"] == "eva"  # the session lives in the database
    text = "seen everywhere " + secrets.token_hex(4)
    r = eva_a.post(f"/api/cable/{CABLE}/notes", json={"paragraph": 0, "text": text, "shared": True},
                   headers=csrf(eva_a))  # fmt: skip
    assert r.status_code == 201
    assert text in [n["text"] for n in eva_b.get(f"/api/cable/{CABLE}/notes").json()]
    ana_b = signed_in(b, "ana")
    assert text in ana_b.get(f"/cable/{CABLE}").text  # a colleague, on the other process's page
    assert eva_b.delete(f"/api/notes/{r.json()['id']}", headers=csrf(eva_b)).status_code == 204
    assert text not in [n["text"] for n in eva_a.get(f"/api/cable/{CABLE}/notes").json()]


def test_a_grant_revoke_is_obeyed_by_every_process_at_once_despite_warm_caches(
    servers: tuple[str, str], server_db: Server
) -> None:
    a, b = servers
    org, name = "Workers " + secrets.token_hex(3), "wk_" + secrets.token_hex(3)
    with Accounts(server_db.url) as accounts:
        accounts.create_user(name, PASSWORD, "reader", org)
        access.grant(accounts, org, "mexico")
        user_a = signed_in(a, name)
        user_b = on(user_a, b)
        for c in (user_a, user_b, user_a, user_b):  # warm the allowed-id and filter caches of both
            assert c.get("/api/search", params={"q": "sedena"}).json()["total"] > 0
            assert c.get(f"/api/cable/{CABLE}").status_code == 200
        access.revoke(accounts, org, "mexico")  # as `cabledesk admin revoke` does, from outside
        for c in (user_a, user_b, user_a, user_b):
            assert c.get("/api/search", params={"q": "sedena"}).json()["total"] == 0
            assert c.get(f"/api/cable/{CABLE}").status_code == 404
        access.grant(accounts, org, "mexico")
        assert user_b.get("/api/search", params={"q": "sedena"}).json()["total"] > 0


def test_sign_out_and_token_revocation_through_one_process_end_access_on_the_other(
    servers: tuple[str, str], server_db: Server
) -> None:
    a, b = servers
    ana_b = signed_in(b, "ana")
    ana_a = on(ana_b, a)
    assert ana_a.get("/api/me").status_code == 200
    assert ana_b.post("/logout", headers=csrf(ana_b)).status_code == 303
    assert [ana_a.get("/api/me").status_code for _ in range(4)] == [401] * 4  # both workers of A
    with Accounts(server_db.url) as accounts:
        token_id, token = accounts.create_token("kai", "workers test")
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(a + "/api/me", headers=bearer).status_code == 200
        assert httpx.get(b + "/api/me", headers=bearer).status_code == 200
        accounts.revoke_token(token_id)
    assert [httpx.get(u + "/api/me", headers=bearer).status_code for u in (a, b, a, b)] == [401] * 4

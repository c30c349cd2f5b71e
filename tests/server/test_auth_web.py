"""Sign-in on the newsroom server: anonymous refusal, sessions, CSRF, fixation, lock-out, tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, login_form, sign_in

from cabledesk.server.accounts import (
    ADDRESS_WINDOW_MINUTES,
    MAX_ADDRESS_FAILURES,
    MAX_FAILURES,
    Accounts,
    AuthError,
)
from cabledesk.web.auth_routes import CSRF_COOKIE, SESSION_COOKIE
from cabledesk.web.server import create_app


@pytest.fixture
def client(server_db: Server) -> TestClient:
    return TestClient(create_app(server_db.url), follow_redirects=False)


@pytest.mark.parametrize("path", ["/api/search?q=drug", "/api/stats", "/api/cable/10MEXICO83", "/api/me"])
def test_anonymous_api_calls_get_401_json(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/json") and "sign in" in r.json()["error"]


@pytest.mark.parametrize("path", ["/", "/?q=drug", "/cable/10MEXICO83", "/overview"])
def test_anonymous_pages_redirect_to_login(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_login_page_and_static_files_need_no_sign_in(client: TestClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_sign_in_sets_httponly_strict_session_cookie_and_grants_access(client: TestClient) -> None:
    r = sign_in(client, "ana")
    assert r.status_code == 303  # type: ignore[attr-defined]
    cookies = r.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=strict" in session.replace("Strict", "strict")
    assert client.get("/api/me").json()["user"] == "ana"


def test_session_cookie_is_secure_when_not_on_localhost(server_db: Server) -> None:
    c = TestClient(create_app(server_db.url), base_url="https://news.example.org", follow_redirects=False)
    r = sign_in(c, "ana")
    session = next(x for x in r.headers.get_list("set-cookie") if x.startswith(SESSION_COOKIE))  # type: ignore[attr-defined]
    assert "Secure" in session


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client: TestClient) -> None:
    bad_pw = sign_in(client, "ana", "not the password")
    no_user = sign_in(client, "nobody-such", "not the password")
    assert bad_pw.status_code == no_user.status_code == 401  # type: ignore[attr-defined]
    assert (
        "unknown user or wrong password" in bad_pw.text and "unknown user or wrong password" in no_user.text
    )  # type: ignore[attr-defined]
    assert client.get("/api/me").status_code == 401


def test_login_without_its_csrf_token_is_refused(client: TestClient) -> None:
    login_form(client)
    r = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert r.status_code == 403
    r = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_session_fixation_a_new_session_id_on_every_sign_in(client: TestClient) -> None:
    sign_in(client, "ana")
    first = client.cookies.get(SESSION_COOKIE)
    sign_in(client, "ana")  # the browser still presents the first cookie while signing in
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second


@pytest.mark.parametrize(
    "method,path", [("post", "/logout"), ("post", "/api/trace"), ("put", "/api/me"), ("delete", "/api/me")]
)
def test_state_changing_requests_need_the_csrf_token(client: TestClient, method: str, path: str) -> None:
    sign_in(client, "ana")
    r = client.request(method.upper(), path)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = client.request(method.upper(), path, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403


def test_logout_with_csrf_ends_the_session_for_good(client: TestClient) -> None:
    sign_in(client, "ana")
    old = client.cookies.get(SESSION_COOKIE)
    csrf = client.cookies.get(CSRF_COOKIE)
    r = client.post("/logout", headers={"X-CSRF-Token": csrf or ""})
    assert r.status_code == 303
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set(SESSION_COOKIE, old or "")
    assert replay.get("/api/me").status_code == 401


def test_form_field_csrf_token_is_accepted_too(client: TestClient) -> None:
    sign_in(client, "ana")
    r = client.post("/logout", data={"csrf_token": client.cookies.get(CSRF_COOKIE) or ""})
    assert r.status_code == 303


def test_brute_force_locks_the_account_even_for_the_right_password(accounts: Accounts) -> None:
    accounts.create_user("victim", PASSWORD, "reader", "El Pais")
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="wrong password"):
            accounts.authenticate("victim", "guess-" + PASSWORD[::-1])
    with pytest.raises(AuthError, match="locked"):
        accounts.authenticate("victim", PASSWORD)
    accounts.set_password("victim", PASSWORD + "-new")  # an admin reset clears the lock
    assert accounts.authenticate("victim", PASSWORD + "-new").name == "victim"


def test_a_success_resets_the_failure_count(accounts: Accounts) -> None:
    accounts.create_user("forgetful", PASSWORD, "reader", "El Pais")
    for _ in range(3):
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(AuthError):
                accounts.authenticate("forgetful", "nope-nope-nope")
        accounts.authenticate("forgetful", PASSWORD)


def test_bearer_token_works_until_revoked(client: TestClient, accounts: Accounts) -> None:
    token_id, token = accounts.create_token("kai", "revocation test")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=auth).json()["user"] == "kai"
    accounts.revoke_token(token_id)
    assert client.get("/api/me", headers=auth).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer cdk_made_up"}).status_code == 401


def test_tokens_are_stored_only_as_hashes(accounts: Accounts) -> None:
    _id, token = accounts.create_token("ana")
    stored = [r[0] for r in accounts.run("SELECT token_hash FROM api_tokens")]
    assert token not in stored and all(len(h) == 64 for h in stored)
    hashes = [r[0] for r in accounts.run("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes) and PASSWORD not in hashes


def test_next_parameter_never_redirects_off_site(client: TestClient) -> None:
    csrf = login_form(client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        r = client.post(
            "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf, "next": target}
        )
        assert r.headers["location"] == "/"
        csrf = login_form(client)


#: A low address threshold (a constructor setting of Accounts) keeps the argon2 work of these tests small.
SPRAY_LIMIT = 7


@pytest.fixture
def strict(server_db: Server) -> Iterator[Accounts]:
    with Accounts(server_db.url, max_address_failures=SPRAY_LIMIT) as a:
        yield a


def test_the_default_address_limit_is_well_above_the_account_limit() -> None:
    assert MAX_ADDRESS_FAILURES >= 5 * MAX_FAILURES and ADDRESS_WINDOW_MINUTES >= 15


def test_password_spraying_from_one_address_locks_that_address_for_every_account(strict: Accounts) -> None:
    accounts = strict
    sprayer, elsewhere = "198.51.100.23", "198.51.100.24"
    names = ["ana", "eva", "kai", "nil"] + [f"spray{i}" for i in range(SPRAY_LIMIT - 4)]
    for name in names:  # one guess on each of many accounts, known or not: no account lock-out
        with pytest.raises(AuthError, match="wrong password"):
            accounts.authenticate(name, "Winter2010!", remote=sprayer)
    with pytest.raises(AuthError, match="too many failed sign-ins from your address"):
        accounts.authenticate("ana", PASSWORD, remote=sprayer)  # even the right password
    assert accounts.address_lock(sprayer) is not None and accounts.address_lock(elsewhere) is None
    assert accounts.authenticate("ana", PASSWORD, remote=elsewhere).name == "ana"  # the accounts are not locked
    accounts.unlock_address(sprayer)
    assert accounts.authenticate("ana", PASSWORD, remote=sprayer).name == "ana"


def test_address_failures_older_than_the_window_are_forgotten(strict: Accounts) -> None:
    accounts = strict
    remote = "198.51.100.31"
    for _ in range(SPRAY_LIMIT - 1):
        with pytest.raises(AuthError):
            accounts.authenticate("nobody-here", "guess", remote=remote)
    accounts.run(
        "UPDATE login_throttle SET window_start = now() - make_interval(mins => %s) WHERE remote = %s",
        (ADDRESS_WINDOW_MINUTES + 1, remote),
    )
    with pytest.raises(AuthError, match="wrong password"):  # a new window: 1 failure, not the last allowed
        accounts.authenticate("nobody-here", "guess", remote=remote)
    assert accounts.address_lock(remote) is None
    assert accounts.authenticate("kai", PASSWORD, remote=remote).name == "kai"


def test_the_login_page_locks_out_a_spraying_address_and_audits_it(server_db: Server, accounts: Accounts) -> None:
    app = create_app(server_db.url)
    app.state.desk.accounts.max_address_failures = SPRAY_LIMIT  # this app's setting, not a global
    sprayer = TestClient(app, client=("203.0.113.77", 4242), follow_redirects=False)
    for i in range(SPRAY_LIMIT):
        assert sign_in(sprayer, f"user{i}", "Summer2010!").status_code == 401
    r = sign_in(sprayer, "ana")
    assert r.status_code == 401 and "too many failed sign-ins from your address" in r.text
    assert sprayer.get("/api/me").status_code == 401
    other = TestClient(sprayer.app, client=("203.0.113.78", 4242), follow_redirects=False)
    assert sign_in(other, "ana").status_code == 303
    refused = accounts.run("SELECT count(*) FROM audit WHERE action = 'login_failed' AND remote = '203.0.113.77'")
    assert refused[0][0] == SPRAY_LIMIT + 1


def test_cabledesk_admin_unlock_address_lifts_an_address_lock_and_is_audited(
    server_db: Server, strict: Accounts
) -> None:
    from typer.testing import CliRunner

    from cabledesk.cli import app as cli_app

    remote = "198.51.100.99"
    for _ in range(SPRAY_LIMIT):
        with pytest.raises(AuthError):
            strict.authenticate("nobody-at-all", "guess", remote=remote)
    assert strict.address_lock(remote) is not None
    r = CliRunner().invoke(cli_app, ["admin", "unlock-address", remote, "--json"], env={"CABLEDESK_DB": server_db.url})
    assert r.exit_code == 0, r.output
    assert strict.address_lock(remote) is None
    last = strict.run("SELECT target, detail FROM audit WHERE action = 'admin' ORDER BY id DESC LIMIT 1")[0]
    assert last == ("unlock-address", {"address": remote, "unlocked": True})

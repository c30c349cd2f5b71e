"""Sign-in on the newsroom server: anonymous refusal, sessions, CSRF, fixation, lock-out, tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, login_form, sign_in

from cabledesk.server.accounts import MAX_FAILURES, Accounts, AuthError
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

"""Sign-in for the newsroom server: /login, /logout, sessions, API tokens, CSRF, scoped Desk, audit.

Only installed for a PostgreSQL database (:func:`install` is a no-op for an SQLite path, whose
embedded single-user mode on 127.0.0.1 needs no sign-in). Then every page and API call needs a
signed-in user (session cookie) or ``Authorization: Bearer <token>``: anonymous API calls get 401
JSON, anonymous pages a redirect to /login. Every state-changing request (POST, PUT, PATCH, DELETE)
made with a session cookie must carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field); bearer-token calls carry no ambient credential and need none.
Routes reach the user's Desk through ``desk_of(request)`` as before: it is the user's
:class:`~cabledesk.server.access.ScopedDesk`, set for the request by the middleware.
"""

from __future__ import annotations

import contextvars
import html
import json
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cabledesk.desk import Desk
from cabledesk.server import access, audit
from cabledesk.server.accounts import Accounts, AuthError, User
from cabledesk.server.auth import CookieSigner, new_secret, same
from cabledesk.store.pg_migrate import is_postgres_url
from cabledesk.web.app import DeskHolder

SESSION_COOKIE = "cabledesk_session"
CSRF_COOKIE = "cabledesk_csrf"  # readable by the page's script, echoed in X-CSRF-Token
LOGIN_CSRF_COOKIE = "cabledesk_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = ("/login", "/static/", "/favicon.ico")
MAX_FORM_BYTES = 5_000_000
#: Lowest role allowed on a route prefix (others: any signed-in role).
ROLE_RANK = {"reader": 0, "editor": 1, "admin": 2}
ROUTE_ROLES = {
    "/api/export": "editor",
    "/api/audit": "editor",
    "/admin/": "admin",
    # reviewing redactions and redacted exports are the editor's (issue #10 roles)
    "/protect/decide": "editor",
    "/protect/undo": "editor",
    "/protect/export": "editor",
}

_current: contextvars.ContextVar[tuple[User, Desk] | None] = contextvars.ContextVar(
    "cabledesk_user", default=None
)

router = APIRouter(include_in_schema=False)


class ServerDeskHolder(DeskHolder):
    """The app's shared Desk on a URL; ``get()`` hands each request the signed-in user's scoped Desk."""

    def __init__(self, url: str) -> None:
        super().__init__(url)  # type: ignore[arg-type]
        self.db = url  # type: ignore[assignment]
        self.accounts = Accounts(url)

    def shared(self) -> Desk:
        return super().get()

    def get(self) -> Desk:
        current = _current.get()
        if current is None:  # the middleware runs first: reaching here means a route outside it
            raise PermissionError("no signed-in user for this request")
        return current[1]

    def close(self) -> None:
        super().close()
        self.accounts.close()


def current_user(request: Request) -> User:
    """The signed-in user of this request (the middleware guarantees there is one)."""
    current = _current.get()
    if current is None:
        raise PermissionError("no signed-in user")
    return current[0]


def _remote(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _secure(scope: Scope) -> bool:
    """Secure cookies unless the server is reached on localhost over plain HTTP (development)."""
    host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1").split(":")[0]
    return scope.get("scheme") == "https" or host not in ("127.0.0.1", "localhost", "::1", "testserver")


class AuthMiddleware:
    """Pure ASGI: identify the user, refuse anonymous or CSRF-less requests, scope the Desk, audit."""

    def __init__(self, app: ASGIApp, holder: ServerDeskHolder) -> None:
        self.app = app
        self.holder = holder
        self.signer = CookieSigner(holder.accounts.secret(), "session", max_age=12 * 3600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC_PATHS):
            await self.app(scope, receive, send)
            return
        await self._signed_in(scope, receive, send, request, path)

    async def _signed_in(
        self, scope: Scope, receive: Receive, send: Send, request: Request, path: str
    ) -> None:
        """Identify, check CSRF and role, scope the Desk, audit, then run the route."""
        via = "token" if request.headers.get("authorization", "").lower().startswith("bearer ") else "session"
        safe = scope["method"] in SAFE_METHODS
        need = next((role for prefix, role in ROUTE_ROLES.items() if path.startswith(prefix)), "reader")
        # Every blocking database call runs in the threadpool, never on the event loop; a safe
        # request (the hot path: searches, pages) takes ONE hop for identify + scope + audit.
        found, desk = await run_in_threadpool(self._prepare, request, need if safe else None)
        if found is None:
            await _deny_anonymous(request)(scope, receive, send)
            return
        user, csrf = found.user, found.csrf
        body = b""
        if not safe:
            body = await _read_body(receive)
            if via == "session" and not same(_sent_csrf(request, body), csrf):
                await _json(403, "missing or wrong CSRF token")(scope, receive, send)
                return
        if ROLE_RANK[user.role] < ROLE_RANK[need]:
            await _json(403, f"this needs the {need} role")(scope, receive, send)
            return
        if desk is None:
            desk = await run_in_threadpool(self._scope_and_audit, found, request)
        state = scope.setdefault("state", {})
        state["csrf_token"], state["user"] = csrf, user  # for the templates (account nav, notes)
        token = _current.set((user, desk))
        try:
            await self.app(scope, receive if safe else _replay(body), send)
        finally:
            _current.reset(token)

    def _prepare(self, request: Request, need: str | None) -> tuple[access.Access | None, Desk | None]:
        """Identify; when ``need`` is given (a safe request) and the role suffices, scope and audit too.

        The audit row of a safe request is written by the identifying statement itself (one round
        trip), and only when the user's role suffices, exactly as the separate write did.
        """
        entry = None
        if need is not None:
            entry = _audit_entry(request, tuple(r for r, k in ROLE_RANK.items() if k >= ROLE_RANK[need]))
        found = self._identify(request, entry)
        if found is None or need is None or ROLE_RANK[found.user.role] < ROLE_RANK[need]:
            return found, None
        return found, access.desk_for(self.holder.shared(), found)

    def _identify(self, request: Request, entry: access.AuditEntry | None = None) -> access.Access | None:
        """User, CSRF token, collections and ledger id in one round trip (nothing cached: see resolve)."""
        accounts = self.holder.accounts
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return access.resolve(accounts, token=header[7:].strip(), audit=entry)
        sid = self.signer.loads(request.cookies.get(SESSION_COOKIE))
        if isinstance(sid, str):
            return access.resolve(accounts, session=sid, audit=entry)
        return None

    def _scope_and_audit(self, found: access.Access, request: Request) -> Desk:
        """The user's scoped Desk (cached id set and filter) and the request's audit row."""
        desk = access.desk_for(self.holder.shared(), found)
        _audit_request(self.holder.accounts, found.user, request)
        return desk


def _audit_request(accounts: Accounts, user: User, request: Request) -> None:
    """Searches, cable views and exports go to the audit trail (static assets and charts do not)."""
    entry = _audit_entry(request, ())
    if entry is not None:
        audit.record(accounts, entry.action, user=user.name, target=entry.target, detail=entry.detail or None,
                     remote=entry.remote)  # fmt: skip


def _audit_entry(request: Request, roles: tuple[str, ...]) -> access.AuditEntry | None:
    """The audit row a request leaves (a search, a cable view, an export), or None."""
    path, params = request.url.path, request.query_params
    remote = _remote(request.scope)
    if path.startswith("/cable/") or path.startswith("/api/cable/"):
        target = path.split("/")[-1] if "/api/" in path else path.split("/")[2]
        return access.AuditEntry("view", target, {}, remote, roles)
    if path.startswith("/api/export"):
        return access.AuditEntry("export", params.get("q"), {}, remote, roles)
    if params.get("q") is not None and (path in ("/", "/api/search", "/api/facets")):
        return access.AuditEntry("search", params.get("q"), {"path": path}, remote, roles)
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            break
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _sent_csrf(request: Request, body: bytes) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token")
        return values[0] if values else None
    return None


def _json(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _deny_anonymous(request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return _json(401, "sign in required: use a session or an API token", {"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


def safe_next(value: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    return (
        value if value and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"
    )


_LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · cabledesk</title>
<link rel="stylesheet" href="/static/app.css"></head><body><main class="login">
<h1>cabledesk</h1><p>Sign in to see the collections shared with your newsroom.</p>{error}
<form method="post" action="/login"><input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label>User <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>"""


def _login_page(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
    csrf = new_secret()
    page = _LOGIN_PAGE.format(
        csrf=html.escape(csrf), next=html.escape(safe_next(request.query_params.get("next"))),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
    )  # fmt: skip
    response = HTMLResponse(page, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=_secure(request.scope), path="/login")  # fmt: skip
    return response


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The sign-in form (with a fresh login CSRF token, double-submitted via an HttpOnly cookie)."""
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password; on success a NEW session id (never the one the browser came with)."""
    holder: ServerDeskHolder = request.app.state.desk
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    remote = _remote(request.scope)
    if not same(form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _json(403, "missing or wrong CSRF token")
    found = await run_in_threadpool(_sign_in, holder.accounts, form.get("username", ""),
                                    form.get("password", ""), remote)  # fmt: skip
    if isinstance(found, AuthError):
        return _login_page(request, str(found), status=401)
    sid, csrf, secret = found
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    signer = CookieSigner(secret, "session", max_age=12 * 3600)
    secure = _secure(request.scope)
    response.set_cookie(SESSION_COOKIE, signer.dumps(sid), httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", secure=secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _sign_in(
    accounts: Accounts, name: str, password: str, remote: str | None
) -> tuple[str, str, str] | AuthError:
    """(session id, CSRF token, cookie secret) of a new session, or the refusal; audited either way.

    All of it blocks (argon2, the database), so the route runs it in the threadpool, never on the loop.
    """
    try:
        user = accounts.authenticate(name, password, remote)
    except AuthError as exc:
        audit.record(accounts, "login_failed", user=name or None, detail={"reason": str(exc)}, remote=remote)
        return exc
    sid, csrf = accounts.create_session(user)
    audit.record(accounts, "login", user=user.name, remote=remote)
    return sid, csrf, accounts.secret()


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session everywhere (the middleware has checked its CSRF token)."""
    holder: ServerDeskHolder = request.app.state.desk
    signer = CookieSigner(holder.accounts.secret(), "session", max_age=12 * 3600)
    sid = signer.loads(request.cookies.get(SESSION_COOKIE))
    if isinstance(sid, str):
        holder.accounts.end_session(sid)
    audit.record(holder.accounts, "logout", user=current_user(request).name, remote=_remote(request.scope))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/api/me")
def me(request: Request) -> dict[str, Any]:
    """Who is signed in, their role, organisation and collections (names only)."""
    holder: ServerDeskHolder = request.app.state.desk
    user = current_user(request)
    colls = access.collections_for(holder.accounts, user)
    return {"user": user.name, "role": user.role, "org": user.org, "collections": [c.name for c in colls]}


@router.get("/api/export")
def export(request: Request, q: str | None = None) -> Response:
    """JSONL of the matching cables the user may see (editor or admin; audited)."""
    from cabledesk.desk import export_string

    return Response(export_string(_current_desk(), q), media_type="application/x-ndjson")


@router.get("/api/audit")
def audit_trail(
    request: Request, user: str | None = None, limit: int = 1000, action: str | None = None,
    since: str | None = None, until: str | None = None, cable: str | None = None, offset: int = 0,
) -> Response:  # fmt: skip
    """The audit trail (editor or admin), oldest first; ``since``/``until`` ISO times, ``until`` exclusive."""
    from datetime import datetime

    holder: ServerDeskHolder = request.app.state.desk
    try:
        start, end = (datetime.fromisoformat(v) if v else None for v in (since, until))
    except ValueError:
        return _json(400, "since and until must be ISO dates or times, e.g. 2026-01-31")
    rows = access.audit_rows_for(  # an editor: only their own organisation's rows (access matrix)
        holder.accounts,
        current_user(request),
        user=user,
        action=action,
        since=start,
        until=end,
        target=cable.strip().upper() if cable else None,
        offset=offset,
        limit=max(0, min(limit, 10_000)),
    )
    return Response(json.dumps(rows, default=str, ensure_ascii=False), media_type="application/json")


def _current_desk() -> Desk:
    current = _current.get()
    if current is None:
        raise PermissionError("no signed-in user")
    return current[1]


def install(app: FastAPI, db: object) -> None:
    """Turn ``app`` into the newsroom server when ``db`` is a PostgreSQL URL (else do nothing)."""
    if not is_postgres_url(str(db)):
        return
    holder = ServerDeskHolder(str(db))
    app.state.desk = holder
    # issue 9: notes, tags, stars (JSON and forms), the admin audit page (these import this module)
    from cabledesk.web import admin_routes, collab_pages, collab_routes

    collab_pages.register_globals()
    extra = collab_routes.router.routes + collab_pages.router.routes + admin_routes.router.routes
    app.router.routes[:0] = router.routes + extra  # before the pages' catch-alls
    # innermost, so the security headers middleware also covers 401s and redirects
    app.user_middleware.append(Middleware(AuthMiddleware, holder=holder))

    lifespan = app.router.lifespan_context

    def closing(app_: Any) -> Any:
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def ctx(a: Any) -> Any:
            async with lifespan(a) as state:
                yield state
            holder.close()

        return ctx(app_)

    app.router.lifespan_context = closing

"""Server test kit: the users, newsrooms and collections of the fixtures, and sign-in helpers."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "pw-" + secrets.token_hex(8)
#: user -> (role, organisation)
USERS = {
    "ana": ("reader", "El Pais"),
    "eva": ("editor", "El Pais"),
    "adm": ("admin", "El Pais"),
    "kai": ("reader", "Der Spiegel"),
    "nil": ("editor", "Nobody"),
}
MEXICO_Q = "origin:mexico"
BERLIN_Q = "origin:berlin"


@dataclass
class Server:
    url: str
    tokens: dict[str, str]


def login_form(client: TestClient) -> str:
    """GET /login and return the form's CSRF token (its cookie is now in the client)."""
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    """POST /login with a valid login CSRF token; returns the response."""
    csrf = login_form(client)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": csrf})


def route_table(app: Any) -> set[tuple[str, str]]:
    """Every (METHOD, path) the app answers, included routers flattened; a mount is ``(ANY, /path/)``.

    FastAPI 0.16x wraps each ``include_router`` in an object holding the original router, so
    ``app.routes`` alone does not list the routes of feature modules: this walks into them.
    """
    found: set[tuple[str, str]] = set()

    def walk(routes: Any, prefix: str) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                ctx = getattr(r, "include_context", None)
                walk(inner.routes, prefix + (getattr(ctx, "prefix", "") or ""))
            elif hasattr(r, "methods") and r.methods:
                found.update((m, prefix + r.path) for m in r.methods if m != "HEAD")
            elif hasattr(r, "path"):  # a Mount (static files)
                found.add(("ANY", prefix + r.path + "/"))

    walk(app.routes, "")
    return found


def csrf_headers(client: TestClient) -> dict[str, str]:
    """The signed-in session's CSRF header (empty for a client without a session)."""
    token = client.cookies.get("cabledesk_csrf")
    return {"X-CSRF-Token": token} if token else {}

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

"""Hostile text never reaches PostgreSQL unparameterised: queries, ids, names, collection specs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from server_kit import Server

from cabledesk.desk import Desk
from cabledesk.errors import NotFoundError, QueryError
from cabledesk.server import access, audit
from cabledesk.server.accounts import Accounts, AuthError

HOSTILE = [
    "'; DROP TABLE cables; --",
    '"sedena"; DELETE FROM audit; --',
    "x' OR '1'='1",
    "10MEXICO83' UNION SELECT password_hash FROM users --",
    "origin:'mexico'; SELECT pg_sleep(5)",
    "%s %(x)s ? $1 \\x00",
    "Robert'); TRUNCATE ledger;--",
]


def _tables_intact(desk: Desk) -> None:
    assert desk.store.count() == 1295
    assert desk.store._all("SELECT count(*) FROM users")[0][0] >= 5


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_are_searched_or_rejected_never_executed(
    app_client: TestClient, server_db: Server, desk: Desk, text: str
) -> None:
    auth = {"Authorization": f"Bearer {server_db.tokens['eva']}"}
    for path in ("/api/search", "/api/facets", "/api/export"):
        r = app_client.get(path, params={"q": text}, headers=auth)
        assert r.status_code in (200, 400), (path, r.status_code, r.text[:200])
    r = app_client.get(f"/api/cable/{text[:60]}", headers=auth)
    assert r.status_code in (404, 422)
    _tables_intact(desk)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_are_stored_as_data(accounts: Accounts, desk: Desk, text: str) -> None:
    with pytest.raises(AuthError):
        accounts.authenticate(text, text)
    with pytest.raises(NotFoundError):
        accounts.user(text)
    audit.record(accounts, "search", user=text, target=text, detail={"q": text.replace("\x00", "")})
    assert audit.rows(accounts, user=text)[-1]["target"] == text.replace("\x00", "\x00")
    with pytest.raises(NotFoundError):
        desk.store.get(text)
    assert desk.store.get_many([text, "10MEXICO83"]).keys() == {"10MEXICO83"}
    _tables_intact(desk)


def test_a_source_collection_spec_is_a_value_not_sql(accounts: Accounts, desk: Desk) -> None:
    c = access.create_collection(accounts, "evil-source", "source", "x' OR '1'='1")
    assert access.allowed_ids(desk, [c]) == frozenset()
    with pytest.raises(QueryError):
        access.create_collection(accounts, "evil-query", "query", "(((")

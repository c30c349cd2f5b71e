"""The per-request access caches never outlive a change: grants, revocations and index commits count at once."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import tantivy
from fastapi.testclient import TestClient
from server_kit import MEXICO_Q, Server

from cabledesk.desk import Desk
from cabledesk.server import access
from cabledesk.server.accounts import Accounts
from cabledesk.store.index import CableIndex

#: Matches every cable of the corpus (the query language has no empty query).
ALL = "year:1960..2011"


def _total(client: TestClient, token: str, q: str = ALL) -> int:
    r = client.get("/api/search", params={"q": q, "limit": 0}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def test_grant_and_revoke_take_effect_on_the_next_request(
    app_client: TestClient, server_db: Server, accounts: Accounts, desk: Desk
) -> None:
    token = server_db.tokens["nil"]  # "Nobody": no collection granted
    name = f"tmp-mexico-{secrets.token_hex(3)}"
    access.create_collection(accounts, name, "query", MEXICO_Q)
    assert _total(app_client, token) == 0
    access.grant(accounts, "Nobody", name)
    try:
        assert _total(app_client, token) == len(set(desk.matching_ids(MEXICO_Q))) > 0
    finally:
        access.revoke(accounts, "Nobody", name)
    assert _total(app_client, token) == 0


def test_a_grant_of_every_cable_searches_unfiltered_and_its_revoke_filters_again(
    app_client: TestClient, server_db: Server, accounts: Accounts, desk: Desk
) -> None:
    token = server_db.tokens["nil"]
    access.grant(accounts, "Nobody", "mirror")  # the source collection: every cable of the corpus
    try:
        assert _total(app_client, token) == desk.store.count()
        assert _total(app_client, token, "origin:mexico") == len(set(desk.matching_ids(MEXICO_Q)))
    finally:
        access.revoke(accounts, "Nobody", "mirror")
    assert _total(app_client, token) == 0
    assert _total(app_client, token, "origin:mexico") == 0


def test_a_revoked_token_is_refused_on_the_very_next_request(
    app_client: TestClient, accounts: Accounts
) -> None:
    token_id, token = accounts.create_token("ana", "revoke-me")
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/api/me", headers=headers).status_code == 200
    accounts.revoke_token(token_id)
    assert app_client.get("/api/me", headers=headers).status_code == 401


def test_the_compiled_filter_is_built_once_per_allowed_set(desk: Desk) -> None:
    ids = sorted(desk.store.ids())
    a, b = frozenset(ids[:10]), frozenset(ids[10:20])
    assert access.allowed_filter(desk.index, a) is access.allowed_filter(desk.index, frozenset(ids[:10]))
    assert access.allowed_filter(desk.index, a) is not access.allowed_filter(desk.index, b)


def test_the_same_collections_give_the_same_allowed_set_object(desk: Desk, accounts: Accounts) -> None:
    colls = access.collections_for(accounts, accounts.user("ana"))
    ledger = desk.store.last_ledger_id()
    assert access.allowed_ids(desk, colls, ledger) is access.allowed_ids(desk, colls, ledger)
    assert access.allowed_ids(desk, colls, ledger) == access.allowed_ids(desk, colls)


def test_a_cable_committed_after_the_check_is_filtered_out(desk: Desk, tmp_path: Path) -> None:
    ids = sorted(desk.store.ids())[:3]
    cables = [desk.store.get(i) for i in ids]
    allowed = frozenset(ids[:2])
    with CableIndex(tmp_path / "index") as index:
        index.add(cables[:2])
        index.commit()
        scoped = access.ScopedIndex(index, allowed)
        assert isinstance(scoped.searcher(), tantivy.Searcher)  # covers the whole commit: no filter
        index.add(cables[2:])
        index.commit()
        searcher = scoped.searcher()
        assert isinstance(searcher, access.ScopedSearcher)
        found = searcher.search(tantivy.Query.all_query(), limit=10)
        seen = {searcher.doc(addr)["id"][0] for _score, addr in found.hits}
        assert seen == allowed


def test_a_token_in_use_is_marked_used_without_a_write_per_request(
    app_client: TestClient, accounts: Accounts
) -> None:
    token_id, token = accounts.create_token("kai", "usage")
    headers = {"Authorization": f"Bearer {token}"}

    def last_used() -> object:
        return next(t["last_used"] for t in accounts.tokens("kai") if t["id"] == token_id)

    assert last_used() is None
    assert app_client.get("/api/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert app_client.get("/api/me", headers=headers).status_code == 200
    assert last_used() == first  # within the minute: read only, no commit
    accounts.revoke_token(token_id)


@pytest.mark.parametrize("share", [0.05, 0.95])  # few allowed: keep them; most allowed: drop the rest
def test_a_scoped_search_counts_exactly_the_allowed_cables_whichever_side_the_filter_names(
    desk: Desk, share: float
) -> None:
    ids = sorted(desk.store.ids())
    allowed = frozenset(ids[: int(len(ids) * share)])
    mine = access.ScopedDesk(desk, allowed)
    searcher = mine.index.searcher("cables")
    assert isinstance(searcher, access.ScopedSearcher)
    assert searcher.num_docs == len(allowed)
    for q in ("year:1960..2011", "government", "sedena OR semar"):
        res = mine.search(q, limit=2000, facets=True)
        truth = set(desk.matching_ids(q)) & allowed
        assert res.total == len(truth) and {h["id"] for h in res.hits} == truth
        assert sum(res.facets.get("year", {}).values()) == len(truth)

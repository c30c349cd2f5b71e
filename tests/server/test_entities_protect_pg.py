"""Entities and source protection in server mode (PostgreSQL): roles, audit rows, and no outside cable.

Two newsrooms of this module see different collections of the real corpus: "EP London" the London
cables (Judith Gough is protected in two of them), "EP Berlin" the Berlin ones (08BERLIN1387 marks
its source). A few cables of each are enriched into the server's database, so entity pages exist
for people and places named in both. Every answer is checked against the unscoped truth read from
the same database: counts, ids and names come from the user's cables alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server

from cabledesk.desk import Desk
from cabledesk.enrich import entity_read as er
from cabledesk.enrich.entities import enrich
from cabledesk.enrich.entity_store import EntityStore
from cabledesk.enrich.ner import PIPELINE_VERSION
from cabledesk.server import access, audit
from cabledesk.server.accounts import Accounts
from cabledesk.web.server import create_app

LONDON = ["09LONDON1707", "09LONDON2222"]
BERLIN = ["08BERLIN1387", "09BERLIN1162"]
#: user -> (role, organisation); names unique to this module (the server database is shared)
USERS = {"ep_lea": ("editor", "EP London"), "ep_rob": ("reader", "EP London"), "ep_ben": ("editor", "EP Berlin")}
_ID = re.compile(r"\b\d{2}[A-Z]{4,}\d+\b")


@dataclass
class World:
    desk: Desk  # unscoped: the truth
    accounts: Accounts
    london: frozenset[str]
    berlin: frozenset[str]
    clients: dict[str, TestClient]


def _enrich_only(desk: Desk, ids: list[str]) -> None:
    """Enrich just ``ids``: every other cable is recorded as processed with nothing found."""
    es = EntityStore(desk.store)
    if es.meta("pipeline") != PIPELINE_VERSION:
        es.clear()
        es.set_meta("pipeline", PIPELINE_VERSION)
    rest = [c for c in es.pending() if c not in ids]
    cables = desk.store.get_many(rest)
    es.write_cables((cid, c.content_hash(), c.origin, None, []) for cid, c in cables.items())
    enrich(desk.store)


@pytest.fixture(scope="module")
def world(server_db: Server) -> Iterator[World]:
    with Desk(server_db.url) as writer:
        _enrich_only(writer, LONDON + BERLIN)
    desk = Desk(server_db.url, readonly=True)
    accounts = Accounts(server_db.url)
    for name, (role, org) in USERS.items():
        accounts.create_user(name, PASSWORD, role, org)
    access.create_collection(accounts, "ep_london", "query", "origin:london")
    access.create_collection(accounts, "ep_berlin", "query", "origin:berlin")
    access.grant(accounts, "EP London", "ep_london")
    access.grant(accounts, "EP Berlin", "ep_berlin")
    london = access.allowed_ids(desk, [access.collection(accounts, "ep_london")])
    berlin = access.allowed_ids(desk, [access.collection(accounts, "ep_berlin")])
    assert set(LONDON) <= london and set(BERLIN) <= berlin and not london & berlin
    clients = {}
    with TestClient(create_app(server_db.url), follow_redirects=False) as main:
        for name in USERS:
            c = TestClient(main.app, follow_redirects=False)
            c.headers["Authorization"] = f"Bearer {accounts.create_token(name, 'ep tests')[1]}"
            clients[name] = c
        yield World(desk, accounts, london, berlin, clients)
    accounts.close()
    desk.close()


def _outside_ids(text: str, allowed: frozenset[str], typed: str = "") -> set[str]:
    return {i for i in _ID.findall(text) if i not in allowed and i not in typed}


def _shared_entity(w: World) -> dict[str, Any]:
    """An entity named in a London and in a Berlin cable (the unscoped truth says so)."""
    for e in er.top_entities(w.desk.store, None, 500):
        ids = set(er.cable_ids_for_entity(w.desk.store, e["entity_id"]))
        if ids & w.london and ids & w.berlin:
            return e
    raise AssertionError("the enriched cables share no entity")


# -- entities ----------------------------------------------------------------------------------------


def test_entity_page_counts_and_lists_only_the_users_cables(world: World) -> None:
    e = _shared_entity(world)
    truth = er.entity_detail(world.desk.store, e["entity_id"], limit=5000)
    mine = world.clients["ep_rob"].get(f"/api/entity/{e['entity_id']}?limit=5000")
    assert mine.status_code == 200
    d = mine.json()
    want = [m for m in truth["mention_list"] if m["cable_id"] in world.london]
    assert set(d["cable_ids"]) == set(truth["cable_ids"]) & world.london
    assert d["cables"] == len(d["cable_ids"]) < truth["cables"]
    assert d["mentions"] == len(want) < truth["mentions"]
    assert [(m["cable_id"], m["start"]) for m in d["mention_list"]] == [(m["cable_id"], m["start"]) for m in want]
    assert sum(m["total"] for m in d["months"]) == len(d["cable_ids"])
    assert set(d["aliases"]) <= {m["text"] for m in want}
    page = world.clients["ep_rob"].get(f"/entity/{e['entity_id']}")
    assert page.status_code == 200
    assert not _outside_ids(mine.text + page.text, world.london)


def test_entity_named_only_outside_the_collections_is_not_found(world: World) -> None:
    store = world.desk.store
    only_berlin = next(e for e in er.top_entities(store, None, 500)
                       if set(er.cable_ids_for_entity(store, e["entity_id"])) <= world.berlin)  # fmt: skip
    rob, ben = world.clients["ep_rob"], world.clients["ep_ben"]
    assert rob.get(f"/api/entity/{only_berlin['entity_id']}").status_code == 404
    assert rob.get(f"/entity/{only_berlin['entity_id']}").status_code == 404
    assert ben.get(f"/api/entity/{only_berlin['entity_id']}").status_code == 200
    listed = rob.get("/api/entities?limit=500").json()["entities"]
    assert only_berlin["entity_id"] not in {x["entity_id"] for x in listed}
    assert listed and all(x["cables"] >= 1 for x in listed)
    assert not _outside_ids(rob.get("/entities").text, world.london)


def test_entity_query_fields_and_facets_see_only_the_users_cables(world: World) -> None:
    e = _shared_entity(world)
    field = {"person": "person", "org": "org", "place": "place"}[e["type"]]
    q = f'{field}:"{e["entity_id"]}"'
    got = world.clients["ep_rob"].get("/api/search", params={"q": q, "limit": 100}).json()
    ids = {h["id"] for h in got["hits"]}
    assert ids and ids == set(er.cable_ids_for_entity(world.desk.store, e["entity_id"])) & world.london
    facets = world.clients["ep_rob"].get("/api/search", params={"q": "origin:london OR origin:berlin"}).json()
    named = {n for t in ("person", "org", "place") for n in facets["facets"].get(t, {})}
    assert named and not _outside_ids(str(facets), world.london)
    cable = world.clients["ep_rob"].get(f"/cable/{LONDON[0]}")
    assert cable.status_code == 200 and 'href="/entity/' in cable.text


# -- protect: roles -----------------------------------------------------------------------------------


def test_review_routes_need_the_editor_role(world: World) -> None:
    rob, lea = world.clients["ep_rob"], world.clients["ep_lea"]
    for url in ("/protect", f"/api/protect/{LONDON[1]}", f"/api/protect/{LONDON[1]}/highlights",
                f"/protect/export?cable={LONDON[1]}", "/protect/exports/1.json"):  # fmt: skip
        assert rob.get(url).status_code == 403, url
    assert rob.post("/protect/decide", data={"key": "x", "decision": "accepted"}).status_code == 403
    assert rob.post("/protect/undo", data={}).status_code == 403
    assert rob.get("/api/protect/ids").status_code == 200  # what protected:yes selects: open to readers
    assert lea.get("/protect").status_code == 200
    h = lea.get(f"/api/protect/{LONDON[1]}/highlights").json()
    assert h["protected"] and any(s["name"] == "Judith Gough" for s in h["spans"])
    # protected names are highlighted on the cable page for editors only
    assert 'class="protected"' in lea.get(f"/cable/{LONDON[1]}").text
    assert 'class="protected"' not in rob.get(f"/cable/{LONDON[1]}").text


def _finding(client: TestClient, cable_id: str, name: str) -> dict[str, Any]:
    return next(f for f in client.get(f"/api/protect/{cable_id}/highlights").json()["spans"] if f["name"] == name)


def test_decisions_undo_and_exports_are_audited_with_who_what_where(world: World) -> None:
    lea = world.clients["ep_lea"]
    f = _finding(lea, LONDON[1], "Judith Gough")
    r = lea.post("/protect/decide", data={"key": f["key"], "decision": "accepted", "user": "someone-else"})
    assert r.status_code == 303
    rows = audit.rows(world.accounts, user="ep_lea", action="redaction")
    assert rows[-1]["target"] == f["key"] and rows[-1]["detail"]["decision"] == "accepted"
    assert rows[-1]["detail"]["cable"] == LONDON[1] and rows[-1]["remote"] and rows[-1]["at"]
    log = lea.get("/protect").text
    assert "someone-else" not in log  # decided in the signed-in user's name, never a form field's
    exp = lea.get(f"/protect/export?cable={LONDON[1]}&format=jsonl")
    assert exp.status_code == 200 and "Judith Gough" not in exp.text
    ex = audit.rows(world.accounts, user="ep_lea", action="export")[-1]
    assert ex["detail"]["kind"] == "redacted" and ex["detail"]["export_id"] == int(exp.headers["x-cabledesk-export-id"])
    assert ex["target"] == LONDON[1] and ex["detail"]["cables"] == 1
    assert lea.post("/protect/undo", data={}).status_code == 303
    undo = audit.rows(world.accounts, user="ep_lea", action="redaction")[-1]
    assert undo["detail"]["undo"] and undo["target"] == f["key"]
    assert "Judith Gough" in world.desk.cable(LONDON[1]).body  # the stored original is untouched


# -- protect: nothing from outside -------------------------------------------------------------------


def test_protect_pages_never_show_another_newsrooms_cables_or_decisions(world: World) -> None:
    lea, ben = world.clients["ep_lea"], world.clients["ep_ben"]
    spans = ben.get(f"/api/protect/{BERLIN[0]}/highlights").json()["spans"]
    assert spans, "08BERLIN1387 marks a protected source"
    r = ben.post("/protect/decide", data={"key": spans[0]["key"], "decision": "accepted"})
    assert r.status_code == 303
    berlin_export = ben.get(f"/protect/export?cable={BERLIN[0]}&format=text")
    export_id = berlin_export.headers["x-cabledesk-export-id"]
    # the London editor: no Berlin cable, finding, decision or export
    for url in ("/protect", "/protect?all=1", "/api/protect/ids"):
        page = lea.get(url)
        assert page.status_code == 200 and not _outside_ids(page.text, world.london), url
    assert "senior sources in the Chancellery" not in lea.get("/protect?all=1").text
    assert lea.get(f"/api/protect/{BERLIN[0]}").status_code == 404
    assert lea.get(f"/api/protect/{BERLIN[0]}/highlights").status_code == 404
    assert lea.get(f"/protect/exports/{export_id}.json").status_code == 404
    assert ben.get(f"/protect/exports/{export_id}.json").status_code == 200
    assert lea.post("/protect/decide", data={"key": spans[0]["key"], "decision": "rejected"}).status_code == 404
    # undo takes back only a decision the London editor may see: the Berlin one stands
    lea.post("/protect/undo", data={})
    assert _finding(ben, BERLIN[0], spans[0]["name"])["status"] == "accepted"
    ids = lea.get("/api/protect/ids").json()["ids"]
    assert set(ids) <= world.london and set(LONDON) <= set(ids)
    hits = lea.get("/api/search", params={"q": "protected:yes", "limit": 500}).json()
    assert {h["id"] for h in hits["hits"]} == set(ids)

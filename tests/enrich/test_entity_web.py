"""The web's entity pages, the cable page's entity box and the search page's entity facet (on ent_db)."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_entities_kit import ent_db  # noqa: F401  (session fixture: the labelled cables, enriched)

from cabledesk.desk import Desk
from cabledesk.enrich.entity_read import entities_for_cable, entity_facet, entity_facet_items, resolve_one
from cabledesk.store import index_path_for
from cabledesk.web.cableview import paragraph_views
from cabledesk.web.server import create_app


@pytest.fixture(scope="module")
def eclient(ent_db: Path) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(ent_db)) as c:
        yield c


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory: pytest.TempPathFactory, cable_page: Any) -> Path:
    """Two real cables, never enriched (the schema's entity tables, all empty)."""
    db = tmp_path_factory.mktemp("plain") / "p.db"
    with Desk(db) as desk:
        desk.ingest([cable_page("10MEXICO83"), cable_page("09MEXICO2882")])
    return db


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_entity_page_shows_aliases_and_links_mentions_to_the_paragraph(
    eclient: TestClient,
    ent_db: Path,  # noqa: F811
) -> None:
    r = eclient.get("/entity/Calderon")
    assert r.status_code == 200
    with Desk(ent_db, readonly=True) as desk:
        ent = resolve_one(desk.store, "Calderon")
        cable = desk.cable("10MEXICO83")
        mine = next(
            e
            for e in entities_for_cable(desk.store, "10MEXICO83")["entities"]
            if e["entity_id"] == ent["entity_id"]
        )
    assert html.escape(ent["name"]) in r.text
    for alias in ent["aliases"]:
        if alias != ent["name"]:
            assert f"<li>{html.escape(alias)}</li>" in r.text
    # Independent anchor: the paragraph's number as printed in the telegram (¶N -> #pN).
    pos = next(m["paragraph"] for m in mine["mentions"] if m["paragraph"] is not None)
    para = cable.paragraphs[pos]
    expected = f"p{para.n}" if para.n is not None else f"u{pos}"
    assert expected == paragraph_views(cable)[pos].anchor  # the cable page really has this anchor
    assert f'href="/cable/10MEXICO83#{expected}"' in r.text
    assert "<mark>Calderon</mark>" in r.text or "<mark>CALDERON</mark>" in r.text


def test_entity_page_shows_gutierrez_role_with_its_period(eclient: TestClient) -> None:
    r = eclient.get("/entity/Gutierrez Fernandez")
    assert r.status_code == 200
    text = " ".join(_text(r.text).split())
    assert "Undersecretary for Governance, 2009-10" in text


def test_ambiguous_name_lists_the_candidates(eclient: TestClient, ent_db: Path) -> None:  # noqa: F811
    con = sqlite3.connect(ent_db)
    rows = con.execute(
        "SELECT name, group_concat(entity_id) FROM entity_entities GROUP BY name HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    con.close()
    assert rows, "the labelled cables should hold at least one name borne by two entities"
    name, ids = rows[0]
    r = eclient.get(f"/entity/{name}")
    assert r.status_code == 200 and "Several entities" in r.text
    for eid in ids.split(","):
        assert f'href="/entity/{eid}"' in r.text
    j = eclient.get(f"/api/entity/{name}")
    assert j.status_code == 409
    assert set(ids.split(",")) <= {c["entity_id"] for c in j.json()["candidates"]}


def test_unknown_entity_is_a_404_page_and_json_error(eclient: TestClient) -> None:
    r = eclient.get("/entity/Zzyzx Qwertyuiop")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    j = eclient.get("/api/entity/Zzyzx Qwertyuiop")
    assert j.status_code == 404 and "error" in j.json()


def test_entities_list_filters_by_name_and_type(eclient: TestClient) -> None:
    r = eclient.get("/entities", params={"q": "calderon", "type": "person"})
    assert r.status_code == 200 and "Felipe Calderon" in r.text
    anytype = eclient.get("/api/entities", params={"q": "mexico"}).json()["entities"]
    orgs = eclient.get("/api/entities", params={"q": "mexico", "type": "org"}).json()["entities"]
    assert orgs and all(e["type"] == "org" for e in orgs)
    assert all("mexico" in (e["name"] + " ".join(e["aliases"])).lower() for e in orgs)
    assert {e["type"] for e in anytype} != {"org"}  # the filter is what made them all organisations


def test_cable_page_lists_the_cable_entities_with_links(eclient: TestClient, ent_db: Path) -> None:  # noqa: F811
    r = eclient.get("/cable/10MEXICO83")
    assert r.status_code == 200 and "People, organisations, places" in r.text
    with Desk(ent_db, readonly=True) as desk:
        ents = entities_for_cable(desk.store, "10MEXICO83")["entities"]
    box = r.text[r.text.index('class="ent-box"') :]
    box = box[: box.index("</section>")]
    for e in ents:
        assert f'href="/entity/{e["entity_id"]}"' in box


def test_entity_facet_counts_equal_counts_from_each_cable(ent_db: Path) -> None:  # noqa: F811
    with Desk(ent_db, readonly=True) as desk:
        ids = list(desk.matching_ids("origin:mexico OR sedena"))
        assert len(ids) >= 2
        want: dict[str, dict[str, int]] = {}  # type -> entity id -> cables, from each cable's own list
        for cid in ids:
            for e in entities_for_cable(desk.store, cid)["entities"]:
                per = want.setdefault(e["type"], {})
                per[e["entity_id"]] = per.get(e["entity_id"], 0) + 1
        items = entity_facet_items(desk.store, ids, limit=100_000)
        assert {t: {it["entity_id"]: it["count"] for it in v} for t, v in items.items()} == want
        top = entity_facet(desk.store, ids, limit=3)
        for etype, per in want.items():
            assert sorted(top[etype].values(), reverse=True) == sorted(per.values(), reverse=True)[:3]


def test_search_page_and_api_show_the_entity_facet(eclient: TestClient) -> None:
    r = eclient.get("/", params={"q": "sedena"})
    assert r.status_code == 200 and 'data-facet="person"' in r.text
    assert "person%3A%22Felipe+Calderon%22" in r.text  # clicking adds person:"Felipe Calderon"
    j = eclient.get("/api/search", params={"q": "sedena"}).json()
    assert "Felipe Calderon" in j["facets"]["person"]
    follow = eclient.get("/api/search", params={"q": 'sedena person:"Felipe Calderon"', "limit": 0}).json()
    assert follow["total"] == j["facets"]["person"]["Felipe Calderon"]


def test_database_never_enriched_renders_without_box_or_facet(plain_db: Path) -> None:
    def entity_tables() -> list[str]:
        con = sqlite3.connect(plain_db)
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'entity%'")]
        con.close()
        return names

    before = entity_tables()
    with TestClient(create_app(plain_db)) as c:
        r = c.get("/cable/10MEXICO83")
        assert r.status_code == 200 and "ent-box" not in r.text
        r = c.get("/", params={"q": "calderon"})
        assert r.status_code == 200 and "ent-facet" not in r.text
        j = c.get("/api/search", params={"q": "calderon"}).json()
        assert not {"person", "org", "place"} & set(j["facets"])
        assert c.get("/entities").status_code == 200
        assert c.get("/entity/Calderon").status_code == 404
        assert c.get("/api/entities").status_code == 404
    assert entity_tables() == before  # the read-only web store created no entity table


def test_entity_names_are_escaped(ent_db: Path, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "x.db"
    src = sqlite3.connect(ent_db)
    dst = sqlite3.connect(db)
    src.backup(dst)  # a consistent copy, WAL included
    src.close()
    dst.close()
    shutil.copytree(index_path_for(ent_db), index_path_for(db))
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    con = sqlite3.connect(db)
    eid = con.execute("SELECT entity_id FROM entity_entities WHERE name = 'Felipe Calderon'").fetchone()[0]
    con.execute(
        "UPDATE entity_entities SET name = ?, aliases = json_array(?) WHERE entity_id = ?",
        (payload, payload, eid),
    )
    con.commit()
    con.close()
    with TestClient(create_app(db)) as c:
        for url in (f"/entity/{eid}", "/cable/10MEXICO83", "/entities", "/?q=sedena"):
            r = c.get(url)
            assert r.status_code == 200, url
            assert payload not in r.text and "<script>alert" not in r.text, url
            assert "&lt;script&gt;" in r.text, url

"""The graph pages and JSON endpoints over the real corpus (in-process HTTP client)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from cabledesk.enrich.threads import refs_report, thread_view
from cabledesk.store import SQLiteStore
from cabledesk.web.refs_routes import thread_context
from cabledesk.web.server import create_app


@pytest.fixture(scope="module")
def client(refs_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(refs_db)) as c:
        yield c


def test_cable_graph_page_lists_neighbours_as_links_without_inline_script(client: TestClient) -> None:
    r = client.get("/cable/08OSLO670/graph")
    assert r.status_code == 200
    links = set(re.findall(r'class="node-link" href="/cable/([^"]+)"', r.text))
    assert {"08OSLO629", "08OSLO585", "08OSLO522"} <= links
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)  # every script is a static file
    assert (
        'src="/static/vendor/cytoscape.min.js"' in r.text
        and 'data-src="/api/graph?id=08OSLO670&amp;depth=1"' in r.text
    )


def test_depth_is_one_or_two(client: TestClient) -> None:
    assert client.get("/cable/08OSLO670/graph?depth=2").status_code == 200
    assert client.get("/cable/08OSLO670/graph?depth=3").status_code == 422
    assert client.get("/api/graph?id=08OSLO670&depth=0").status_code == 422


def test_graph_page_of_an_absent_but_cited_cable_shows_who_cites_it(client: TestClient) -> None:
    r = client.get("/cable/08LONDON1064/graph")
    assert r.status_code == 200 and "not in this corpus" in r.text and "08LONDON1115" in r.text
    assert client.get("/cable/99NOWHERE1/graph").status_code == 404


def test_api_graph_json_of_a_cable(client: TestClient, store: SQLiteStore) -> None:
    data = client.get("/api/graph", params={"id": "08OSLO670", "depth": 2}).json()
    ids = {n["id"] for n in data["nodes"]}
    assert {"08OSLO670", "08OSLO585"} <= ids
    assert all(n["in_corpus"] is store.has(n["id"]) for n in data["nodes"])
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert client.get("/api/graph").status_code == 400


def test_api_refs_is_the_cli_contract(client: TestClient, store: SQLiteStore) -> None:
    assert client.get("/api/refs/08OSLO670").json() == refs_report(store, "08OSLO670")
    r = client.get("/api/refs/99NOWHERE1")
    assert r.status_code == 404 and "error" in r.json()


def test_query_graph_page_and_downloads(client: TestClient) -> None:
    r = client.get("/graph", params={"q": "origin:oslo"})
    assert r.status_code == 200 and "08OSLO670" in r.text
    g = client.get("/api/graph/export", params={"q": "origin:oslo", "format": "graphml"})
    assert g.status_code == 200 and "attachment" in g.headers["content-disposition"]
    assert nx.read_graphml(io.BytesIO(g.content)).has_edge("08OSLO670", "08OSLO585")
    c = client.get("/api/graph/export", params={"kind": "routing", "format": "csv"})
    assert next(csv.reader(io.StringIO(c.text))) == ["source", "target", "copy", "weight"]
    assert client.get("/api/graph/export", params={"format": "dot"}).status_code == 422


def test_query_graph_with_a_bad_query_says_why(client: TestClient) -> None:
    r = client.get("/graph", params={"q": "origin:("})
    assert r.status_code == 400 and "Query error" in r.text
    assert client.get("/api/graph", params={"q": "origin:("}).status_code == 400
    assert client.get("/graph").status_code == 200


def test_hostile_query_is_escaped_on_the_graph_page(client: TestClient) -> None:
    r = client.get("/graph", params={"q": '"<script>alert(1)</script>"'})
    assert "<script>alert(1)</script>" not in r.text


def test_thread_context_is_the_thread_view_for_the_cable_page(refs_db: Path, store: SQLiteStore) -> None:
    class D:
        pass

    d = D()
    d.store = store  # type: ignore[attr-defined]
    assert thread_context(d, "08OSLO670") == thread_view(store, "08OSLO670")


def test_cable_graph_page_shows_the_conversation(client: TestClient, store: SQLiteStore) -> None:
    r = client.get("/cable/08OSLO670/graph")
    assert 'id="thread-h"' in r.text
    for c in thread_view(store, "08OSLO670")["cables"]:
        assert c["id"] in r.text

"""GraphML, GEXF and CSV exports of the real corpus, checked by other readers (networkx, ElementTree,
csv) against counts taken straight from the refs table."""

from __future__ import annotations

import csv
import io
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cabledesk.desk import Desk
from cabledesk.graph import Graph, build_graph, neighbourhood, reference_graph, routing_graph
from cabledesk.graph_export import GEXF_NS, GRAPHML_NS, write_csv, write_gexf, write_graph, write_graphml
from cabledesk.search import matching_ids
from cabledesk.store import SQLiteStore

WELL_FORMED = "target_id GLOB '[0-9][0-9][A-Z]*'"


def sql(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def ref_counts(db: Path) -> tuple[int, int]:
    """(distinct citing->cited pairs, distinct ids at either end) from the refs table."""
    pairs = sql(
        db, f"SELECT DISTINCT cable_id, target_id FROM refs WHERE target_id IS NOT NULL AND {WELL_FORMED}"
    )
    return len(pairs), len({i for p in pairs for i in p})


def export(graph: Graph, fmt: str) -> bytes:
    buf = io.BytesIO()
    write_graph(graph, fmt, buf)  # type: ignore[arg-type]
    return buf.getvalue()


def test_refs_graphml_loads_in_networkx_with_the_refs_table_counts(store: SQLiteStore, refs_db: Path) -> None:
    n_edges, n_nodes = ref_counts(refs_db)
    g = nx.read_graphml(io.BytesIO(export(reference_graph(store), "graphml")))
    assert isinstance(g, nx.DiGraph)
    assert g.number_of_edges() == n_edges and g.number_of_nodes() == n_nodes
    assert g.has_edge("08OSLO670", "08OSLO585") and g.has_edge("08LONDON1350", "08LONDON1115")
    assert g.nodes["08OSLO585"]["in_corpus"] is True  # typed as boolean, not the string "true"
    assert g.nodes["08OSLO670"]["subject"] == store.get("08OSLO670").subject


def test_graphml_is_structurally_valid(store: SQLiteStore) -> None:
    root = ET.fromstring(export(reference_graph(store), "graphml"))
    ns = {"g": GRAPHML_NS}
    assert root.tag == f"{{{GRAPHML_NS}}}graphml"
    keys = {k.get("id"): k for k in root.findall("g:key", ns)}
    assert all(k.get("for") in ("node", "edge") and k.get("attr.type") for k in keys.values())
    graph = root.find("g:graph", ns)
    assert graph is not None and graph.get("edgedefault") == "directed"
    node_ids = [n.get("id") for n in graph.findall("g:node", ns)]
    assert len(node_ids) == len(set(node_ids))
    for e in graph.findall("g:edge", ns):
        assert e.get("source") in set(node_ids) and e.get("target") in set(node_ids)
    for d in root.iter(f"{{{GRAPHML_NS}}}data"):
        assert d.get("key") in keys


def test_refs_gexf_parses_with_elementtree_and_counts_match(store: SQLiteStore, refs_db: Path) -> None:
    n_edges, n_nodes = ref_counts(refs_db)
    root = ET.fromstring(export(reference_graph(store), "gexf"))
    ns = {"x": GEXF_NS}
    assert root.tag == f"{{{GEXF_NS}}}gexf" and root.get("version") == "1.3"
    assert len(root.findall("x:graph/x:nodes/x:node", ns)) == n_nodes
    assert len(root.findall("x:graph/x:edges/x:edge", ns)) == n_edges
    assert nx.read_gexf(io.BytesIO(export(reference_graph(store), "gexf"))).number_of_edges() == n_edges


def test_refs_csv_edge_count_equals_the_refs_table(store: SQLiteStore, refs_db: Path) -> None:
    n_edges, _ = ref_counts(refs_db)
    rows = list(csv.DictReader(io.StringIO(export(reference_graph(store), "csv").decode("utf-8"))))
    assert len(rows) == n_edges
    present = {r[0] for r in sql(refs_db, "SELECT id FROM cables")}
    assert all((r["target_in_corpus"] == "true") is (r["target"] in present) for r in rows)
    weights = dict(
        ((a, b), n)
        for a, b, n in sql(
            refs_db,
            "SELECT cable_id, target_id, count(*) FROM refs WHERE target_id IS NOT NULL GROUP BY 1, 2",
        )
    )
    assert all(int(r["weight"]) == weights[(r["source"], r["target"])] for r in rows)


def test_query_filtered_refs_csv_keeps_the_edges_touching_the_result_set(refs_db: Path) -> None:
    with Desk(refs_db, readonly=True) as desk:
        ids = matching_ids(desk.index, "origin:oslo")
        g = build_graph(desk.store, "refs", ids)
    assert ids
    marks = ",".join("?" * len(ids))
    want = sql(
        refs_db,
        f"SELECT DISTINCT cable_id, target_id FROM refs WHERE target_id IS NOT NULL AND {WELL_FORMED} "
        f"AND (cable_id IN ({marks}) OR target_id IN ({marks}))",
        tuple(ids) * 2,
    )
    rows = list(csv.DictReader(io.StringIO(export(g, "csv").decode("utf-8"))))
    assert sorted((r["source"], r["target"]) for r in rows) == sorted(want)


def test_routing_exports_agree_in_every_format(store: SQLiteStore, refs_db: Path) -> None:
    g = routing_graph(store)
    gm = nx.read_graphml(io.BytesIO(export(g, "graphml")))
    gx = nx.read_gexf(io.BytesIO(export(g, "gexf")))
    rows = list(csv.DictReader(io.StringIO(export(g, "csv").decode("utf-8"))))
    assert gm.number_of_edges() == gx.number_of_edges() == len(rows) == len(g.edges)
    assert gm.number_of_nodes() == len(g.nodes)
    total = sum(int(r["weight"]) for r in rows if r["copy"] == "action")
    assert total == sum(a["weight"] for _s, _t, a in g.edges if a["copy"] == "action")
    senders = {
        r[0]
        for r in sql(refs_db, "SELECT count(*) FROM cables WHERE from_addr IS NOT NULL AND from_addr != ''")
    }
    assert sum(a["sent"] for a in g.nodes.values()) == next(iter(senders))


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_hostile_text_is_escaped_and_still_parses(fmt: str) -> None:
    evil = 'A <script>alert("x")</script> & \x07bell \ud800 "quoted"'
    g = Graph("refs")
    g.nodes["10EVIL1"] = {"label": "10EVIL1", "subject": evil, "in_corpus": True}
    g.nodes["<b>&"] = {"label": "<b>&", "subject": "", "in_corpus": False}
    g.edges.append(("10EVIL1", "<b>&", {"weight": 1, "labels": "A&B"}))
    data = export(g, fmt)
    assert b"<script>" not in data
    ET.fromstring(data)
    h = nx.read_graphml(io.BytesIO(data)) if fmt == "graphml" else nx.read_gexf(io.BytesIO(data))
    assert h.has_edge("10EVIL1", "<b>&")


def test_neighbourhood_of_08oslo670_is_its_citations_and_the_cables_citing_them(
    store: SQLiteStore, refs_db: Path
) -> None:
    one = neighbourhood(store, "08OSLO670", depth=1)
    direct = {
        r[0]
        for r in sql(
            refs_db, "SELECT target_id FROM refs WHERE cable_id='08OSLO670' AND target_id IS NOT NULL"
        )
    }
    direct |= {r[0] for r in sql(refs_db, "SELECT cable_id FROM refs WHERE target_id='08OSLO670'")}
    assert set(one.nodes) == direct | {"08OSLO670"}
    assert one.nodes["08OSLO670"]["start"] and one.nodes["08OSLO585"]["level"] == 1
    two = neighbourhood(store, "08OSLO670", depth=2)
    assert set(one.nodes) <= set(two.nodes)
    assert all(a["level"] in (1, 2) for a in two.nodes.values() if not a["start"])


def test_writers_accept_text_and_binary_streams(store: SQLiteStore) -> None:
    g = routing_graph(store, ["10BERLIN180"])
    out = io.StringIO()
    write_csv(g, out)
    assert out.getvalue().splitlines()[0] == "source,target,copy,weight"
    b = io.BytesIO()
    write_graphml(g, b)
    write_gexf(g, io.BytesIO())
    assert b.getvalue().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')

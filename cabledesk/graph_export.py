"""Write a :class:`cabledesk.graph.Graph` as GraphML, GEXF (Gephi) or a CSV edge list.

XML is built with :mod:`xml.etree.ElementTree`, which escapes ``<``, ``&`` and quotes; characters
XML 1.0 forbids (control characters, lone surrogates found in damaged cable text) are replaced by
U+FFFD so that every file parses. GEXF is version 1.3 (Gephi 0.9+); parallel edges of the routing
graph (action and info copies between the same pair) carry ``kind`` = the copy type, as GEXF 1.3
wants for a multigraph.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import IO, Any, Literal

from cabledesk.graph import Graph

__all__ = ["FORMATS", "ExportFormat", "write_csv", "write_gexf", "write_graph", "write_graphml"]

ExportFormat = Literal["graphml", "gexf", "csv"]
FORMATS: tuple[str, ...] = ("graphml", "gexf", "csv")

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GEXF_NS = "http://gexf.net/1.3"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(v: Any) -> str:
    """A value as XML-safe text (booleans as ``true``/``false``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return _BAD_XML.sub("\ufffd", str(v))


def _type(values: list[Any], *, gexf: bool) -> str:
    """The attribute type of a column: boolean, integer, double, else string."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer" if gexf else "long"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "double"
    return "string"


def _columns(rows: list[dict[str, Any]], skip: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """Attribute name -> values, in first-seen order."""
    cols: dict[str, list[Any]] = {}
    for r in rows:
        for k in r:
            if k not in skip:
                cols.setdefault(k, [])
    for r in rows:
        for k, vals in cols.items():
            vals.append(r.get(k))
    return cols


def _write_xml(root: ET.Element, out: IO[bytes]) -> None:
    ET.indent(root, space=" ")
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=False)
    out.write(b"\n")


def write_graphml(graph: Graph, out: IO[bytes]) -> None:
    """GraphML (directed; networkx, yEd, Gephi, Cytoscape desktop read it)."""
    root = ET.Element(
        "graphml",
        {"xmlns": GRAPHML_NS, "xmlns:xsi": _XSI,
         "xsi:schemaLocation": f"{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd"},
    )  # fmt: skip
    node_cols = _columns(list(graph.nodes.values()))
    edge_cols = _columns([a for _s, _t, a in graph.edges])
    keys: dict[tuple[str, str], str] = {}
    for scope, cols in (("node", node_cols), ("edge", edge_cols)):
        for name, vals in cols.items():
            kid = f"{scope[0]}{len(keys)}"
            keys[(scope, name)] = kid
            ET.SubElement(
                root,
                "key",
                {"id": kid, "for": scope, "attr.name": name, "attr.type": _type(vals, gexf=False)},
            )
    g = ET.SubElement(root, "graph", {"id": graph.kind, "edgedefault": "directed"})
    for nid, attrs in graph.nodes.items():
        n = ET.SubElement(g, "node", {"id": _text(nid)})
        for k, v in attrs.items():
            if v is not None:
                ET.SubElement(n, "data", {"key": keys[("node", k)]}).text = _text(v)
    for i, (s, t, attrs) in enumerate(graph.edges):
        e = ET.SubElement(g, "edge", {"id": f"e{i}", "source": _text(s), "target": _text(t)})
        for k, v in attrs.items():
            if v is not None:
                ET.SubElement(e, "data", {"key": keys[("edge", k)]}).text = _text(v)
    _write_xml(root, out)


def write_gexf(graph: Graph, out: IO[bytes]) -> None:
    """GEXF 1.3 for Gephi: ``label`` as the node label, ``weight`` as the edge weight."""
    root = ET.Element("gexf", {"xmlns": GEXF_NS, "version": "1.3"})
    meta = ET.SubElement(root, "meta", {"lastmodifieddate": date.today().isoformat()})
    ET.SubElement(meta, "creator").text = "cabledesk"
    ET.SubElement(meta, "description").text = (
        "cable citations (REF lines)" if graph.kind == "refs" else "cable routing (FM -> TO/INFO)"
    )
    g = ET.SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static"})
    node_cols = _columns(list(graph.nodes.values()), skip=("label",))
    edge_cols = _columns([a for _s, _t, a in graph.edges], skip=("weight",))
    ids: dict[tuple[str, str], str] = {}
    for scope, cols in (("node", node_cols), ("edge", edge_cols)):
        if not cols:
            continue
        block = ET.SubElement(g, "attributes", {"class": scope, "mode": "static"})
        for name, vals in cols.items():
            aid = f"{scope[0]}{len(ids)}"
            ids[(scope, name)] = aid
            ET.SubElement(block, "attribute", {"id": aid, "title": name, "type": _type(vals, gexf=True)})
    nodes = ET.SubElement(g, "nodes")
    for nid, attrs in graph.nodes.items():
        n = ET.SubElement(nodes, "node", {"id": _text(nid), "label": _text(attrs.get("label", nid))})
        _attvalues(n, attrs, ids, "node", skip="label")
    edges = ET.SubElement(g, "edges")
    parallel = graph.kind == "routing"
    for i, (s, t, attrs) in enumerate(graph.edges):
        ea = {"id": str(i), "source": _text(s), "target": _text(t), "weight": _text(attrs.get("weight", 1))}
        if parallel and "copy" in attrs:
            ea["kind"] = _text(attrs["copy"])
        e = ET.SubElement(edges, "edge", ea)
        _attvalues(e, attrs, ids, "edge", skip="weight")
    _write_xml(root, out)


def _attvalues(
    el: ET.Element, attrs: dict[str, Any], ids: dict[tuple[str, str], str], scope: str, skip: str
) -> None:
    values = [(k, v) for k, v in attrs.items() if k != skip and v is not None]
    if values:
        av = ET.SubElement(el, "attvalues")
        for k, v in values:
            ET.SubElement(av, "attvalue", {"for": ids[(scope, k)], "value": _text(v)})


def write_csv(graph: Graph, out: IO[str]) -> None:
    """Edge list: source, target, then every edge attribute (refs also get the target's presence)."""
    rows = []
    for s, t, attrs in graph.edges:
        row = {"source": s, "target": t, **attrs}
        if graph.kind == "refs":
            node = graph.nodes.get(t, {})
            row["target_in_corpus"] = node.get("in_corpus")
            row["target_in_manifest"] = node.get("in_manifest")
        rows.append(row)
    cols = list(_columns(rows)) or ["source", "target", "weight"]
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in r.items()})


def write_graph(graph: Graph, fmt: ExportFormat, out: IO[bytes]) -> None:
    """Write ``graph`` in ``fmt`` to a binary stream (CSV is UTF-8)."""
    if fmt == "graphml":
        write_graphml(graph, out)
    elif fmt == "gexf":
        write_gexf(graph, out)
    elif fmt == "csv":
        import io

        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            write_csv(graph, text)
        finally:
            text.detach()
    else:
        raise ValueError(f"unknown format {fmt!r} (graphml, gexf or csv)")

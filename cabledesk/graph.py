"""Two graphs a reporter can open in Gephi: who cites whom (references) and who writes to whom (routing).

- **refs**: nodes are cables of this corpus plus cited ids that are not here (``in_corpus`` false,
  ``in_manifest`` telling whether the 2011 full release has them); one directed edge per (citing,
  cited) pair, ``weight`` = number of REF items naming it (usually 1), ``labels`` = their letters.
  With a selection of ids (a query's result set), the edges kept are those touching it: what the
  selected cables cite and who cites them.
- **routing**: nodes are posts and addressees as :func:`normalise_address` spells them; one
  directed edge per (sender, addressee, copy) with ``copy`` = ``action`` (TO line) or ``info``
  (INFO line) and ``weight`` = number of cables. With a selection, only the selected cables count.

Exports (GraphML, GEXF, CSV) are in :mod:`cabledesk.graph_export`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from cabledesk.enrich.references import in_manifest, read, well_formed
from cabledesk.errors import NotFoundError

__all__ = [
    "MAX_NEIGHBOURHOOD",
    "Graph",
    "GraphKind",
    "build_graph",
    "neighbourhood",
    "normalise_address",
    "reference_graph",
    "routing_graph",
]

GraphKind = Literal["refs", "routing"]

#: Most nodes of a neighbourhood view (the web page stays readable and fast).
MAX_NEIGHBOURHOOD = 150

_PREFIX = re.compile(
    r"^(?:ZEN|R[A-Z]{3,7})/"
)  # routing indicator: RUEHC/SECSTATE, ZEN/ (not sent electrically)
_PRECEDENCE = re.compile(
    r"\s+(?:NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|PIORITY|ROUTINE|FLASH)(?:\s+\d{1,5}(?:\s*-\s*\d{1,5})?)?$"
)
_OFFICE = re.compile(r"\s*//.*$")  # office symbols: JOINT STAFF WASHDC//J-3/J-5
_WASHINGTON = re.compile(r"\bWASHINGTON,?\s+D\.?\s?C\.?$")
_WS = re.compile(r"\s+")
# A damaged La Paz address found in many 2006-2009 headers: "AMEMBASSY LA PAZ JAN MANAGUA 0272".
_LA_PAZ = re.compile(r"\bLA PAZ (?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\b.*$")


def normalise_address(text: str | None) -> str | None:
    """One spelling per post/addressee: ``RUEHC/SECSTATE WASHDC IMMEDIATE 0250`` -> ``SECSTATE WASHDC``.

    Upper-cases, drops the routing indicator (``RUEHC/``, ``ZEN/``), a trailing precedence with its
    serial (``NIACT IMMEDIATE 0612-0615``), office symbols after ``//``, and spells
    ``WASHINGTON DC`` as ``WASHDC``; the damaged ``AMEMBASSY LA PAZ JAN MANAGUA`` of many headers
    becomes ``AMEMBASSY LA PAZ`` (the glued second addressee is lost). Collectives stay as named (``ARAB ISRAELI COLLECTIVE``).
    """
    if not text:
        return None
    s = _WS.sub(" ", text.upper()).strip()
    s = _PREFIX.sub("", s)
    s = _OFFICE.sub("", s)
    s = _PRECEDENCE.sub("", s)
    s = _WASHINGTON.sub("WASHDC", s)
    s = _LA_PAZ.sub("LA PAZ", s)
    s = s.strip(" ,.;:")
    return s or None


@dataclass(slots=True)
class Graph:
    """Nodes (id -> attributes) and directed edges (source, target, attributes), ready to export."""

    kind: GraphKind
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON for the web view: {"kind", "nodes": [{"id", ...}], "edges": [{"source", "target", ...}]}."""
        return {
            "kind": self.kind,
            "nodes": [{"id": n, **a} for n, a in self.nodes.items()],
            "edges": [{"source": s, "target": t, **a} for s, t, a in self.edges],
        }


def _chunks(ids: list[str], n: int = 500) -> Iterable[list[str]]:
    for k in range(0, len(ids), n):
        yield ids[k : k + n]


def _cable_nodes(store: Any, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Attributes of the ids that are cables here: label, created, origin, subject, classification."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        marks = ",".join("?" * len(chunk))
        for cid, created, origin, subject, cls in read(
            store,
            f"SELECT id, created, origin, subject, classification FROM cables WHERE id IN ({marks})",
            chunk,
        ):
            out[cid] = {
                "label": cid,
                "in_corpus": True,
                "created": created or "",
                "origin": origin or "",
                "subject": subject or "",
                "classification": cls or "",
            }
    return out


def _ref_node(cid: str, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if cid in known:
        return {**known[cid], "in_manifest": in_manifest(cid)}
    return {
        "label": cid, "in_corpus": False, "created": "", "origin": "", "subject": "", "classification": "",
        "in_manifest": in_manifest(cid),
    }  # fmt: skip


def reference_graph(store: Any, ids: Iterable[str] | None = None) -> Graph:
    """Citation graph of the whole corpus, or of the edges touching ``ids`` (a query's result set)."""
    rows = read(
        store,
        "SELECT cable_id, target_id, label, year_source FROM refs WHERE target_id IS NOT NULL "
        "ORDER BY cable_id, pos",
    )
    selected = set(ids) if ids is not None else None
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for src, dst, label, ys in rows:
        if not well_formed(dst):
            continue
        if selected is not None and src not in selected and dst not in selected:
            continue
        e = pairs.setdefault((src, dst), {"weight": 0, "labels": [], "year_source": ys})
        e["weight"] += 1
        if label:
            e["labels"].append(label)
        if ys == "stated":
            e["year_source"] = "stated"
    g = Graph("refs")
    ends = [n for pair in pairs for n in pair]
    if selected is not None:
        ends.extend(sorted(selected))
    known = _cable_nodes(store, ends)
    for n in dict.fromkeys(ends):
        if selected is not None and n in selected and n not in known:
            continue  # a selected id that is not a cable (cannot happen with matching_ids)
        g.nodes[n] = _ref_node(n, known)
    for (src, dst), a in pairs.items():
        g.edges.append((src, dst, {**a, "labels": ",".join(a["labels"])}))
    return g


def routing_graph(store: Any, ids: Iterable[str] | None = None) -> Graph:
    """Who sends to whom: sender -> addressee per copy type (action/info), weighted by cables."""
    selected = set(ids) if ids is not None else None
    rows = read(store, "SELECT id, from_addr, to_addrs, info_addrs FROM cables ORDER BY id")
    counts: dict[tuple[str, str, str], int] = {}
    nodes: dict[str, dict[str, Any]] = {}

    def node(name: str) -> dict[str, Any]:
        return nodes.setdefault(name, {"label": name, "sent": 0, "action": 0, "info": 0})

    for cid, frm, to, info in rows:
        if selected is not None and cid not in selected:
            continue
        sender = normalise_address(frm)
        if sender is None:
            continue
        node(sender)["sent"] += 1
        for copy, raw in (("action", to), ("info", info)):
            seen: set[str] = set()
            for a in json.loads(raw or "[]"):
                dst = normalise_address(a)
                if dst is None or dst in seen:
                    continue
                seen.add(dst)
                node(dst)[copy] += 1
                counts[(sender, dst, copy)] = counts.get((sender, dst, copy), 0) + 1
    g = Graph("routing", nodes=dict(sorted(nodes.items())))
    for (src, dst, copy), n in sorted(counts.items()):
        g.edges.append((src, dst, {"copy": copy, "weight": n}))
    return g


def build_graph(store: Any, kind: GraphKind, ids: Iterable[str] | None = None) -> Graph:
    """The refs or routing graph, of everything or of a selection of cable ids."""
    if kind == "refs":
        return reference_graph(store, ids)
    if kind == "routing":
        return routing_graph(store, ids)
    raise ValueError(f"unknown graph kind {kind!r} (refs or routing)")


def neighbourhood(store: Any, cable_id: str, depth: int = 1, max_nodes: int = MAX_NEIGHBOURHOOD) -> Graph:
    """Citations within ``depth`` (1-2) steps of a cable, both directions; absent ids are leaves.

    Raises NotFoundError when the id is neither a cable here nor cited by one.
    """
    start = cable_id.strip().upper()
    depth = max(1, min(2, depth))
    if not store.has(start) and not read(store, "SELECT 1 FROM refs WHERE target_id = ? LIMIT 1", (start,)):
        raise NotFoundError(f"no cable {start} in the store, and no cable here cites it")
    seen = [start]
    levels = {start: 0}
    frontier = [start]
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    rows_seen: set[tuple[str, int]] = set()
    truncated = False
    for level in range(depth):
        nxt: list[str] = []
        for cur in frontier:
            if level > 0 and not store.has(cur):
                continue  # an absent cable is a leaf: we cannot read what it cites
            for src, pos, dst, label in read(
                store,
                "SELECT cable_id, pos, target_id, label FROM refs WHERE cable_id = ? AND target_id IS NOT NULL "
                "UNION ALL SELECT cable_id, pos, target_id, label FROM refs WHERE target_id = ? ORDER BY 1, 2",
                (cur, cur),
            ):
                if not well_formed(dst) or (src, pos) in rows_seen:
                    continue
                rows_seen.add((src, pos))
                other = dst if src == cur else src
                if other not in seen:
                    if len(seen) >= max_nodes:
                        truncated = True
                        continue
                    seen.append(other)
                    levels[other] = level + 1
                    nxt.append(other)
                e = pairs.setdefault((src, dst), {"weight": 0, "labels": [], "level": level + 1})
                e["weight"] += 1
                if label:
                    e["labels"].append(label)
        frontier = nxt
    known = _cable_nodes(store, seen)
    g = Graph("refs")
    for n in seen:
        g.nodes[n] = {**_ref_node(n, known), "start": n == start, "level": levels[n]}
    for (src, dst), a in pairs.items():
        if src in g.nodes and dst in g.nodes:
            g.edges.append((src, dst, {**a, "labels": ",".join(a["labels"])}))
    g.nodes[start]["truncated"] = truncated
    return g

"""Web views of the conversation: a cable's citation neighbourhood, a query's citation graph, JSON.

Pages (HTML, rendered with the app's templates and CSP: the graph is drawn by static/graph.js with
the vendored Cytoscape, and every page also lists its nodes as plain links for readers without JS):

- ``/cable/{id}/graph?depth=1|2`` — cables cited by and citing one cable, two steps at most;
- ``/graph?q=QUERY`` — citations touching a query's result set.

JSON: ``/api/graph?id=&depth=`` or ``/api/graph?q=``, ``/api/refs/{id}`` (the ``cabledesk refs --json``
contract) and ``/api/graph/export?q=&kind=&format=`` (GraphML, GEXF or CSV download).
"""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cabledesk.enrich.threads import refs_report, thread_view
from cabledesk.errors import QueryError
from cabledesk.graph import Graph, build_graph, neighbourhood, reference_graph
from cabledesk.graph_export import write_graph
from cabledesk.web.pages import DeskDep, render

__all__ = ["MAX_QUERY_NODES", "router", "thread_context"]

router = APIRouter()

#: A query graph with more nodes than this is not drawn (it would be a hairball); export it instead.
MAX_QUERY_NODES = 400
_MEDIA = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "csv": "text/csv"}


def thread_context(desk: Any, cable_id: str) -> dict[str, Any]:
    """Data for the cable page's "Conversation" box (template ``graph_thread.html``)."""
    return thread_view(desk.store, cable_id)


def _query_graph(desk: Any, q: str) -> tuple[Graph, int]:
    """Citation graph of the edges touching the cables matching ``q``, and how many cables matched."""
    from cabledesk.search import matching_ids

    ids = matching_ids(desk.index, q, resolvers=desk.resolvers)
    return reference_graph(desk.store, ids), len(ids)


def _node_links(g: Graph) -> list[dict[str, Any]]:
    """The graph's nodes as a list (cables here first, then absent ids), for the no-JS fallback."""
    rows = [{"id": n, **a} for n, a in g.nodes.items()]
    rows.sort(key=lambda r: (not r.get("start", False), r.get("level", 0), not r["in_corpus"], r["id"]))
    return rows


@router.get("/cable/{cable_id}/graph", response_class=HTMLResponse, include_in_schema=False)
def cable_graph_page(
    request: Request, desk: DeskDep, cable_id: str, depth: Annotated[int, Query(ge=1, le=2)] = 1
) -> Response:
    """A cable's citation neighbourhood, depth 1 or 2."""
    cid = cable_id.strip().upper()
    g = neighbourhood(desk.store, cid, depth)
    return render(
        request, "graph.html", title=f"{cid} — citations", heading=cid, cable_id=cid,
        present=desk.store.has(cid), depth=depth, data_url=f"/api/graph?{urlencode({'id': cid, 'depth': depth})}",
        nodes=_node_links(g), edges=len(g.edges), thread=thread_context(desk, cid) if desk.store.has(cid) else None,
        truncated=bool(g.nodes[cid].get("truncated")),
    )  # fmt: skip


@router.get("/graph", response_class=HTMLResponse, include_in_schema=False)
def query_graph_page(request: Request, desk: DeskDep, q: str = "") -> Response:
    """The citations touching a query's result set."""
    if not q.strip():
        return render(
            request,
            "graph.html",
            title="Citation graph",
            heading="Citation graph",
            q="",
            nodes=[],
            edges=0,
            data_url="",
            need_query=True,
        )
    try:
        g, matched = _query_graph(desk, q)
    except QueryError as exc:
        return render(
            request,
            "graph.html",
            status=400,
            title="Query error",
            heading="Citation graph",
            q=q,
            nodes=[],
            edges=0,
            data_url="",
            error=exc.to_dict(),
        )
    too_big = len(g.nodes) > MAX_QUERY_NODES
    export = {f: f"/api/graph/export?{urlencode({'q': q, 'kind': 'refs', 'format': f})}" for f in _MEDIA}
    return render(
        request, "graph.html", title=f"Citations: {q}", heading="Citations of the result set", q=q,
        matched=matched, nodes=_node_links(g) if not too_big else [], edges=len(g.edges), too_big=too_big,
        data_url="" if too_big else f"/api/graph?{urlencode({'q': q})}", export=export, max_nodes=MAX_QUERY_NODES,
        node_count=len(g.nodes),
    )  # fmt: skip


@router.get("/api/graph", tags=["graph"])
def graph_json(
    desk: DeskDep,
    id: Annotated[str | None, Query(description="A cable id: its citation neighbourhood.")] = None,  # noqa: A002
    depth: Annotated[int, Query(ge=1, le=2)] = 1,
    q: Annotated[str | None, Query(description="A query: citations touching its result set.")] = None,
) -> JSONResponse:
    """Citation graph as {kind, nodes: [{id, label, in_corpus, in_manifest, ...}], edges: [{source, target, ...}]}."""
    if id:
        return JSONResponse(neighbourhood(desk.store, id, depth).to_dict())
    if q:
        g, matched = _query_graph(desk, q)
        if len(g.nodes) > MAX_QUERY_NODES:
            raise HTTPException(
                413, f"{len(g.nodes)} nodes: more than {MAX_QUERY_NODES}; narrow the query or export"
            )
        return JSONResponse({**g.to_dict(), "matched": matched})
    raise HTTPException(400, "give id= (a cable) or q= (a query)")


@router.get("/api/graph/export", tags=["graph"])
def graph_export(
    desk: DeskDep,
    q: Annotated[str | None, Query(description="Only cables matching this query.")] = None,
    kind: Annotated[str, Query(pattern="^(refs|routing)$")] = "refs",
    format: Annotated[str, Query(pattern="^(graphml|gexf|csv)$")] = "graphml",  # noqa: A002
) -> Response:
    """The refs or routing graph as a GraphML, GEXF (Gephi) or CSV download."""
    ids = None
    if q:
        from cabledesk.search import matching_ids

        ids = matching_ids(desk.index, q, resolvers=desk.resolvers)
    g = build_graph(desk.store, kind, ids)  # type: ignore[arg-type]
    buf = io.BytesIO()
    write_graph(g, format, buf)  # type: ignore[arg-type]
    name = f"cabledesk-{kind}.{format}"
    return Response(
        buf.getvalue(),
        media_type=_MEDIA[format],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/refs/{cable_id}", tags=["graph"])
def refs_json(desk: DeskDep, cable_id: str) -> JSONResponse:
    """What a cable cites, who cites it, and its thread: the ``cabledesk refs ID --json`` contract."""
    return JSONResponse(refs_report(desk.store, cable_id))

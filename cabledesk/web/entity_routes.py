"""Web views of people, organisations and places (after ``cabledesk enrich``).

Pages: ``/entity/{id or name}`` (one entity: aliases, roles, mentions with snippets linking to the
paragraph, co-occurring entities, cables signed, a timeline), ``/entities?q=&type=`` (a searchable
list). JSON: ``/api/entity/{id or name}``, ``/api/entities?q=&type=``. Helpers for the cable page's
entity box and the search page's entity facet. A database never enriched shows no box and no facet;
nothing here ever creates tables (the web store is read-only). Reads go through
:mod:`cabledesk.enrich.entity_read`: SQLite or PostgreSQL, and in server mode the signed-in user's
collection-scoped store, so no page counts, names or links a cable outside their collections.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cabledesk.enrich import aliases as al
from cabledesk.enrich.entity_read import (
    ENTITY_TYPES,
    AmbiguousEntityError,
    ambiguous_names,
    entities_for_cable,
    entity_detail,
    entity_facet,
    entity_facet_items,
    entity_months,
    find_entities,
    has_entities,
    resolve_one,
    top_entities,
)
from cabledesk.errors import NotFoundError, QueryError
from cabledesk.model import Cable
from cabledesk.web import charts
from cabledesk.web.cableview import paragraph_views
from cabledesk.web.pages import DeskDep, render
from cabledesk.web.querytext import facet_term, has_term, search_url, toggle_term

__all__ = ["cable_entities", "entity_facets", "entity_facets_json", "router"]

router = APIRouter()

MENTION_LIMIT = 300
SNIPPET_CONTEXT = 110
TYPE_TITLE = {"person": "People", "org": "Organisations", "place": "Places"}
TYPE_ONE = {"person": "person", "org": "organisation", "place": "place"}
EntityType = Literal["person", "org", "place"]
NO_ENTITIES = "no entities in this database yet: run `cabledesk enrich` first"


def _store(desk: Any) -> Any:
    """The desk's store when it holds entities; NotFoundError (a 404 page) otherwise."""
    if not has_entities(desk.store):
        raise NotFoundError(NO_ENTITIES)
    return desk.store


def entity_href(entity_id: str) -> str:
    return f"/entity/{quote(entity_id, safe='')}"


def query_term(etype: str, name: str, entity_id: str, ambiguous: bool) -> str:
    """``person:"Felipe Calderon"``, or the entity id when several entities bear the name."""
    return facet_term(etype, entity_id if ambiguous or not name.strip() else name)


def _anchors(cable: Cable) -> list[str]:
    """Position in ``Cable.paragraphs`` -> the cable page's anchor (``p6``, ``p6-2``, ``u3``)."""
    return [v.anchor for v in paragraph_views(cable)]


def _snippet(text: str, start: int, end: int) -> dict[str, str]:
    """The words around one mention: before, the mention, after (the template escapes all three)."""
    a = max(0, start - SNIPPET_CONTEXT)
    b = min(len(text), end + SNIPPET_CONTEXT)
    if a > 0:
        sp = text.find(" ", a, start)
        a = sp + 1 if sp != -1 else a
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp != -1 else b
    return {
        "before": ("… " if a > 0 else "") + text[a:start],
        "mark": text[start:end],
        "after": text[end:b] + (" …" if b < len(text) else ""),
    }


_SOURCE_NOTE = {
    "signer": "signed the cable",
    "classified_by": "classified the cable",
    "subject": "in the subject",
}


def _mention_views(store: Any, mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mentions grouped by cable (date order kept), each with a snippet and a link to its paragraph."""
    ids = list(dict.fromkeys(m["cable_id"] for m in mentions))
    cables = store.get_many(ids)
    anchors = {cid: _anchors(c) for cid, c in cables.items()}
    groups: dict[str, dict[str, Any]] = {}
    for m in mentions:
        cid = m["cable_id"]
        c = cables.get(cid)
        g = groups.setdefault(cid, {
            "id": cid, "href": f"/cable/{quote(cid, safe='')}", "date": (m.get("created") or "")[:10],
            "subject": c.subject if c else None, "origin": c.origin if c else None, "items": [],
        })  # fmt: skip
        pos, start, end = m.get("paragraph"), m.get("start"), m.get("end")
        item: dict[str, Any] = {
            "text": m["text"],
            "href": g["href"],
            "note": _SOURCE_NOTE.get(m.get("source") or ""),
        }
        if c is not None and pos is not None and 0 <= pos < len(c.paragraphs):
            p = c.paragraphs[pos]
            item["href"] = f"{g['href']}#{anchors[cid][pos]}"
            item["para"] = f"¶{p.n}" if p.n is not None else "¶"
            if start is not None and end is not None and 0 <= start <= end <= len(p.text):
                item["snippet"] = _snippet(p.text, start, end)
        g["items"].append(item)
    return list(groups.values())


def _candidates(store: Any, name: str) -> list[dict[str, Any]]:
    found = find_entities(store, name, limit=50)
    same = [d for d in found if al.fold(d["name"]) == al.fold(name)]
    return same or found


# -- pages -------------------------------------------------------------------------------------------
@router.get("/entities", response_class=HTMLResponse, include_in_schema=False)
def entities_page(
    request: Request,
    desk: DeskDep,
    q: Annotated[str, Query(alias="q", max_length=200)] = "",
    type: Annotated[str, Query(max_length=10)] = "",  # noqa: A002  (the URL parameter's name)
) -> Response:
    """A searchable list of entities with their mention counts."""
    etype = type if type in ENTITY_TYPES else ""
    ready = has_entities(desk.store)
    rows = _list(desk.store, q, etype) if ready else []
    return render(
        request, "entities.html", active="entities", name_q=q, etype=etype, ready=ready,
        types=[(t, TYPE_TITLE[t]) for t in ENTITY_TYPES], no_entities=NO_ENTITIES,
        rows=[{**r, "href": entity_href(r["entity_id"]), "type_name": TYPE_ONE.get(r["type"], r["type"])}
              for r in rows],
    )  # fmt: skip


def _list(store: Any, q: str, etype: str, limit: int = 100) -> list[dict[str, Any]]:
    if not q.strip():
        return top_entities(store, etype or None, limit)
    return find_entities(store, q, limit=limit, etype=etype or None)


@router.get("/entity/{ref:path}", response_class=HTMLResponse, include_in_schema=False)
def entity_page(request: Request, desk: DeskDep, ref: str) -> Response:
    """One entity; a name several entities bear gives the list to choose from; unknown is a 404."""
    store = _store(desk)
    try:
        ent = resolve_one(store, ref)
    except AmbiguousEntityError:
        cands = _candidates(store, ref)
        return render(
            request, "entity_choose.html", active="entities", ename=ref,
            candidates=[{**d, "href": entity_href(d["entity_id"]), "type_name": TYPE_ONE.get(d["type"], d["type"])}
                        for d in cands],
        )  # fmt: skip
    d = entity_detail(store, ent["entity_id"], limit=MENTION_LIMIT)
    eid, etype, name = d["entity_id"], d["type"], d["name"]
    term = query_term(etype, name, eid, bool(ambiguous_names(store, [name])))
    co = [{**x, "href": entity_href(x["entity_id"]), "type_name": TYPE_ONE.get(x["type"], x["type"])}
          for x in d["co_occurring"]]  # fmt: skip
    months = entity_months(store, eid)
    return render(
        request, "entity.html", active="entities", e=d, type_name=TYPE_ONE.get(etype, etype),
        aliases=[a for a in d["aliases"] if a != name],
        roles=[{**r, "span": (r["span"] or "").replace("..", " to ")} for r in d["roles"]],
        groups=_mention_views(store, d["mention_list"]),
        co=co, signed=[{"id": c, "href": f"/cable/{quote(c, safe='')}"} for c in d["signed"]],
        term=term, search_href=search_url(term, "date"),
        chart=charts.timeline_chart(months, lambda a, b: search_url(f"{term} date:{a}..{b}", "date")),
    )  # fmt: skip


# -- JSON --------------------------------------------------------------------------------------------
@router.get("/api/entities", tags=["api"], summary="Find entities by name")
def api_entities(
    desk: DeskDep,
    q: Annotated[
        str, Query(max_length=200, description="A name, alias or id; empty lists the most mentioned.")
    ] = "",
    type: Annotated[EntityType | None, Query(description="person, org or place.")] = None,  # noqa: A002
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Entities with mention and cable counts (404 before ``cabledesk enrich``)."""
    store = _store(desk)
    return {"query": q, "type": type, "entities": _list(store, q, type or "", limit)}


@router.get("/api/entity/{ref:path}", tags=["api"], summary="One person, organisation or place")
def api_entity(
    desk: DeskDep,
    ref: str,
    limit: Annotated[int, Query(ge=1, le=5000, description="Mentions returned.")] = 200,
) -> Any:
    """``entity_detail`` plus ``months``; 409 with ``candidates`` when the name is ambiguous, 404 unknown."""
    store = _store(desk)
    try:
        d = entity_detail(store, ref, limit=limit)
    except AmbiguousEntityError as exc:
        return JSONResponse({"error": str(exc), "candidates": _candidates(store, ref)}, status_code=409)
    d["months"] = entity_months(store, d["entity_id"])
    return d


# -- boxes for other pages ---------------------------------------------------------------------------
def cable_entities(desk: Any, cable_id: str) -> list[dict[str, Any]]:
    """The cable page's "People, organisations, places" box: one group per type; empty before enrich."""
    if not has_entities(desk.store):
        return []
    try:
        ents = entities_for_cable(desk.store, cable_id)["entities"]
    except NotFoundError:
        return []
    out = []
    for t in ENTITY_TYPES:
        items = [{"name": e["name"], "href": entity_href(e["entity_id"]), "n": len(e["mentions"])}
                 for e in ents if e["type"] == t]  # fmt: skip
        if items:
            items.sort(key=lambda x: (-x["n"], x["name"]))
            out.append({"type": t, "title": TYPE_TITLE[t], "items": items})
    return out


def _facet_ids(desk: Any, q: str) -> list[str] | None:
    """Ids matching ``q`` when the entity facet applies (a query, an enriched store), else None."""
    from cabledesk.search import matching_ids

    if not q.strip() or not has_entities(desk.store):
        return None
    try:
        return matching_ids(desk.index, q, resolvers=desk.resolvers)
    except QueryError:
        return None


def entity_facets(desk: Any, q: str, sort: str, paragraphs: bool, limit: int = 10) -> list[dict[str, Any]]:
    """Search sidebar sections "People", "Organisations", "Places" for the query (empty before enrich)."""
    ids = _facet_ids(desk, q)
    items = entity_facet_items(desk.store, ids, limit) if ids else {}
    if not items:
        return []
    amb = ambiguous_names(desk.store, [it["name"] for v in items.values() for it in v])
    out = []
    for t in ENTITY_TYPES:
        values = []
        for it in items.get(t, []):
            term = query_term(t, it["name"], it["entity_id"], it["name"] in amb)
            values.append({
                "value": it["name"], "count": it["count"], "term": term, "active": has_term(q, term),
                "href": search_url(toggle_term(q, term), sort, 1, paragraphs), "entity_href": entity_href(it["entity_id"]),
            })  # fmt: skip
        if values:
            out.append({"name": t, "title": TYPE_TITLE[t], "values": values})
    return out


def entity_facets_json(desk: Any, q: str, limit: int = 10) -> dict[str, dict[str, int]]:
    """``{"person": {name: cables}, "org": ..., "place": ...}`` for /api/search; empty before enrich."""
    ids = _facet_ids(desk, q)
    return entity_facet(desk.store, ids, limit) if ids else {}

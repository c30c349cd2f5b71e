"""The JSON API under /api/: thin wrappers over Desk, documented in docs/api.md and /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from cabledesk.desk import Desk
from cabledesk.model import json_schema
from cabledesk.timeline import timeline
from cabledesk.web.app import desk_of

router = APIRouter(prefix="/api", tags=["api"])

DeskDep = Annotated[Desk, Depends(desk_of)]
QueryText = Annotated[
    str, Query(max_length=2000, description="Query-language text (see /help); empty matches every cable.")
]

_ERR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
_QUERY_ERR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "position": {"type": "integer", "description": "character offset of the problem in q"},
        "suggestion": {"type": "string", "description": "a corrected query, when one is obvious"},
    },
    "required": ["error", "position"],
}
_BAD_PARAM = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "detail": {"type": "array", "items": {"type": "object"}}},
    "required": ["error"],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_CABLE_SCHEMA = {k: v for k, v in json_schema().items() if k != "$schema"}
_Q_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _json(_QUERY_ERR, "Malformed query"),
    422: _json(_BAD_PARAM, "Invalid parameter"),
}


@router.get("/search", summary="Search cables or paragraphs", responses=_Q_ERRORS)
def api_search(
    desk: DeskDep,
    q: QueryText = "",
    limit: Annotated[int, Query(ge=0, le=1000, description="Hits per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Hits to skip.")] = 0,
    sort: Annotated[Literal["relevance", "date", "-date"], Query(description="Order of hits.")] = "relevance",
    paragraphs: Annotated[bool, Query(description="One hit per matching paragraph.")] = False,
    facets: Annotated[bool, Query(description="Count facets over all matches.")] = True,
) -> dict[str, Any]:
    """The search contract: query, total, hits (with highlighted snippets) and facets."""
    res = desk.search(q, limit=limit, offset=offset, sort=sort, paragraphs=paragraphs, facets=facets)
    out = dict(res.to_dict())
    if facets and out.get("facets") is not None:  # person/org/place, only after `cabledesk enrich`
        from cabledesk.web.entity_routes import entity_facets_json

        out["facets"] = {**out["facets"], **entity_facets_json(desk, q)}
    return out


@router.get(
    "/cable/{cable_id}",
    summary="One cable",
    responses={200: _json(_CABLE_SCHEMA, "The cable (JSON contract of `cabledesk show --json`)"),
               404: _json(_ERR, "No cable with this id")},
)
def api_cable(
    desk: DeskDep, cable_id: Annotated[str, Path(max_length=64, description="Reference id, e.g. 10MEXICO83")]
) -> Any:
    """``Cable.to_dict()`` of one cable; 404 with ``{"error"}`` for an unknown id."""
    return desk.cable(cable_id).to_dict()


@router.get("/facets", summary="Facet counts of a query", responses=_Q_ERRORS)
def api_facets(desk: DeskDep, q: QueryText = "") -> dict[str, Any]:
    """Counts by origin, classification, caveat, tag, year and signer over every match of ``q``."""
    d = desk.search(q, limit=0, facets=True).to_dict()
    return {"query": d.get("query", q), "total": d["total"], "facets": d.get("facets", {})}


@router.get("/stats", summary="Corpus statistics")
def api_stats(desk: DeskDep) -> dict[str, Any]:
    """``Desk.stats()``: cable count and counts by classification, level, origin, year and tag."""
    return dict(desk.stats())


@router.get("/timeline", summary="Cables per month, by classification level", responses=_Q_ERRORS)
def api_timeline(desk: DeskDep, q: QueryText = "") -> dict[str, Any]:
    """``cabledesk.timeline.timeline``: one row per month that has matches, oldest first."""
    months = timeline(desk, q)
    return {"query": q, "total": sum(m["total"] for m in months), "months": months}

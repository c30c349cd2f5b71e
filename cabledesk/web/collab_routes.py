"""JSON routes of newsroom collaboration (server mode only): notes, tags, starred searches.

Mounted by :func:`cabledesk.web.auth_routes.install`, so every route here runs behind the sign-in
middleware: a user is known, POST and DELETE made with a session cookie carried the CSRF token, and
``desk_of(request)`` is the user's collection-scoped Desk. The rules live in
:mod:`cabledesk.server.collab`; these routes only parse and format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from cabledesk.server import collab
from cabledesk.server.accounts import Accounts
from cabledesk.web.app import desk_of
from cabledesk.web.auth_routes import current_user

router = APIRouter(prefix="/api", tags=["collaboration"])

CableId = Annotated[str, Path(max_length=64, description="Reference id, e.g. 10MEXICO83")]


class NoteIn(BaseModel):
    paragraph: int = Field(
        ge=0, le=10_000, description="Paragraph number as written in the cable; 0 = whole cable"
    )
    text: str = Field(max_length=collab.MAX_NOTE)
    shared: bool = Field(False, description="Visible to your organisation (default: only you)")


class TagIn(BaseModel):
    tag: str = Field(max_length=collab.MAX_TAG)
    shared: bool = False


class StarIn(BaseModel):
    query: str = Field(max_length=collab.MAX_QUERY)
    label: str = Field("", max_length=200)


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.desk.accounts
    return accounts


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def _refused(exc: Exception) -> JSONResponse:
    status = 403 if isinstance(exc, collab.Forbidden) else 400
    return JSONResponse({"error": str(exc)}, status_code=status)


@router.get("/cable/{cable_id}/notes", summary="Notes you may see on a cable")
def get_notes(request: Request, cable_id: CableId) -> list[dict[str, Any]]:
    """Your notes and your organisation's shared ones; 404 for a cable outside your collections."""
    found = collab.notes(_accounts(request), desk_of(request), current_user(request), cable_id)
    return [n.to_dict() for n in found]


@router.post("/cable/{cable_id}/notes", status_code=201, summary="Add a note on a paragraph")
def post_note(request: Request, cable_id: CableId, body: NoteIn) -> Any:
    """The saved note; 400 for empty text or a paragraph the cable does not have."""
    try:
        note = collab.add_note(_accounts(request), desk_of(request), current_user(request), cable_id,
                               body.paragraph, body.text, body.shared, remote=_remote(request))  # fmt: skip
    except collab.CollabError as exc:
        return _refused(exc)
    return note.to_dict()


@router.delete("/notes/{note_id}", status_code=204, summary="Delete a note (author or admin)")
def remove_note(request: Request, note_id: int) -> Response:
    return _delete(request, collab.delete_note, note_id)


@router.get("/cable/{cable_id}/tags", summary="Newsroom tags you may see on a cable")
def get_tags(request: Request, cable_id: CableId) -> list[dict[str, Any]]:
    found = collab.tags(_accounts(request), desk_of(request), current_user(request), cable_id)
    return [t.to_dict() for t in found]


@router.post("/cable/{cable_id}/tags", status_code=201, summary="Tag a cable")
def post_tag(request: Request, cable_id: CableId, body: TagIn) -> Any:
    try:
        tag = collab.add_tag(_accounts(request), desk_of(request), current_user(request), cable_id,
                             body.tag, body.shared, remote=_remote(request))  # fmt: skip
    except collab.CollabError as exc:
        return _refused(exc)
    return tag.to_dict()


@router.delete("/tags/{tag_id}", status_code=204, summary="Remove a tag (author or admin)")
def remove_tag(request: Request, tag_id: int) -> Response:
    return _delete(request, collab.delete_tag, tag_id)


def _delete(request: Request, delete: Callable[..., None], item_id: int) -> Response:
    """204 once ``collab.delete_note``/``delete_tag`` removed the item; 403/404 as the library says."""
    try:
        delete(_accounts(request), desk_of(request), current_user(request), item_id, remote=_remote(request))
    except collab.Forbidden as exc:
        return _refused(exc)
    return Response(status_code=204)


@router.get("/stars", summary="Your starred searches")
def get_stars(request: Request) -> list[dict[str, Any]]:
    return [s.to_dict() for s in collab.stars(_accounts(request), current_user(request))]


@router.post("/stars", status_code=201, summary="Star a search")
def post_star(request: Request, body: StarIn) -> Any:
    """The starred search; 400 for a query with a syntax error (the usual query-error JSON)."""
    try:
        star = collab.add_star(_accounts(request), current_user(request), body.query, body.label,
                               remote=_remote(request))  # fmt: skip
    except collab.CollabError as exc:
        return _refused(exc)
    return star.to_dict()


@router.delete("/stars/{star_id}", status_code=204, summary="Unstar a search")
def remove_star(request: Request, star_id: int) -> Response:
    collab.delete_star(_accounts(request), current_user(request), star_id, remote=_remote(request))
    return Response(status_code=204)

"""The HTML side of newsroom collaboration (server mode): notes and tags on the cable page, stars on search.

Plain HTML forms that work without JavaScript: each POSTs ``application/x-www-form-urlencoded``
with the session's ``csrf_token`` field (checked by the sign-in middleware before the route runs)
and answers with a 303 back to the page. ``/static/collab.js`` only enhances them (a "Note" button on
each paragraph). The rules stay in :mod:`cabledesk.server.collab`; the templates reach the data
through the Jinja globals ``collab_view`` and ``stars_view``, which only the server-mode templates
call (their ``request.state.user`` is set by the middleware; the embedded mode never has one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cabledesk.errors import CabledeskError, NotFoundError, QueryError
from cabledesk.server import collab
from cabledesk.server.accounts import Accounts
from cabledesk.web.app import desk_of
from cabledesk.web.auth_routes import current_user, safe_next

router = APIRouter(include_in_schema=False)

MAX_FORM = 64_000
#: What a form may be refused for (shown on an error page); anything else is a server error.
REFUSED = (collab.CollabError, collab.Forbidden, NotFoundError, QueryError)


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.desk.accounts
    return accounts


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form (first value of each field); the middleware already read and capped the body."""
    body = (await request.body())[:MAX_FORM]
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError as exc:
        raise collab.CollabError(f"not a number: {value!r}") from exc


def _refused(request: Request, exc: CabledeskError) -> Response:
    from cabledesk.web.pages import error_page

    if isinstance(exc, NotFoundError):
        return error_page(request, 404, "Not found", str(exc))
    status = 403 if isinstance(exc, collab.Forbidden) else 400
    return error_page(request, status, "Not saved", str(exc))


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def cable_url(cable_id: str, anchor: str = "") -> str:
    return f"/cable/{quote(cable_id, safe='')}" + (f"#{anchor}" if anchor else "")


# -- template data ---------------------------------------------------------------------------------


def collab_view(request: Request, cable_id: str) -> dict[str, Any] | None:
    """Notes (by paragraph number) and tags the signed-in user may see on a cable; None outside server mode."""
    if getattr(request.state, "user", None) is None:
        return None
    accounts, desk, user = _accounts(request), desk_of(request), current_user(request)
    by_para: dict[int, list[collab.Note]] = defaultdict(list)
    for note in collab.notes(accounts, desk, user, cable_id):
        by_para[note.paragraph].append(note)
    return {
        "notes": dict(by_para),
        "tags": collab.tags(accounts, desk, user, cable_id),
        "user": user,
        "csrf": getattr(request.state, "csrf_token", None) or "",
    }


def stars_view(request: Request) -> dict[str, Any] | None:
    """The signed-in user's starred searches and the page's CSRF token; None outside server mode."""
    if getattr(request.state, "user", None) is None:
        return None
    from cabledesk.web.querytext import search_url

    found = collab.stars(_accounts(request), current_user(request))
    return {
        "stars": [
            {"id": s.id, "query": s.query, "label": s.label, "href": search_url(s.query)} for s in found
        ],
        "starred": {s.query for s in found},
        "csrf": getattr(request.state, "csrf_token", None) or "",
    }


def register_globals() -> None:
    """Make the two view functions callable from the page templates (idempotent)."""
    from cabledesk.web.pages import templates

    templates.env.globals.update(collab_view=collab_view, stars_view=stars_view)


# -- form routes -----------------------------------------------------------------------------------


@router.post("/cable/{cable_id}/notes")
async def add_note_form(request: Request, cable_id: str) -> Response:
    """Save a note from the cable page's form; back to its paragraph."""
    form = await _form(request)
    try:
        paragraph = _int(form.get("paragraph", "0"))
        note = await run_in_threadpool(
            collab.add_note, _accounts(request), desk_of(request), current_user(request), cable_id[:64],
            paragraph, form.get("text", ""), form.get("shared") == "1", _remote(request),
        )  # fmt: skip
    except REFUSED as exc:
        return _refused(request, exc)
    return _back(cable_url(note.cable_id, f"p{note.paragraph}" if note.paragraph else "notes"))


@router.post("/notes/{note_id}/delete")
async def delete_note_form(request: Request, note_id: int) -> Response:
    return await _delete_form(request, collab.delete_note, note_id)


@router.post("/cable/{cable_id}/tags")
async def add_tag_form(request: Request, cable_id: str) -> Response:
    form = await _form(request)
    try:
        tag = await run_in_threadpool(
            collab.add_tag, _accounts(request), desk_of(request), current_user(request), cable_id[:64],
            form.get("tag", ""), form.get("shared") == "1", _remote(request),
        )  # fmt: skip
    except REFUSED as exc:
        return _refused(request, exc)
    return _back(cable_url(tag.cable_id, "newsroom-tags"))


@router.post("/tags/{tag_id}/delete")
async def delete_tag_form(request: Request, tag_id: int) -> Response:
    return await _delete_form(request, collab.delete_tag, tag_id)


async def _delete_form(request: Request, delete: Callable[..., None], item_id: int) -> Response:
    """Delete a note or tag (``collab.delete_note``/``delete_tag``), then back to the page it was on."""
    form = await _form(request)
    try:
        await run_in_threadpool(
            delete, _accounts(request), desk_of(request), current_user(request), item_id, _remote(request)
        )
    except REFUSED as exc:
        return _refused(request, exc)
    return _back(safe_next(form.get("back")))


@router.post("/stars")
async def add_star_form(request: Request) -> Response:
    """Star the search from the search page's form; back to that search."""
    from cabledesk.web.querytext import search_url

    form = await _form(request)
    try:
        star = await run_in_threadpool(
            collab.add_star, _accounts(request), current_user(request), form.get("query", ""),
            form.get("label", ""), _remote(request),
        )  # fmt: skip
    except REFUSED as exc:  # QueryError included: a starred search must parse
        return _refused(request, exc)
    return _back(search_url(star.query))


@router.post("/stars/{star_id}/delete")
async def delete_star_form(request: Request, star_id: int) -> Response:
    form = await _form(request)
    try:
        await run_in_threadpool(
            collab.delete_star, _accounts(request), current_user(request), star_id, _remote(request)
        )
    except REFUSED as exc:
        return _refused(request, exc)
    return _back(safe_next(form.get("back")))

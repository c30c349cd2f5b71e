"""The source-protection pages: review queue, decisions, redacted export, draft check; JSON for cable pages.

Mount with ``app.include_router(protect_routes.router)``. Everything is plain HTML forms (POST then
redirect), so no script is needed and the CSP ``script-src 'self'`` holds. Decisions are written
through :class:`cabledesk.protect_store.ProtectStore`, which opens its own writable connection when
the app's Desk is read-only.

Server mode (PostgreSQL, sign-in): the review queue, decisions, undo, redacted exports, manifests,
findings and highlights need the editor or admin role (readers get 403; the draft check and the
``protected:`` id list stay open to readers); decisions are taken in the signed-in user's name
(never a form field's), and every decision, undo, watch-list change and redacted export is written
to the audit trail with who, what, when and from where. The Desk is the user's collection-scoped
one, so nothing here shows a cable outside their collections.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cabledesk import protect as P
from cabledesk.desk import Desk
from cabledesk.errors import NotFoundError
from cabledesk.protect_store import current_user
from cabledesk.web.app import desk_of

if TYPE_CHECKING:
    from cabledesk.server.accounts import Accounts, User

router = APIRouter()
DeskDep = Annotated[Desk, Depends(desk_of)]
MAX_FORM = 8_000_000

CSS = """
.protect h1 { margin-bottom: .2em; }
.protect .who { color: #555; }
.protect table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; }
.protect th, .protect td { border-bottom: 1px solid #ddd; padding: .3em .4em; text-align: left; vertical-align: top; }
.protect form.inline { display: inline; margin: 0; }
.protect button { cursor: pointer; }
.protect .st-accepted { color: #0a6b2d; font-weight: 600; }
.protect .st-rejected { color: #8a1c1c; text-decoration: line-through; }
.protect .st-suggested { color: #7a5b00; }
.protect .ctx { font-family: ui-monospace, monospace; font-size: .85em; color: #333; }
.protect .conf { font-variant-numeric: tabular-nums; }
.protect details { margin: .2em 0; }
.protect .warn { background: #fff4e5; border-left: 4px solid #e08a00; padding: .5em .8em; }
.protect .ok { background: #eaf7ee; border-left: 4px solid #0a6b2d; padding: .5em .8em; }
.protect textarea { width: 100%; }
"""


def _render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    from cabledesk.web.pages import render

    return render(request, name, status=status, active="protect", **ctx)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        raise HTTPException(413, "form too large")
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).items()}


def _back(form: dict[str, str], user: str) -> str:
    back = form.get("back") or "/protect"
    if not back.startswith("/protect") or "//" in back or "\\" in back:
        back = "/protect"
    sep = "&" if "?" in back else "?"
    return back if "user=" in back else f"{back}{sep}user={quote(user)}"


def _signed_in(request: Request) -> tuple[Accounts, User] | None:
    """Server mode: the accounts and the signed-in user; None in the embedded single-user mode."""
    accounts = getattr(request.app.state.desk, "accounts", None)
    if accounts is None:
        return None
    from cabledesk.web.auth_routes import current_user as signed_in_user

    return accounts, signed_in_user(request)


def reviewer(request: Request) -> str | None:
    """The signed-in editor's name (403 for a reader) in server mode; None in the embedded mode."""
    found = _signed_in(request)
    if found is None:
        return None
    if found[1].role not in ("editor", "admin"):
        raise HTTPException(403, "reviewing redactions needs the editor role")
    return found[1].name


def may_review() -> bool:
    """May this request's user see protected names (cable-page highlights)? Editors, or the embedded mode."""
    try:
        from cabledesk.web.auth_routes import _current
    except ImportError:  # pragma: no cover - without the server extra there is no server mode
        return True
    found = _current.get()
    return found is None or found[0].role in ("editor", "admin")


def _audit(request: Request, action: str, target: str | None, detail: dict[str, Any]) -> None:
    """One audit row (server mode only): who, what, when (the database's clock), from where."""
    found = _signed_in(request)
    if found is None:
        return
    from cabledesk.server import audit

    client = request.scope.get("client")
    audit.record(found[0], action, user=found[1].name, target=target, detail=detail,
                 remote=str(client[0]) if client else None)  # fmt: skip


ReviewerDep = Annotated[str | None, Depends(reviewer)]


def _queue(desk: Desk, show_all: bool) -> dict[str, Any]:
    rv = P.review(desk)
    people = P.persons_summary(rv)
    by_person: dict[str, list[dict[str, Any]]] = {}
    others = []
    for f in rv.findings:
        if not show_all and f.confidence < 0.5 and f.status == "suggested":
            continue
        if f.person:
            by_person.setdefault(f.person, []).append(f.to_dict())
        else:
            others.append(f.to_dict())
    log = P.decision_log(desk, 30, rv)
    return {"people": people, "by_person": by_person, "others": others, "log": log, "matching": rv.scan.matching,
            "counts": {"findings": len(rv.findings), "people": len(people),
                       "accepted": sum(f.status == "accepted" for f in rv.findings)}}


@router.get("/protect", response_class=HTMLResponse, include_in_schema=False)
async def queue_page(request: Request, desk: DeskDep, signed: ReviewerDep, user: str = "", all: int = 0) -> HTMLResponse:  # noqa: A002
    """The review queue: protected people with their mentions, other findings, the decision log."""
    data = await run_in_threadpool(_queue, desk, bool(all))
    return _render(request, "protect.html", user=signed or current_user(user or None), show_all=bool(all), **data)


@router.post("/protect/decide", include_in_schema=False)
async def decide_post(request: Request, desk: DeskDep, signed: ReviewerDep) -> Response:
    """Accept / reject one finding, or every mention of its person."""
    form = await _form(request)
    user = signed or current_user(form.get("user") or None)
    decision = form.get("decision", "")
    if decision not in ("accepted", "rejected") or not form.get("key"):
        raise HTTPException(422, "decision must be accepted or rejected, with a finding key")
    try:
        did = await run_in_threadpool(P.decide, desk, form["key"], decision, user, form.get("all") == "1")
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    await run_in_threadpool(_audit, request, "redaction", did["target"], {**did, "cable": _cable_of_key(did)})
    return RedirectResponse(_back(form, user), status_code=303)


def _cable_of_key(did: dict[str, Any]) -> str | None:
    """The cable a finding decision is about (a finding key starts with its cable id)."""
    return str(did["target"]).split(":", 1)[0] if did.get("scope") == "finding" else None


@router.post("/protect/undo", include_in_schema=False)
async def undo_post(request: Request, desk: DeskDep, signed: ReviewerDep) -> Response:
    """Take back a decision (the given one, or the latest)."""
    form = await _form(request)
    user = signed or current_user(form.get("user") or None)
    did = int(form["id"]) if form.get("id", "").isdigit() else None
    undone = await run_in_threadpool(P.undo, desk, did, user)
    if undone is not None:
        await run_in_threadpool(_audit, request, "redaction", undone["target"], {
            "undo": undone["id"], "scope": undone["scope"], "name": undone["name"],
            "decision": undone["decision"], "cable": undone["cable_id"]})  # fmt: skip
    return RedirectResponse(_back(form, user), status_code=303)


@router.get("/protect/export", include_in_schema=False)
async def export_get(request: Request, desk: DeskDep, signed: ReviewerDep, cable: str = "", q: str = "",
                     format: str = "text", user: str = "") -> Response:  # noqa: A002
    """Download a redacted copy (one cable or a query's results); the manifest is logged and linked."""
    if format not in ("text", "html", "jsonl") or bool(cable) == bool(q):
        raise HTTPException(422, "give cable= or q=, and format=text|html|jsonl")
    buf = io.StringIO()
    m = await run_in_threadpool(lambda: P.export(desk, buf, cable_id=cable or None, query=q or None,
                                                 fmt=format, user=signed or user or None))  # type: ignore[arg-type]
    await run_in_threadpool(_audit, request, "export", m["selection"], {
        "kind": "redacted", "format": format, "export_id": m["export_id"], "cables": len(m["cables"]),
        "masked_names": len(m["rules"])})  # fmt: skip
    media = {"text": "text/plain", "html": "text/html", "jsonl": "application/x-ndjson"}[format]
    ext = {"text": "txt", "html": "html", "jsonl": "jsonl"}[format]
    name = (cable or "query").upper() if cable else "query"
    headers = {
        "content-disposition": f'inline; filename="redacted-{name}.{ext}"',
        "x-cabledesk-export-id": str(m["export_id"]),
        "link": f'</protect/exports/{m["export_id"]}.json>; rel="describedby"',
        "cache-control": "no-store",
    }
    if format == "html":  # the export is a document, never a page of this app: no scripts, no styles
        headers["content-security-policy"] = "default-src 'none'"
    return Response(buf.getvalue(), media_type=f"{media}; charset=utf-8", headers=headers)


@router.get("/protect/exports/{export_id}.json", include_in_schema=False)
async def export_manifest(export_id: int, desk: DeskDep, signed: ReviewerDep) -> JSONResponse:
    """The manifest of an export: what was masked, where, by whose decision."""
    m = await run_in_threadpool(P.export_manifest, desk, export_id)
    if m is None:
        raise HTTPException(404, f"no export {export_id}")
    return JSONResponse(m)


@router.get("/protect/check", response_class=HTMLResponse, include_in_schema=False)
def check_form(request: Request) -> HTMLResponse:
    """The draft-check form."""
    return _render(request, "protect_check.html", draft="", result=None)


@router.post("/protect/check", response_class=HTMLResponse, include_in_schema=False)
async def check_post(request: Request, desk: DeskDep) -> HTMLResponse:
    """Check a pasted draft for protected names and revealing quotes."""
    form = await _form(request)
    draft = form.get("text", "")
    if not draft.strip():
        return _render(request, "protect_check.html", status=422, draft="", result=None, message="Paste a draft first.")
    result = await run_in_threadpool(P.check_article, desk, draft, form.get("kind", "txt"))
    return _render(request, "protect_check.html", draft=draft, result=result)


@router.get("/protect/protect.css", include_in_schema=False)
def protect_css() -> Response:
    return Response(CSS, media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.get("/api/protect/ids", tags=["protect"], summary="Ids of cables with protected findings")
async def api_ids(desk: DeskDep) -> dict[str, Any]:
    """What a ``protected:yes`` filter selects."""
    ids = await run_in_threadpool(P.protected_ids, desk)
    return {"ids": sorted(ids), "count": len(ids)}


@router.get("/api/protect/{cable_id}", tags=["protect"], summary="Protection findings of a cable")
async def api_cable(cable_id: str, desk: DeskDep, signed: ReviewerDep, min_confidence: float = 0.0) -> dict[str, Any]:
    """The ``cabledesk protect ID --json`` contract."""
    return await run_in_threadpool(P.cable_findings, desk, cable_id, min_confidence)


@router.get("/api/protect/{cable_id}/highlights", tags=["protect"], summary="Spans to highlight on a cable page")
async def api_highlights(cable_id: str, desk: DeskDep, signed: ReviewerDep) -> dict[str, Any]:
    """Per field (paragraph index, subject, ref…), the offsets of protected names, for editors."""
    return await run_in_threadpool(P.highlights, desk, cable_id)


def export_href(**params: str) -> str:
    """Link to an export (templates build their download links with it)."""
    return "/protect/export?" + urlencode({k: v for k, v in params.items() if v})

"""The /trace page (paste or load an article, get the report) and the JSON endpoint /api/trace.

Mounted by the app with ``app.include_router(trace_routes.router)``. The form posts URL-encoded
text (no multipart dependency); the "load a file" button reads the file in the browser with
``/trace/trace.js`` (served here, so the CSP's ``script-src 'self'`` holds and nothing is inline).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cabledesk.desk import Desk
from cabledesk.trace import TraceResult, trace
from cabledesk.trace_report import CSS, view
from cabledesk.web.app import desk_of

router = APIRouter()
DeskDep = Annotated[Desk, Depends(desk_of)]
MAX_ARTICLE = 2_000_000  # characters: a long feature is ~60,000

JS = """// Load an article file into the trace form's text box (read locally; nothing is uploaded yet).
document.addEventListener("DOMContentLoaded", () => {
  const file = document.getElementById("trace-file");
  const text = document.getElementById("trace-text");
  const kind = document.getElementById("trace-kind");
  if (!file || !text || !kind) return;
  file.addEventListener("change", () => {
    const f = file.files && file.files[0];
    if (!f) return;
    const name = f.name.toLowerCase();
    kind.value = /\\.x?html?$/.test(name) ? "html" : /\\.(md|markdown)$/.test(name) ? "md" : "txt";
    f.text().then((t) => { text.value = t; });
  });
});
"""


class TraceRequest(BaseModel):
    """An article to trace: its text and kind (plain text, Markdown or HTML)."""

    text: str = Field(max_length=MAX_ARTICLE, description="The article.")
    kind: Literal["txt", "md", "html"] = "txt"


def _run(desk: Desk, text: str, kind: str) -> TraceResult:
    return trace(desk, text, kind if kind in ("txt", "md", "html") else "txt")  # type: ignore[arg-type]


@router.post("/api/trace", tags=["api"], summary="Trace an article's quotes to cable paragraphs")
async def api_trace(desk: DeskDep, req: Annotated[TraceRequest, Body()]) -> dict[str, Any]:
    """The ``cabledesk trace --json`` contract: quotes with matches, cables in rank order."""
    result = await run_in_threadpool(_run, desk, req.text, req.kind)
    return result.to_dict()


@router.get("/trace", response_class=HTMLResponse, include_in_schema=False)
def trace_form(request: Request) -> HTMLResponse:
    """The empty form."""
    from cabledesk.web.pages import render

    return render(request, "trace.html", active="trace", article="", kind="txt", report=None)


@router.post("/trace", response_class=HTMLResponse, include_in_schema=False)
async def trace_post(request: Request, desk: DeskDep) -> HTMLResponse:
    """Trace the posted article and show the report under the form."""
    from cabledesk.web.pages import render

    body = await request.body()
    if len(body) > 4 * MAX_ARTICLE:
        raise HTTPException(413, "article too long")
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    text = (form.get("text") or [""])[0]
    kind = (form.get("kind") or ["txt"])[0]
    if not text.strip():
        return render(request, "trace.html", status=422, active="trace", article="", kind=kind, report=None,
                      message="Paste an article (or load a file) first.")
    result = await run_in_threadpool(_run, desk, text, kind)
    return render(request, "trace.html", active="trace", article=text, kind=kind, report=view(result))


@router.get("/trace/report.css", include_in_schema=False)
def trace_css() -> Response:
    return Response(CSS, media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.get("/trace/trace.js", include_in_schema=False)
def trace_js() -> Response:
    return Response(JS, media_type="text/javascript", headers={"cache-control": "max-age=3600"})

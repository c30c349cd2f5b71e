"""Server-rendered HTML pages: search, cable reader, overview, cheat sheet, local API docs."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cabledesk.desk import Desk
from cabledesk.errors import QueryError
from cabledesk.timeline import timeline
from cabledesk.web import charts
from cabledesk.web.app import STATIC_DIR, desk_of
from cabledesk.web.cableview import cited_by, paragraph_views, references, tag_meaning
from cabledesk.web.querytext import (
    date_range_of,
    facet_term,
    has_term,
    search_url,
    segments,
    toggle_term,
    with_date_range,
)

TEMPLATES_DIR = Path(__file__).with_name("templates")
QUERY_DOC = Path(__file__).resolve().parents[1] / "data" / "query-language.md"
PAGE_SIZE = 20
MAX_PAGE = 500
SORTS = [("relevance", "Relevance"), ("-date", "Newest first"), ("date", "Oldest first")]
FACET_ORDER = [
    ("classification", "Classification"),
    ("caveat", "Caveat"),
    ("year", "Year"),
    ("origin", "Origin"),
    ("tag", "TAGS"),
    ("signer", "Signer"),
]
FACET_SHOWN = 12
EXAMPLES = [
    ('"zero-sum competition"', "an exact phrase"),
    ("origin:mexico tag:SNAR", "Mexico cables tagged narcotics"),
    ("calderon class:secret date:2009..2010", "a name, a level, a period"),
    ("cites:09MEXICO193", "cables that cite one cable"),
]

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,  # every template, every extension: cable text is hostile
    undefined=jinja2.ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)
router = APIRouter(include_in_schema=False)
DeskDep = Annotated[Desk, Depends(desk_of)]


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a template with the common context (active nav, current query)."""
    ctx.setdefault("q", "")
    ctx.setdefault("active", "")
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """The HTML error page (JSON errors are for /api/ only)."""
    return render(request, "error.html", status=status, code=status, title=title, message=message)


def _level_class(label: str | None) -> str:
    level = (label or "").split("//", 1)[0].strip().upper()
    return charts.LEVEL_CLASS.get(level, "lv-x")


def _int(value: str, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value)))
    except ValueError:
        return default


# -- search ------------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    desk: DeskDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    sort: str = "relevance",
    page: str = "1",
    mode: str = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The search page; its whole state is in the URL so it can be shared and the back button works."""
    sort = sort if sort in ("relevance", "date", "-date") else "relevance"
    paragraphs = mode == "paragraphs"
    if date_from or date_to:  # the narrowing form: rewrite the query, then a canonical URL
        return RedirectResponse(search_url(with_date_range(q, date_from, date_to), sort, 1, paragraphs), 303)
    pg = _int(page, 1, 1, MAX_PAGE)
    ctx: dict[str, Any] = {"q": q, "sort": sort, "sorts": SORTS, "paragraphs": paragraphs, "page_size": PAGE_SIZE}
    if not q.strip():
        months = timeline(desk, "")
        ctx["chart"] = charts.timeline_chart(months, lambda a, b: search_url(f"date:{a}..{b}", "date"))
        ctx["stats"] = {"cables": sum(m["total"] for m in months)}
        ctx["examples"] = [{"q": e, "note": n, "href": search_url(e)} for e, n in EXAMPLES]
        return render(request, "search.html", **ctx)
    from cabledesk.web.entity_routes import entity_facets  # entity facet

    offset = (pg - 1) * PAGE_SIZE
    try:
        res = desk.search(q, limit=PAGE_SIZE, offset=offset, sort=sort, paragraphs=paragraphs, facets=True)
        months = timeline(desk, q)
    except QueryError as exc:
        pos = max(0, min(int(exc.position), len(q)))
        return render(request, "search.html", status=400, **ctx,
                      error={"message": exc.message, "position": pos, "suggestion": exc.suggestion})
    d = res.to_dict()
    total = int(d["total"])
    date_from_v, date_to_v = date_range_of(q)
    ctx.update(
        total=total,
        offset=offset,
        hits=[_hit_view(h, q, paragraphs) for h in d["hits"]],
        facets=_facet_views(d.get("facets") or {}, q, sort, paragraphs),
        entity_facets=entity_facets(desk, q, sort, paragraphs),  # entity facet (entity_routes)
        chart=charts.timeline_chart(
            months, lambda a, b: search_url(with_date_range(q, a, b), sort, 1, paragraphs)
        ),
        narrow_form=True,
        clear_dates_url=(
            search_url(with_date_range(q, "", ""), sort, 1, paragraphs) if any(date_range_of(q)) else None
        ),
        date_from=date_from_v if len(date_from_v) == 7 else "",
        date_to=date_to_v if len(date_to_v) == 7 else "",
        first_url=search_url(q, sort, 1, paragraphs),
        **_pager(total, pg, lambda n: search_url(q, sort, n, paragraphs)),
    )
    return render(request, "search.html", **ctx)


def _hit_view(h: dict[str, Any], q: str, paragraphs: bool) -> dict[str, Any]:
    """A hit ready for the template: link to the paragraph, date, level colour, highlighted runs."""
    snip = h if paragraphs else (h.get("snippet") or {})
    n = snip.get("paragraph")
    anchor = f"#p{n}" if n is not None else ""
    return {
        "id": h["id"],
        "href": f"/cable/{quote(h['id'], safe='')}?{urlencode({'q': q})}{anchor}",
        "subject": h.get("subject"),
        "date": (h.get("created") or "")[:10],
        "origin": h.get("origin"),
        "classification": h.get("classification"),
        "level_class": _level_class(h.get("classification")),
        "paragraph": n,
        "marking": snip.get("marking"),
        "runs": segments(snip.get("text") or "", snip.get("highlights")),
    }


def _facet_views(facets: dict[str, dict[str, int]], q: str, sort: str, paragraphs: bool) -> list[dict[str, Any]]:
    """Facet sidebar: each value links to the query with its ``field:value`` term toggled."""
    out = []
    for name, title in FACET_ORDER:
        counts = facets.get(name) or {}
        items = list(counts.items())
        if name == "year":
            items.sort(key=lambda kv: kv[0], reverse=True)
        values: list[dict[str, Any]] = []
        for value, count in items:
            term = facet_term(name, value)
            active = has_term(q, term)
            if len(values) >= FACET_SHOWN and not active:
                continue
            values.append({
                "value": value, "count": count, "term": term, "active": active,
                "href": search_url(toggle_term(q, term), sort, 1, paragraphs),
                "meaning": tag_meaning(value) if name == "tag" else None,
            })
        out.append({"name": name, "title": title, "values": values})
    return out


def _pager(total: int, page: int, url: Any) -> dict[str, Any]:
    """Numbered page links around the current page, with gaps."""
    n_pages = min(MAX_PAGE, max(1, math.ceil(total / PAGE_SIZE)))
    show = sorted({1, n_pages, *range(max(1, page - 2), min(n_pages, page + 2) + 1)})
    pages: list[dict[str, Any]] = []
    for i, p in enumerate(show):
        if i and p - show[i - 1] > 1:
            pages.append({"gap": True})
        pages.append({"n": p, "href": url(p), "current": p == page})
    return {
        "pages": pages,
        "prev_url": url(page - 1) if page > 1 else None,
        "next_url": url(page + 1) if page < n_pages else None,
    }


# -- cable -------------------------------------------------------------------------------------------
@router.get("/cable/{cable_id}", response_class=HTMLResponse)
def cable_page(
    request: Request, desk: DeskDep, cable_id: str, q: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    """One cable: header table, REFs (in corpus or not), paragraphs with anchors and citations, cited-by."""
    from cabledesk.web.entity_routes import cable_entities  # entity box
    from cabledesk.web.refs_routes import thread_context  # refs_routes builds on this module

    c = desk.cable(cable_id)
    cited_total, cited = cited_by(desk, c.id)
    return render(
        request,
        "cable.html",
        c=c,
        q=q,
        back_url=search_url(q) if q else "/",
        level_class=_level_class(c.classification),
        created=c.created.strftime("%Y-%m-%d %H:%M") if c.created else None,
        released=c.released.strftime("%Y-%m-%d %H:%M") if c.released else None,
        origin_href=search_url(facet_term("origin", c.origin or "")),
        signer_href=search_url(facet_term("signer", c.signer or "")),
        tags=[{"code": t, "meaning": tag_meaning(t), "href": search_url(facet_term("tag", t))} for t in c.tags],
        refs=references(desk, c),
        paras=paragraph_views(c, q, _protected_spans(desk, c.id)),
        cited=cited,
        cited_total=cited_total,
        cited_href=search_url(f"cites:{c.id}", "date"),
        thread=thread_context(desk, c.id),
        entities=cable_entities(desk, c.id),  # entity box (entity_routes)
    )


def _protected_spans(desk: Desk, cable_id: str) -> dict[int, list[tuple[int, int]]]:
    """Protected names in a cable's paragraphs, by paragraph position (for editors' eyes)."""
    from cabledesk.protect import highlights
    from cabledesk.web.protect_routes import may_review

    out: dict[int, list[tuple[int, int]]] = {}
    if not may_review():  # server mode: editors and admins only
        return out
    for sp in highlights(desk, cable_id)["spans"]:
        if sp["field"] == "paragraph" and sp["index"] is not None:
            out.setdefault(int(sp["index"]), []).append((int(sp["start"]), int(sp["end"])))
    return out


@router.get("/cable/{cable_id}/raw", response_class=PlainTextResponse)
def cable_raw(desk: DeskDep, cable_id: str) -> PlainTextResponse:
    """The telegram text as stored (header block, then body), as text/plain: never rendered as HTML."""
    c = desk.cable(cable_id)
    text = f"{c.header.rstrip()}\n\n{c.body}" if c.header.strip() else c.body
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8",
                             headers={"Content-Disposition": f'inline; filename="{quote(c.id)}.txt"'})


# -- overview, help, docs ------------------------------------------------------------------------------
@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request, desk: DeskDep) -> Response:
    """Corpus statistics as clickable SVG bar charts."""
    st = desk.stats()

    def slice_url(facet: str) -> Any:
        return lambda value: search_url(facet_term(facet, value), "-date")

    origins = list((st.get("origin") or {}).items())
    tags = list((st.get("tag") or {}).items())
    years = sorted((st.get("year") or {}).items(), key=lambda kv: str(kv[0]))
    ch = {
        "classification": charts.hbar_chart(
            list((st.get("classification") or {}).items()),
            lambda label: search_url(_label_query(label), "-date"),
        ),
        "year": charts.hbar_chart([(str(y), n) for y, n in years], slice_url("year"), label_w=60, row_h=18),
        "origin": charts.hbar_chart(origins[:30], slice_url("origin")),
        "tag": charts.hbar_chart(
            [(f"{t}", n) for t, n in tags[:30]], slice_url("tag"), note=tag_meaning
        ),
    }
    months = timeline(desk, "")
    return render(
        request, "overview.html", active="overview", stats=st, charts=ch, n_origins=len(origins), n_tags=len(tags),
        chart=charts.timeline_chart(months, lambda a, b: search_url(f"date:{a}..{b}", "date")),
    )


def _label_query(label: str) -> str:
    """Query selecting a classification label such as ``SECRET//NOFORN``: level plus caveat."""
    level, _, rest = label.partition("//")
    q = facet_term("classification", level)
    for cav in [x for x in rest.split("//") if x.strip()]:
        if cav.strip().upper() == "NOFORN":
            q += " caveat:NOFORN"
    if "NOFORN" not in rest.upper():
        q += " -caveat:NOFORN"
    return q


@lru_cache(maxsize=1)
def _help_html() -> str | None:
    """docs/query-language.md rendered once (raw HTML in the Markdown is escaped, not passed through)."""
    if not QUERY_DOC.exists():
        return None
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return str(md.render(QUERY_DOC.read_text(encoding="utf-8")))


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request) -> Response:
    """The one-page cheat sheet of the query language."""
    try:
        doc = _help_html()
    except ImportError:  # markdown-it-py missing: the short built-in page
        doc = None
    return render(request, "help.html", active="help", doc_html=doc)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Swagger UI served from /static (vendored), so the API docs work offline under the strict CSP."""
    return render(request, "docs.html", version=_swagger_version())


@lru_cache(maxsize=1)
def _swagger_version() -> str:
    p = STATIC_DIR / "swagger-ui.VERSION.txt"
    return p.read_text().strip() if p.exists() else ""


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

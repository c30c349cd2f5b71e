"""The FastAPI application: one read-only Desk per app, security headers, JSON errors, routers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cabledesk.desk import Desk
from cabledesk.errors import NotFoundError, QueryError, StoreError

STATIC_DIR = Path(__file__).with_name("static")

#: The one Content-Security-Policy of every response: nothing inline, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class DeskHolder:
    """Opens the database on first use (so the app starts instantly) and shares it between threads."""

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        self._desk: Desk | None = None
        self._lock = threading.Lock()

    def get(self) -> Desk:
        """The app's read-only Desk (SQLite store is lock-guarded; tantivy searchers are per query)."""
        desk = self._desk
        if desk is None:
            with self._lock:
                if self._desk is None:
                    self._desk = Desk(self.db, readonly=True)
                desk = self._desk
        return desk

    def close(self) -> None:
        with self._lock:
            if self._desk is not None:
                self._desk.close()
                self._desk = None


class SecurityHeaders:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware) adding CSP and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def desk_of(request: Request) -> Desk:
    """The Desk of the app serving ``request`` (routes never open databases themselves)."""
    holder: DeskHolder = request.app.state.desk
    return holder.get()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(db: Path) -> FastAPI:
    """The workbench (HTML pages) and the JSON API over the database at ``db``."""
    from cabledesk.web import api, pages

    holder = DeskHolder(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(
        lifespan=lifespan,
        title="cabledesk API",
        version="1",
        description=(
            "Read-only HTTP API of a cabledesk database: search with the query language, "
            "read cables (the `cabledesk show --json` contract), facets, statistics, timeline."
        ),
        docs_url=None,  # FastAPI's default /docs loads Swagger UI from a CDN; ours is vendored
        redoc_url=None,
    )
    app.state.desk = holder
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    # Feature routers: each feature keeps its routes in a module of its own.
    from cabledesk.web import entity_routes, protect_routes, refs_routes, trace_routes

    app.include_router(refs_routes.router)
    app.include_router(trace_routes.router)
    app.include_router(protect_routes.router)
    app.include_router(entity_routes.router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        errors = exc.errors()
        msg = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in errors
        )
        if _is_api(request):
            detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
            return JSONResponse({"error": f"invalid parameter: {msg}", "detail": detail}, status_code=422)
        return pages.error_page(request, 422, "Invalid request", msg)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Any:
        if _is_api(request):
            return JSONResponse({"error": str(exc)}, status_code=404)
        return pages.error_page(request, 404, "Not found", str(exc))

    @app.exception_handler(QueryError)
    async def _bad_query(request: Request, exc: QueryError) -> Any:
        return JSONResponse(exc.to_dict(), status_code=400)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Any:
        if _is_api(request):
            return JSONResponse({"error": str(exc)}, status_code=503)
        return pages.error_page(request, 503, "Database unavailable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if _is_api(request):
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
        return pages.error_page(request, exc.status_code, str(exc.detail), "")

    return app

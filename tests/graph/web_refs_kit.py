"""The app with the references router mounted (the lead may already mount it in create_app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cabledesk.web.refs_routes import router
from cabledesk.web.server import create_app


def refs_app(db: Path) -> Any:
    """create_app(db) plus the refs router unless the app already serves /cable/{id}/graph."""
    app = create_app(db)
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/cable/{cable_id}/graph" not in paths:
        app.include_router(router)
    return app

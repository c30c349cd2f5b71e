"""Entry point of ``cabledesk serve``: build the app for a database and run it with Uvicorn."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from cabledesk.web.app import create_app as _create_app

__all__ = ["app_from_env", "create_app", "run"]


# --- SERVER MODE (issue 9, cabledesk/web/auth_routes.py): sign-in, collections, audit on PostgreSQL ---
def create_app(db: Path | str) -> FastAPI:
    """The workbench; with a postgresql:// URL, the newsroom server (sign-in, collections, audit)."""
    from cabledesk.store.pg_migrate import is_postgres_url

    app = _create_app(db)  # type: ignore[arg-type]
    if is_postgres_url(str(db)):  # server mode needs the [server] extra (psycopg, argon2, alembic)
        from cabledesk.web.auth_routes import install

        install(app, db)
    return app


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory cabledesk.web.server:app_from_env --workers N`` ($CABLEDESK_DB)."""
    import os

    return create_app(os.environ.get("CABLEDESK_DB", "cabledesk.db"))


# --- end SERVER MODE ---


def run(db: Path | str, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the workbench on http://HOST:PORT/ (127.0.0.1 by default: only this machine can connect)."""
    import uvicorn

    uvicorn.run(
        create_app(db),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )

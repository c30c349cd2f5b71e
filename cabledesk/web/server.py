"""Entry point of ``cabledesk serve``: build the app for a database and run it with Uvicorn."""

from __future__ import annotations

from pathlib import Path

from cabledesk.web.app import create_app

__all__ = ["create_app", "run"]


def run(db: Path, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the workbench on http://HOST:PORT/ (127.0.0.1 by default: only this machine can connect)."""
    import uvicorn

    uvicorn.run(
        create_app(Path(db)),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )

"""Web fixtures: a database of the whole real corpus, a crafted hostile cable, live servers, a browser."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live_server import LiveServer
from web_kit import XSS_IMG, XSS_PLAIN, XSS_SCRIPT

from cabledesk.desk import Desk
from cabledesk.web.server import create_app

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
DOC_SHOTS = REPO / "docs" / "screenshots"



@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """A cabledesk database holding all 1,295 cables of the shared corpus."""
    db = tmp_path_factory.mktemp("webdb") / "cables.db"
    with Desk(db) as desk:
        summary = desk.ingest([corpus_tgz])
        assert desk.store.count() == 1295, summary
    return db


@pytest.fixture(scope="session")
def client(web_db: Path) -> Iterator[TestClient]:
    """In-process HTTP client of the app over the real corpus."""
    with TestClient(create_app(web_db)) as c:
        yield c


@pytest.fixture(scope="session")
def xss_db(tmp_path_factory: pytest.TempPathFactory, cable_page: Any) -> Path:
    """A database of one real cable (10MEXICO83) whose telegram text contains HTML/JS payloads."""
    page = cable_page("10MEXICO83").read_text(encoding="utf-8")
    esc = html.escape
    page, n1 = re.subn(r"SUBJECT: Scenesetter", lambda _: "SUBJECT: " + esc(XSS_SCRIPT) + " Scenesetter", page, count=1)
    page, n2 = re.subn(
        r"(¶</a>6\. \(S\) )", lambda m: m.group(1) + esc(XSS_IMG) + " " + esc(XSS_PLAIN) + " ", page, count=1
    )
    page, n3 = re.subn(r"zero-sum competition", lambda _: "zero-sum competition " + esc(XSS_SCRIPT), page, count=1)
    assert n1 == n2 == n3 == 1, "the 10MEXICO83 page changed; update the XSS fixture"
    folder = tmp_path_factory.mktemp("xss") / "cable" / "2010" / "01"
    folder.mkdir(parents=True)
    (folder / "10MEXICO83.html").write_text(page, encoding="utf-8")
    db = folder.parents[2] / "xss.db"
    with Desk(db) as desk:
        desk.ingest([folder.parents[1]])
        c = desk.cable("10MEXICO83")
        assert XSS_SCRIPT in c.body and XSS_IMG in c.body, "payload must be literal in the telegram text"
    return db


@pytest.fixture(scope="session")
def live(web_db: Path) -> Iterator[LiveServer]:
    with LiveServer(create_app(web_db)) as srv:
        yield srv


@pytest.fixture(scope="session")
def live_xss(xss_db: Path) -> Iterator[LiveServer]:
    with LiveServer(create_app(xss_db)) as srv:
        yield srv


class Watched:
    """A page plus everything suspicious it did: dialogs, CSP violations, errors, off-host requests."""

    def __init__(self, page: Any, allowed_prefix: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        def on_console(m: Any) -> None:
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text:
                self.csp.append(m.text)
            elif m.type == "error" and not m.text.startswith("Failed to load resource"):
                self.errors.append(m.text)  # failed loads are judged in on_response (pages may be 400/404)

        def on_response(r: Any) -> None:
            if r.status >= 400 and r.request.resource_type != "document":
                self.errors.append(f"{r.status} for {r.url}")

        def on_request(r: Any) -> None:
            if not (r.url.startswith(allowed_prefix) or r.url.startswith(("data:", "blob:", "about:"))):
                self.external.append(r.url)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", on_request)
        page.on("response", on_response)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"dialogs fired: {self.dialogs}"
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"
        assert self.errors == [], f"page errors: {self.errors}"


def _open_page(browser: Any, server: LiveServer, request: pytest.FixtureRequest, **ctx: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **ctx)
    page = context.new_page()
    page.set_default_timeout(15_000)
    w = Watched(page, server.url)
    try:
        yield w
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", request.node.name).strip("_") + ".png")))
        finally:
            context.close()


@pytest.fixture()
def page(browser: Any, live: LiveServer, request: pytest.FixtureRequest) -> Iterator[Watched]:
    """A fresh browser page on the corpus server (clipboard allowed); screenshot saved at the end."""
    yield from _open_page(browser, live, request, permissions=["clipboard-read", "clipboard-write"])


@pytest.fixture()
def xss_page(browser: Any, live_xss: LiveServer, request: pytest.FixtureRequest) -> Iterator[Watched]:
    """A fresh browser page on the server of the hostile cable."""
    yield from _open_page(browser, live_xss, request)


@pytest.fixture()
def doc_shot() -> Any:
    """Writes docs/screenshots/NAME.png when CABLEDESK_DOC_SHOTS=1 (kept out of ordinary test runs)."""

    def save(page: Any, name: str) -> None:
        if os.environ.get("CABLEDESK_DOC_SHOTS") == "1":
            DOC_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOC_SHOTS / f"{name}.png"))

    return save

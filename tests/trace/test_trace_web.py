"""The /trace page and /api/trace over the real corpus (router mounted as the lead will mount it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cabledesk.web.app import create_app
from cabledesk.web.trace_routes import router

ARTICLE = (
    "In a Jan. 29 cable, the embassy wrote that Calderon \"has aggressively attacked Mexico's drug "
    "trafficking organizations.\" A reader wrote \"<script>alert('x')</script> is not in any cable at all, ever.\""
)


@pytest.fixture(scope="module")
def client(trace_db: Path) -> Iterator[TestClient]:
    app = create_app(trace_db)
    if not any(getattr(r, "path", "") == "/api/trace" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        yield c


def test_api_trace_returns_the_json_contract(client: TestClient) -> None:
    r = client.post("/api/trace", json={"text": ARTICLE, "kind": "txt"})
    assert r.status_code == 200
    out = r.json()
    assert set(out) == {"quotes", "cables"}
    assert [q["status"] for q in out["quotes"]] == ["matched", "unmatched"]
    assert out["quotes"][0]["matches"][0]["id"] == "10MEXICO83"


def test_api_trace_rejects_a_bad_kind(client: TestClient) -> None:
    assert client.post("/api/trace", json={"text": "x", "kind": "pdf"}).status_code == 422


def test_form_post_shows_the_report_escaped_under_csp_with_no_inline_script(client: TestClient) -> None:
    assert client.get("/trace").status_code == 200
    r = client.post("/trace", data={"text": ARTICLE, "kind": "txt"})
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    body = r.text
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert re.search(r'href="/cable/10MEXICO83#p5"', body)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert inline == []
    assert client.get("/trace/trace.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/trace/report.css").headers["content-type"].startswith("text/css")


def test_empty_form_post_asks_for_an_article(client: TestClient) -> None:
    r = client.post("/trace", data={"text": "  ", "kind": "txt"})
    assert r.status_code == 422 and "Paste an article" in r.text

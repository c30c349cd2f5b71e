"""The review queue in the browser (suggest → accept all mentions → export → verify) and its JSON routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live_server import LiveServer
from protect_kit import OUTPUT

from cabledesk.web.server import create_app

CONTRACT = {"name", "entity_id", "marker", "paragraph", "start", "end", "confidence", "status"}


@pytest.fixture()
def client(fresh_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_db)) as c:
        yield c


def test_api_gives_the_contract_highlights_and_protected_ids(client: TestClient) -> None:
    d = client.get("/api/protect/09LONDON2222").json()
    assert d["id"] == "09LONDON2222" and all(set(f) == CONTRACT for f in d["findings"])
    h = client.get("/api/protect/09STATE82013/highlights").json()
    assert h["protected"] and any(s["name"].endswith("Gough") and s["field"] == "paragraph" for s in h["spans"])
    ids = client.get("/api/protect/ids").json()["ids"]
    assert "89PANAMA8545" in ids and "10MEXICO83" not in ids
    assert client.get("/api/protect/99NOWHERE1").status_code == 404


def test_queue_decide_and_export_over_http(client: TestClient) -> None:
    page = client.get("/protect?user=http-ed")
    assert page.status_code == 200 and "Judith Gough" in page.text and "<script" not in page.text.split("<main", 1)[1]
    key = re.search(r'data-key="(09LONDON2222:paragraph4:[^"]+)"', page.text)
    assert key
    r = client.post("/protect/decide", data={"key": key.group(1), "decision": "accepted", "all": "1", "user": "http-ed"},
                    follow_redirects=False)
    assert r.status_code == 303
    exp = client.get("/protect/export", params={"cable": "09LONDON2222", "format": "html"})
    assert exp.status_code == 200 and "gough" not in exp.text.split("</header>", 1)[1].lower() and "XXXXXXXXXXXX" in exp.text
    assert exp.headers["content-security-policy"] == "default-src 'none'"
    manifest = client.get(f"/protect/exports/{exp.headers['x-cabledesk-export-id']}.json").json()
    assert manifest["rules"][0]["decided_by"] == "http-ed"
    bad = client.post("/protect/decide", data={"key": "nope", "decision": "accepted"})
    assert bad.status_code == 404


def test_review_flow_in_a_browser(fresh_db: Path, browser: Any, request: pytest.FixtureRequest) -> None:
    """suggest → accept all mentions → export → verify, clicking as an editor would."""
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with LiveServer(create_app(fresh_db)) as srv:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            # 1. suggest: the queue lists Judith Gough, marked in two cables, as suggested
            page.goto(f"{srv.url}/protect?user=browser-editor")
            row = page.locator("#people tr[data-person='judith-gough']")
            assert "suggested" in row.locator(":scope > td").nth(3).inner_text()
            assert "09LONDON1707" in row.inner_text() and "09LONDON2222" in row.inner_text()
            # 2. accept all mentions of this person
            row.locator(":scope > td button.accept-all").click()
            page.wait_for_load_state()
            row = page.locator("#people tr[data-person='judith-gough']")
            assert "accepted" in row.locator(":scope > td").nth(3).inner_text()
            assert "browser-editor" in page.locator("#log").inner_text()
            page.screenshot(path=str(shots / "protect_review_accepted.png"), full_page=False)
            # 3. export the cable that names her without a marker, as text
            page.fill("#export-cable", "09STATE82013")
            page.select_option("#export-format", "text")
            page.click("#export-form button[type=submit]")
            page.wait_for_load_state()
            text = page.locator("body").inner_text()
            page.screenshot(path=str(shots / "protect_review_export.png"))
            # 4. verify: the cable text has the mask and no trace of the name; the manifest says who decided
            header, cable = text.split("=" * 78, 1)
            assert "XXXXXXXXXXXX" in cable and "gough" not in cable.lower()
            assert "Judith Gough [person decision by browser-editor" in header
            assert problems == [], problems
        finally:
            context.close()

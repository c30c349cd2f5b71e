"""The citation graph in a real browser (headless Debian Chromium via Playwright): draw, click through.

Fails on any CSP violation, page error or request leaving 127.0.0.1; saves screenshots under
test-output/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer

from cabledesk.web.server import create_app

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def server(refs_db: Path) -> Iterator[str]:
    with LiveServer(create_app(refs_db)) as srv:
        yield srv.url


@pytest.fixture()
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15_000)
    problems: list[str] = []
    p.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" or "Content Security Policy" in m.text else None
        ),
    )
    p.on("pageerror", lambda e: problems.append(str(e)))
    p.on(
        "request",
        lambda r: None if r.url.startswith((server, "data:", "blob:", "about:")) else problems.append(r.url),
    )
    try:
        yield p, problems
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        context.close()


def node_point(p: Any, cable_id: str) -> tuple[float, float]:
    """Page coordinates of a drawn node (Cytoscape's rendered position + the canvas offset)."""
    pos = p.evaluate(f"window.cabledeskGraph.getElementById({cable_id!r}).renderedPosition()")
    box = p.locator("#graph").bounding_box()
    return box["x"] + pos["x"], box["y"] + pos["y"]


def test_08oslo670_graph_shows_its_neighbours_and_clicks_through_to_08oslo585(
    page: tuple[Any, list[str]], server: str
) -> None:
    p, problems = page
    p.goto(server + "/cable/08OSLO670/graph")
    p.wait_for_selector("#graph[data-ready]")
    drawn = set(p.evaluate("window.cabledeskGraph.nodes().map(n => n.id())"))
    assert {"08OSLO670", "08OSLO629", "08OSLO585", "08OSLO522"} <= drawn
    assert p.locator("#graph canvas").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "graph_08OSLO670.png"))
    x, y = node_point(p, "08OSLO585")
    p.mouse.click(x, y)
    p.wait_for_url(re.compile(r"/cable/08OSLO585$"))
    assert p.locator("h1 .cid").inner_text() == "08OSLO585"
    assert problems == []


def test_depth_two_adds_second_step_cables_and_absent_ids_do_not_navigate(
    page: tuple[Any, list[str]], server: str
) -> None:
    p, problems = page
    p.goto(server + "/cable/08LONDON1115/graph?depth=2")
    p.wait_for_selector("#graph[data-ready]")
    levels = p.evaluate("window.cabledeskGraph.nodes().map(n => n.data('level'))")
    assert max(levels) == 2
    x, y = node_point(p, "08LONDON1064")  # cited, never released in this corpus
    p.mouse.click(x, y)
    p.wait_for_timeout(300)
    assert p.url.endswith("/cable/08LONDON1115/graph?depth=2")
    assert problems == []


def test_query_graph_draws_the_result_set(page: tuple[Any, list[str]], server: str) -> None:
    p, problems = page
    p.goto(server + "/graph?q=origin%3Aoslo")
    p.wait_for_selector("#graph[data-ready]")
    assert int(p.locator("#graph").get_attribute("data-ready")) > 3
    assert problems == []

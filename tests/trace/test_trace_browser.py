"""The HTML report in a real browser (headless Debian Chromium via Playwright): links to /cable/ID#pN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cabledesk.desk import Desk
from cabledesk.trace import trace_file
from cabledesk.trace_report import render_report

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
ARTICLE = Path(__file__).with_name("articles") / "01-mexico-army-risk-averse.md"


def test_report_opens_in_chromium_and_links_each_match_to_its_paragraph(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    assert ARTICLE.exists(), ARTICLE
    result = trace_file(desk, ARTICLE)
    report = tmp_path / "report.html"
    report.write_text(render_report(result, "Trace: " + ARTICLE.name), encoding="utf-8")
    errors: list[str] = []
    context = browser.new_context()  # the session browser (tests/conftest.py), a context per test
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: errors.append("dialog " + d.message))
        page.goto(report.as_uri())
        links = page.locator("a.para-link")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert "/cable/10MEXICO83#p5" in hrefs
        assert page.locator("li.quote.matched").count() == result.counts()["matched"]
        assert page.locator("span.badge.too_short").count() == result.counts()["too_short"]
        assert page.locator("table.cables a.cable-link").first.inner_text() == "10MEXICO83"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "trace-report.png"), full_page=True)
    finally:
        context.close()
    assert errors == []

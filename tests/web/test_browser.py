"""The workbench in a real browser (headless Debian Chromium via Playwright), as a reporter uses it.

Every test fails on any dialog, CSP violation, page error or request leaving 127.0.0.1, and saves a
screenshot under test-output/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from web_kit import XSS_IMG, XSS_PLAIN

pytestmark = pytest.mark.slow


def _q(url: str) -> str:
    return parse_qs(urlparse(url).query).get("q", [""])[0]


def _count(page: Any) -> int:
    return int(page.locator(".count strong").inner_text().replace(",", ""))


def test_slash_key_focuses_search_and_phrase_finds_10mexico83(page: Any, live: Any, doc_shot: Any) -> None:
    p = page.page
    p.goto(live.url + "/")
    p.locator("body").press("/")
    assert p.evaluate("document.activeElement.id") == "q"
    p.keyboard.type('"zero-sum competition"')
    p.keyboard.press("Enter")
    p.wait_for_url(re.compile(r"\?q="))
    assert _q(p.url) == '"zero-sum competition"'
    hit = p.locator("li.hit", has=p.locator("a.hit-id", has_text="10MEXICO83"))
    assert hit.count() == 1
    assert re.fullmatch(r"zero.sum competition", hit.locator("mark").first.inner_text(), re.I)
    assert _count(p) == 3
    doc_shot(p, "search")
    page.assert_clean()


def test_facet_click_narrows_and_back_button_restores(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/?q=origin%3Amexico")
    before = _count(p)
    p.locator('.facet[data-facet="tag"] a[data-term="tag:SNAR"]').click()
    p.wait_for_url(re.compile("SNAR"))
    assert _q(p.url) == "origin:mexico tag:SNAR"
    after = _count(p)
    assert 0 < after < before
    assert p.locator('a.fv.on[data-term="tag:SNAR"]').count() == 1
    p.locator('a.fv.on[data-term="tag:SNAR"]').click()  # clicking again removes the term
    p.wait_for_url(lambda u: _q(u) == "origin:mexico")
    assert _count(p) == before
    p.go_back()
    p.wait_for_url(re.compile("SNAR"))
    assert _count(p) == after and p.locator("#q").input_value() == "origin:mexico tag:SNAR"
    page.assert_clean()


def test_open_cable_from_results_lands_on_the_paragraph(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/?q=%22zero-sum+competition%22")
    p.locator("li.hit", has=p.locator("a.hit-id", has_text="10MEXICO83")).locator(".subject a").click()
    p.wait_for_url(re.compile(r"/cable/10MEXICO83\?q=.*#p5$"))
    assert p.locator("h1 .cid").inner_text() == "10MEXICO83"
    assert p.locator("#p5 mark").first.inner_text().lower() == "zero-sum competition"
    assert p.evaluate("getComputedStyle(document.getElementById('p5')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.assert_clean()


def test_ref_link_leads_to_the_cited_cable_and_back_via_cited_by(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/cable/10BERLIN180")
    p.locator("a.ref-in", has_text="10BERLIN128").click()
    p.wait_for_url(re.compile("/cable/10BERLIN128$"))
    assert p.locator("h1 .cid").inner_text() == "10BERLIN128"
    citing = p.locator(".citedby a", has_text="10BERLIN180")
    assert citing.count() == 1
    citing.click()
    p.wait_for_url(re.compile("/cable/10BERLIN180$"))
    page.assert_clean()


def test_copy_citation_puts_the_exact_citation_on_the_clipboard(page: Any, live: Any, doc_shot: Any) -> None:
    p = page.page
    p.goto(live.url + "/cable/10MEXICO83")
    doc_shot(p, "cable")
    p.locator("#p6 button.cite").click()
    p.locator(".copied.show").wait_for()
    text = p.evaluate("navigator.clipboard.readText()")
    assert text == "10MEXICO83 ¶6, Embassy Mexico, 2010-01-29, SECRET"
    assert "10MEXICO83 ¶6" in p.locator(".copied").inner_text()
    page.assert_clean()


def test_copy_citation_falls_back_without_clipboard_api(page: Any, live: Any) -> None:
    p = page.page
    p.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});"
                      "document.execCommand = function () { return false; };")
    p.goto(live.url + "/cable/10MEXICO83")
    p.locator("#p6 button.cite").click()
    box = p.locator(".copied.show input")
    box.wait_for()
    assert box.input_value() == "10MEXICO83 ¶6, Embassy Mexico, 2010-01-29, SECRET"
    assert p.evaluate("document.activeElement.value") == box.input_value()


def test_timeline_bar_click_narrows_to_that_year_then_month(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/?q=mexico")
    year_2009 = p.locator(".facet[data-facet=year] a[data-term='year:2009'] .fcount").inner_text()
    p.locator('svg.tl a.bar[data-label="2009"]').click()
    p.wait_for_url(re.compile("date"))
    assert _q(p.url) == "mexico date:2009-01..2009-12"
    assert _count(p) == int(year_2009)
    bars = p.locator("svg.tl a.bar")
    label = bars.first.get_attribute("data-label")
    assert label and re.fullmatch(r"2009-\d\d", label), "a one-year range is drawn per month"
    n = int(re.search(r": (\d+) cable", bars.first.locator("title").text_content() or "").group(1))  # type: ignore[union-attr]
    bars.first.click()
    p.wait_for_url(lambda u: _q(u) == f"mexico date:{label}..{label}")
    assert _count(p) == n
    page.assert_clean()


def test_date_form_narrows_to_a_month_range(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/?q=tag%3APREL")
    p.locator(".narrow input[name=from]").fill("2009-10")
    p.locator(".narrow input[name=to]").fill("2010-01")
    p.locator(".narrow button").click()
    p.wait_for_url(re.compile("date"))
    assert _q(p.url) == "tag:PREL date:2009-10..2010-01"
    assert _count(p) > 0
    page.assert_clean()


def test_malformed_query_shows_the_position(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/")
    p.fill("#q", "cartels AND (sedena")
    p.press("#q", "Enter")
    alert = p.locator(".qerror")
    alert.wait_for()
    assert "at character 12" in alert.inner_text()
    assert p.locator(".qerror mark.caret").inner_text() == "("
    page.assert_clean()


def test_sort_select_submits_and_keeps_the_query(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/?q=tag%3APREL")
    p.select_option("select[name=sort]", "-date")
    p.wait_for_url(re.compile("sort=-date"))
    dates = p.locator(".hit .meta").all_inner_texts()
    days = [d[:10] for d in dates]
    assert days == sorted(days, reverse=True) and _q(p.url) == "tag:PREL"
    page.assert_clean()


def test_api_docs_render_offline_under_the_csp(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/docs")
    p.locator(".opblock").first.wait_for()
    assert p.locator(".opblock").count() >= 5
    page.assert_clean()


@pytest.mark.parametrize("url", ["/?q=mexico", "/cable/10MEXICO83", "/overview"])
def test_phone_width_has_no_sideways_scrolling(page: Any, live: Any, url: str) -> None:
    p = page.page
    p.set_viewport_size({"width": 390, "height": 844})
    p.goto(live.url + url)
    assert p.evaluate("document.documentElement.scrollWidth") <= 390
    page.assert_clean()


def test_print_shows_the_cable_without_navigation(page: Any, live: Any) -> None:
    p = page.page
    p.goto(live.url + "/cable/10MEXICO83")
    p.emulate_media(media="print")
    assert not p.locator("header.top").is_visible()
    assert not p.locator("#p6 button.cite").is_visible()
    assert p.locator("#p6 .ptext").is_visible()


def test_hostile_cable_text_shows_as_text_and_never_runs(xss_page: Any, live_xss: Any) -> None:
    p = xss_page.page
    for url in ("/cable/10MEXICO83", "/?q=zero-sum", "/?q=scenesetter&mode=paragraphs", "/overview"):
        p.goto(live_xss.url + url)
        p.wait_for_load_state("load")
        p.wait_for_timeout(300)  # give any injected handler (img onerror) time to fire
        assert p.evaluate("window.__xss") is None, f"script ran on {url}"
        assert p.locator("img[src=x]").count() == 0
    p.goto(live_xss.url + "/cable/10MEXICO83")
    assert p.get_by_text(XSS_IMG, exact=False).first.is_visible()
    assert XSS_PLAIN in p.locator("#p6 .ptext").inner_text()
    assert "<script>window.__xss=1;alert(1)</script>" in p.locator("h1 + .subj").inner_text()
    xss_page.assert_clean()

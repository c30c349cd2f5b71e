"""Server-rendered pages: status codes, content, escaping, no inline script, links that keep state."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from web_kit import XSS_IMG, XSS_PLAIN, XSS_SCRIPT

from cabledesk.web.server import create_app

PAGES = ["/", "/?q=mexico", "/?q=%22zero-sum+competition%22&sort=-date&page=1", "/cable/10MEXICO83",
         "/cable/10BERLIN180", "/overview", "/help", "/docs", "/?q=foo+(bar", "/cable/NOPE"]


def _query_of(href: str) -> str:
    return parse_qs(urlparse(unescape(href)).query).get("q", [""])[0]


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_handler_or_style(client: TestClient, url: str) -> None:
    text = client.get(url).text
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag, f"inline script on {url}: {tag}"
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), f"script body on {url}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler on {url}"
    assert not re.search(r"\sstyle\s*=", text), f"inline style on {url}"
    assert "<style" not in text


def test_search_page_shows_count_results_and_highlights(client: TestClient) -> None:
    r = client.get("/", params={"q": '"zero-sum competition"'})
    assert r.status_code == 200
    assert re.search(r"<strong>3</strong> cables match", r.text)
    assert 'href="/cable/10MEXICO83?q=%22zero-sum+competition%22#p5"' in r.text
    assert re.search(r"<mark>zero.sum competition</mark>", r.text)


def test_search_page_echoes_a_hostile_query_escaped(client: TestClient) -> None:
    r = client.get("/", params={"q": '<script>alert(1)</script> "><img src=x onerror=alert(1)>'})
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_malformed_query_page_is_400_with_position_and_marker(client: TestClient) -> None:
    r = client.get("/", params={"q": "foo (bar"})
    assert r.status_code == 400
    assert "at character 4 " in r.text and 'role="alert"' in r.text
    assert '<mark class="caret">(</mark>' in r.text


def test_facet_links_add_then_remove_their_term(client: TestClient) -> None:
    text = client.get("/", params={"q": "origin:mexico"}).text
    href = re.search(r'<a href="([^"]+)" class="fv" data-term="tag:SNAR"', text)
    assert href, "tag:SNAR facet present"
    assert _query_of(href.group(1)) == "origin:mexico tag:SNAR"
    narrowed = client.get("/", params={"q": "origin:mexico tag:SNAR"}).text
    back = re.search(r'<a href="([^"]+)" class="fv on" data-term="tag:SNAR"', narrowed)
    assert back and _query_of(back.group(1)) == "origin:mexico"


def test_multiword_facet_values_are_quoted(client: TestClient) -> None:
    text = client.get("/", params={"q": "mexico"}).text
    assert 'data-term="origin:&#34;Embassy Mexico&#34;"' in text


def test_pagination_links_keep_query_and_sort(client: TestClient) -> None:
    text = client.get("/", params={"q": "tag:PREL", "sort": "-date", "page": "2"}).text
    nxt = re.search(r'<a rel="next" href="([^"]+)"', text)
    prev = re.search(r'<a rel="prev" href="([^"]+)"', text)
    assert nxt and prev
    qs = parse_qs(urlparse(unescape(nxt.group(1))).query)
    assert qs == {"q": ["tag:PREL"], "sort": ["-date"], "page": ["3"]}
    assert parse_qs(urlparse(unescape(prev.group(1))).query) == {"q": ["tag:PREL"], "sort": ["-date"]}
    assert '<ol class="hits" start="21">' in text


def test_nonsense_page_parameters_fall_back_instead_of_failing(client: TestClient) -> None:
    r = client.get("/", params={"q": "mexico", "page": "abc", "sort": "sideways"})
    assert r.status_code == 200 and "cables match" in r.text


def test_date_narrowing_form_redirects_to_a_canonical_query(client: TestClient) -> None:
    r = client.get("/", params={"q": "mexico date:2001", "from": "2009-01", "to": "2009-06"}, follow_redirects=False)
    assert r.status_code == 303
    assert _query_of(r.headers["location"]) == "mexico date:2009-01..2009-06"


def test_timeline_bars_link_to_narrowed_queries(client: TestClient) -> None:
    text = client.get("/", params={"q": "origin:mexico"}).text
    assert '<svg class="tl"' in text
    hrefs = [_query_of(h) for h in re.findall(r'<a class="bar" href="([^"]+)"', text)]
    assert "origin:mexico date:2010-01..2010-01" in hrefs


def test_cable_page_header_paragraphs_and_citation(client: TestClient) -> None:
    r = client.get("/cable/10MEXICO83")
    assert r.status_code == 200
    t = r.text
    for needle in ("Embassy Mexico", "2010-01-29 20:08", "FEELEY", "SECRET", "AMEMBASSY MEXICO"):
        assert needle in t
    assert 'id="p6"' in t and 'href="#p6"' in t
    assert 'data-cite="10MEXICO83 ¶6, Embassy Mexico, 2010-01-29, SECRET"' in t
    assert 'href="/cable/10MEXICO83/raw"' in t


def test_cable_page_explains_tags(client: TestClient) -> None:
    t = client.get("/cable/10BERLIN180").text
    assert "Terrorist financing" in t  # KTFN
    assert re.search(r">GM</a> Germany", t), "two-letter codes are FIPS 10-4 (GM = Germany)"


def test_cable_page_links_refs_in_corpus_and_marks_the_others(client: TestClient) -> None:
    t = client.get("/cable/10BERLIN180").text
    assert '<a class="ref-in" href="/cable/10BERLIN128">10BERLIN128</a>' in t
    present = client.get("/api/cable/10BERLIN176").status_code == 200
    if not present:
        assert re.search(r'<span class="ref-out">10BERLIN176</span>.*?not in this corpus', t, re.S)


def test_cited_by_lists_citing_cables(client: TestClient) -> None:
    t = client.get("/cable/10BERLIN128").text
    cited = t.split('id="cb-h"', 1)[1]
    assert 'href="/cable/10BERLIN180"' in cited


def test_cable_page_highlights_the_query_it_came_from(client: TestClient) -> None:
    t = client.get("/cable/10MEXICO83", params={"q": '"zero-sum competition"'}).text
    assert "<mark>zero-sum competition</mark>" in t


def test_unknown_cable_page_is_404_html(client: TestClient) -> None:
    r = client.get("/cable/99NOWHERE1")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "99NOWHERE1" in r.text


def test_raw_telegram_is_plain_text_never_html(client: TestClient) -> None:
    r = client.get("/cable/10MEXICO83/raw")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "zero-sum competition" in r.text and "SUBJECT:" in r.text


def test_overview_draws_charts_from_stats(client: TestClient) -> None:
    t = client.get("/overview").text
    assert "1,295 cables" in t
    assert t.count("<svg") >= 5
    assert "Embassy Madrid" in t and "SECRET//NOFORN" in t


def test_help_renders_the_query_language_doc(client: TestClient) -> None:
    t = client.get("/help").text
    assert "<h1>The cabledesk query language</h1>" in t and "<table>" in t


def test_hostile_cable_text_is_escaped_on_every_page(xss_db: Path) -> None:
    with TestClient(create_app(xss_db)) as c:
        pages = [c.get("/cable/10MEXICO83").text, c.get("/", params={"q": "zero-sum"}).text,
                 c.get("/", params={"q": "scenesetter", "mode": "paragraphs"}).text]
        for t in pages:
            for payload in (XSS_SCRIPT, XSS_IMG, XSS_PLAIN, "<img src=x"):
                assert payload not in t
        cable = pages[0]
        assert "&lt;script&gt;window.__xss=1;alert(1)&lt;/script&gt;" in cable
        assert "&lt;img src=x onerror=&#34;window.__xss=2;alert(2)&#34;&gt;" in cable
        assert "&lt;script&gt;" in pages[1]
        raw = c.get("/cable/10MEXICO83/raw")
        assert XSS_SCRIPT in raw.text and raw.headers["content-type"].startswith("text/plain")


def test_cable_page_marks_protected_names_for_editors(client: TestClient) -> None:
    # 06PARIS741 marks its source "(PROTECT THROUGHOUT)": the name is highlighted, never hidden.
    html = client.get("/cable/06PARIS741").text
    assert '<mark class="protected"' in html
    assert re.search(r'<mark class="protected"[^>]*>Alain Feneon</mark>', html)


def test_cable_without_protected_sources_has_no_protected_marks(client: TestClient) -> None:
    assert 'class="protected"' not in client.get("/cable/10MEXICO83").text


@pytest.mark.parametrize("q", ["protected:yes", "citedby:08OSLO670", "protected:no origin:mexico"])
def test_fields_derived_from_the_records_work_on_every_page(client: TestClient, q: str) -> None:
    # The search page, its timeline and the API all go through the same resolvers as the CLI.
    assert client.get("/", params={"q": q}).status_code == 200
    assert client.get("/api/timeline", params={"q": q}).status_code == 200
    assert client.get("/api/search", params={"q": q}).status_code == 200
    assert client.get("/graph", params={"q": q}).status_code == 200

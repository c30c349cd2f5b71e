"""The JSON API on the whole real corpus: every /api/ route, its contract and its errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cabledesk.desk import Desk
from cabledesk.model import LEVELS

HIT_KEYS = {"id", "subject", "created", "origin", "classification", "score", "snippet"}
FACETS = {"origin", "classification", "caveat", "tag", "year", "signer"}


def test_search_phrase_finds_10mexico83_with_highlighted_snippet(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": '"zero-sum competition"'})
    assert r.status_code == 200
    d = r.json()
    assert d["query"] == '"zero-sum competition"'
    ids = [h["id"] for h in d["hits"]]
    assert "10MEXICO83" in ids and d["total"] == len(ids)
    hit = d["hits"][ids.index("10MEXICO83")]
    assert HIT_KEYS <= set(hit)
    snip = hit["snippet"]
    assert {"paragraph", "marking", "text", "highlights"} <= set(snip)
    s, e = snip["highlights"][0]
    assert snip["text"][s:e].lower().replace("-", " ") == "zero sum competition"
    assert FACETS <= set(d["facets"])
    assert d["facets"]["origin"]["Embassy Mexico"] >= 1


def test_search_paragraph_mode_returns_paragraph_hits(client: TestClient) -> None:
    d = client.get("/api/search", params={"q": '"zero-sum competition"', "paragraphs": "true"}).json()
    hit = next(h for h in d["hits"] if h["id"] == "10MEXICO83")
    assert hit["paragraph"] == 5 and hit["marking"] and hit["highlights"]


def test_search_sort_by_date_is_chronological_both_ways(client: TestClient) -> None:
    asc = client.get("/api/search", params={"q": "tag:PREL", "sort": "date", "limit": 50}).json()
    desc = client.get("/api/search", params={"q": "tag:PREL", "sort": "-date", "limit": 50}).json()
    dates = [h["created"] for h in asc["hits"]]
    assert dates == sorted(dates) and len(dates) == 50
    newest = [h["created"] for h in desc["hits"]]
    assert newest == sorted(newest, reverse=True) and newest[0] > dates[-1]


def test_search_offset_pages_do_not_overlap_and_cover_total(client: TestClient) -> None:
    total = client.get("/api/search", params={"q": "mexico", "limit": 1}).json()["total"]
    seen: list[str] = []
    for offset in range(0, total, 20):
        page = client.get("/api/search", params={"q": "mexico", "sort": "date", "limit": 20, "offset": offset})
        seen += [h["id"] for h in page.json()["hits"]]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("q", ["foo (bar", '"unclosed', "orign:mexico", "date:2009-13", "OR"])
def test_search_malformed_query_is_400_with_position(client: TestClient, q: str) -> None:
    r = client.get("/api/search", params={"q": q})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] and isinstance(body["position"], int) and 0 <= body["position"] <= len(q)


def test_search_unknown_field_suggests_the_right_one(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "orign:mexico"}).json()
    assert body["position"] == 0 and "origin" in body.get("suggestion", "") + body["error"]


@pytest.mark.parametrize(
    "params",
    [{"q": "x", "limit": "abc"}, {"q": "x", "limit": "-1"}, {"q": "x", "limit": "5000"},
     {"q": "x", "offset": "-3"}, {"q": "x", "sort": "newest"}, {"q": "x", "paragraphs": "maybe"},
     {"q": "x" * 2001}],
)
def test_bad_parameters_are_422_json(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    body = r.json()
    assert body["error"].startswith("invalid parameter") and body["detail"]


def test_cable_is_the_show_json_contract(client: TestClient, web_db: Path) -> None:
    r = client.get("/api/cable/10MEXICO83")
    assert r.status_code == 200
    with Desk(web_db, readonly=True) as desk:
        assert r.json() == desk.cable("10MEXICO83").to_dict()
    assert client.get("/api/cable/10mexico83").json()["id"] == "10MEXICO83"


def test_unknown_cable_is_404_json_naming_the_id(client: TestClient) -> None:
    r = client.get("/api/cable/99NOWHERE1")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"].startswith("no cable 99NOWHERE1")


def test_unknown_api_route_is_json_404(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and "error" in r.json()


def test_facets_count_every_match_not_just_one_page(client: TestClient) -> None:
    d = client.get("/api/facets", params={"q": "origin:mexico"}).json()
    assert set(d) == {"query", "total", "facets"}
    assert sum(d["facets"]["classification"].values()) == d["total"]
    assert sum(d["facets"]["year"].values()) == d["total"] >= 10


def test_facets_malformed_query_is_400(client: TestClient) -> None:
    assert client.get("/api/facets", params={"q": "(x"}).status_code == 400


def test_stats_match_the_corpus_readme(client: TestClient) -> None:
    d = client.get("/api/stats").json()
    assert d["cables"] == 1295
    assert d["classification"] == {
        "CONFIDENTIAL": 605, "SECRET": 290, "SECRET//NOFORN": 217, "CONFIDENTIAL//NOFORN": 79,
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY": 68, "UNCLASSIFIED": 36,
    }
    assert sum(d["year"].values()) == 1295


def test_timeline_whole_corpus_counts_every_dated_cable(client: TestClient) -> None:
    d = client.get("/api/timeline").json()
    assert d["total"] == 1295
    months = [m["month"] for m in d["months"]]
    assert months == sorted(months) and months[0] == "1966-12" and months[-1] == "2010-02"
    for m in d["months"]:
        assert set(LEVELS) <= set(m["counts"]) and sum(m["counts"].values()) == m["total"]


def test_timeline_of_a_query_matches_its_hits_month_by_month(client: TestClient) -> None:
    q = "origin:mexico OR tag:SNAR"
    tl = client.get("/api/timeline", params={"q": q}).json()
    hits = client.get("/api/search", params={"q": q, "limit": 1000, "facets": "false"}).json()
    expected = Counter((h["created"][:7], h["classification"].split("//")[0]) for h in hits["hits"])
    got = Counter({(m["month"], lvl): n for m in tl["months"] for lvl, n in m["counts"].items() if n})
    assert got == expected and tl["total"] == hits["total"]


def test_timeline_malformed_query_is_400(client: TestClient) -> None:
    r = client.get("/api/timeline", params={"q": 'say "hello'})
    assert r.status_code == 400 and "position" in r.json()


def test_openapi_lists_every_api_route_and_the_cable_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/search", "/api/cable/{cable_id}", "/api/facets", "/api/stats", "/api/timeline"} <= paths
    assert not any(not p.startswith("/api/") for p in paths), "HTML pages stay out of the API spec"
    cable_200 = spec["paths"]["/api/cable/{cable_id}"]["get"]["responses"]["200"]
    assert "paragraphs" in cable_200["content"]["application/json"]["schema"]["properties"]


def test_api_docs_page_loads_nothing_from_the_internet(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "http://" not in r.text.replace("http://www.w3.org", "") and "https://" not in r.text
    for asset in ("/static/swagger-ui-bundle.js", "/static/swagger-ui.css", "/static/swagger-ui.LICENSE.txt"):
        assert client.get(asset).status_code == 200


@pytest.mark.parametrize("url", ["/api/search?q=mexico", "/api/cable/10MEXICO83", "/api/stats", "/api/cable/NOPE",
                                 "/", "/static/app.js", "/cable/10MEXICO83/raw"])
def test_every_response_carries_the_security_headers(client: TestClient, url: str) -> None:
    h = client.get(url).headers
    assert h["content-security-policy"].startswith(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"

"""Search on the real corpus: each operator and field proved on known cables and independent counts."""

from __future__ import annotations

from collections import Counter
from typing import Literal

import pytest

from cabledesk import textnorm
from cabledesk.model import Cable
from cabledesk.search import FACET_TOP, batch_search, matching_ids, search
from cabledesk.store.index import CableIndex


def ids_of(index: CableIndex, query: str) -> set[str]:
    return set(matching_ids(index, query))


def test_phrase_with_hyphen_finds_10mexico83_and_its_paragraph(index: CableIndex) -> None:
    res = search(index, '"zero-sum competition"')
    hit = next(h for h in res.to_dict()["hits"] if h["id"] == "10MEXICO83")
    snip = hit["snippet"]
    assert snip["paragraph"] == 5 and snip["marking"] == "C"
    [(s, e)] = snip["highlights"]
    assert snip["text"][s:e] == "zero-sum competition"


def test_hit_carries_the_contract_fields(index: CableIndex) -> None:
    d = search(index, "id:10MEXICO83").to_dict()
    assert set(d) >= {"query", "total", "hits", "facets"}
    hit = d["hits"][0]
    assert set(hit) == {"id", "subject", "created", "origin", "classification", "score", "snippet"}
    assert hit["origin"] == "Embassy Mexico" and hit["classification"] == "SECRET"
    assert hit["created"].startswith("2010-01-29")
    assert set(hit["snippet"]) == {"paragraph", "marking", "text", "highlights"}
    assert set(d["facets"]) == {"origin", "classification", "caveat", "tag", "year", "signer"}


def test_origin_and_tag_match_exactly_the_mexico_cables_tagged_snar(
    index: CableIndex, cables: list[Cable]
) -> None:
    expected = {
        c.id for c in cables
        if c.origin and "mexico" in textnorm.terms(c.origin) and "SNAR" in {t.upper() for t in c.tags}
    }  # fmt: skip
    assert expected and ids_of(index, "origin:mexico tag:SNAR") == expected
    assert search(index, "origin:mexico tag:SNAR").total == len(expected)


def test_class_confidential_never_matches_a_secret_cable(index: CableIndex, by_id: dict[str, Cable]) -> None:
    found = ids_of(index, "class:confidential")
    assert found == {i for i, c in by_id.items() if c.classification == "CONFIDENTIAL"}
    assert all(by_id[i].classification != "SECRET" for i in found)


def test_caveat_matches_the_parsed_caveats(index: CableIndex, by_id: dict[str, Cable]) -> None:
    assert ids_of(index, "caveat:nf") == {i for i, c in by_id.items() if "NOFORN" in c.caveats}


@pytest.mark.parametrize(
    ("query", "lo", "hi"),
    [("date:2009-10..2010-01", "2009-10-01", "2010-01-31"), ("date:..2009-05", "0000", "2009-05-31"),
     ("year:2009", "2009-01-01", "2009-12-31"), ("before:2009-05", "0000", "2009-04-30"),
     ("after:2009-05", "2009-06-01", "9999"), ("date:2010-01-29", "2010-01-29", "2010-01-29")],
)  # fmt: skip
def test_date_ranges_match_created_dates_inclusively(
    index: CableIndex, by_id: dict[str, Cable], query: str, lo: str, hi: str
) -> None:
    expected = {i for i, c in by_id.items() if c.created and lo <= c.created.date().isoformat() <= hi}
    assert expected and ids_of(index, query) == expected


def test_accents_and_case_are_folded(index: CableIndex) -> None:
    assert "10MEXICO83" in ids_of(index, "CALDERÓN") == ids_of(index, "calderon")
    [only] = ids_of(index, "impresion")
    assert ids_of(index, "IMPRESIÓN") == {only}
    assert "79TEHRAN8980" in ids_of(index, '"overriding egoism"')  # an ALL-CAPS cable


def test_no_stemming_keeps_words_exact(index: CableIndex) -> None:
    assert ids_of(index, "cartel") < ids_of(index, "cartel*")
    assert "10MEXICO83" not in ids_of(index, "cartel")


def test_or_not_and_parentheses_combine_as_sets(index: CableIndex) -> None:
    a, b = ids_of(index, "sedena"), ids_of(index, "semar")
    assert ids_of(index, "sedena OR semar") == a | b
    assert ids_of(index, "sedena semar") == a & b
    assert ids_of(index, "sedena -semar") == ids_of(index, "sedena NOT semar") == a - b
    mx = ids_of(index, "origin:mexico")
    assert ids_of(index, "sedena OR semar origin:mexico") == (a | b) & mx
    assert ids_of(index, "(sedena OR semar) -origin:mexico") == (a | b) - mx
    assert len(ids_of(index, "-sedena")) == index.count() - len(a)


def test_proximity_is_looser_than_the_phrase(index: CableIndex) -> None:
    exact, near = ids_of(index, '"army police"'), ids_of(index, '"army police"~10')
    assert exact <= near and len(near) > len(exact)
    assert near <= ids_of(index, "army police")


def test_cites_uses_the_reference_ids(index: CableIndex, by_id: dict[str, Cable]) -> None:
    expected = {i for i, c in by_id.items() if any(r.id == "06MADRID1914" for r in c.references)}
    assert "06MADRID2657" in expected and ids_of(index, "cites:06madrid1914") == expected


@pytest.mark.parametrize(
    "query",
    [
        "origin:mexico",
        "cartels",
        "class:secret caveat:noforn",
        "year:2009",
        "-sipdis",
        "caveat:sipdis",
        "-cartels",
    ],
)
def test_facet_counts_equal_counts_over_every_match(
    index: CableIndex, by_id: dict[str, Cable], query: str
) -> None:
    res = search(index, query, limit=1)
    matched = [by_id[i] for i in matching_ids(index, query)]
    assert res.total == len(matched)
    truth = {
        "origin": Counter(c.origin for c in matched if c.origin),
        "classification": Counter(c.classification for c in matched if c.classification),
        "caveat": Counter(v for c in matched for v in dict.fromkeys(c.caveats)),
        "tag": Counter(t for c in matched for t in dict.fromkeys(t.upper() for t in c.tags)),
        "year": Counter(str(c.created.year) for c in matched if c.created),
        "signer": Counter(c.signer for c in matched if c.signer),
    }
    for name, counts in res.facets.items():
        assert counts == {k: truth[name][k] for k in counts}, name
        assert len(counts) == min(FACET_TOP, len(truth[name])), name
        assert min(counts.values(), default=0) >= max(
            (v for k, v in truth[name].items() if k not in counts), default=0
        )


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_sort_by_date_and_paging_cover_every_match_once(
    index: CableIndex, by_id: dict[str, Cable], sort: Literal["date", "-date"]
) -> None:
    query = "origin:mexico"
    pages = [search(index, query, sort=sort, limit=7, offset=o, facets=False) for o in range(0, 60, 7)]
    got = [h["id"] for p in pages for h in p.hits]
    assert sorted(got) == sorted(ids_of(index, query)) and len(got) == len(set(got))
    dates = [by_id[i].created for i in got]
    assert dates == sorted(dates, reverse=sort == "-date")  # type: ignore[type-var]


def test_relevance_scores_descend_and_offset_continues_the_list(index: CableIndex) -> None:
    full = search(index, "cartels violence", limit=10, facets=False).hits
    assert [h["score"] for h in full] == sorted((h["score"] for h in full), reverse=True)
    page2 = search(index, "cartels violence", limit=5, offset=5, facets=False).hits
    assert [h["id"] for h in page2] == [h["id"] for h in full[5:]]


def test_paragraph_mode_returns_secret_paragraphs_on_cartels_from_mexico(
    index: CableIndex, by_id: dict[str, Cable]
) -> None:
    res = search(index, "cartels marking:S origin:mexico", paragraphs=True, limit=100)
    expected = {
        (c.id, p.n) for c in by_id.values() if c.origin == "Embassy Mexico"
        for p in c.paragraphs
        if p.marking and textnorm.normalize_marking(p.marking).split("//")[0] == "S" and "cartels" in textnorm.terms(p.text)
    }  # fmt: skip
    got = {(h["id"], h["paragraph"]) for h in res.hits}
    assert got == expected and res.total == len(expected)
    for h in res.hits:
        assert h["marking"].startswith("S")
        assert [h["text"][s:e].lower() for s, e in h["highlights"]] == ["cartels"] * len(h["highlights"])


def test_marking_with_caveat_is_narrower_than_the_level(index: CableIndex) -> None:
    level = search(index, "marking:S", paragraphs=True, limit=0).total
    nf = search(index, "marking:S//NF", paragraphs=True, limit=0).total
    assert 0 < nf < level


def test_snippet_highlights_point_at_query_words(index: CableIndex) -> None:
    for hit in search(index, "sedena OR semar", limit=20).hits:
        snip = hit["snippet"]
        assert len(snip["text"]) <= 320
        assert snip["highlights"], hit["id"]
        for s, e in snip["highlights"]:
            assert textnorm.terms(snip["text"][s:e])[0] in {"sedena", "semar"}


def test_filter_only_query_shows_the_first_paragraph(index: CableIndex, by_id: dict[str, Cable]) -> None:
    snip = search(index, "id:10MEXICO83").hits[0]["snippet"]
    first = next(p for p in by_id["10MEXICO83"].paragraphs if p.text.strip())
    assert snip["paragraph"] == first.n and snip["highlights"] == []


def test_batch_search_gives_one_line_per_query_with_errors_inline(index: CableIndex) -> None:
    out = list(
        batch_search(index, ["Calderon", "", "# comment", "orign:mexico", '"zero-sum competition"'], top=2)
    )
    assert [r["query"] for r in out] == ["Calderon", "orign:mexico", '"zero-sum competition"']
    assert out[0]["total"] >= 10 and len(out[0]["hits"]) == 2
    assert out[1]["error"]["position"] == 0 and out[1]["error"]["suggestion"] == "origin:"
    assert "10MEXICO83" in {h["id"] for h in out[2]["hits"]} or out[2]["total"] > 2

"""Collections enforced by the library: nothing outside a user's collections leaks, not even a count."""

from __future__ import annotations

import json

import pytest
from server_kit import BERLIN_Q, MEXICO_Q, Server

from cabledesk.desk import Desk, export_string
from cabledesk.errors import NotFoundError
from cabledesk.server import access
from cabledesk.server.accounts import Accounts
from cabledesk.web.cableview import cited_by

#: Matches every cable of the corpus (the query language has no empty query).
ALL = "year:1960..2011"


@pytest.fixture(scope="module")
def truth(server_db: Server) -> dict[str, set[str]]:
    """Ids of each collection, computed from the unscoped library (independently of the filter)."""
    with Desk(server_db.url, readonly=True) as d:
        return {"mexico": set(d.matching_ids(MEXICO_Q)), "berlin": set(d.matching_ids(BERLIN_Q)),
                "all": set(d.store.ids())}  # fmt: skip


def scoped(desk: Desk, accounts: Accounts, name: str) -> access.ScopedDesk:
    return access.scoped_desk(desk, accounts, accounts.user(name))


def test_each_newsroom_sees_exactly_its_collections(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    assert truth["mexico"] and truth["berlin"] and not truth["mexico"] & truth["berlin"]
    assert set(scoped(desk, accounts, "ana").store.ids()) == truth["mexico"]
    assert set(scoped(desk, accounts, "kai").store.ids()) == truth["berlin"]
    assert list(scoped(desk, accounts, "nil").store.ids()) == []


def test_search_hits_and_totals_count_only_allowed_cables(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    ana = scoped(desk, accounts, "ana")
    everything = desk.search(ALL, limit=2000, facets=False)
    mine = ana.search(ALL, limit=2000, facets=False)
    assert everything.total == len(truth["all"]) > mine.total == len(truth["mexico"])
    assert {h["id"] for h in mine.hits} == truth["mexico"]
    res = ana.search("embassy", limit=2000, paragraphs=True, facets=False)
    assert res.hits and {h["id"] for h in res.hits} <= truth["mexico"]


def test_facet_counts_never_count_outside_cables(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    kai = scoped(desk, accounts, "kai")
    for q in (ALL, "government", "NOT origin:berlin"):  # tiny, large and complementary matches
        res = kai.search(q, limit=0, facets=True)
        origins = res.facets.get("origin", {})
        assert sum(res.facets.get("year", {}).values()) == res.total
        assert set(origins) <= {"Embassy Berlin"}, (q, origins)
    assert kai.search("NOT origin:berlin", limit=0).total == 0


def test_stats_count_only_allowed_cables(desk: Desk, accounts: Accounts, truth: dict[str, set[str]]) -> None:
    stats = scoped(desk, accounts, "ana").stats()
    assert stats["cables"] == len(truth["mexico"]) == sum(stats["year"].values())
    expected = desk.store.stats()
    assert (
        stats["origin"] == {k: v for k, v in expected["origin"].items() if "Mexico" in k} or stats["origin"]
    )
    assert set(stats["origin"]) <= set(expected["origin"]) and "Embassy Berlin" not in stats["origin"]


def test_outside_cable_is_not_found_exactly_like_an_absent_one(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    kai = scoped(desk, accounts, "kai")
    outside = sorted(truth["mexico"])[0]
    with pytest.raises(NotFoundError) as hidden:
        kai.cable(outside)
    with pytest.raises(NotFoundError) as absent:
        kai.cable("99NOWHERE1")
    assert str(hidden.value).replace(outside, "X") == str(absent.value).replace("99NOWHERE1", "X")
    assert not kai.store.has(outside) and kai.store.get_many([outside]) == {}


def test_cited_by_lists_and_counts_only_allowed_citing_cables(desk: Desk, accounts: Accounts) -> None:
    cited = desk.store._all("SELECT target_id FROM refs WHERE target_id IS NOT NULL GROUP BY 1 "
                            "ORDER BY count(*) DESC LIMIT 20")  # fmt: skip
    ana = scoped(desk, accounts, "ana")
    for (target,) in cited:
        total, hits = cited_by(ana, target, limit=5000)
        _full_total, full_hits = cited_by(desk, target, limit=5000)
        assert {h["id"] for h in hits} == {h["id"] for h in full_hits} & ana.allowed
        assert total == len(set(desk.matching_ids(f"cites:{target}")) & ana.allowed)


def test_export_holds_only_allowed_cables(desk: Desk, accounts: Accounts, truth: dict[str, set[str]]) -> None:
    lines = export_string(scoped(desk, accounts, "ana")).splitlines()
    assert {json.loads(x)["id"] for x in lines} == truth["mexico"]
    assert export_string(scoped(desk, accounts, "ana"), query=BERLIN_Q) == ""


def test_revoking_a_grant_hides_the_collection_at_once(desk: Desk, accounts: Accounts) -> None:
    access.create_collection(accounts, "temp-berlin", "query", BERLIN_Q)
    access.grant(accounts, "Nobody", "temp-berlin")
    assert scoped(desk, accounts, "nil").store.count() > 0
    access.revoke(accounts, "Nobody", "temp-berlin")
    assert scoped(desk, accounts, "nil").store.count() == 0


def test_a_source_collection_holds_every_cable_of_that_input(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    mirror = access.collection(accounts, "mirror")
    assert access.allowed_ids(desk, [mirror]) == truth["all"]


def test_raw_sql_reference_queries_see_only_allowed_rows(
    desk: Desk, accounts: Accounts, truth: dict[str, set[str]]
) -> None:
    from cabledesk.enrich import references

    ana = scoped(desk, accounts, "ana")
    assert ana.store._all("SELECT count(*) FROM cables")[0][0] == len(truth["mexico"])
    assert {r[0] for r in ana.store._all("SELECT DISTINCT cable_id FROM refs")} <= truth["mexico"]
    counts = ana.store._all("SELECT count(*) FROM paragraphs p JOIN cables c ON c.id = p.cable_id")[0][0]
    assert 0 < counts < desk.store._all("SELECT count(*) FROM paragraphs")[0][0]
    targets = {r[0] for r in desk.store._all("SELECT target_id FROM refs WHERE target_id IS NOT NULL")}
    for target in sorted(targets)[:30]:
        assert {c["id"] for c in references.cited_by(ana.store, target)} <= truth["mexico"]
    assert desk.store._all("SELECT count(*) FROM cables")[0][0] == len(truth["all"])  # views were dropped


# The route x role x membership matrix lives in test_access_matrix.py (every route of the app).


def test_two_newsrooms_with_as_many_cables_never_share_cached_facet_counts(desk: Desk) -> None:
    # The all-documents facet counts are cached per index commit; a scoped search's entry is keyed
    # by its allowed ids, so a newsroom with the same NUMBER of cables never gets another's counts.
    ids = sorted(desk.store.ids())
    first, second = frozenset(ids[:300]), frozenset(ids[-300:])
    for allowed in (first, second, first):
        mine = access.ScopedDesk(desk, allowed)
        res = mine.search(ALL, limit=0, facets=True)  # matches all: the cached all-documents path
        years: dict[str, int] = {}
        for cable in desk.store.get_many(sorted(allowed)).values():
            years[str(cable.created.year)] = years.get(str(cable.created.year), 0) + 1
        assert res.total == len(allowed)
        assert res.facets["year"] == dict(sorted(years.items(), key=lambda kv: (-kv[1], kv[0]))[:50])

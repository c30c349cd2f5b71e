"""References resolved against the real corpus, each checked against the cable page's own REF line."""

from __future__ import annotations

import gzip
import html
import lzma
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cabledesk.desk import Desk
from cabledesk.enrich import references as R
from cabledesk.errors import NotFoundError, StoreError
from cabledesk.store import SQLiteStore
from tests.conftest import MANIFEST

_TAG = re.compile(r"<[^>]+>")


def ref_line(cable_page: Any, cable_id: str) -> str:
    """The REF line of a cable as the mirror page shows it (tags stripped, entities decoded)."""
    text = html.unescape(_TAG.sub("", cable_page(cable_id).read_text(encoding="utf-8")))
    m = re.search(r"^[ \t]*(?:REFTEL|REFS|REF|Ref)[ \t]*:(.*?)\n[ \t]*\n", text, re.M | re.S)
    assert m, f"no REF line on the page of {cable_id}"
    return " ".join(m.group(1).split())


def sql(store: SQLiteStore, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """An independent query on the database file (not through the module under test)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def test_08brasilia429_cites_08brasilia236_as_on_its_ref_line(store: SQLiteStore, cable_page: Any) -> None:
    assert "BRASILIA 236" in ref_line(cable_page, "08BRASILIA429")
    got = {c["id"]: c for c in R.cites(store, "08BRASILIA429")}
    assert "08BRASILIA236" in got
    assert got["08BRASILIA236"]["in_corpus"] is store.has("08BRASILIA236")
    assert got["08BRASILIA236"]["kind"] == "cable"


def test_08brasilia429_keeps_its_dtg_item_typed_without_id(store: SQLiteStore, cable_page: Any) -> None:
    assert "DTG 251847Z MAR 08" in ref_line(cable_page, "08BRASILIA429")
    dtg = [c for c in R.cites(store, "08BRASILIA429") if "251847Z" in c["raw"]]
    assert len(dtg) == 1 and dtg[0]["id"] is None and dtg[0]["kind"] == "dtg" and dtg[0]["in_corpus"] is False


def test_08oslo670_cites_three_earlier_oslo_cables_all_in_corpus(store: SQLiteStore, cable_page: Any) -> None:
    line = ref_line(cable_page, "08OSLO670")
    for serial in ("629", "585", "522"):
        assert f"OSLO {serial}" in line
    got = R.cites(store, "08OSLO670")
    assert [c["id"] for c in got] == ["08OSLO629", "08OSLO585", "08OSLO522"]  # order of the REF line
    assert [c["label"] for c in got] == ["A", "B", "C"]
    assert all(c["in_corpus"] and store.has(c["id"]) for c in got)
    assert all(c["year_source"] == "inferred" for c in got)  # the line writes no year


def test_08london1115_is_cited_by_08london1350_and_08london1412_oldest_first(
    store: SQLiteStore, cable_page: Any
) -> None:
    for citing in ("08LONDON1350", "08LONDON1412"):
        assert "LONDON 1115" in ref_line(cable_page, citing)
    got = R.cited_by(store, "08LONDON1115")
    ids = [c["id"] for c in got]
    assert {"08LONDON1350", "08LONDON1412"} <= set(ids)
    created = [store.get(i).created for i in ids]
    assert None not in created
    assert created == sorted(c for c in created if c is not None)
    assert got[ids.index("08LONDON1350")]["subject"] == store.get("08LONDON1350").subject


def test_10berlin180_cites_10berlin176_and_10berlin128(store: SQLiteStore, cable_page: Any) -> None:
    line = ref_line(cable_page, "10BERLIN180")
    assert "BERLIN 176" in line and "BERLIN 128" in line
    got = {c["id"]: c for c in R.cites(store, "10BERLIN180")}
    assert {"10BERLIN176", "10BERLIN128"} <= set(got)
    for cid in ("10BERLIN176", "10BERLIN128"):
        assert got[cid]["in_corpus"] is store.has(cid)


def test_01pretoria1173_year_prefixed_refs_keep_their_written_year(
    store: SQLiteStore, cable_page: Any
) -> None:
    line = ref_line(cable_page, "01PRETORIA1173")
    assert "99 PRETORIA 12315" in line and "00 CAPE TOWN 2150" in line
    got = {c["id"]: c for c in R.cites(store, "01PRETORIA1173")}
    assert got["99PRETORIA12315"]["year_source"] == "stated"
    assert got["00CAPETOWN2150"]["year_source"] == "stated"
    unprefixed = [c for c in got.values() if not re.search(r"\b\d{2} [A-Z]", c["raw"])]
    assert unprefixed and all(c["year_source"] == "inferred" and c["id"].startswith("01") for c in unprefixed)


def test_72tehran1164_colon_separated_refs_are_three_cables(store: SQLiteStore, cable_page: Any) -> None:
    assert ref_line(cable_page, "72TEHRAN1164").startswith("TEHRAN 1091: TEHRAN 263: MOSCOW 1603")
    assert [c["id"] for c in R.cites(store, "72TEHRAN1164")] == [
        "72TEHRAN1091",
        "72TEHRAN263",
        "72MOSCOW1603",
    ]


def test_email_item_of_08london1115_stays_typed(store: SQLiteStore, cable_page: Any) -> None:
    assert "EMAIL" in ref_line(cable_page, "08LONDON1115")
    emails = [c for c in R.cites(store, "08LONDON1115") if c["kind"] == "email"]
    assert len(emails) == 1 and emails[0]["id"] is None


def test_cites_of_an_unknown_cable_raises_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        R.cites(store, "99NOWHERE1")


def test_cited_by_traces_a_cable_absent_from_the_corpus(store: SQLiteStore) -> None:
    absent = sql(
        store,
        "SELECT target_id, count(DISTINCT cable_id) FROM refs WHERE target_id NOT IN (SELECT id FROM cables) "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )[0]
    assert not store.has(absent[0])
    assert len(R.cited_by(store, absent[0])) == absent[1]


def test_citedby_ids_are_the_in_corpus_cables_08oslo670_cites(store: SQLiteStore, refs_db: Path) -> None:
    want = sorted(
        r[0]
        for r in sql(store, "SELECT DISTINCT target_id FROM refs WHERE cable_id = '08OSLO670'")
        if store.has(r[0])
    )
    assert R.citedby_ids(store, "08OSLO670") == want
    with Desk(refs_db, readonly=True) as desk:
        assert R.citedby_ids(desk, "08oslo670") == want


def test_citedby_ids_from_an_index_without_stored_cites_says_to_pass_the_store(refs_db: Path) -> None:
    with Desk(refs_db, readonly=True) as desk:
        with pytest.raises(StoreError, match="SQLiteStore"):
            R.citedby_ids(desk.index, "08OSLO670")


def test_unreleased_counts_match_an_independent_count_and_the_shared_manifest(store: SQLiteStore) -> None:
    with gzip.open(MANIFEST, "rt") as fh:
        manifest = {line.split(",", 1)[0] for line in fh if line.strip()}
    counts = dict(
        sql(
            store,
            "SELECT target_id, count(DISTINCT cable_id) FROM refs WHERE target_id IS NOT NULL "
            "AND target_id NOT IN (SELECT id FROM cables) GROUP BY 1",
        )
    )
    got = R.unreleased(store)
    assert {u["id"]: u["cited_by"] for u in got} == counts
    assert all(u["in_manifest"] is (u["id"] in manifest) for u in got)
    assert [u["cited_by"] for u in got] == sorted((u["cited_by"] for u in got), reverse=True)
    assert R.unreleased(store, limit=5) == got[:5]


def test_packed_manifest_holds_exactly_the_shared_manifest_ids_under_1_mb() -> None:
    with gzip.open(MANIFEST, "rt") as fh:
        manifest = {line.split(",", 1)[0] for line in fh if line.strip()}
    packed = resources.files("cabledesk").joinpath("data/manifest-ids.txt.xz").read_bytes()
    assert len(packed) < 1_000_000
    assert set(lzma.decompress(packed).decode().split()) == manifest == R.manifest_ids()


def test_unparsed_refs_lists_every_item_without_a_well_formed_id(store: SQLiteStore) -> None:
    total = sql(store, "SELECT count(*) FROM refs WHERE target_id IS NULL")[0][0]
    got = R.unparsed_refs(store)
    assert len(got) == total
    white_house = [u for u in got if u["cable_id"] == "09BAGHDAD1104" and "WHITE HOUSE 853" in u["raw"]]
    assert len(white_house) == 1 and white_house[0]["cable_like"]
    like = R.unparsed_refs(store, cable_like_only=True)
    assert white_house[0] in like and all(u["cable_like"] for u in like) and len(like) < len(got)


def test_reference_stats_agree_with_an_independent_count(store: SQLiteStore) -> None:
    s = R.reference_stats(store)
    resolved = sql(
        store, "SELECT count(*) FROM refs WHERE kind = 'cable' AND target_id GLOB '[0-9][0-9][A-Z]*'"
    )[0][0]
    present = sql(store, "SELECT count(*) FROM refs r JOIN cables c ON c.id = r.target_id")[0][0]
    assert s["items"] == sql(store, "SELECT count(*) FROM refs")[0][0]
    assert s["resolved"] == resolved
    assert s["in_corpus"] == present
    assert s["in_corpus_rate"] == pytest.approx(present / resolved, abs=1e-4)
    assert s["resolution_rate"] >= 0.99  # docs/references.md: 1,515 of 1,520 cable-like items
    assert 0.70 <= s["in_manifest_rate"] <= 0.80  # docs/references.md: ~73 % found in the manifest

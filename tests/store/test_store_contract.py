"""What every Store backend must do, proved on real cables (runs once per backend in BACKENDS)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import islice

import pytest
from store_kit import StoreFactory, StoreUnderTest

from cabledesk.errors import NotFoundError
from cabledesk.model import Cable, ClassifiedBy, Conflict, Declassify, Paragraph, Reference

SRC = "/data/cablegate-2010-12-mirror.tar.gz"


def triples(cables: list[Cable], source: str = SRC) -> list[tuple[Cable, str, str]]:
    return [(c, source, f"cable/{c.id}.html") for c in cables]


def edited(cable: Cable, note: str = "EDITOR'S NOTE") -> Cable:
    """The same cable with changed telegram text (a re-release with a correction)."""
    return dataclasses.replace(
        cable,
        body=cable.body + f"\n{note}",
        paragraphs=[*cable.paragraphs, Paragraph(n=None, marking=None, text=note)],
        tags=["KCORRECTED", *cable.tags[:1]],
        references=[
            Reference(raw="A. 10 STATE 1", id="10STATE1", year_source="stated", kind="cable", label="A")
        ],
    )


def full_cable(base: Cable) -> Cable:
    """A real cable with every optional field filled, so the round trip covers each one."""
    return dataclasses.replace(
        base,
        id="99FULLFIELDS1",
        caveats=["NOFORN", "SIPDIS"],
        precedence="NIACT IMMEDIATE",
        dtg="292049Z JAN 10",
        from_="AMEMBASSY MEXICO",
        to=["RUEHC/SECSTATE WASHDC IMMEDIATE 0250", "RHEHNSC/NSC WASHDC"],
        info=["RUEHME/AMCONSUL MONTERREY"],
        tags=["PGOV", "(CLINTON, HILLARY)", "Organized Crime"],
        subject="MEXICO: ¿QUÉ PASA? — «quoted» 中文",
        subject_marking="C/NF",
        references=[
            Reference(
                raw="A. 09 MEXICO 3125", id="09MEXICO3125", year_source="stated", kind="cable", label="A"
            ),
            Reference(raw="B) TSOU-NEA EMAILS/TELCONS", kind="email", label="B"),
        ],
        classified_by=ClassifiedBy(
            text="Amb. X, reasons 1.4 (b/d)", name="X", title="Amb.", reasons=["1.4(b)"]
        ),
        declassify=Declassify(
            raw="E.O. 12958: DECL: 01/29/2020", date=base.created.date() if base.created else None
        ),
        signer="FEELEY",
        paragraphs=[Paragraph(n=1, marking="S//NF", text="First."), Paragraph(n=None, marking=None, text="")],
        conflicts=[
            Conflict(field="origin", metadata="Embassy Mexico", telegram="AMEMBASSY ISLAMABAD", note="n")
        ],
    )


def test_every_field_round_trips_through_the_store(store: StoreUnderTest, real_cables: list[Cable]) -> None:
    cables = [*real_cables, full_cable(real_cables[0])]
    store.add_many(triples(cables))
    for cable in cables:
        assert store.get(cable.id).to_dict() == cable.to_dict(), cable.id
    assert {c.id: c.to_dict() for c in store.get_many(c.id for c in cables).values()} == {
        c.id: c.to_dict() for c in cables
    }


def test_sample_of_real_cables_exercises_every_optional_field(real_cables: list[Cable]) -> None:
    empty = [f.name for f in dataclasses.fields(Cable) if not any(getattr(c, f.name) for c in real_cables)]
    assert empty == []


def test_non_ascii_and_lone_surrogates_round_trip_exactly(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    odd = dataclasses.replace(real_cables[0], id="99ODD1", body="café ¶ “x” \udcff tail", subject="\ud800x")
    store.add_many(triples([odd]))
    assert store.get("99ODD1").to_dict() == odd.to_dict()
    assert store.get("99ODD1").content_hash() == odd.content_hash()


def test_new_cables_are_ingested_and_ledger_follows_input_order(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    entries = store.add_many(triples(real_cables))
    assert [e.cable_id for e in entries] == [c.id for c in real_cables]
    assert {e.status for e in entries} == {"ingested"}
    assert all(e.at and e.content_hash == c.content_hash() for e, c in zip(entries, real_cables, strict=True))
    assert store.count() == len(real_cables)
    assert list(store.ids()) == sorted(c.id for c in real_cables)
    assert store.content_hashes() == {c.id: c.content_hash() for c in real_cables}


def test_reingesting_the_same_cables_marks_duplicates_and_adds_no_version(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    store.add_many(triples(real_cables))
    again = store.add_many(triples(real_cables, source="/elsewhere/copy.tar.gz"))
    assert {e.status for e in again} == {"duplicate"}
    assert store.count() == len(real_cables)
    assert all(len(store.versions(c.id)) == 1 for c in real_cables)
    assert store.versions(real_cables[0].id)[0]["source"] == SRC  # the first input stays the source
    assert store.ledger_counts() == {
        "ingested": len(real_cables),
        "duplicate": len(real_cables),
        "updated": 0,
        "failed": 0,
    }


def test_changed_text_becomes_version_2_and_version_1_stays_retrievable(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    original = real_cables[3]
    store.add_many(triples(real_cables))
    [entry] = store.add_many([(edited(original), "/second/release", "x.html")])
    assert entry.status == "updated"
    assert store.get(original.id).to_dict() == edited(original).to_dict()
    assert store.get(original.id, version=1).to_dict() == original.to_dict()
    assert store.get(original.id, version=2).to_dict() == edited(original).to_dict()
    history = store.versions(original.id)
    assert [(v["version"], v["content_hash"], v["source"]) for v in history] == [
        (1, original.content_hash(), SRC),
        (2, edited(original).content_hash(), "/second/release"),
    ]
    assert store.count() == len(real_cables)
    assert store.content_hashes()[original.id] == edited(original).content_hash()


def test_update_replaces_tags_and_references_in_queries(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    original = next(c for c in real_cables if c.tags)
    store.add_many(triples([original]))
    store.add_many(triples([edited(original)]))
    assert store.stats()["tag"] == dict(Counter(edited(original).tags))


def test_same_id_twice_in_one_batch(store: StoreUnderTest, real_cables: list[Cable]) -> None:
    a, b = real_cables[0], real_cables[1]
    entries = store.add_many([(a, SRC, "1"), (edited(a), SRC, "2"), (b, SRC, "3"), (b, SRC, "4")])
    assert [e.status for e in entries] == ["ingested", "updated", "ingested", "duplicate"]
    assert store.get(a.id).to_dict() == edited(a).to_dict()
    assert store.get(a.id, version=1).to_dict() == a.to_dict()
    assert [v["item"] for v in store.versions(a.id)] == ["1", "2"]
    assert store.count() == 2


def test_reverting_to_old_text_is_a_new_version(store: StoreUnderTest, real_cables: list[Cable]) -> None:
    a = real_cables[0]
    statuses = [e.status for e in store.add_many([(a, SRC, "1"), (edited(a), SRC, "2"), (a, SRC, "3")])]
    assert statuses == ["ingested", "updated", "updated"]
    assert store.get(a.id).to_dict() == a.to_dict()
    assert len(store.versions(a.id)) == 3


def test_failures_are_recorded_with_their_reason(store: StoreUnderTest) -> None:
    entries = store.record_failures([(SRC, "cable/junk.bin", "binary junk, not a cable page")])
    assert [(e.status, e.item, e.reason, e.cable_id) for e in entries] == [
        ("failed", "cable/junk.bin", "binary junk, not a cable page", None)
    ]
    assert entries[0].at
    assert store.ledger(failed_only=True) == entries
    assert store.count() == 0


def test_ledger_filters_limits_and_counts(store: StoreUnderTest, real_cables: list[Cable]) -> None:
    store.add_many(triples(real_cables[:5]))
    store.record_failures([(SRC, f"bad{i}", "empty file") for i in range(3)])
    store.add_many(triples(real_cables[:2]))
    store.add_many(triples([edited(real_cables[2])]))
    ledger = store.ledger()
    assert [e.status for e in ledger] == ["ingested"] * 5 + ["failed"] * 3 + ["duplicate"] * 2 + ["updated"]
    assert [e.item for e in store.ledger(failed_only=True)] == ["bad0", "bad1", "bad2"]
    assert store.ledger(limit=4) == ledger[:4]
    assert [e.item for e in store.ledger(failed_only=True, limit=1)] == ["bad0"]
    assert store.ledger_counts() == {"ingested": 5, "duplicate": 2, "updated": 1, "failed": 3}


def test_seen_items_lists_every_settled_item_of_one_source(
    store: StoreUnderTest, real_cables: list[Cable]
) -> None:
    store.add_many(triples(real_cables[:4]))
    store.record_failures([(SRC, "junk.bin", "not a cable")])
    store.add_many(triples(real_cables[4:6], source="/other"))
    assert store.seen_items(SRC) == {f"cable/{c.id}.html" for c in real_cables[:4]} | {"junk.bin"}
    assert store.seen_items("/other") == {f"cable/{c.id}.html" for c in real_cables[4:6]}
    assert store.seen_items("/never") == set()


def test_stats_equal_counts_computed_from_the_cables(store: StoreUnderTest, all_cables: list[Cable]) -> None:
    store.add_many(triples(all_cables))

    def expect(values: list[object]) -> dict[object, int]:
        return dict(Counter(v for v in values if v is not None))

    stats = store.stats()
    assert stats["cables"] == len({c.id for c in all_cables})
    assert stats["classification"] == expect([c.classification_label for c in all_cables])
    assert stats["level"] == expect([c.classification for c in all_cables])
    assert stats["origin"] == expect([c.origin for c in all_cables])
    assert stats["year"] == expect([c.year for c in all_cables])
    assert stats["tag"] == expect([t for c in all_cables for t in set(c.tags)])
    for facet in ("classification", "level", "origin", "year", "tag"):
        counts = list(stats[facet].values())
        assert counts == sorted(counts, reverse=True), facet


def test_iter_cables_streams_every_current_cable_in_id_order(
    store: StoreUnderTest, all_cables: list[Cable]
) -> None:
    for start in range(0, len(all_cables), 500):
        store.add_many(triples(all_cables[start : start + 500]))
    store.add_many(triples([edited(all_cables[7])]))
    expected = {c.id: c.to_dict() for c in all_cables} | {all_cables[7].id: edited(all_cables[7]).to_dict()}
    stream = store.iter_cables(batch_size=50)
    first = list(islice(stream, 3))
    got = [*first, *stream]
    assert [c.id for c in got] == sorted(expected)
    assert all(c.to_dict() == expected[c.id] for c in got)


def test_unknown_ids_raise_not_found_or_are_absent(store: StoreUnderTest, real_cables: list[Cable]) -> None:
    store.add_many(triples(real_cables[:2]))
    with pytest.raises(NotFoundError, match="99NOWHERE1"):
        store.get("99NOWHERE1")
    with pytest.raises(NotFoundError):
        store.get(real_cables[0].id, version=2)
    with pytest.raises(NotFoundError):
        store.versions("99NOWHERE1")
    assert store.has(real_cables[0].id) and not store.has("99NOWHERE1")
    assert set(store.get_many([real_cables[0].id, "99NOWHERE1"])) == {real_cables[0].id}


def test_empty_batches_write_nothing(store: StoreUnderTest) -> None:
    assert store.add_many([]) == []
    assert store.record_failures([]) == []
    assert store.ledger() == [] and store.count() == 0


def test_cables_survive_close_and_reopen(store_factory: StoreFactory, real_cables: list[Cable]) -> None:
    first = store_factory()
    first.add_many(triples(real_cables))
    first.close()
    again = store_factory()
    assert again.count() == len(real_cables)
    assert again.get(real_cables[5].id).to_dict() == real_cables[5].to_dict()
    assert again.ledger_counts()["ingested"] == len(real_cables)

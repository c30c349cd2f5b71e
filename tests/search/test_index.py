"""The index is derived data: upserts replace, deletes remove, it reopens, and rebuilds on a new schema."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cabledesk.model import Cable
from cabledesk.search import search
from cabledesk.store.index import CableIndex


def _sample(by_id: dict[str, Cable]) -> list[Cable]:
    return [by_id[i] for i in ("10MEXICO83", "09MEXICO193", "09MOSCOW1591", "79TEHRAN8980")]


def test_adding_a_cable_again_replaces_it_and_its_paragraphs(tmp_path: Path, by_id: dict[str, Cable]) -> None:
    with CableIndex(tmp_path / "ix") as ix:
        ix.add(_sample(by_id))
        ix.commit()
        before = ix.stats()
        changed = replace(by_id["10MEXICO83"], subject="Renamed scenesetter")
        ix.add([changed, by_id["09MEXICO193"]])
        ix.commit()
        assert ix.count() == 4 and ix.stats() == before
        assert ix.ids() == {"10MEXICO83", "09MEXICO193", "09MOSCOW1591", "79TEHRAN8980"}
        assert search(ix, "subject:renamed").hits[0]["id"] == "10MEXICO83"


def test_delete_and_clear_remove_cables_and_paragraphs(tmp_path: Path, by_id: dict[str, Cable]) -> None:
    with CableIndex(tmp_path / "ix") as ix:
        ix.add(_sample(by_id))
        ix.commit()
        ix.delete(["10MEXICO83"])
        ix.commit()
        assert "10MEXICO83" not in ix.ids() and ix.count() == 3
        assert (
            search(ix, "sedena", paragraphs=True).total
            == search(ix, "sedena -id:10MEXICO83", paragraphs=True).total
        )
        ix.clear()
        assert ix.count() == 0 and ix.ids() == set() and ix.stats()["paragraphs"] == 0


def test_uncommitted_adds_are_invisible_and_dropped_on_close(tmp_path: Path, by_id: dict[str, Cable]) -> None:
    ix = CableIndex(tmp_path / "ix")
    ix.add(_sample(by_id))
    assert ix.count() == 0
    ix.close()
    with CableIndex(tmp_path / "ix") as again:
        assert again.count() == 0


def test_committed_index_reopens_and_searches_without_the_database(
    tmp_path: Path, by_id: dict[str, Cable]
) -> None:
    with CableIndex(tmp_path / "ix") as ix:
        ix.add(_sample(by_id))
        ix.commit()
    with CableIndex(tmp_path / "ix") as ix:
        hit = search(ix, '"zero-sum competition" origin:mexico').hits[0]
        assert hit["id"] == "10MEXICO83" and hit["subject"].startswith("Scenesetter")


def test_an_index_of_another_schema_version_is_rebuilt_empty(tmp_path: Path, by_id: dict[str, Cable]) -> None:
    with CableIndex(tmp_path / "ix") as ix:
        ix.add(_sample(by_id))
        ix.commit()
    (tmp_path / "ix" / "cabledesk-index.json").write_text(json.dumps({"schema": -1}))
    with CableIndex(tmp_path / "ix") as ix:
        assert ix.rebuilt and ix.count() == 0


def test_the_whole_corpus_is_indexed_once(index: CableIndex, cables: list[Cable]) -> None:
    assert index.count() == len(cables) == 1295
    assert index.ids() == {c.id for c in cables}
    assert index.stats()["paragraphs"] >= sum(1 for c in cables for p in c.paragraphs if p.text.strip())


def test_an_unreadable_version_file_never_wipes_the_index(tmp_path, cable_page) -> None:
    # Several app processes open the same index; one must never delete it because it caught the
    # version file half-written by another.
    from cabledesk.readers import read_source
    from cabledesk.telegram import parse

    cable = parse(next(iter(read_source(cable_page("10MEXICO83")))))
    with CableIndex(tmp_path / "ix") as ix:
        ix.add([cable])
        ix.commit()
    (tmp_path / "ix" / "cabledesk-index.json").write_text('{"sche')  # a torn write
    with CableIndex(tmp_path / "ix") as again:
        assert not again.rebuilt and again.count() == 1
    assert (tmp_path / "ix" / "cabledesk-index.json").read_text().startswith('{"schema"')

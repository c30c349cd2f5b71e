"""The write path's fast serialisers give exactly what the plain, slow ones give."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from cabledesk.model import Cable
from cabledesk.store.codec import ZSTD_MAGIC, decompress
from cabledesk.store.index import _documents, cable_documents
from cabledesk.store.sqlite import SQLiteStore, prepare_cable


def _asdict_contract(c: Cable) -> dict[str, object]:
    """The JSON contract built the slow way: dataclasses.asdict on every part."""
    d = c.to_dict()
    d["references"] = [dataclasses.asdict(r) for r in c.references]
    d["classified_by"] = dataclasses.asdict(c.classified_by) if c.classified_by else None
    d["paragraphs"] = [dataclasses.asdict(p) for p in c.paragraphs]
    d["conflicts"] = [dataclasses.asdict(x) for x in c.conflicts]
    return d


def test_to_dict_equals_asdict_of_every_part_on_every_real_cable(all_cables: list[Cable]) -> None:
    for c in all_cables:
        assert c.to_dict() == _asdict_contract(c), c.id


def test_to_dict_copies_lists_so_callers_cannot_change_the_cable(all_cables: list[Cable]) -> None:
    c = next(c for c in all_cables if c.classified_by and c.classified_by.reasons)
    d = c.to_dict()
    d["classified_by"]["reasons"].append("1.4(z)")
    assert "1.4(z)" not in c.classified_by.reasons


def test_stored_record_is_the_stdlib_json_of_the_contract(all_cables: list[Cable]) -> None:
    for c in all_cables[:200]:
        data = prepare_cable(c).data
        assert data[:4] == ZSTD_MAGIC, c.id
        stored = decompress(data).decode("utf-8")
        assert json.loads(stored) == json.loads(json.dumps(c.to_dict(), ensure_ascii=False)), c.id


def test_index_documents_are_the_stdlib_json_of_the_fields(all_cables: list[Cable]) -> None:
    for c in all_cables[:200]:
        cable, paras = _documents(c)
        _id, cable_doc, para_docs = cable_documents(c)
        assert json.loads(cable_doc) == json.loads(json.dumps(cable, ensure_ascii=False)), c.id
        assert [json.loads(d) for d in para_docs] == [json.loads(json.dumps(p)) for p in paras], c.id


def test_index_documents_of_text_with_a_lone_surrogate_fail_before_reaching_tantivy(
    all_cables: list[Cable],
) -> None:
    odd = dataclasses.replace(all_cables[0], subject="\ud800 subject")
    with pytest.raises(UnicodeEncodeError):
        cable_documents(odd)


def test_records_stored_by_earlier_versions_as_zlib_or_text_still_read(
    all_cables: list[Cable], tmp_path: Path
) -> None:
    zlib_cable, text_cable = all_cables[0], all_cables[1]
    db = tmp_path / "old.db"
    with SQLiteStore(db) as store:
        store.add_many([(zlib_cable, "src", "a"), (text_cable, "src", "b")])
    with sqlite3.connect(db) as conn:  # rewrite the rows as zlib BLOB and as plain TEXT
        for cable, data in (
            (zlib_cable, zlib.compress(json.dumps(zlib_cable.to_dict()).encode(), 1)),
            (text_cable, json.dumps(text_cable.to_dict())),
        ):
            conn.execute("UPDATE cable_versions SET data = ? WHERE cable_id = ?", (data, cable.id))
    with SQLiteStore(db) as store:
        assert store.get(zlib_cable.id) == zlib_cable
        assert store.get(text_cable.id) == text_cable

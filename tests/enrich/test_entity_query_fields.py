"""person:, org: and place: in the query language answer from the entity tables (after enrich)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_entities_kit import ent_db  # noqa: F401  (session fixture: the labelled cables, enriched)

from cabledesk.desk import Desk
from cabledesk.errors import QueryError


def _ids(desk: Desk, q: str) -> set[str]:
    return set(desk.matching_ids(q))


def test_person_field_finds_every_cable_naming_calderon(ent_db: Path) -> None:  # noqa: F811
    with Desk(ent_db, readonly=True) as desk:
        found = _ids(desk, "person:calderon")
        assert {"10MEXICO83", "09MEXICO2882"} <= found
        # Independent check: every such cable's text names him (any spelling the aliases merge).
        for cid in found:
            text = desk.cable(cid).body.lower()
            assert "calder" in text or "fch" in text, cid


def test_org_and_place_fields_filter_like_any_other_field(ent_db: Path) -> None:  # noqa: F811
    with Desk(ent_db, readonly=True) as desk:
        assert "10MEXICO83" in _ids(desk, "org:SEDENA")
        assert "10MEXICO83" in _ids(desk, 'place:"Ciudad Juarez" class:secret')
        assert "10MEXICO83" not in _ids(desk, "org:SEDENA -id:10MEXICO83")


def test_a_person_that_is_not_there_matches_nothing(ent_db: Path) -> None:  # noqa: F811
    with Desk(ent_db, readonly=True) as desk:
        assert _ids(desk, "person:zzyzx") == set()


def test_entity_fields_without_enrich_say_what_to_run(tmp_path: Path, cable_page) -> None:
    with Desk(tmp_path / "plain.db") as desk:
        desk.ingest([cable_page("10MEXICO83")])
        with pytest.raises(QueryError) as err:
            desk.search("sedena person:calderon")
        assert err.value.position == 14 and "enrich" in err.value.message  # at the value, like class:

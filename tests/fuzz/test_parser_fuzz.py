"""Damaged real telegrams: the parser returns a Cable or raises ParseError, never anything else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutate import MUTATIONS, mutate_text

from cabledesk.errors import ParseError
from cabledesk.model import Cable, RawRecord
from cabledesk.telegram import parse, parse_text

_SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(which=st.integers(0, 100), mutations=MUTATIONS)
def test_mutated_real_telegram_gives_a_cable_or_a_parse_error(
    real_texts: list[str], which: int, mutations: list[tuple[str, float, int, str]]
) -> None:
    text = mutate_text(real_texts[which % len(real_texts)], mutations)
    try:
        cable = parse_text(text)
    except ParseError:
        return
    assert isinstance(cable, Cable) and cable.to_dict()["id"] == cable.id


@_SETTINGS
@given(which=st.integers(0, 100), mutations=MUTATIONS, meta_junk=st.dictionaries(
    st.sampled_from(["id", "created", "released", "classification", "origin", "references"]),
    st.text(max_size=30), max_size=4))  # fmt: skip
def test_mutated_record_with_junk_metadata_gives_a_cable_or_a_parse_error(
    real_texts: list[str], which: int, mutations: list[tuple[str, float, int, str]], meta_junk: dict[str, str]
) -> None:
    header, _, body = mutate_text(real_texts[which % len(real_texts)], mutations).partition("\n\n")
    record = RawRecord("fuzz", "item", "csv", body=body, header=header, meta=meta_junk)
    try:
        assert isinstance(parse(record), Cable)
    except ParseError:
        pass

"""Property: parse_text on any text, or on damaged real cables, returns a Cable or raises ParseError."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabledesk.errors import ParseError
from cabledesk.model import Cable
from cabledesk.telegram import parse_text

SAMPLE_IDS = ["10MEXICO83", "03ABUDHABI2641", "09KHARTOUM881", "88BAGHDAD28", "00HARARE6677", "09STATE119085"]
_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _outcome(text: str) -> None:
    try:
        assert isinstance(parse_text(text), Cable)
    except ParseError:
        pass


@_SETTINGS
@given(st.text(max_size=3000))
def test_arbitrary_text_gives_a_cable_or_a_parse_error(text: str) -> None:
    _outcome(text)


_TELEGRAMISH = st.lists(
    st.sampled_from(
        [
            "S E C R E T SECTION 01 OF 02 MEXICO 000083",
            "O R 292049Z JAN 10",
            "FM AMEMBASSY MEXICO",
            "TO RUEHC/SECSTATE WASHDC IMMEDIATE 0250",
            "INFO",
            "TAGS",
            "SUBJECT:",
            "REF: A. 09 MEXICO 12",
            "Classified By: 1.4 (b",
            "1. (C)",
            "2.",
            "MEXICO 00000083 002 OF 005",
            "NNNN",
            "FEELEY",
            "",
            "UUNCLAS",
            "(S//NF)",
            "E.O. 12958: DECL: 99/99/9999",
            "Wednesday, 31 February 2009, 25:61",
        ]
    )
    | st.text(max_size=40),
    max_size=40,
)


@_SETTINGS
@given(_TELEGRAMISH)
def test_telegram_shaped_junk_gives_a_cable_or_a_parse_error(lines: list[str]) -> None:
    _outcome("\n".join(lines))


@pytest.mark.parametrize("cable_id", SAMPLE_IDS)
@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_real_cables_give_a_cable_or_a_parse_error(record_of, cable_id: str, seed: int) -> None:
    rec = record_of(cable_id)
    rnd = random.Random(seed)
    text = list((rec.header or "") + "\n\n" + rec.body)
    for _ in range(rnd.randint(1, 60)):
        op = rnd.random()
        pos = rnd.randrange(len(text) + 1)
        if op < 0.4 and text:
            del text[pos % len(text) : pos % len(text) + rnd.randint(1, 200)]
        elif op < 0.8:
            text.insert(
                pos, rnd.choice(["\n", " ", "(", ")", "/", "0", "X", "S E C R E T ", "Z ", "é", "\x00"])
            )
        else:
            text = text[:pos]  # truncation
    _outcome("".join(text))

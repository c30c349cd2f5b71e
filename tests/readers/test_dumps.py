"""The writers: release quoting and dates, telegram text, mirror page conversion."""

from __future__ import annotations

import io

import pytest

from cabledesk.dumps import (
    CsvRow,
    csv_field,
    iso_to_release_date,
    page_to_csv_row,
    write_csv_rows,
    write_text,
)
from cabledesk.errors import InputError


def test_fields_are_always_quoted_with_backslash_escapes() -> None:
    assert csv_field("") == '""'
    assert csv_field('say "hi"') == '"say \\"hi\\""'
    assert csv_field("C:\\ end\\") == '"C:\\\\ end\\\\"'
    assert csv_field("two\nlines") == '"two\nlines"'


def test_release_dates_drop_zero_padding_except_minutes() -> None:
    assert iso_to_release_date("2010-01-29T20:08") == "1/29/2010 20:08"
    assert iso_to_release_date("1966-12-28T09:05") == "12/28/1966 9:05"
    with pytest.raises(ValueError):
        iso_to_release_date("29/01/2010")


def test_rows_are_written_in_column_order_with_an_optional_header_row() -> None:
    row = CsvRow("7", "1/29/2010 20:08", "10MEXICO83", "Embassy Mexico", "SECRET", "", "H", 'B "x"')
    buf = io.StringIO()
    assert write_csv_rows([row], buf, header_row=True) == 1
    assert buf.getvalue() == (
        '"id","date","reference_id","origin","classification","references","header","body"\n'
        '"7","1/29/2010 20:08","10MEXICO83","Embassy Mexico","SECRET","","H","B \\"x\\""\n'
    )


def test_text_is_header_blank_line_body() -> None:
    assert write_text("VZCZC", "BODY") == "VZCZC\n\nBODY"
    assert write_text(None, "BODY") == write_text("", "BODY") == "BODY"


def test_real_page_becomes_a_release_row(page_bytes) -> None:
    row = page_to_csv_row(page_bytes("10MEXICO83"), 42, references="09MEXICO3125")
    assert (row.sequence, row.created, row.id, row.origin, row.classification, row.references) == (
        "42",
        "1/29/2010 20:08",
        "10MEXICO83",
        "Embassy Mexico",
        "SECRET",
        "09MEXICO3125",
    )
    assert row.header.startswith("VZCZCXRO1882") and row.body.startswith("S E C R E T SECTION 01 OF 05")


def test_a_page_that_is_not_a_cable_is_refused() -> None:
    with pytest.raises(InputError, match="not a cable page"):
        page_to_csv_row("<html></html>", 1)

"""cables.csv (August 2011 dialect) round trips of real cables, header rows, bad rows."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from pathlib import Path

import pytest

from cabledesk.dumps import CsvRow, page_to_csv_row, write_csv_rows
from cabledesk.readers import CsvReleaseReader, pick_reader, read_source
from cabledesk.readers.csv_release import release_date_to_iso


@pytest.fixture(scope="module")
def real_rows(all_pages: list[Path]) -> list[CsvRow]:
    """50 real cables as release rows, made to hold every hard case of the dialect."""
    rows = [page_to_csv_row(p.read_bytes(), i + 1) for i, p in enumerate(all_pages[::25][:50])]
    big = "\n".join(page_to_csv_row(p.read_bytes(), 0).body for p in all_pages[:40])
    assert len(big.encode()) > 128 * 1024
    rows[1].body = big  # one body over 128 KB (the csv module's default field limit)
    rows[2].body += '\nHe said "no" \\ then \\"maybe\\" \\'  # quotes, backslashes, one at field end
    rows[3].header = "\\"  # a field that is a lone backslash
    rows[4].references = "09MEXICO3125|10MEXICO6"
    rows[5].body = "\r\nCRLF line\r\n  trailing spaces  \n"
    return rows


def _write(path: Path, rows: list[CsvRow], header_row: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv_rows(rows, fh, header_row=header_row)
    return path


def _assert_same(records, rows: list[CsvRow], first: int = 1) -> None:
    assert [r.error for r in records] == [None] * len(rows)
    for i, (r, row) in enumerate(zip(records, rows, strict=True), start=first):
        assert r.item == f"row {i}"
        assert (r.body, r.header) == (row.body, row.header)
        assert r.meta["id"] == row.id
        assert r.meta["origin"] == row.origin
        assert r.meta["classification"] == row.classification
        assert r.meta["references"] == row.references
        assert release_date_to_iso(row.created) == r.meta["created"]


@pytest.mark.parametrize("header_row", [False, True], ids=["no-header-row", "header-row"])
def test_real_cables_round_trip_through_cables_csv(real_rows, tmp_path: Path, header_row: bool) -> None:
    path = _write(tmp_path / "cables.csv", real_rows, header_row)
    assert pick_reader(path) is CsvReleaseReader
    records = list(read_source(path))
    _assert_same(records, real_rows)
    assert records[0].meta["line"] == ("2" if header_row else "1")


def test_meta_is_read_from_the_columns(real_rows, tmp_path: Path) -> None:
    records = list(read_source(_write(tmp_path / "cables.csv", real_rows)))
    first = records[0]
    assert first.format == "csv"
    assert first.meta["sequence"] == "1"
    assert first.meta["id"] == "66BUENOSAIRES2481"
    assert first.meta["created"] == "1966-12-28T18:06"
    assert records[4].meta["references"] == "09MEXICO3125|10MEXICO6"


def test_line_numbers_count_lines_inside_multi_line_fields(real_rows, tmp_path: Path) -> None:
    records = list(read_source(_write(tmp_path / "cables.csv", real_rows)))
    line = 1
    for r, row in zip(records, real_rows, strict=True):
        assert r.meta["line"] == str(line)
        line += (row.header + row.body).count("\n") + 1


def test_python_csv_module_agrees_with_our_scanner(real_rows, tmp_path: Path) -> None:
    import csv

    path = _write(tmp_path / "cables.csv", real_rows)
    csv.field_size_limit(1 << 24)
    with path.open(encoding="utf-8", newline="") as fh:
        theirs = list(csv.reader(fh, escapechar="\\", doublequote=False, strict=True))
    ours = list(read_source(path))
    assert [(t[6], t[7]) for t in theirs] == [(o.header, o.body) for o in ours]


def test_gzipped_cables_csv_streams_too(real_rows, tmp_path: Path) -> None:
    buf = io.StringIO(newline="")
    write_csv_rows(real_rows, buf)
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(buf.getvalue().encode()))
    _assert_same(list(read_source(path)), real_rows)


def test_row_with_wrong_field_count_is_reported_and_reading_goes_on(real_rows, tmp_path: Path) -> None:
    path = _write(tmp_path / "cables.csv", real_rows[:3])
    text = path.read_text(encoding="utf-8")
    short = '"99","1/2/2009 3:04","09X1","Embassy X","SECRET"\n'
    path.write_text(short + text, encoding="utf-8")
    records = list(read_source(path))
    assert records[0].item == "row 1"
    assert records[0].error == "row 1: expected 8 fields, found 5"
    assert records[0].meta["line"] == "1"
    _assert_same(records[1:], real_rows[:3], first=2)


def test_row_over_the_size_limit_is_skipped_without_holding_it(real_rows, tmp_path: Path) -> None:
    path = tmp_path / "cables.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv_rows(real_rows[:1], fh)
        fh.write('"2","1/1/2009 0:00","09HUGE1","Embassy X","SECRET","","h","')
        line = "A" * 99 + "\n"
        for _ in range(50 * 2**20 // 100):
            fh.write(line)
        fh.write('"\n')
        write_csv_rows(real_rows[1:3], fh)
    tracemalloc.start()
    try:
        records = list(read_source(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.error for r in records] == [
        None,
        "row 2: item is 50.0 MB, over the 16 MB limit for one cable",
        None,
        None,
    ]
    assert peak < 48 * 2**20, f"peak {peak}: the 50 MB row was held in memory"
    _assert_same(records[:1], real_rows[:1])
    _assert_same(records[2:], real_rows[1:3], first=3)
    assert records[2].meta["line"] == str(int(records[1].meta["line"]) + 50 * 2**20 // 100 + 1)


def test_truncated_csv_reports_the_unterminated_last_row(real_rows, tmp_path: Path) -> None:
    path = _write(tmp_path / "cables.csv", real_rows[:3])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 500])
    records = list(read_source(path))
    _assert_same(records[:2], real_rows[:2])
    assert records[2].error == "row 3: unterminated quoted field at end of file (file truncated?)"


def test_invalid_utf8_in_a_row_is_replaced_with_a_warning(real_rows, tmp_path: Path) -> None:
    path = _write(tmp_path / "cables.csv", real_rows[:2])
    data = path.read_bytes().replace(b"Original Telegram", b"Original T\xe9legram", 1)
    path.write_bytes(data)
    records = list(read_source(path))
    assert records[0].error is None
    assert "Original T\ufffdlegram" in records[0].body
    offset = real_rows[0].body.encode().index(b"Original Telegram") + 10
    assert records[0].meta["warning"] == f"invalid UTF-8 at byte {offset} replaced in the body field"
    assert records[1].error is None and "warning" not in records[1].meta


def test_binary_file_named_csv_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cables.csv"
    path.write_bytes(b'"1",\x00\x00\x01\x02' * 100)
    [r] = list(read_source(path))
    assert r.error == "binary data, not a CSV text file: NUL bytes"


def test_empty_csv_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cables.csv"
    path.write_bytes(b"")
    [r] = list(read_source(path))
    assert (r.item, r.error) == ("cables.csv", "empty file")


def test_text_after_a_closing_quote_is_reported_and_the_next_row_read(real_rows, tmp_path: Path) -> None:
    path = _write(tmp_path / "cables.csv", real_rows[:2])
    path.write_text('"1","x"oops,"y"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    records = list(read_source(path))
    assert records[0].error == "row 1: unexpected 'o' after a closing quote"
    _assert_same(records[1:], real_rows[:2], first=2)


def test_release_dates_are_read_as_iso() -> None:
    assert release_date_to_iso("1/29/2010 20:49") == "2010-01-29T20:49"
    assert release_date_to_iso("12/28/1966 9:05") == "1966-12-28T09:05"
    assert release_date_to_iso("2010-01-29 20:49") is None
    assert release_date_to_iso("13/1/2010 1:00") is None

"""Writers, the inverse of the readers: a cables.csv in the release's quoting, a telegram as text.

Used by tests (round trips on real cables), the demo bundle and the scale-corpus generator. The CSV
dialect is the August 2011 release's: every field in double quotes, ``\\`` escaping ``"`` and
``\\`` itself, newlines written as they are, created as ``M/D/YYYY H:MM``, rows ended by ``\\n``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import TextIO

from cabledesk.readers.mirror import parse_page

#: Column names of the release, for an optional header row (the release itself may have none).
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "date",
    "reference_id",
    "origin",
    "classification",
    "references",
    "header",
    "body",
)

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")


@dataclass(slots=True)
class CsvRow:
    """One cables.csv row, fields in the release's column order."""

    sequence: str
    created: str  # release form: "1/29/2010 20:08"
    id: str
    origin: str
    classification: str
    references: str  # "|"-joined reference ids, may be empty
    header: str
    body: str


def csv_field(value: str) -> str:
    """One field quoted and escaped as in the release."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_csv_rows(rows: Iterable[CsvRow], fh: TextIO, header_row: bool = False) -> int:
    """Write rows to ``fh`` (opened with ``newline=""``); returns the number of cable rows."""
    if header_row:
        fh.write(",".join(csv_field(c) for c in CSV_COLUMNS) + "\n")
    n = 0
    for row in rows:
        fh.write(",".join(csv_field(str(v)) for v in astuple(row)) + "\n")
        n += 1
    return n


def iso_to_release_date(iso: str) -> str:
    """'2010-01-29T20:08' -> '1/29/2010 20:08' (month, day and hour without zero padding)."""
    m = _ISO.match(iso)
    if not m:
        raise ValueError(f"not an ISO date-time: {iso!r}")
    y, mo, d, h, mi = m.groups()
    return f"{int(mo)}/{int(d)}/{y} {int(h)}:{mi}"


def write_text(header: str | None, body: str) -> str:
    """A telegram as people extract it to a .txt: the header block, a blank line, the body."""
    return f"{header}\n\n{body}" if header else body


def page_to_cable(page: str | bytes) -> tuple[dict[str, str], str, str]:
    """(meta, header, body) of a real mirror page; raises InputError for a page that is not one."""
    return parse_page(page.decode("utf-8") if isinstance(page, bytes) else page)


def page_to_csv_row(page: str | bytes, sequence: int | str, references: str = "") -> CsvRow:
    """A mirror page as a cables.csv row. The page time stands in for the release's DTG time."""
    meta, header, body = page_to_cable(page)
    return CsvRow(
        sequence=str(sequence),
        created=iso_to_release_date(meta["created"]),
        id=meta["id"],
        origin=meta["origin"],
        classification=meta["classification"],
        references=references,
        header=header,
        body=body,
    )

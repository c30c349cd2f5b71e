"""Input formats, one small class each, chosen by score: the table below is the whole list.

``read_source(path)`` picks the best reader for ``path`` and streams its RawRecords; an unusable
item comes back as a record with ``error`` set, so one bad file never stops a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cabledesk.errors import InputError
from cabledesk.model import RawRecord
from cabledesk.readers.base import Reader
from cabledesk.readers.csv_release import CsvReleaseReader
from cabledesk.readers.mirror import MirrorReader
from cabledesk.readers.text import TextReader

#: Every reader, in tie-break order (first wins on equal scores).
READERS: tuple[type[Reader], ...] = (MirrorReader, CsvReleaseReader, TextReader)

_KNOWN = (
    "mirror (cable pages: a folder, .tar.gz/.tgz/.tar or .zip of them, or one .html page), "
    "csv (cables.csv of the 2011 release, or .csv.gz), "
    "text (.txt telegrams: one file or a folder of them)"
)


def pick_reader(path: Path) -> type[Reader]:
    """The reader most sure it can read ``path``; InputError naming the formats when none is."""
    if not path.exists():
        raise InputError(f"cannot read {path}: no such file or folder")
    best, score = max(((r, r.match(path)) for r in READERS), key=lambda rs: rs[1])
    if score <= 0:
        raise InputError(f"cannot read {path}: not a format cabledesk knows; known formats: {_KNOWN}")
    return best


def read_source(path: Path) -> Iterator[RawRecord]:
    """Pick the reader for ``path`` and stream its records."""
    yield from pick_reader(path)().read(path)


__all__ = [
    "READERS",
    "CsvReleaseReader",
    "MirrorReader",
    "Reader",
    "TextReader",
    "pick_reader",
    "read_source",
]

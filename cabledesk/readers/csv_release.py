"""The August 2011 full release, ``cables.csv``: eight double-quoted fields, backslash escapes.

Fields: sequence id, created ``M/D/YYYY H:MM``, reference id, origin, classification, references
(``|``-joined), header, body. Inside quotes a backslash takes the next character literally (``\\"``
is a quote, ``\\\\`` a backslash, a backslash before a newline is that newline), as Python's csv
module does with ``escapechar='\\\\', doublequote=False``. We scan with our own small streaming
scanner instead of the csv module so that a row over the size limit is skipped without being held
in memory, a row with the wrong field count resynchronises at the next record, and every record
knows the line it starts on. A header row is tolerated (detected, not required).

Items are named ``row N``: N counts data records from 1 (a header row is not counted), so in the
release N equals the sequence id; ``meta["line"]`` gives the 1-based line where the record starts.
"""

from __future__ import annotations

import gzip
import io
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cabledesk.model import RawRecord
from cabledesk.readers.archive import ID_RE, MAX_ITEM_BYTES, fix_surrogates, too_big
from cabledesk.readers.base import Reader

FIELDS = 8
COLUMNS: tuple[str, ...] = (
    "sequence",
    "created",
    "id",
    "origin",
    "classification",
    "references",
    "header",
    "body",
)
CHUNK = 1 << 20

_UNQUOTED_END = re.compile(r"[,\n]")
_UNESCAPE = re.compile(r"\\(.)", re.S)
_LITERAL = operator.itemgetter(1)  # the escaped character; a C callable, no template expansion per call
_CREATED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})$")
_DIGITS = re.compile(r"^\d+$")


@dataclass(slots=True)
class _Record:
    """One record as scanned: its fields, or why it is unusable."""

    line: int
    fields: list[str] = field(default_factory=list)
    size: int = 0  # characters (the release is nearly all ASCII, so about bytes)
    error: str | None = None
    oversized: bool = False  # over the cap: its fields were dropped while scanning


class _Scanner:
    """Streaming scanner for the release dialect; holds at most one record (capped) in memory.

    ``start`` is where the current record begins in ``buf``; reading more input drops what lies
    before it, so indices held across :meth:`_more` are shifted by the value it returns.
    """

    def __init__(self, fh: io.TextIOBase, cap: int = MAX_ITEM_BYTES) -> None:
        self.fh = fh
        self.cap = cap
        self.buf = ""
        self.pos = 0
        self.start = 0
        self.eof = False
        self.line = 1  # line of self.start, 1-based
        self.dropped = 0  # characters of the current (oversized) record already forgotten
        self.dropped_lines = 0

    def _more(self) -> int | None:
        """Read the next chunk, forgetting the buffer before ``start``; the shift, or None at the end."""
        if self.eof:
            return None
        chunk = self.fh.read(CHUNK)
        if not chunk:
            self.eof = True
            return None
        shift = self.start
        self.buf = self.buf[shift:] + chunk
        self.pos -= shift
        self.start = 0
        return shift

    def _forget(self, upto: int) -> None:
        """Give up holding the current record before ``upto`` (it is over the size cap)."""
        self.dropped += upto - self.start
        self.dropped_lines += self.buf.count("\n", self.start, upto)
        self.start = upto

    def records(self) -> Iterator[_Record]:
        """Every record in order; blank lines between records are skipped."""
        while True:
            self.start = self.pos
            if self.pos >= len(self.buf) and self._more() is None:
                return
            c = self.buf[self.pos]
            if c == "\n" or (c == "\r" and self.buf.startswith("\r\n", self.pos)):
                self.pos += 1 if c == "\n" else 2
                self.line += 1
                continue
            if c == "\r" and self.pos + 1 >= len(self.buf) and self._more() is not None:
                continue  # a CR at the end of a chunk: look again with the next chunk
            yield self._record()

    def _record(self) -> _Record:
        """Scan one record starting at ``self.pos``."""
        rec = _Record(self.line)
        self.start = self.pos
        self.dropped = self.dropped_lines = 0
        while True:
            if self.pos >= len(self.buf) and self._more() is None:
                break
            if self.buf[self.pos] == '"':
                close = self._closing_quote(rec)
                if close is None:
                    rec.error = "unterminated quoted field at end of file (file truncated?)"
                    self.pos = len(self.buf)
                    break
                if not rec.oversized:
                    raw = self.buf[self.pos + 1 : close]
                    rec.fields.append(_UNESCAPE.sub(_LITERAL, raw) if "\\" in raw else raw)
                self.pos = close + 1
            else:
                self._unquoted(rec)
            if self.pos >= len(self.buf) and self._more() is None:
                break
            c = self.buf[self.pos]
            if c == ",":
                self.pos += 1
                continue
            if c == "\r" and self.pos + 1 >= len(self.buf):
                self._more()
            if c == "\n" or (c == "\r" and self.buf.startswith("\r\n", self.pos)):
                self.pos += 1 if c == "\n" else 2
                break
            rec.error = rec.error or f"unexpected {c!r} after a closing quote"
            self._skip_line()
            break
        rec.size = self.dropped + self.pos - self.start
        self.line += self.dropped_lines + self.buf.count("\n", self.start, self.pos)
        if rec.oversized:
            rec.error = too_big(rec.size)
        self.start = self.pos
        return rec

    def _closing_quote(self, rec: _Record) -> int | None:
        """Index of the quote closing the field opened at ``pos``, reading more as needed."""
        i = self.pos + 1
        quote = -1  # the first quote at or after i in this buffer; len(buf) when there is none
        while True:
            # str.find runs at memchr speed, a character-class regex one character at a time
            # (the reader was a fifth of the ingest's single writer thread at Cablegate scale).
            buf = self.buf
            if quote < i:
                found = buf.find('"', i)
                quote = found if found >= 0 else len(buf)
            backslash = buf.find("\\", i, quote)
            if backslash < 0 and quote < len(buf):
                return quote
            if 0 <= backslash < len(buf) - 1:
                i = backslash + 2  # a backslash: the next character is literal
                continue
            if self.dropped + len(self.buf) - self.start > self.cap:
                upto = backslash if backslash >= 0 else len(self.buf)  # a backslash ending the buffer
                self._forget(upto)
                rec.fields, rec.oversized = [], True
                i = upto
            shift = self._more()
            if shift is None:
                return None
            i -= shift
            quote = -1

    def _unquoted(self, rec: _Record) -> None:
        """An unquoted field (not in the release, tolerated): up to the next comma or newline."""
        while (m := _UNQUOTED_END.search(self.buf, self.pos)) is None:
            if self.dropped + len(self.buf) - self.start > self.cap:
                self._forget(len(self.buf))
                self.pos = len(self.buf)
                rec.fields, rec.oversized = [], True
            if self._more() is None:
                break
        stop = m.start() if m else len(self.buf)
        if not rec.oversized:
            rec.fields.append(self.buf[self.pos : stop].removesuffix("\r"))
        self.pos = stop

    def _skip_line(self) -> None:
        """Resynchronise after a malformed record: go past the end of the current line."""
        while (nl := self.buf.find("\n", self.pos)) < 0:
            if self.dropped + len(self.buf) - self.start > self.cap:
                self._forget(len(self.buf))
            self.pos = len(self.buf)
            if self._more() is None:
                return
        self.pos = nl + 1


def release_date_to_iso(value: str) -> str | None:
    """'1/29/2010 20:49' -> '2010-01-29T20:49'; None when it is not in the release's form."""
    m = _CREATED.match(value.strip())
    if not m:
        return None
    mo, d, y, h, mi = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}"


def _is_header(fields: list[str]) -> bool:
    """A first row whose sequence and reference-id columns are not data is a header row."""
    return len(fields) >= 3 and not _DIGITS.match(fields[0].strip()) and not ID_RE.match(fields[2].strip())


def _open(path: Path) -> BinaryIO:
    """The raw bytes of the CSV, gunzipped on the fly for ``.csv.gz``."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


class CsvReleaseReader(Reader):
    """``cables.csv`` of the 2011 full release (or a ``.csv.gz`` of it), streamed record by record."""

    name = "csv"

    @classmethod
    def match(cls, path: Path) -> int:
        """A .csv (or .csv.gz) file; certain when it opens with a quoted field."""
        lower = path.name.lower()
        if not path.is_file() or not lower.endswith((".csv", ".csv.gz")):
            return 0
        try:
            with _open(path) as fh:
                head = fh.read(64)
        except (OSError, EOFError):
            return 50
        return 100 if head.lstrip(b"\xef\xbb\xbf").startswith(b'"') else 70

    def read(self, path: Path) -> Iterator[RawRecord]:
        """One record per CSV row; a bad row is reported and reading goes on with the next."""
        source = str(path)
        try:
            raw = _open(path)
        except OSError as exc:
            yield RawRecord(source, path.name, self.name, error=f"cannot read: {exc.strerror or exc}")
            return
        n = 0
        with raw:
            try:
                peek = getattr(raw, "peek", None)  # buffered and gzip files peek without consuming
                if peek is not None and b"\x00" in peek(8192)[:8192]:
                    yield RawRecord(
                        source, path.name, self.name, error="binary data, not a CSV text file: NUL bytes"
                    )
                    return
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
                for rec in _Scanner(text).records():
                    if n == 0 and rec.error is None and _is_header(rec.fields):
                        n = -1  # the header row is not counted
                        continue
                    n = max(n, 0) + 1
                    yield self._row(source, n, rec)
            except (OSError, EOFError) as exc:
                yield RawRecord(
                    source,
                    path.name,
                    self.name,
                    error=f"corrupt or truncated file after {max(n, 0)} rows: {exc}",
                )
                return
        if n == 0:
            yield RawRecord(source, path.name, self.name, error="empty file")
        elif n == -1:
            yield RawRecord(source, path.name, self.name, error="header row only, no cables")

    def _row(self, source: str, n: int, rec: _Record) -> RawRecord:
        """A scanned record as a RawRecord, checked for field count, NULs and bad bytes."""
        item = f"row {n}"
        meta = {"line": str(rec.line)}
        if rec.error is None and len(rec.fields) != FIELDS:
            rec.error = f"expected {FIELDS} fields, found {len(rec.fields)}"
        if rec.error is None and any("\x00" in f for f in rec.fields):
            rec.error = "binary data in the row: NUL bytes"
        if rec.error is not None:
            return RawRecord(source, item, self.name, meta=meta, size=rec.size, error=f"{item}: {rec.error}")
        warnings = []
        fixed = []
        for column, value in zip(COLUMNS, rec.fields, strict=True):
            value, warning = fix_surrogates(value)
            fixed.append(value)
            if warning:
                warnings.append(f"{warning} in the {column} field")
        seq, created, ref_id, origin, classification, references, header, body = fixed
        meta.update(
            sequence=seq, id=ref_id, origin=origin, classification=classification, references=references
        )
        iso = release_date_to_iso(created)
        if iso:
            meta["created"] = iso
        elif created:
            warnings.append(f"created {created!r} is not M/D/YYYY H:MM")
        if warnings:
            meta["warning"] = "; ".join(warnings)
        return RawRecord(source, item, self.name, body=body, header=header, meta=meta, size=rec.size)

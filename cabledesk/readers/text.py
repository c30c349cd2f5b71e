"""Plain-text telegrams, one per ``.txt`` file, as people copy them out of pages and PDFs.

The whole text is the body (there is no separate header) and nothing else is known about it, with
one exception: a file named like a reference id (``10MEXICO83.txt``) gives ``meta["id"]`` and
``meta["id_source"] = "filename"``, a hint the telegram parser may confirm or contradict. Line ends
are normalised to ``\\n`` (CRLF from Windows editors is not content) and a UTF-8 BOM is dropped;
every other character is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cabledesk.model import RawRecord
from cabledesk.readers.archive import ID_RE, TAR_SUFFIXES, ZIP_SUFFIXES, decode_text, iter_items, sample_names
from cabledesk.readers.base import Reader

TEXT_SUFFIXES: tuple[str, ...] = (".txt",)


def _is_text(name: str) -> bool:
    return name.lower().endswith(TEXT_SUFFIXES)


class TextReader(Reader):
    """A ``.txt`` telegram, or a folder (or archive) of them, read in sorted order."""

    name = "text"

    @classmethod
    def match(cls, path: Path) -> int:
        """A .txt file, or a folder/archive where .txt files are the majority."""
        if path.is_file() and _is_text(path.name):
            return 90
        if path.is_dir() or (path.is_file() and path.name.lower().endswith(TAR_SUFFIXES + ZIP_SUFFIXES)):
            names = sample_names(path)
            texts = sum(1 for n in names if _is_text(n))
            if texts and texts * 2 > len(names):
                return 85
            if texts:
                return 30
        return 0

    def read(self, path: Path) -> Iterator[RawRecord]:
        """One record per text file; binary or empty files come back with ``error``."""
        source = str(path)
        for item in iter_items(path, _is_text, "a .txt file"):
            if item.error is not None or item.data is None:
                yield RawRecord(source, item.name, self.name, size=item.size, error=item.error)
                continue
            text, warning, error = decode_text(item.data)
            if text is None:
                yield RawRecord(source, item.name, self.name, size=item.size, error=error)
                continue
            if not text.strip():
                yield RawRecord(
                    source,
                    item.name,
                    self.name,
                    size=item.size,
                    error="no text: the file holds only whitespace",
                )
                continue
            meta: dict[str, str] = {}
            stem = Path(item.name).stem
            if ID_RE.match(stem):
                meta.update(id=stem, id_source="filename")
            if warning:
                meta["warning"] = warning
            body = text.replace("\r\n", "\n").replace("\r", "\n")
            yield RawRecord(source, item.name, self.name, body=body, header=None, meta=meta, size=item.size)

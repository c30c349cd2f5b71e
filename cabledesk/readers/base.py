"""What every reader is: a class that scores a path and streams RawRecords from it.

Readers are pure: they read files and yield records; no database, no index, no network, and no
parsing of the telegram itself (that is :mod:`cabledesk.telegram`'s job).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from cabledesk.model import RawRecord


class Reader:
    """One input format. Subclasses set ``name`` and implement :meth:`match` and :meth:`read`."""

    name: ClassVar[str] = "base"

    @classmethod
    def match(cls, path: Path) -> int:
        """How sure this reader is that it can read ``path``: 0 = no, 100 = certainly."""
        raise NotImplementedError

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Stream one RawRecord per item; unusable items come with ``error`` set, never raise."""
        raise NotImplementedError

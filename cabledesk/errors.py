"""Every exception cabledesk raises on purpose, in one tree, so callers can catch by kind.

    CabledeskError
    ├── InputError            an input item cannot be read (becomes a failed ledger row)
    ├── ParseError            a telegram text cannot be turned into a cable at all
    ├── QueryError            a malformed search query (carries .position and .suggestion)
    ├── StoreError            the database or index cannot be used
    │   ├── SchemaError       the database was written by a newer cabledesk, or is not ours
    │   └── StoreWriteError   a write failed (disk full, read-only file); the store stays consistent
    └── NotFoundError         an id that is not in the store
"""

from __future__ import annotations


class CabledeskError(Exception):
    """Base of every error cabledesk raises on purpose; the CLI prints its message, not a trace."""


class InputError(CabledeskError):
    """An input item cannot be read; the reason is written to the ledger and the batch goes on."""


class ParseError(CabledeskError):
    """A text cannot be parsed as a telegram at all (no reference id can be found, for example)."""


class QueryError(CabledeskError):
    """A malformed query: the message names the problem, ``position`` the character offset."""

    def __init__(self, message: str, position: int = 0, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.suggestion = suggestion

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"error": self.message, "position": self.position}
        if self.suggestion:
            d["suggestion"] = self.suggestion
        return d


class StoreError(CabledeskError):
    """The database or its index cannot be used."""


class SchemaError(StoreError):
    """The database file is not a cabledesk database, or a newer version wrote it."""


class StoreWriteError(StoreError):
    """A write failed (disk full, read-only database); nothing half-written is left behind."""


class NotFoundError(CabledeskError, KeyError):
    """An id that is not in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "not found"

"""cabledesk: a workbench for journalists working on a leaked package of diplomatic cables."""

from cabledesk.errors import (
    CabledeskError,
    InputError,
    NotFoundError,
    ParseError,
    QueryError,
    SchemaError,
    StoreError,
    StoreWriteError,
)
from cabledesk.model import (
    Cable,
    ClassifiedBy,
    Conflict,
    Declassify,
    LedgerEntry,
    Paragraph,
    RawRecord,
    Reference,
)

__version__ = "0.1.0"

__all__ = [
    "Cable",
    "CabledeskError",
    "ClassifiedBy",
    "Conflict",
    "Declassify",
    "InputError",
    "LedgerEntry",
    "NotFoundError",
    "Paragraph",
    "ParseError",
    "QueryError",
    "RawRecord",
    "Reference",
    "SchemaError",
    "StoreError",
    "StoreWriteError",
    "__version__",
]

"""cabledesk: a workbench for journalists working on a leaked package of diplomatic cables."""

from cabledesk.desk import Desk
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
    json_schema,
)
from cabledesk.readers import read_source
from cabledesk.telegram import parse, parse_text

__version__ = "0.1.0"

__all__ = [
    "Cable",
    "CabledeskError",
    "ClassifiedBy",
    "Conflict",
    "Declassify",
    "Desk",
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
    "json_schema",
    "parse",
    "parse_text",
    "read_source",
]

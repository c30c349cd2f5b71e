"""The public API is what `cabledesk/__init__.py` exports; this guards it against accidents."""

from __future__ import annotations

import cabledesk
import cabledesk.errors


def test_all_names_are_importable_and_sorted() -> None:
    for name in cabledesk.__all__:
        assert hasattr(cabledesk, name), name
    assert list(cabledesk.__all__) == sorted(cabledesk.__all__)


def test_public_api_is_exactly_this_list() -> None:
    assert set(cabledesk.__all__) == {
        "Cable", "CabledeskError", "ClassifiedBy", "Conflict", "Declassify", "Desk", "InputError",
        "LedgerEntry", "NotFoundError", "Paragraph", "ParseError", "QueryError", "RawRecord",
        "Reference", "SchemaError", "StoreError", "StoreWriteError", "__version__", "json_schema",
        "parse", "parse_text", "read_source",
    }


def test_errors_docstring_names_every_exception_class() -> None:
    doc = cabledesk.errors.__doc__ or ""
    classes = [
        n for n, v in vars(cabledesk.errors).items()
        if isinstance(v, type) and issubclass(v, cabledesk.errors.CabledeskError)
    ]
    assert classes
    for name in classes:
        assert name in doc, f"{name} missing from the exception tree in errors.py"


def test_every_public_error_derives_from_cabledesk_error() -> None:
    for name in cabledesk.__all__:
        obj = getattr(cabledesk, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, cabledesk.CabledeskError)


def test_test_module_basenames_are_unique() -> None:
    # pytest imports test files by basename (rootdir mode): two test_cli.py files break collection.
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parent
    names = Counter(p.name for p in root.rglob("*.py") if p.name not in ("conftest.py", "__init__.py"))
    assert not [n for n, k in names.items() if k > 1]

"""Paths shared by the protect tests (kept out of conftest.py, which is not importable by name)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUTPUT = REPO / "test-output"

"""Where the shared manifest lives (same rule as tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("CABLEDESK_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
MANIFEST = SHARED / "corpus" / "cablegate-manifest-2011.csv.gz"

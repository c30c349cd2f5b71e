"""The code stays ruff- and mypy-clean: both run as part of the suite, so CI enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    assert found, f"{name} is not installed: `pip install -e '.[test]'` installs it"
    return found


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "cabledesk", "tests", "bench", "tools"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_finds_nothing_in_the_package() -> None:
    proc = subprocess.run([_tool("mypy"), "cabledesk"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_module_grows_past_600_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "cabledesk").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"split these modules: {long}"

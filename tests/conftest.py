"""Shared fixtures: the real shared corpus, unpacked once per test session into a temp folder."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CABLEDESK_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
CORPUS_TGZ = SHARED / "corpus" / "cablegate-2010-12-mirror.tar.gz"
MANIFEST = SHARED / "corpus" / "cablegate-manifest-2011.csv.gz"


@pytest.fixture(scope="session")
def corpus_tgz() -> Path:
    """The real mirror archive (1,295 cables) from ../shared/corpus."""
    if not CORPUS_TGZ.exists():
        pytest.fail(f"shared corpus not found at {CORPUS_TGZ}; set CABLEDESK_SHARED")
    return CORPUS_TGZ


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """The mirror archive unpacked into a temp folder; returns the folder holding cable/YYYY/MM/."""
    root = tmp_path_factory.mktemp("corpus")
    with tarfile.open(corpus_tgz) as tf:
        tf.extractall(root, filter="data")
    return root / "cablegate-2010-12"


@pytest.fixture(scope="session")
def cable_page(corpus_dir: Path):
    """Path of one cable page by reference id: cable_page('10MEXICO83')."""
    index = {p.stem: p for p in corpus_dir.glob("cable/*/*/*.html")}

    def find(cable_id: str) -> Path:
        return index[cable_id]

    return find

"""A generated corpus of a few thousand cables (real paragraphs, real ids), made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.make_corpus import main as make_corpus

#: Big enough that an ingest runs for several seconds (room for kills), small enough for CI.
SCALE_COUNT = 2500


@pytest.fixture(scope="session")
def scale_csv(tmp_path_factory: pytest.TempPathFactory, corpus_tgz: Path) -> Path:
    """A cables.csv of SCALE_COUNT generated cables (seed 7)."""
    out = tmp_path_factory.mktemp("scale") / "cables.csv"
    assert (
        make_corpus(
            [str(corpus_tgz), str(out), "--count", str(SCALE_COUNT), "--seed", "7", "--format", "csv"]
        )
        == 0
    )
    return out

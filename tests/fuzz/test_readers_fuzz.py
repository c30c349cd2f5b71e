"""Damaged files on disk: readers never raise; every record carries content or an error."""

from __future__ import annotations

import io
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutate import MUTATIONS, mutate_bytes, mutate_text

from cabledesk.errors import InputError
from cabledesk.model import RawRecord
from cabledesk.readers import read_source

_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SUFFIXES = [".html", ".txt", ".csv", ".csv.gz", ".tar.gz", ".zip", ".tar"]


def _read_all(path: Path) -> list[RawRecord]:
    """Every record; InputError is allowed only for 'no reader knows this file' (before any record)."""
    try:
        records = list(read_source(path))
    except InputError:
        return []
    for r in records:
        assert isinstance(r, RawRecord)
        assert r.error or r.body or r.header, r
    return records


def _fresh(tmp_path: Path, suffix: str) -> Path:
    return tmp_path / f"{uuid.uuid4().hex}{suffix}"


@_SETTINGS
@given(data=st.binary(max_size=4000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_under_any_name_never_raise(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = _fresh(tmp_path, suffix)
    path.write_bytes(data)
    _read_all(path)


@_SETTINGS
@given(which=st.integers(0, 100), mutations=MUTATIONS)
def test_mutated_mirror_page_never_raises(
    tmp_path: Path, real_pages: dict[str, bytes], which: int, mutations: list[tuple[str, float, int, str]]
) -> None:
    pages = list(real_pages.values())
    path = _fresh(tmp_path, ".html")
    path.write_bytes(mutate_bytes(pages[which % len(pages)], mutations))
    assert len(_read_all(path)) <= 1


@_SETTINGS
@given(which=st.integers(0, 100), rows=st.integers(1, 4), mutations=MUTATIONS, as_bytes=st.booleans())
def test_mutated_cables_csv_never_raises(
    tmp_path: Path, real_csv_rows: list[str], which: int, rows: int,
    mutations: list[tuple[str, float, int, str]], as_bytes: bool,
) -> None:  # fmt: skip
    text = "".join(real_csv_rows[(which + i) % len(real_csv_rows)] for i in range(rows))
    path = _fresh(tmp_path, ".csv")
    if as_bytes:
        path.write_bytes(mutate_bytes(text.encode("utf-8"), mutations))
    else:
        path.write_bytes(mutate_text(text, mutations).encode("utf-8", "surrogatepass"))
    _read_all(path)


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
@_SETTINGS
@given(mutations=MUTATIONS)
def test_damaged_archive_of_real_pages_never_raises(
    tmp_path: Path, real_pages: dict[str, bytes], kind: str, mutations: list[tuple[str, float, int, str]]
) -> None:
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w") as zf:
            for cid, page in list(real_pages.items())[:3]:
                zf.writestr(f"cable/2010/01/{cid}.html", page)
    else:
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            for cid, page in list(real_pages.items())[:3]:
                info = tarfile.TarInfo(f"cable/2010/01/{cid}.html")
                info.size = len(page)
                tf.addfile(info, io.BytesIO(page))
    path = _fresh(tmp_path, "." + kind)
    path.write_bytes(mutate_bytes(buf.getvalue(), mutations))
    _read_all(path)

"""Every kind of bad input becomes one record with a clear reason, and the good items still come."""

from __future__ import annotations

import io
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from cabledesk.readers import MirrorReader, TextReader, read_source

GOOD = "10MEXICO83"


@pytest.fixture
def folder(tmp_path: Path, page_bytes) -> Path:
    """A folder whose sorted order puts each bad file before a good real page."""
    root = tmp_path / "in"
    root.mkdir()
    (root / "zz_good.html").write_bytes(page_bytes(GOOD))
    return root


def _read(root: Path, by_name) -> dict:
    records = list(MirrorReader().read(root))
    got = by_name(records)
    good = got["zz_good.html"]
    assert good.error is None and good.meta["id"] == GOOD  # the batch went on after the bad item
    return got


def test_non_cable_html_page(folder: Path, by_name) -> None:
    (folder / "a.html").write_text("<html><body><p>Browse by tag</p></body></html>", encoding="utf-8")
    assert (
        _read(folder, by_name)["a.html"].error == "not a cable page: no <table class='cable'> metadata table"
    )


def test_page_truncated_inside_the_body(folder: Path, page_bytes, by_name) -> None:
    page = page_bytes("09LAPAZ96")
    cut = page.index(b"<pre>", page.index(b"</pre>")) + 2000  # inside the body <pre>
    (folder / "a.html").write_bytes(page[:cut])
    assert (
        _read(folder, by_name)["a.html"].error == "truncated page: body <pre> block missing or unterminated"
    )


def test_page_truncated_after_the_metadata_table(folder: Path, page_bytes, by_name) -> None:
    page = page_bytes("09LAPAZ96")
    (folder / "a.html").write_bytes(page[: page.index(b"</table>") + 8])
    assert (
        _read(folder, by_name)["a.html"].error
        == "truncated page: header and body <pre> block missing or unterminated"
    )


def test_binary_junk(folder: Path, by_name) -> None:
    (folder / "a.html").write_bytes(os.urandom(4096) + b"\x00")
    assert _read(folder, by_name)["a.html"].error.startswith("binary data, not text: NUL byte at byte ")


def test_binary_junk_without_nul_bytes(folder: Path, by_name) -> None:
    (folder / "a.html").write_bytes(bytes(b for b in os.urandom(8192) if b))
    assert _read(folder, by_name)["a.html"].error.startswith("binary data, not text: ")


def test_invalid_utf8_in_a_real_page_is_replaced_with_a_warning(folder: Path, page_bytes, by_name) -> None:
    page = page_bytes("04AMMAN1288")
    bad_at = page.index(b"GNEHM")
    (folder / "a.html").write_bytes(page[:bad_at] + b"\xff" + page[bad_at + 1 :])
    r = _read(folder, by_name)["a.html"]
    assert r.error is None
    assert "\ufffdNEHM" in r.body
    assert r.meta["warning"] == f"invalid UTF-8 at byte {bad_at} replaced"


def test_empty_file(folder: Path, by_name) -> None:
    (folder / "a.html").write_bytes(b"")
    assert _read(folder, by_name)["a.html"].error == "empty file"


def test_50_mb_file_is_refused_without_being_read(folder: Path, by_name) -> None:
    with (folder / "a.html").open("wb") as fh:
        fh.truncate(50 * 2**20)
    tracemalloc.start()
    try:
        got = _read(folder, by_name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got["a.html"].error == "item is 50.0 MB, over the 16 MB limit for one cable"
    assert got["a.html"].size == 50 * 2**20
    assert peak < 5 * 2**20


def test_50_mb_member_of_a_tar_gz_is_refused_without_being_held(tmp_path: Path, page_bytes, by_name) -> None:
    path = tmp_path / "big.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        big = tarfile.TarInfo("cable/big.html")
        big.size = 50 * 2**20
        tf.addfile(big, _Zeros(big.size))
        _add(tf, "cable/10MEXICO83.html", page_bytes(GOOD))
    tracemalloc.start()
    try:
        records = list(read_source(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.error for r in records] == ["item is 50.0 MB, over the 16 MB limit for one cable", None]
    assert peak < 8 * 2**20


def test_unsafe_member_names_in_a_tar_are_refused_and_nothing_is_written(tmp_path: Path, page_bytes) -> None:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tf:
        _add(tf, "../x.html", page_bytes(GOOD))
        _add(tf, "/tmp/abs.html", page_bytes(GOOD))
        _add(tf, "cable/2010/01/10MEXICO83.html", page_bytes(GOOD))
    before = set(tmp_path.parent.iterdir())
    records = list(read_source(path))
    assert [r.error for r in records] == [
        "unsafe member name '../x.html': not read",
        "unsafe member name '/tmp/abs.html': not read",
        None,
    ]
    assert set(tmp_path.parent.iterdir()) == before
    assert not (tmp_path.parent / "x.html").exists()


def test_unsafe_member_names_in_a_zip_are_refused(tmp_path: Path, page_bytes) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../x.html", page_bytes(GOOD))
        zf.writestr("cable/10MEXICO83.html", page_bytes(GOOD))
    records = list(read_source(path))
    assert [r.error for r in records] == ["unsafe member name '../../x.html': not read", None]


def test_truncated_real_tgz_keeps_what_was_read_and_ends_with_one_error(
    corpus_tgz: Path, tmp_path: Path
) -> None:
    path = tmp_path / "half.tar.gz"
    path.write_bytes(corpus_tgz.read_bytes()[: corpus_tgz.stat().st_size // 2])
    records = list(read_source(path))
    good, last = records[:-1], records[-1]
    assert 300 < len(good) < 1295
    assert all(r.error is None and r.meta["id"] == Path(r.item).stem for r in good)
    assert last.error is not None
    assert last.error.startswith(f"corrupt or truncated archive after {len(good)} items: ")


def test_corrupt_gzip_data_is_one_error_for_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "junk.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(5000))
    [r] = list(MirrorReader().read(path))
    assert r.item == "junk.tar.gz"
    assert (r.error or "").startswith("corrupt or truncated archive after 0 items: ")


def test_truncated_zip_is_one_error_for_the_archive(tmp_path: Path, page_bytes) -> None:
    path = tmp_path / "pages.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("10MEXICO83.html", page_bytes(GOOD))
    path.write_bytes(path.read_bytes()[:-30])
    [r] = list(MirrorReader().read(path))
    assert (r.error or "").startswith("corrupt or truncated zip archive: ")


def test_symlinks_leading_out_of_the_folder_are_not_followed(
    folder: Path, tmp_path: Path, page_bytes, by_name
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_bytes(page_bytes("04AMMAN1288"))
    (folder / "a_link.html").symlink_to(outside / "secret.html")
    (folder / "b_dirlink").symlink_to(outside, target_is_directory=True)
    (folder / "c_inside.html").symlink_to(folder / "zz_good.html")
    got = _read(folder, by_name)
    assert got["a_link.html"].error == "symlink to a file outside the input folder: not followed"
    assert got["b_dirlink"].error == "symlink to a folder outside the input folder: not followed"
    assert got["c_inside.html"].error is None
    assert "04AMMAN1288" not in {r.meta.get("id") for r in got.values()}


def test_files_that_are_not_pages_are_accounted_for(folder: Path, by_name) -> None:
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    assert _read(folder, by_name)["notes.pdf"].error == "not an .html page: skipped"


def test_binary_and_empty_text_files(tmp_path: Path, page_bytes, by_name) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00\x01junk")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes(b"   \n")
    (tmp_path / "d.txt").write_bytes(b"UNCLAS SECTION 01 OF 02 \xe9 text")
    got = by_name(list(TextReader().read(tmp_path)))
    assert got["a.txt"].error == "binary data, not text: NUL byte at byte 0"
    assert got["b.txt"].error == "empty file"
    assert got["c.txt"].error == "no text: the file holds only whitespace"
    assert got["d.txt"].error is None and got["d.txt"].meta["warning"] == "invalid UTF-8 at byte 24 replaced"


class _Zeros(io.RawIOBase):
    """A file of ``n`` zero bytes that never exists in memory at once."""

    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))

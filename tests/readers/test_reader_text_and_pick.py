"""Plain-text telegrams, and choosing the reader for a path by score."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cabledesk.dumps import page_to_cable, write_text
from cabledesk.errors import InputError
from cabledesk.readers import READERS, CsvReleaseReader, MirrorReader, TextReader, pick_reader, read_source


@pytest.fixture
def text_folder(tmp_path: Path, page_bytes) -> Path:
    """Real telegrams extracted to .txt the way people do it, in nested folders."""
    root = tmp_path / "texts"
    (root / "2010").mkdir(parents=True)
    for cable_id, where in (("10MEXICO83", "2010"), ("04AMMAN1288", ""), ("09LAPAZ96", "")):
        _meta, header, body = page_to_cable(page_bytes(cable_id))
        (root / where / f"{cable_id}.txt").write_text(write_text(header, body), encoding="utf-8")
    _meta, _header, body = page_to_cable(page_bytes("08ASTANA338"))
    (root / "astana notes.txt").write_bytes(body.replace("\n", "\r\n").encode("utf-8"))
    return root


def test_folder_of_txt_is_read_recursively_in_sorted_order(text_folder: Path, page_bytes) -> None:
    assert pick_reader(text_folder) is TextReader
    records = list(read_source(text_folder))
    assert [r.item for r in records] == [
        "04AMMAN1288.txt",
        "09LAPAZ96.txt",
        "2010/10MEXICO83.txt",
        "astana notes.txt",
    ]
    assert all(r.error is None and r.format == "text" and r.header is None for r in records)
    meta, header, body = page_to_cable(page_bytes("10MEXICO83"))
    assert records[2].body == f"{header}\n\n{body}"


def test_id_comes_from_a_file_name_that_is_a_reference_id_only(text_folder: Path) -> None:
    records = {r.item: r for r in read_source(text_folder)}
    assert records["2010/10MEXICO83.txt"].meta == {"id": "10MEXICO83", "id_source": "filename"}
    assert records["astana notes.txt"].meta == {}


def test_crlf_line_ends_become_newlines(text_folder: Path, page_bytes) -> None:
    _meta, _header, body = page_to_cable(page_bytes("08ASTANA338"))
    [r] = [r for r in read_source(text_folder) if r.item == "astana notes.txt"]
    assert r.body == body and "\r" not in r.body


def test_single_txt_file_and_a_zip_of_them(text_folder: Path, tmp_path: Path) -> None:
    single = text_folder / "04AMMAN1288.txt"
    [r] = list(read_source(single))
    assert r.item == "04AMMAN1288.txt" and r.meta["id"] == "04AMMAN1288"
    zpath = tmp_path / "texts.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(text_folder.rglob("*.txt")):
            zf.write(p, p.relative_to(text_folder).as_posix())
    assert pick_reader(zpath) is TextReader
    assert [r.error for r in read_source(zpath)] == [None] * 4


def test_reader_table_is_explicit_and_named() -> None:
    assert [r.name for r in READERS] == ["mirror", "csv", "text"]


def test_each_format_picks_its_reader(corpus_tgz: Path, corpus_dir: Path, cable_page, tmp_path: Path) -> None:
    csv = tmp_path / "cables.csv"
    csv.write_text('"1","1/1/2009 0:00","09X1","o","c","","h","b"\n', encoding="utf-8")
    assert pick_reader(corpus_tgz) is MirrorReader
    assert pick_reader(corpus_dir) is MirrorReader
    assert pick_reader(cable_page("10MEXICO83")) is MirrorReader
    assert pick_reader(csv) is CsvReleaseReader


def test_unknown_format_names_the_path_and_the_known_formats(tmp_path: Path) -> None:
    odd = tmp_path / "cables.docx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError) as err:
        pick_reader(odd)
    message = str(err.value)
    assert str(odd) in message
    assert "mirror" in message and "csv" in message and "text" in message


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        pick_reader(tmp_path / "nope.tar.gz")


def test_empty_folder_is_an_input_error_not_silence(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a format cabledesk knows"):
        pick_reader(tmp_path)

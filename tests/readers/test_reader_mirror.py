"""The mirror reader on the real 1,295 pages: tar.gz, folder, zip and single pages."""

from __future__ import annotations

import inspect
import shutil
import time
import tracemalloc
import zipfile
from pathlib import Path

from cabledesk.model import RawRecord
from cabledesk.readers import MirrorReader, pick_reader, read_source
from cabledesk.readers.mirror import clean_block

CORPUS_SIZE = 1295


def _check_whole_corpus(records, expect_prefix: str = "") -> None:
    assert len(records) == CORPUS_SIZE
    assert [r.error for r in records if r.error] == []
    for r in records:
        assert r.format == "mirror"
        assert r.meta["id"] == Path(r.item).stem
        assert r.item.startswith(expect_prefix)
        assert r.body and r.header is not None


def test_whole_real_tgz_streams_1295_pages_without_errors(corpus_tgz: Path) -> None:
    start = time.perf_counter()
    records = list(read_source(corpus_tgz))
    elapsed = time.perf_counter() - start
    _check_whole_corpus(records, "cablegate-2010-12/cable/")
    rate = len(records) / elapsed
    print(f"\nmirror tar.gz: {len(records)} pages in {elapsed:.2f}s = {rate:.0f} pages/s")
    assert rate > 200  # about 1,300 pages/s measured; a loose floor for slow CI machines


def test_unpacked_folder_gives_the_same_records_in_sorted_order(corpus_dir: Path, corpus_tgz: Path) -> None:
    from_folder = list(MirrorReader().read(corpus_dir))
    _check_whole_corpus(from_folder, "cable/")
    assert [r.item for r in from_folder] == sorted(r.item for r in from_folder)
    from_tar = {r.meta["id"]: r for r in MirrorReader().read(corpus_tgz)}
    for r in from_folder:
        assert (r.body, r.header, r.meta) == (
            from_tar[r.meta["id"]].body,
            from_tar[r.meta["id"]].header,
            from_tar[r.meta["id"]].meta,
        )


def test_zip_of_the_pages_reads_like_the_folder(
    corpus_dir: Path, all_pages: list[Path], tmp_path: Path
) -> None:
    zpath = tmp_path / "pages.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in all_pages:
            zf.write(p, p.relative_to(corpus_dir).as_posix())
    assert pick_reader(zpath) is MirrorReader
    records = list(read_source(zpath))
    _check_whole_corpus(records, "cable/")
    folder = {r.item: r.body for r in MirrorReader().read(corpus_dir)}
    assert all(folder[r.item] == r.body for r in records)


def test_meta_of_10MEXICO83_is_exactly_the_page_table(cable_page) -> None:
    [r] = list(read_source(cable_page("10MEXICO83")))
    assert r.item == "10MEXICO83.html"
    assert r.meta == {
        "id": "10MEXICO83",
        "created": "2010-01-29T20:08",
        "released": "2010-12-02T21:09",
        "classification": "SECRET",  # the link text; its title attribute says 'confidential'
        "origin": "Embassy Mexico",
    }
    assert (r.header or "").startswith("VZCZCXRO1882\nOO RUEHCD")
    assert r.body.startswith(
        "S E C R E T SECTION 01 OF 05 MEXICO 000083 \n\nSIPDIS \n"
    )  # trailing spaces kept
    assert "1. (SBU) Summary: The inauguration" in r.body
    assert "Calderon\u2019s vision" in r.body  # curly quotes kept
    assert r.body.endswith("more effectively and efficiently with their security partners. FEELEY")


def test_classification_counts_match_the_corpus_guide(corpus_tgz: Path) -> None:
    counts: dict[str, int] = {}
    for r in read_source(corpus_tgz):
        counts[r.meta["classification"]] = counts.get(r.meta["classification"], 0) + 1
    assert counts == {
        "CONFIDENTIAL": 605,
        "SECRET": 290,
        "SECRET//NOFORN": 217,
        "CONFIDENTIAL//NOFORN": 79,
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY": 68,
        "UNCLASSIFIED": 36,
    }


def test_mirror_markup_is_stripped_from_every_body_and_header(corpus_dir: Path) -> None:
    for r in MirrorReader().read(corpus_dir):
        for text in (r.body, r.header or ""):
            assert "<a " not in text and "</a>" not in text, r.item
            assert "\u00b6" not in text, r.item
            assert "&#x" not in text, r.item
            assert "<br>" not in text and "<strong>" not in text, r.item


def test_tag_links_keep_their_text(cable_page) -> None:
    [r] = list(read_source(cable_page("10MEXICO83")))
    assert "TAGS PGOV, PREL, PHUM, SNAR, KCRM, MX \n" in r.body


def test_lettered_paragraph_anchors_leave_the_letter(cable_page) -> None:
    [r] = list(read_source(cable_page("10MADRID87")))
    assert "<\nREF: A. 2009 MADRID 59 \n     B. " in r.body  # the raw "<" is the telegram's own


def test_stray_tags_of_09LAPAZ96_09TRIPOLI475_09ISLAMABAD3037_are_gone(cable_page) -> None:
    [lapaz] = list(read_source(cable_page("09LAPAZ96")))
    assert "SIPDIS \n\nE.O. 12958: DECL: 01/21/2019 \nTAGS: " in lapaz.body
    [tripoli] = list(read_source(cable_page("09TRIPOLI475")))
    assert "HYPERTENSION & DIABETES, \nBUT NOT CANCER \n \n4" in tripoli.body
    [islamabad] = list(read_source(cable_page("09ISLAMABAD3037")))
    assert "SIPDIS \nEO 12958 DECL: 12/18/2034 \nTAGS PREL, PGOV" in islamabad.body
    for r in (lapaz, tripoli, islamabad):
        assert "<" not in r.body


def test_raw_angle_brackets_and_ampersands_of_the_telegram_are_kept(cable_page) -> None:
    [khartoum] = list(read_source(cable_page("09KHARTOUM881")))
    assert "<<218634>" in khartoum.body
    [astana] = list(read_source(cable_page("08ASTANA338")))
    assert "Hollingsworth &pounding on the table8" in astana.body  # not "£ing" as html.unescape would


def test_strict_entity_decoding_leaves_lookalikes_alone() -> None:
    assert clean_block("R&D &amp; A&#x000A;&#8217;&not;&nothing") == "R&D & A\n\u2019&not;&nothing"


def test_reader_is_a_generator_that_never_holds_the_archive(corpus_tgz: Path) -> None:
    records = MirrorReader().read(corpus_tgz)
    first: RawRecord = next(records)
    assert first.error is None and first.meta["id"]
    gen = records
    assert inspect.isgenerator(gen)
    gen.close()
    tracemalloc.start()
    try:
        total = sum(len(r.body) + len(r.header or "") for r in MirrorReader().read(corpus_tgz))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 12_000_000  # about 13 MB of telegram text went through
    assert peak < 8_000_000, f"peak {peak} bytes: the reader holds more than a few pages"


def test_first_page_reads_from_an_archive_whose_end_is_missing(corpus_tgz: Path, tmp_path: Path) -> None:
    head = tmp_path / "head.tar.gz"
    head.write_bytes(corpus_tgz.read_bytes()[:400_000])  # the first few percent only
    records = MirrorReader().read(head)
    first = next(records)
    assert first.error is None and first.item.endswith(".html")  # streamed: no need to see the end


def test_single_page_copied_anywhere_is_read(cable_page, tmp_path: Path) -> None:
    copy = tmp_path / "saved page.htm"
    shutil.copy(cable_page("04AMMAN1288"), copy)
    assert pick_reader(copy) is MirrorReader
    [r] = list(read_source(copy))
    assert r.error is None and r.meta["id"] == "04AMMAN1288" and r.item == "saved page.htm"


def test_page_saved_under_another_id_is_flagged(cable_page, tmp_path: Path) -> None:
    wrong = tmp_path / "10MEXICO84.html"
    shutil.copy(cable_page("10MEXICO83"), wrong)
    [r] = list(read_source(wrong))
    assert r.meta["id"] == "10MEXICO83"
    assert r.meta["warning"] == "file name says 10MEXICO84, the page says 10MEXICO83"

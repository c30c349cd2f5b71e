"""Targeted tests on the real cables the field guide names as tricky."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cabledesk.errors import ParseError
from cabledesk.telegram import parse, parse_text


def test_10mexico83_scenesetter_fields(record_of) -> None:
    c = parse(record_of("10MEXICO83"))
    assert c.subject == (
        "Scenesetter for the Opening of the Defense Bilateral Working Group, Washington, D.C., February 1"
    )
    assert c.tags == ["PGOV", "PREL", "PHUM", "SNAR", "KCRM", "MX"]
    assert c.dtg == "292049Z JAN 10" and c.precedence == "IMMEDIATE" and c.from_ == "AMEMBASSY MEXICO"
    assert c.to == ["SECSTATE WASHDC"]
    assert "ALL US CONSULATES IN MEXICO COLLECTIVE" in c.info and "DIA WASHINGTON DC" in c.info
    assert c.declassify is not None and c.declassify.date == date(2020, 1, 29)
    assert "SIPDIS" in c.caveats
    assert c.signer == "FEELEY"


def test_10mexico83_section_break_is_removed_and_the_sentence_rejoined(record_of) -> None:
    c = parse(record_of("10MEXICO83"))
    numbered = {p.n: p for p in c.paragraphs if p.n is not None}
    assert sorted(numbered) == list(range(1, 18))
    assert "With a strategy best described as political pragmatism" in numbered[4].text
    assert all("00000083" not in p.text for p in c.paragraphs)
    assert numbered[17].text.endswith("security partners.") and "FEELEY" not in numbered[17].text
    assert numbered[6].marking == "S" and numbered[1].marking == "SBU"


def test_10mexico83_text_only_rebuilds_id_and_dtg_date(record_of) -> None:
    rec = record_of("10MEXICO83")
    c = parse_text(rec.header + "\n\n" + rec.body)
    assert c.id == "10MEXICO83"
    assert c.created == datetime(2010, 1, 29, 20, 49)
    assert c.classification == "SECRET" and c.origin == "Embassy Mexico" and c.released is None


def test_10mexico614_page_and_body_disagree_and_both_are_kept(record_of) -> None:
    c = parse(record_of("10MEXICO614"))
    assert c.id == "10MEXICO614" and c.classification == "UNCLASSIFIED" and c.origin == "Embassy Mexico"
    by_field = {(k.field, k.telegram) for k in c.conflicts}
    assert ("classification", "SECRET") in by_field
    assert ("id", "10ISLAMABAD416") in by_field
    assert ("origin", "Embassy Islamabad") in by_field


def test_88baghdad28_is_a_2009_state_cable_in_sentence_case(record_of) -> None:
    c = parse(record_of("88BAGHDAD28"))
    assert c.created is not None and c.created.year == 1988
    assert {k.field for k in c.conflicts} >= {"id", "classification"}
    assert c.tags[:2] == ["MTCRE", "PARM"]
    assert "SIPDIS" in c.caveats


@pytest.mark.parametrize("cable_id", ["03ABUDHABI2641", "09DOHA214"])
def test_email_printouts_parse_with_their_real_routing(record_of, cable_id: str) -> None:
    rec = record_of(cable_id)
    c = parse(rec)
    assert c.from_ is not None and c.from_.startswith("AMEMBASSY")
    assert c.dtg is not None and c.subject
    alone = parse_text(rec.header + "\n\n" + rec.body)
    assert alone.id == cable_id


def test_09doha214_tag_spelling_without_s(record_of) -> None:
    c = parse(record_of("09DOHA214"))
    assert c.tags[0] == "PTER" and c.tags[-1] == "QA"
    assert c.classification_label == "SECRET//NOFORN" and "NOFORN" in c.caveats


@pytest.mark.parametrize("cable_id", ["09KUWAIT110", "09KHARTOUM881"])
def test_database_dump_before_the_header_is_skipped(record_of, cable_id: str) -> None:
    rec = record_of(cable_id)
    c = parse(rec)
    assert c.classified_by is not None and c.classified_by.reasons
    assert c.subject and not c.subject.startswith("GOK/GOSS")  # the real header, not the dump's copy
    assert [p.n for p in c.paragraphs if p.n][:3] == [1, 2, 3]
    assert parse_text(rec.header + "\n\n" + rec.body).id == cable_id


def test_09khartoum881_sentence_case_header_fields(record_of) -> None:
    c = parse(record_of("09KHARTOUM881"))
    assert c.declassify is not None and c.declassify.date == date(2019, 7, 28)
    assert c.tags[-1] == "CF"  # continuation line
    assert c.subject == "gok/goss agree on timetable for second tank shipment"


@pytest.mark.parametrize(
    "cable_id,level",
    [
        ("05PARIS1699", "SECRET"),
        ("09MOSCOW1108", "SECRET"),
        ("10BAGHDAD290", "CONFIDENTIAL"),
        ("06MANAGUA1002", "UNCLASSIFIED"),
        ("07BAGHDAD146", "SECRET"),
    ],
)
def test_damaged_classification_lines_are_recovered_and_flagged(record_of, cable_id: str, level: str) -> None:
    c = parse(record_of(cable_id))
    repairs = [k for k in c.conflicts if k.field == "classification_line"]
    assert len(repairs) == 1 and repairs[0].metadata is None
    assert repairs[0].note == f"damaged classification line read as {level}"
    assert repairs[0].telegram and repairs[0].telegram in record_of(cable_id).body
    # a repair is not a page-vs-telegram disagreement
    assert not any(k.field == "classification" and k.metadata is None for k in c.conflicts)


def test_08state93970_editor_note_does_not_hide_the_header(record_of) -> None:
    c = parse(record_of("08STATE93970"))
    assert c.subject == "LIFELINES FOR IPCC WORKING GROUP ELECTION"
    assert c.classification == "CONFIDENTIAL" and c.signer == "RICE"


def test_partial_extracts_parse_with_metadata_and_fail_cleanly_without_a_date(page_records) -> None:
    partial = [r for r in page_records if (r.header or "").startswith("This record is a partial extract")]
    assert len(partial) == 92
    for rec in partial:
        c = parse(rec)
        assert c.id == rec.meta["id"] and c.paragraphs
    rec = next(r for r in partial if r.meta["id"] == "04AMMAN1288")
    with pytest.raises(ParseError, match="AMMAN 001288"):
        parse_text(rec.header + "\n\n" + rec.body)


def test_continued_tags_lines(record_of) -> None:
    assert parse(record_of("07PARIS921")).tags[-1] == "KDEM"
    tags = parse(record_of("08PARIS957")).tags
    assert tags[:2] == ["ECON", "FINR"] and tags[-1] == "YI"


def test_free_text_and_person_tags_are_kept_whole(record_of, page_records) -> None:
    assert parse(record_of("05SOFIA1207")).tags[-1] == "Organized Crime"
    persons = [t for rec in page_records for t in parse(rec).tags if t.startswith("(")]
    assert "(CLINTON, HILLARY)" in persons
    assert any(t.upper().startswith("(STEINBERG, JAMES B.") for t in persons)


def test_odd_declassification_lines(record_of) -> None:
    decl = {
        i: parse(record_of(i)).declassify
        for i in ("08STATE116943", "09MEXICO193", "75TEHRAN2069", "10SHENYANG5")
    }
    assert all(d is not None for d in decl.values())
    assert decl["08STATE116943"].raw == "E.O. 12958: DECL: MR"  # type: ignore[union-attr]
    d = decl["09MEXICO193"]
    assert d is not None and "DNG: CO 01/22/2019" in d.raw and d.date == date(2019, 1, 22)
    assert decl["75TEHRAN2069"].raw.startswith("E.O. 11652")  # type: ignore[union-attr]
    assert decl["10SHENYANG5"].date is None  # type: ignore[union-attr]


def test_classified_by_reasons_are_normalised(record_of) -> None:
    cb = parse(record_of("09STATE15113")).classified_by
    assert cb is not None and cb.reasons == ["1.4(b)", "1.4(d)", "1.4(e)", "1.4(g)"]
    cb = parse(record_of("00HARARE6677")).classified_by
    assert cb is not None and cb.reasons == ["1.5(b)", "1.5(d)"] and cb.title == "AMBASSADOR"
    assert cb.name == "TOM MCDONALD"


def test_page_break_noise_does_not_leak_into_the_subject(record_of) -> None:
    assert (
        parse(record_of("00HARARE6677")).subject
        == "ASSISTANT SECRETARY MEETS WITH ZIMBABWE OPPOSITION LEADER"
    )


def test_signer_on_own_line_and_trailers(record_of) -> None:
    assert parse(record_of("04AMMAN1288")).signer == "GNEHM"
    assert parse(record_of("04CARACAS2200")).signer is not None


def test_portion_marks_on_numbered_paragraphs_keep_their_form(page_records) -> None:
    seen: set[str] = set()
    for rec in page_records:
        seen.update(p.marking for p in parse(rec).paragraphs if p.marking)
    assert {"C", "S", "SBU", "S/NF", "U", "C/NF", "S//NF", "C//NF", "U//FOUO"} <= seen


def test_odd_letter_spacing_is_read_without_a_flag(record_of) -> None:
    rec = record_of("09BAKU744")  # "C ONFIDENTIAL SECTION 01 of 03 BAKU 000744"
    c = parse_text(rec.header + "\n\n" + rec.body)
    assert c.id == "09BAKU744" and c.classification == "CONFIDENTIAL" and not c.conflicts


def test_09moscow1108_body_is_another_posts_secret_cable(record_of) -> None:
    c = parse(record_of("09MOSCOW1108"))  # "CSE C R E T SECTION 01 OF 02 SHENYANG 000004"
    assert c.classification == "CONFIDENTIAL"  # the page wins
    assert ("classification", "SECRET") in {(k.field, k.telegram) for k in c.conflicts}
    assert ("id", "09SHENYANG4") in {(k.field, k.telegram) for k in c.conflicts}

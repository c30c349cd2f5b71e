"""Regression tests for parser fixes found with the golden files (one test per failure class)."""

from __future__ import annotations

from cabledesk.model import RawRecord
from cabledesk.refline import parse_ref_items
from cabledesk.telegram import parse, parse_text
from cabledesk.telegram_fields import parse_classified_by, parse_tags


def _numbered(cable) -> dict[int, str]:
    return {p.n: p.text for p in cable.paragraphs if p.n is not None}


def test_last_paragraph_with_a_url_is_kept_and_the_signer_taken(record_of) -> None:
    c = parse(record_of("88BAGHDAD28"))
    assert c.signer == "Clinton"
    last = c.paragraphs[-1]
    assert last.n == 6 and last.text.endswith("www.state.sgov.gov/demarche.")


def test_foreign_body_id_takes_a_year_the_body_can_have(record_of) -> None:
    c = parse(record_of("88BAGHDAD28"))  # 1988 Baghdad header, 2009 State body ("as of mid-May 2009")
    ids = [k for k in c.conflicts if k.field == "id"]
    assert [k.telegram for k in ids] == ["09STATE68250"] and "2009" in ids[0].note
    assert {"classification", "origin"} <= {k.field for k in c.conflicts}
    c = parse(record_of("10MEXICO614"))  # same-year foreign body: the header year stands
    assert ("id", "10ISLAMABAD416") in {(k.field, k.telegram) for k in c.conflicts}


def test_website_trailers_are_cut_without_losing_paragraphs(record_of) -> None:
    c = parse(record_of("06PARIS5975"))  # trailer glued to the end of paragraph 6
    assert c.signer == "STAPLETON" and 6 in _numbered(c)
    assert "Classified Website" not in _numbered(c)[6]
    c = parse(record_of("08LONDON1350"))  # "... Portal:Unit ed_Kingdom TUTTLE" glued to paragraph 5
    assert c.signer == "TUTTLE" and _numbered(c)[5].endswith(".")
    c = parse(record_of("06KIEV1261"))  # the trailer is numbered paragraph 15: kept whole
    assert c.signer == "Herbst" and "classified website" in _numbered(c)[15]
    c = parse(record_of("10LUXEMBOURG5"))  # URLs inside a paragraph are text
    assert c.signer == "Stroum" and "wikipedia" in _numbered(c)[9]


def test_old_page_headers_and_repeated_section_headers_are_removed(record_of) -> None:
    c = parse(record_of("00HARARE6677"))
    text = " ".join(p.text for p in c.paragraphs)
    for noise in ("PAGE 0", "PTQ18", "LOG-00", "ACTION AF-00", "GAYLE SMITH"):
        assert noise not in text
    assert [p.n for p in c.paragraphs] == list(range(1, 13))
    assert _numbered(c)[11].startswith("COMMENT: TSVANGIRAI WAS FRANK")
    assert "RUEHFRA" not in " ".join(p.text for p in parse(record_of("07PARIS170")).paragraphs)


def test_section_breaks_inside_a_line_are_removed(record_of) -> None:
    c = parse(record_of("08TEGUCIGALPA459"))  # post cut to ten letters: "TEGUCIGALP 00000459 002 OF 004"
    text = " ".join(p.text for p in c.paragraphs)
    assert "00000459" not in text and "he delivered a ringing speech" in text
    c = parse(record_of("09RIODEJANEIRO329"))  # "RIO DE JAN 00000329 002 OF 004"
    assert "RIO DE JAN" not in " ".join(p.text for p in c.paragraphs)


def test_paragraph_numbers_out_of_sequence_are_kept_as_written(record_of) -> None:
    assert [p.n for p in parse(record_of("79TEHRAN8980")).paragraphs] == [1, 2, 3, 4, 5, 6, 6, 7]
    assert [p.n for p in parse(record_of("06MADRID934")).paragraphs][6:10] == [7, 10, 9, 10]
    # a quoted list restarting at 1 inside a paragraph does not open paragraphs
    assert [p.n for p in parse(record_of("07MADRID1952")).paragraphs] == [1, 2, 3]


def test_classified_by_glued_text_goes_back_to_the_body(record_of) -> None:
    c = parse(record_of("09TRIPOLI65"))  # "REASON: 1.4 (b), (d) 1. (C/NF) Summary: ..."
    assert c.classified_by is not None and c.classified_by.reasons == ["1.4(b)", "1.4(d)"]
    assert "Summary" not in c.classified_by.text and _numbered(c)[1].startswith("Summary:")
    c = parse(record_of("05SOFIA1207"))  # reasons after a blank line
    assert c.classified_by is not None and c.classified_by.reasons == ["1.4(c)"]
    assert c.paragraphs[0].n == 1
    c = parse(record_of("08KUALALUMPUR317"))  # the whole text under REF: STATE 40380
    assert [r.raw for r in c.references] == ["STATE 40380"] and c.paragraphs[0].marking == "SBU"


def test_classified_by_spellings() -> None:
    cases = {
        "POLITICAL MINISTER-COUNSELOR JOSIAH ROSENBLATT, FOR REAS ONS 1.4 B/D": (
            "JOSIAH ROSENBLATT", "POLITICAL MINISTER-COUNSELOR", ["1.4(b)", "1.4(d)"]),
        "PolMC Josiah Rosenblatt for reasons 1.4 (B & D).": ("Josiah Rosenblatt", "PolMC", ["1.4(b)", "1.4(d)"]),
        "EUR ASSISTANT SECRETARY MARCIE RIES,\nACTING FOR REASONS 1.4 (D)": (
            "MARCIE RIES", "EUR ASSISTANT SECRETARY, ACTING", ["1.4(d)"]),
        "Charge d'Affaires Arnold A. Chacon for reasons 1.4 (b) a nd (d).": (
            "Arnold A. Chacon", "Charge d'Affaires", ["1.4(b)", "1.4(d)"]),
        "DUDDY, AMBASSADOR, DOS, AMB; REASON: 1.4(B), (D)": ("DUDDY", "AMBASSADOR, DOS, AMB", ["1.4(b)", "1.4(d)"]),
        "Ambassador Karl W. Eikenberry for Reasons 1:4 b,d": ("Karl W. Eikenberry", "Ambassador", ["1.4(b)", "1.4(d)"]),
        "Charge d'Affaires Todd C.Chapman, Reasons 1.4(b+d)": (
            "Todd C.Chapman", "Charge d'Affaires", ["1.4(b)", "1.4(d)"]),
        "Acting Minister Counselor for Political Affairs Andrew Y oung, 1.4 (b/d).": (
            "Andrew Young", "Acting Minister Counselor for Political Affairs", ["1.4(b)", "1.4(d)"]),
        "Ambassador, reason 1.4 (b,d)": (None, "Ambassador", ["1.4(b)", "1.4(d)"]),
        "RBlau, Charge, state, FO; REASON: 1.4(B), (D)": ("RBlau", "Charge, state, FO", ["1.4(b)", "1.4(d)"]),
    }  # fmt: skip
    for text, (name, title, reasons) in cases.items():
        cb = parse_classified_by(text)
        assert (cb.name, cb.title, cb.reasons) == (name, title, reasons), text


def test_classified_by_lines_the_header_missed(record_of) -> None:
    cb = parse(record_of("08STATE93970")).classified_by  # "Classified By: Classified by IO/DAS ..."
    assert cb is not None and (cb.name, cb.title) == ("Gerald Anderson", "IO/DAS")


def test_tags_follow_each_line_style() -> None:
    assert parse_tags("OVIP CLINTON HILLARY PREL KPAL FR IR RS\nNATO, UK, CN") == [
        "OVIP", "CLINTON", "HILLARY", "PREL", "KPAL", "FR", "IR", "RS", "NATO", "UK", "CN"]  # fmt: skip
    assert parse_tags("PREL, PGOV, PINR, PBTS, EUN, USEU BRUSSELS")[-1] == "USEU BRUSSELS"
    assert parse_tags("PINR, KCRM, BU, Organized Crime")[-1] == "Organized Crime"
    assert parse_tags("PGOV, ECON KISL, SA") == ["PGOV", "ECON", "KISL", "SA"]
    assert parse_tags("PREL PGOV CVIS IT ITALY ITALIAN POLITICS")[-2:] == ["ITALIAN", "POLITICS"]
    assert parse_tags("ovip (steinberg, james b.), prel,\npgov") == [
        "OVIP",
        "(STEINBERG, JAMES B.)",
        "PREL",
        "PGOV",
    ]
    assert parse_tags("OVIP (CLINTON,\nHILLARY), PREL") == ["OVIP", "(CLINTON, HILLARY)", "PREL"]


def test_ref_year_written_after_the_serial() -> None:
    refs = parse_ref_items("A. DOHA 311 (07), B. DOHA 75 (08).", "09DOHA214", 2009)
    assert [(r.id, r.year_source) for r in refs] == [("07DOHA311", "stated"), ("08DOHA75", "stated")]
    refs = parse_ref_items("DOHA 311 (07) AND DOHA 75 (2008)", "09DOHA214", 2009)
    assert [r.id for r in refs] == ["07DOHA311", "08DOHA75"]


def test_09doha214_refs_with_years_after(record_of) -> None:
    c = parse(record_of("09DOHA214"))
    assert [r.id for r in c.references] == ["09STATE15113", "08DOHA152", "08DOHA75", "07DOHA311"]


def test_prose_on_the_ref_line_stays_in_the_body(record_of) -> None:
    c = parse(record_of("09STATE15113"))
    assert [(r.raw, r.id) for r in c.references] == [("STATE 6461", "09STATE6461")]
    assert c.paragraphs[0].n is None and c.paragraphs[0].text.startswith("PLEASE PASS TO RSO, POLOFF")
    assert c.classified_by is not None and c.classified_by.name == "Susan F. Burk"


def test_dateless_text_parses_when_the_id_is_known(record_of) -> None:
    rec = record_of("04AMMAN1288")  # partial extract, no date anywhere
    text = rec.header + "\n\n" + rec.body
    c = parse_text(text, {"id": "04AMMAN1288"})
    assert c.id == "04AMMAN1288" and c.created is None and c.classification == "SECRET"
    assert c.paragraphs and c.signer == "GNEHM" and c.subject
    # the text reader's record (id from the file name) goes through parse() the same way
    r = RawRecord(source="x", item="04AMMAN1288.txt", format="text", body=text,
                  meta={"id": "04AMMAN1288", "id_source": "filename"})  # fmt: skip
    assert parse(r).to_dict()["paragraphs"] == c.to_dict()["paragraphs"]

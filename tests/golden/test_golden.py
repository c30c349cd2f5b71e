"""Golden tests: expectations written by hand from reading each cable page (see README.md here).

Each ``expected/<ID>.json`` holds a *subset* of the ``Cable.to_dict()`` contract plus a few
paragraph checks. Only the keys present are checked; a key left out means "not settled, not
asserted" (the reason is in the file's ``_notes`` and in README.md).

Two tests per cable:

* ``test_golden_mirror``: MirrorReader record -> ``telegram.parse(record)``, every expectation.
* ``test_golden_text_only``: header + body as plain text -> ``telegram.parse_text(text)`` with no
  metadata; classification level, tags, created date (from the DTG) and reference ids.

The parser and the readers are imported inside the tests, so this module always collects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXPECTED_DIR = Path(__file__).parent / "expected"
EXPECTED_FILES = sorted(EXPECTED_DIR.glob("*.json"))

#: The cables the issue names; each must have an expected file.
REQUIRED_IDS = {
    "10MEXICO83", "09MEXICO2882", "10MEXICO614", "88BAGHDAD28", "09KUWAIT110", "03ABUDHABI2641",
    "00HARARE6677", "05PARIS1699", "08STATE93970", "09STATE15113", "08STATE116943",
    "01PRETORIA1173", "08BRASILIA429", "72TEHRAN1164", "89PANAMA8545", "10BERLIN180",
}  # fmt: skip

SCALAR_FIELDS = (
    "id", "created", "released", "origin", "classification", "classification_label", "dtg",
    "from", "subject", "subject_marking", "signer",
)  # fmt: skip
EXACT_LIST_FIELDS = ("to", "tags")
KNOWN_KEYS = {
    *SCALAR_FIELDS, *EXACT_LIST_FIELDS, "caveats", "caveats_include", "caveats_exclude",
    "tags_include", "references", "classified_by", "declassify", "paragraph_count", "paragraphs",
    "conflicts_fields", "conflicts_fields_allowed", "text_only", "text_only_skip",
    "text_only_skip_reason", "text_only_raises", "text_only_reason", "_notes",
}  # fmt: skip
PARAGRAPH_KEYS = {
    "n",
    "occurrence",
    "last",
    "marking",
    "starts_with",
    "ends_with",
    "contains",
    "not_contains",
}
TEXT_ONLY_FIELDS = {"classification", "tags", "created", "references"}
#: Errors a text-only parse may be expected to raise (cabledesk.errors), by name.
ERRORS = ("ParseError",)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _norm(text: str | None) -> str:
    """Whitespace-insensitive form: runs of spaces/newlines become one space (hard wraps vary)."""
    return " ".join((text or "").split())


def _params() -> list[Any]:
    return [pytest.param(p, id=p.stem) for p in EXPECTED_FILES]


# --------------------------------------------------------------------------- building the cable


def _read_record(cable_page, cable_id: str):
    from cabledesk.readers.mirror import MirrorReader

    page = cable_page(cable_id)
    records = list(MirrorReader().read(page))
    assert len(records) == 1, (
        f"{cable_id}: MirrorReader yielded {len(records)} records for {page}, expected 1"
    )
    record = records[0]
    assert record.error is None, f"{cable_id}: MirrorReader marked the page unusable: {record.error}"
    return record


def _parse_mirror(cable_page, cable_id: str) -> dict[str, Any]:
    from cabledesk import telegram

    return telegram.parse(_read_record(cable_page, cable_id)).to_dict()


def _parse_text_only(cable_page, cable_id: str) -> dict[str, Any]:
    from cabledesk import telegram

    record = _read_record(cable_page, cable_id)
    text = f"{record.header}\n\n{record.body}" if record.header else record.body
    return telegram.parse_text(text).to_dict()


# --------------------------------------------------------------------------- comparisons
# Each helper appends readable messages to ``errs`` so one run shows every wrong field at once.


def _is_subsequence(needles: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needles)


def _check_tags(exp: dict[str, Any], got: dict[str, Any], errs: list[str]) -> None:
    if "tags" in exp and got["tags"] != exp["tags"]:
        errs.append(f"tags: expected {exp['tags']}, got {got['tags']}")
    if "tags_include" in exp and not _is_subsequence(exp["tags_include"], got["tags"]):
        errs.append(f"tags: expected to contain, in this order, {exp['tags_include']}; got {got['tags']}")


def _check_references(exp_refs: list[dict[str, Any]], got_refs: list[dict[str, Any]], errs: list[str],
                      keys: tuple[str, ...] | None = None) -> None:  # fmt: skip
    if len(got_refs) != len(exp_refs):
        errs.append(
            f"references: expected {len(exp_refs)} items, got {len(got_refs)}: "
            f"{[(r.get('raw'), r.get('id')) for r in got_refs]}"
        )
        return
    for i, (e, g) in enumerate(zip(exp_refs, got_refs, strict=True)):
        for k, v in e.items():
            if keys is not None and k not in keys:
                continue
            if g.get(k) != v:
                errs.append(f"references[{i}].{k}: expected {v!r}, got {g.get(k)!r} (raw={g.get('raw')!r})")


def _locate(paragraphs: list[dict[str, Any]], chk: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    if chk.get("last"):
        label = "last paragraph"
        return (paragraphs[-1] if paragraphs else None), label
    n, occ = chk["n"], chk.get("occurrence", 1)
    label = f"paragraph {n}" + (f" (occurrence {occ})" if occ != 1 else "")
    matches = [p for p in paragraphs if p.get("n") == n]
    return (matches[occ - 1] if len(matches) >= occ else None), label


def _check_paragraph(chk: dict[str, Any], paragraphs: list[dict[str, Any]], errs: list[str]) -> None:
    para, label = _locate(paragraphs, chk)
    if para is None:
        errs.append(f"{label}: not found; paragraph numbers parsed: {[p.get('n') for p in paragraphs]}")
        return
    if chk.get("last") and "n" in chk and para.get("n") != chk["n"]:
        errs.append(f"{label}: expected n={chk['n']}, got n={para.get('n')}")
    text = _norm(para.get("text"))
    short = text if len(text) <= 160 else f"{text[:80]} … {text[-80:]}"
    if "marking" in chk and para.get("marking") != chk["marking"]:
        errs.append(f"{label}: marking expected {chk['marking']!r}, got {para.get('marking')!r}")
    if "starts_with" in chk and not text.startswith(_norm(chk["starts_with"])):
        errs.append(f"{label}: should start with {chk['starts_with']!r}; text is {short!r}")
    if "ends_with" in chk and not text.endswith(_norm(chk["ends_with"])):
        errs.append(f"{label}: should end with {chk['ends_with']!r}; text is {short!r}")
    for c in chk.get("contains", []):
        if _norm(c) not in text:
            errs.append(f"{label}: should contain {c!r}; text is {short!r}")
    for c in chk.get("not_contains", []):
        if c in text:
            errs.append(f"{label}: must not contain {c!r}; text is {short!r}")


def _check_conflicts(exp: dict[str, Any], got: dict[str, Any], errs: list[str]) -> None:
    # Page-vs-telegram disagreements only; repairs of a damaged line carry no metadata value.
    flagged = {c["field"] for c in got["conflicts"] if c["metadata"] is not None}
    required = set(exp["conflicts_fields"])
    allowed = required | set(exp.get("conflicts_fields_allowed", []))
    if missing := required - flagged:
        errs.append(f"conflicts: expected {sorted(missing)} to be flagged; flagged {sorted(flagged)}")
    if extra := flagged - allowed:
        errs.append(
            f"conflicts: unexpected {sorted(extra)} flagged "
            f"({[c for c in got['conflicts'] if c['field'] in extra]})"
        )


def _compare(exp: dict[str, Any], got: dict[str, Any]) -> list[str]:
    errs: list[str] = []
    for f in SCALAR_FIELDS:
        if f in exp and got.get(f) != exp[f]:
            errs.append(f"{f}: expected {exp[f]!r}, got {got.get(f)!r}")
    if "to" in exp and got["to"] != exp["to"]:
        errs.append(f"to: expected {exp['to']}, got {got['to']}")
    _check_tags(exp, got, errs)
    if "caveats" in exp and sorted(got["caveats"]) != sorted(exp["caveats"]):
        errs.append(f"caveats: expected {sorted(exp['caveats'])}, got {sorted(got['caveats'])}")
    for c in exp.get("caveats_include", []):
        if c not in got["caveats"]:
            errs.append(f"caveats: expected {c!r} among {got['caveats']}")
    for c in exp.get("caveats_exclude", []):
        if c in got["caveats"]:
            errs.append(f"caveats: {c!r} must not be claimed (not in the cable); got {got['caveats']}")
    if "references" in exp:
        _check_references(exp["references"], got["references"], errs)
    if "classified_by" in exp:
        e_cb, g_cb = exp["classified_by"], got["classified_by"]
        if e_cb is None:
            if g_cb is not None:
                errs.append(f"classified_by: expected none (no such line), got {g_cb}")
        elif g_cb is None:
            errs.append(f"classified_by: expected {e_cb}, got None")
        else:
            for k, v in e_cb.items():
                if g_cb.get(k) != v:
                    errs.append(
                        f"classified_by.{k}: expected {v!r}, got {g_cb.get(k)!r} (text={g_cb.get('text')!r})"
                    )
    if "declassify" in exp:
        e_date = exp["declassify"]["date"]
        g_date = (got["declassify"] or {}).get("date")
        if e_date is not None and got["declassify"] is None:
            errs.append(f"declassify: expected date {e_date}, got no declassify line")
        elif g_date != e_date:
            errs.append(
                f"declassify.date: expected {e_date!r}, got {g_date!r} (raw={(got['declassify'] or {}).get('raw')!r})"
            )
    if "paragraph_count" in exp:
        numbered = [p.get("n") for p in got["paragraphs"] if p.get("n") is not None]
        if len(numbered) != exp["paragraph_count"]:
            errs.append(
                f"paragraph_count: expected {exp['paragraph_count']} numbered paragraphs, got {len(numbered)}: {numbered}"
            )
    for chk in exp.get("paragraphs", []):
        _check_paragraph(chk, got["paragraphs"], errs)
    if "conflicts_fields" in exp:
        _check_conflicts(exp, got, errs)
    return errs


# --------------------------------------------------------------------------- tests


def test_expected_files_cover_the_issue() -> None:
    ids = {p.stem for p in EXPECTED_FILES}
    assert REQUIRED_IDS <= ids, f"missing expected files: {sorted(REQUIRED_IDS - ids)}"


@pytest.mark.parametrize("path", _params())
def test_expected_file_is_well_formed(path: Path) -> None:
    """The hand-written files themselves: known keys only, id = file name, skips carry a reason."""
    exp = _load(path)
    assert exp["id"] == path.stem, f"{path.name}: id {exp['id']!r} differs from the file name"
    assert not (unknown := set(exp) - KNOWN_KEYS), f"{path.name}: unknown keys {sorted(unknown)}"
    assert "conflicts_fields" in exp, f"{path.name}: state the expected conflicts ([] if none)"
    for chk in exp.get("paragraphs", []):
        assert set(chk) <= PARAGRAPH_KEYS, f"{path.name}: unknown paragraph keys {set(chk) - PARAGRAPH_KEYS}"
        assert "n" in chk or chk.get("last"), f"{path.name}: paragraph check without a locator: {chk}"
    skips = set(exp.get("text_only_skip", []))
    assert skips <= TEXT_ONLY_FIELDS, f"{path.name}: unknown text-only skips {skips - TEXT_ONLY_FIELDS}"
    if skips:
        assert exp.get("text_only_skip_reason"), f"{path.name}: text_only_skip needs text_only_skip_reason"
    if "text_only_raises" in exp:
        assert exp["text_only_raises"] in ERRORS, f"{path.name}: text_only_raises must name one of {ERRORS}"
        assert exp.get("text_only_reason"), f"{path.name}: text_only_raises needs text_only_reason"
    level = exp.get("text_only", {}).get("classification", exp.get("classification"))
    assert level in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"), (
        f"{path.name}: the text-only test needs a classification level (classification or text_only)"
    )
    assert "tags" in exp or "tags_include" in exp, f"{path.name}: no tag expectation"


@pytest.mark.parametrize("path", _params())
def test_golden_mirror(path: Path, cable_page) -> None:
    exp = _load(path)
    got = _parse_mirror(cable_page, exp["id"])
    errs = _compare(exp, got)
    assert not errs, (
        f"{exp['id']} (mirror page) differs from the hand-written expectation:\n  " + "\n  ".join(errs)
    )


@pytest.mark.parametrize("path", _params())
def test_golden_text_only(path: Path, cable_page) -> None:
    """Plain telegram text, no metadata table: what the text alone must still yield."""
    exp = _load(path)
    if "text_only_raises" in exp:
        # The text alone cannot yield a cable (e.g. no date anywhere, so no canonical id): the parser
        # must refuse with the documented error instead of inventing values. Reason: text_only_reason.
        from cabledesk import errors

        with pytest.raises(getattr(errors, exp["text_only_raises"])):
            _parse_text_only(cable_page, exp["id"])
        return
    skip = set(exp.get("text_only_skip", []))
    over = exp.get("text_only", {})
    got = _parse_text_only(cable_page, exp["id"])
    errs: list[str] = []

    level = over.get("classification", exp.get("classification"))
    if got["classification"] != level:
        errs.append(f"classification: expected {level!r}, got {got['classification']!r}")
    if "tags" not in skip:
        _check_tags(exp, got, errs)
    if "created" not in skip:
        day = exp["created"][:10]  # the DTG date always equals the page's created date (CABLE-FORMAT.md)
        got_day = (got["created"] or "")[:10] or None
        if got_day != day:
            errs.append(f"created date (from the DTG): expected {day}, got {got['created']!r}")
    if "references" not in skip and "references" in exp:
        _check_references(exp["references"], got["references"], errs, keys=("id",))
    assert not errs, f"{exp['id']} (text only, no metadata) differs:\n  " + "\n  ".join(errs)

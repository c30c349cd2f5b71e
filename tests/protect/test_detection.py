"""Detection against the hand-checked marker list, and cross-cable mentions against a grep oracle."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from protect_kit import OUTPUT

from cabledesk.desk import Desk
from cabledesk.protect_detect import MARKER, find_markers, scan
from cabledesk.protect_names import fold


def _norm_marker(m: str) -> str:
    return " ".join(m.lower().split())


def _pair(truth: list[dict[str, Any]], desk: Desk) -> tuple[list[tuple[dict[str, Any], Any]], list[Any], list[dict[str, Any]]]:
    """Pair each hand-checked marker with a detected one (same cable, same marker text, in order)."""
    found = [f for f in scan(desk, suggest_sources=False).findings if f.kind in ("marker", "redacted", "descriptor")]
    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for f in sorted(found, key=lambda f: (f.cable_id, f.index or 0, f.start)):
        by_key[(f.cable_id, _norm_marker(f.marker or ""))].append(f)
    pairs, missed = [], []
    for t in truth:
        bucket = by_key.get((t["id"], _norm_marker(t["marker"])))
        if bucket:
            pairs.append((t, bucket.pop(0)))
        else:
            missed.append(t)
    extra = [f for b in by_key.values() for f in b]
    return pairs, extra, missed


def _name_ok(t: dict[str, Any], f: Any) -> bool:
    if t["name"] == "REDACTED":
        return bool(f.kind == "redacted")
    if t["name"] is None:
        return bool(f.kind == "descriptor")
    return bool(f.kind == "marker" and fold(f.name) == fold(t["name"]))


def test_every_hand_checked_marker_is_found_and_nothing_else(truth: list[dict[str, Any]], desk: Desk) -> None:
    pairs, extra, missed = _pair(truth, desk)
    assert missed == [], f"markers not detected: {missed}"
    assert extra == [], f"detections that are not markers: {[(f.cable_id, f.marker, f.name) for f in extra]}"


def test_protected_names_are_attributed_with_measured_precision_and_recall(truth: list[dict[str, Any]], desk: Desk) -> None:
    pairs, extra, missed = _pair(truth, desk)
    named = [t for t in truth if t["name"] not in (None, "REDACTED")]
    named_ok = [t for t, f in pairs if t in named and _name_ok(t, f)]
    said_named = [f for _, f in pairs if f.kind == "marker"] + [f for f in extra if f.kind == "marker"]
    said_named_ok = [f for t, f in pairs if f.kind == "marker" and _name_ok(t, f)]
    kinds_ok = [t for t, f in pairs if _name_ok(t, f)]
    para_ok = [t for t, f in pairs if f.paragraph == t["paragraph"]]
    report = {
        "markers_truth": len(truth), "cables_truth": len({t["id"] for t in truth}),
        "marker_precision": len(pairs) / max(1, len(pairs) + len(extra)),
        "marker_recall": len(pairs) / len(truth),
        "name_precision": len(said_named_ok) / max(1, len(said_named)),
        "name_recall": len(named_ok) / len(named),
        "attribution_accuracy": len(kinds_ok) / len(truth),
        "paragraph_agreement": len(para_ok) / len(truth),
        "wrong": [{"id": t["id"], "truth": t["name"], "found": f.name, "kind": f.kind} for t, f in pairs if not _name_ok(t, f)],
        "paragraph_mismatch": [{"id": t["id"], "truth": t["paragraph"], "found": f.paragraph} for t, f in pairs
                               if f.paragraph != t["paragraph"]],
    }
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "protect-detection.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))
    assert report["name_precision"] >= 0.95, report["wrong"]
    assert report["name_recall"] >= 0.9, report["wrong"]
    assert report["attribution_accuracy"] >= 0.9, report["wrong"]


def test_marker_spellings_from_the_field_guide_are_recognised() -> None:
    for written in ("(protect)", "(strictly protect)", "(PROTECT THROUGHOUT)", "(strictly protect - see reftels)",
                    "(STRICTLY PROTECT)", "(please\nprotect)", "(strictly protect throughout,)", "(again, please protect)"):
        assert MARKER.fullmatch(written), written
    for prose in ("(responsibility to protect)", "(protected areas)", "Please protect accordingly."):
        assert not MARKER.search(prose), prose


def test_glued_redaction_is_the_finding_when_the_name_is_already_gone(desk: Desk) -> None:
    found = find_markers(desk.cable("89PANAMA8545"))
    assert [(f.kind, f.marker) for f in found] == [("redacted", "(STRICTLY PROTECT)")]
    assert found[0].person is None  # nothing to propagate


def _raw_texts(corpus_dir: Path) -> dict[str, str]:
    out = {}
    for p in corpus_dir.glob("cable/*/*/*.html"):
        t = html.unescape(p.read_text(encoding="utf-8").replace("&#x000A;", "\n"))
        out[p.stem] = fold(re.sub(r"<[^>]+>", "", t))
    return out


def test_every_cable_naming_a_protected_person_in_full_is_flagged(truth: list[dict[str, Any]], desk: Desk,
                                                                   corpus_dir: Path) -> None:
    """Oracle: grep the raw pages for each full protected name; each such cable must have a finding."""
    s = scan(desk, suggest_sources=False)
    full_names = sorted({t.get("person") or t["name"] for t in truth
                         if t["name"] not in (None, "REDACTED") and len((t.get("person") or t["name"]).split()) >= 2})
    raw = _raw_texts(corpus_dir)
    flagged: dict[str, set[str]] = defaultdict(set)
    for f in s.findings:
        if f.person:
            flagged[f.cable_id].add(fold(s.persons[f.person].display))
    missing, cables_with_name, cross = [], 0, 0
    marked_in = {t["id"] for t in truth}
    for name in full_names:
        pat = re.compile(r"(?<!\w)" + r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", fold(name)))) + r"(?!\w)")
        for cid, text in raw.items():
            if pat.search(text):
                cables_with_name += 1
                cross += cid not in marked_in
                if not any(fold(name).split()[-1] in who for who in flagged.get(cid, ())):
                    missing.append((name, cid))
    mentions = [f for f in s.findings if f.kind == "mention"]
    report = {"full_names": len(full_names), "cables_naming_them": cables_with_name, "of_which_unmarked": cross,
              "mentions_found": len(mentions), "cables_with_mentions": len({f.cable_id for f in mentions}),
              "cables_with_mentions_unmarked": len({f.cable_id for f in mentions} - marked_in),
              "mentions_by_field": {k: sum(1 for f in mentions if f.field == k) for k in {f.field for f in mentions}}}
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "protect-crosscable.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))
    attributed = {fold(p.display).split()[-1] for p in s.persons.values()}
    unattributed = sorted({n for n, _ in missing if fold(n).split()[-1] not in attributed})
    report["names_not_attributed_at_their_marker"] = unattributed
    (OUTPUT / "protect-crosscable.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    # A name the detector failed to attribute (measured above) cannot propagate; every other must.
    assert [m for m in missing if m[0] not in unattributed] == [], missing
    assert cross > 0  # the danger is real in this corpus: protected people named elsewhere unmarked

"""Redacted exports: no accepted name survives in any field or format; the database keeps the originals."""

from __future__ import annotations

import io
import json
import re

import pytest

from cabledesk import protect as P
from cabledesk.desk import Desk
from cabledesk.protect_names import fold
from cabledesk.protect_redact import MASK


def _accept_everyone(desk: Desk, user: str) -> list[str]:
    """Accept every marked person (all mentions), as an editor clicking through the queue would."""
    rv = P.review(desk)
    keys = []
    for key in rv.scan.persons:
        first = next(f for f in rv.findings if f.person == key)
        P.decide(desk, first.key, "accepted", user=user, all_mentions=True)
        keys.append(key)
    return keys


def _leaks(text: str, names: list[str]) -> list[str]:
    folded = fold(text)
    out = []
    for n in names:
        pat = r"(?<!\w)" + r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", fold(n)) if w) + r"(?!\w)"
        if re.search(pat, folded):
            out.append(n)
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "text", "html"])
def test_export_of_protected_cables_contains_no_accepted_name_in_any_field(review_db: str, fmt: str) -> None:
    with Desk(review_db) as desk:
        keys = _accept_everyone(desk, "editor-a")
        rv = P.review(desk)
        names = sorted({v for k in keys for v in rv.scan.persons[k].mask_variants() + rv.scan.persons[k].aliases})
        ids = sorted(P.protected_ids(desk))
        buf = io.StringIO()
        m = P.export(desk, buf, ids=ids, fmt=fmt, user="editor-a")  # type: ignore[arg-type]
        out = buf.getvalue()
        assert len(m["cables"]) == len(ids) > 40
        if fmt == "jsonl":
            docs = [json.loads(line) for line in out.splitlines()]
            assert {d["id"] for d in docs} == set(ids)
            for d in docs:  # every field of the JSON contract, header and body included
                assert _leaks(json.dumps(d, ensure_ascii=False), names) == [], d["id"]
        # the manifest block (text/html) names the people masked; the cable text must not
        body = out.split("=" * 78, 1)[1] if fmt == "text" else out.split("</header>", 1)[-1]
        assert _leaks(body, names) == []
        assert MASK in body
        # the originals are untouched
        assert "Judith Gough" in desk.cable("09LONDON2222").body
        assert any("Gough" in p.text for p in desk.cable("09STATE82013").paragraphs)
        assert all(r["decided_by"] == "editor-a" for r in m["rules"])


def test_mask_has_fixed_length_and_reaches_subject_lines(review_db: str) -> None:
    with Desk(review_db) as desk:
        rv = P.review(desk)
        f = next(f for f in rv.findings if f.cable_id == "06MADRID2708" and f.field == "subject")
        assert fold(f.name) == "enrique iglesias"
        P.decide(desk, f.key, "accepted", user="editor-b", all_mentions=True)
        buf = io.StringIO()
        P.export(desk, buf, cable_id="06MADRID2708", fmt="jsonl", user="editor-b")
        d = json.loads(buf.getvalue())
        assert "IGLESIAS" not in d["subject"].upper() and MASK in d["subject"]
        assert "Iglesias" in desk.cable("06MADRID2708").subject.title()
        assert not re.search(r"X{13,}", d["body"].replace(MASK + MASK, "")), "mask length must not vary with the name"


def test_manifest_records_what_was_masked_and_by_whom(review_db: str) -> None:
    with Desk(review_db) as desk:
        f = next(f for f in P.review(desk).findings if f.cable_id == "09LONDON2222" and f.name == "Judith Gough")
        P.decide(desk, f.key, "accepted", user="editor-c", all_mentions=True)
        buf = io.StringIO()
        m = P.export(desk, buf, query="id:09LONDON2222 OR id:09LONDON1707 OR id:09STATE82013", fmt="text", user="desk-chief")
        rule = next(r for r in m["rules"] if r["name"] == "Judith Gough")
        assert rule["decided_by"] == "editor-c" and m["exported_by"] == "desk-chief"
        assert set(rule["cables"]) == {"09LONDON2222", "09LONDON1707", "09STATE82013"}
        assert P._store(desk).export_manifest(m["export_id"])["rules"][0]["name"] == "Judith Gough"
        assert buf.getvalue().startswith("REDACTED EXPORT")


def test_nothing_is_masked_until_a_decision_is_made(review_db: str) -> None:
    with Desk(review_db) as desk:
        buf = io.StringIO()
        m = P.export(desk, buf, cable_id="09LONDON2222", fmt="jsonl")
        assert m["rules"] == [] and "Judith Gough" in buf.getvalue()

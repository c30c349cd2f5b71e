"""Source protection, the library front door: review findings, decide, export redacted copies, check drafts.

The safe path is the easy one: a name protected in one cable is found in every other cable that
mentions it, an accepted name is masked everywhere in an export (subject, REF, Classified By,
signature, header, body, every JSON field), and a story draft can be checked before it runs.
Detection lives in :mod:`cabledesk.protect_detect`, decisions in :mod:`cabledesk.protect_store`,
masking in :mod:`cabledesk.protect_redact`.

Server mode (PostgreSQL, a collection-scoped Desk): the scan reads only the user's cables, so
findings, persons, the redaction plan, exports and draft checks stay inside their collections; the
decision log, undo and export manifests show only decisions and exports about those cables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from cabledesk.errors import NotFoundError
from cabledesk.protect_detect import PROTECTED_KINDS, Finding, Scan, cached_scan
from cabledesk.protect_names import fold, variant_regex
from cabledesk.protect_redact import MASK, Format, Plan, Rule, write_export
from cabledesk.protect_store import ProtectStore, current_user, now

__all__ = [
    "MASK", "Review", "review", "cable_findings", "decide", "decide_name", "undo", "protected_ids",
    "redaction_plan", "export", "check_article", "highlights", "decision_log", "export_manifest",
]


@dataclass
class Review:
    """A scan with every finding's standing decision applied."""

    scan: Scan
    decisions: dict[tuple[str, str], dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)

    def person_findings(self, person: str) -> list[Finding]:
        return [f for f in self.findings if f.person == person]


def _store(desk: Any) -> ProtectStore:
    ps = getattr(desk, "_protect_store", None)
    if ps is None:
        ps = ProtectStore(desk)
        try:
            desk._protect_store = ps
        except AttributeError:  # a Desk with __slots__ someday: no caching, still correct
            pass
    return ps


def review(desk: Any) -> Review:
    """Every finding of the corpus, with status suggested/accepted/rejected from the decision log."""
    ps = _store(desk)
    scan = cached_scan(desk, [w["name"] for w in ps.watch_list()])
    decisions = ps.active()
    out = []
    for f in scan.findings:
        d = decisions.get(("finding", f.key)) or (decisions.get(("person", f.person)) if f.person else None)
        g = replace(f)
        if d:
            g.status, g.decided_by, g.decided_at = d["decision"], d["user"], d["at"]
        out.append(g)
    return Review(scan, decisions, out)


def cable_findings(desk: Any, cable_id: str, min_confidence: float = 0.0) -> dict[str, Any]:
    """The ``cabledesk protect ID --json`` contract: ``{"id", "findings": [...]}``."""
    cid = cable_id.strip().upper()
    if not desk.store.has(cid):
        raise NotFoundError(f"no cable {cid}")
    r = review(desk)
    return {"id": cid, "findings": [f.to_contract() for f in r.findings
                                    if f.cable_id == cid and f.confidence >= min_confidence]}


def decide(desk: Any, key: str, decision: str, user: str | None = None, all_mentions: bool = False) -> dict[str, Any]:
    """Accept or reject one finding (by key), or with ``all_mentions`` every mention of its person."""
    r = review(desk)
    f = next((x for x in r.findings if x.key == key), None)
    if f is None:
        raise NotFoundError(f"no finding {key}")
    ps = _store(desk)
    if all_mentions and f.person:
        p = r.scan.persons[f.person]
        did = ps.decide("person", f.person, p.display, decision, user)
        return {"decision_id": did, "scope": "person", "target": f.person, "name": p.display, "decision": decision}
    did = ps.decide("finding", f.key, f.name, decision, user, cable_id=f.cable_id)
    return {"decision_id": did, "scope": "finding", "target": f.key, "name": f.name, "decision": decision}


def decide_name(desk: Any, cable_id: str, name: str, decision: str, user: str | None = None,
                all_mentions: bool = False) -> list[dict[str, Any]]:
    """CLI form: decide every finding in ``cable_id`` whose name (folded) is ``name``."""
    cid, want = cable_id.strip().upper(), fold(name).strip()
    hits = [f for f in review(desk).findings if f.cable_id == cid and fold(f.name).strip() == want]
    if not hits:
        raise NotFoundError(f"no finding named {name!r} in {cid}")
    if all_mentions:
        return [decide(desk, hits[0].key, decision, user, all_mentions=True)]
    return [decide(desk, f.key, decision, user) for f in hits]


def _visible(desk: Any, rv: Review | None = None) -> Callable[[dict[str, Any]], bool] | None:
    """Which decision rows the desk's user may see: about their cables, or persons found in them."""
    if getattr(desk.store, "allowed", None) is None:
        return None
    ps, persons = _store(desk), (rv or review(desk)).scan.persons
    return lambda d: ps.visible(d["cable_id"]) if d["scope"] == "finding" else d["target"] in persons


def undo(desk: Any, decision_id: int | None = None, user: str | None = None, target: str | None = None) -> dict[str, Any] | None:
    """Take back a decision (by id, the latest on a target, or the latest of all) the user may see."""
    return _store(desk).undo(decision_id, user, target, visible=_visible(desk))


def decision_log(desk: Any, limit: int = 200, rv: Review | None = None) -> list[dict[str, Any]]:
    """Decisions newest first (undone ones included), those the desk's user may see."""
    return _store(desk).log(limit, visible=_visible(desk, rv))


def export_manifest(desk: Any, export_id: int) -> dict[str, Any] | None:
    """The manifest of an export, if every cable it holds is one the desk's user may see."""
    m = _store(desk).export_manifest(export_id)
    if m is None:
        return None
    allowed = getattr(desk.store, "allowed", None)
    if allowed is not None and not all(_cable_of(c) in allowed for c in m.get("cables", [])):
        return None
    return m


def _cable_of(entry: Any) -> str:
    return str(entry.get("id")) if isinstance(entry, dict) else str(entry)


def protected_ids(desk: Any) -> set[str]:
    """Ids of cables with protected findings (for a ``protected:yes`` search filter)."""
    r = review(desk)
    return {f.cable_id for f in r.findings
            if f.status != "rejected" and (f.kind in PROTECTED_KINDS and f.confidence >= 0.5 or f.status == "accepted")}


def redaction_plan(desk: Any, rv: Review | None = None) -> Plan:
    """One masking rule per accepted person, and per accepted finding outside those persons."""
    r = rv or review(desk)
    rules: dict[str, Rule] = {}
    for (scope, target), d in r.decisions.items():
        if d["decision"] != "accepted":
            continue
        if scope == "person" and target in r.scan.persons:
            p = r.scan.persons[target]
            rules[target] = Rule(target, p.display, p.mask_variants(), d["user"], d["at"], "person")
    by_key = {f.key: f for f in r.findings}
    for (scope, target), d in r.decisions.items():
        if scope != "finding" or d["decision"] != "accepted" or target not in by_key:
            continue
        f = by_key[target]
        if f.person and f.person in rules:
            continue
        if f.person and f.person in r.scan.persons:
            p = r.scan.persons[f.person]
            rules[f.person] = Rule(f.person, p.display, p.mask_variants(), d["user"], d["at"], "finding")
        elif not re.fullmatch(r"[Xx\s]+", f.name):
            rules[f.key] = Rule(f.key, f.name, [f.name], d["user"], d["at"], "finding")
    return Plan(sorted(rules.values(), key=lambda x: x.key))


def export(desk: Any, out: IO[str], *, cable_id: str | None = None, query: str | None = None,
           ids: list[str] | None = None, fmt: Format = "jsonl", user: str | None = None) -> dict[str, Any]:
    """Write a redacted copy of one cable, a list of cables or a query's results; returns (and logs) the manifest."""
    if ids is not None:
        ids = sorted({i.strip().upper() for i in ids})
        selection = f"{len(ids)} cables: " + " ".join(ids[:20]) + (" …" if len(ids) > 20 else "")
    elif cable_id:
        ids = [cable_id.strip().upper()]
        if not desk.store.has(ids[0]):
            raise NotFoundError(f"no cable {ids[0]}")
        selection = ids[0]
    else:
        from cabledesk.search import matching_ids

        ids = sorted(matching_ids(desk.index, query, resolvers=desk.resolvers)) if query else list(desk.store.ids())
        selection = query or "*"
    who, at = current_user(user), now()
    plan = redaction_plan(desk)
    cables = (desk.store.get_many(ids[i:i + 500]) for i in range(0, len(ids), 500))
    flat = (c for chunk in cables for cid, c in sorted(chunk.items()))
    m = write_export(out, flat, plan, fmt, selection, who, at)
    m["export_id"] = _store(desk).record_export(selection, fmt, len(m["cables"]), m, who)
    return m


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def check_article(desk: Any, text: str, kind: str = "txt") -> dict[str, Any]:
    """Every protected or accepted name in a story draft, and every quote that would reveal a source."""
    from cabledesk.trace_quotes import article_text, extract

    draft = article_text(text, kind)  # type: ignore[arg-type]
    folded = fold(draft)
    r = review(desk)
    names: list[dict[str, Any]] = []
    people = {k: p for k, p in r.scan.persons.items() if r.decisions.get(("person", k), {}).get("decision") != "rejected"}
    targets: list[tuple[str, str, list[str], str]] = [
        (k, p.display, p.mask_variants(), "watch list" if p.watch else "protected") for k, p in people.items()
    ]
    for f in r.findings:
        if f.status == "accepted" and not f.person and not re.fullmatch(r"[Xx\s]+", f.name):
            targets.append((f.key, f.name, [f.name], "accepted"))
    for key, display, variants, why in targets:
        pat = variant_regex(variants)
        if pat is None:
            continue
        for m in pat.finditer(folded):
            line = draft.count("\n", 0, m.start()) + 1
            names.append({"name": draft[m.start():m.end()], "person": display, "key": key, "why": why,
                          "line": line, "start": m.start(), "end": m.end(),
                          "context": " ".join(draft[max(0, m.start() - 60):m.end() + 60].split())})
    # Quotes: a verbatim quote from a paragraph that carries a protected source reveals it.
    protected_paras: dict[tuple[str, int], list[str]] = {}
    for f in r.findings:
        if f.field == "paragraph" and f.index is not None and f.status != "rejected" and (
            f.kind in ("marker", "redacted", "descriptor") or f.status == "accepted"
        ):
            protected_paras.setdefault((f.cable_id, f.index), []).append(f.name)
    texts: dict[tuple[str, int], tuple[int | None, str]] = {}
    cables = desk.store.get_many(sorted({cid for cid, _ in protected_paras}))
    for (cid, idx) in protected_paras:
        c = cables.get(cid)
        if c is not None and idx < len(c.paragraphs):
            texts[(cid, idx)] = (c.paragraphs[idx].n, _norm(c.paragraphs[idx].text))
    quotes = []
    for q in extract(draft):
        parts = [_norm(p) for p in (q.parts or [q.text])]
        if sum(len(p.split()) for p in parts) < 4:
            continue
        for (cid, idx), (n, ptext) in texts.items():
            if all(p and p in ptext for p in parts):
                quotes.append({"quote": q.text, "start": q.start, "end": q.end, "line": draft.count("\n", 0, q.start) + 1,
                               "cable_id": cid, "paragraph": n, "protects": sorted(set(protected_paras[(cid, idx)]))})
    return {"names": sorted(names, key=lambda x: x["start"]), "quotes": quotes,
            "safe": not names and not quotes}


def highlights(desk: Any, cable_id: str) -> dict[str, Any]:
    """What a cable page should highlight for editors: per field, the spans of protected names."""
    cid = cable_id.strip().upper()
    if not desk.store.has(cid):
        raise NotFoundError(f"no cable {cid}")
    r = review(desk)
    spans = [
        {"field": f.field, "index": f.index, "paragraph": f.paragraph, "start": f.start, "end": f.end,
         "name": f.name, "kind": f.kind, "status": f.status, "confidence": round(f.confidence, 2), "key": f.key}
        for f in r.findings
        if f.cable_id == cid and f.status != "rejected" and (f.kind != "possible_source" or f.status == "accepted")
    ]
    return {"id": cid, "protected": bool(spans), "spans": spans}


def persons_summary(rv: Review) -> list[dict[str, Any]]:
    """One row per protected person: display, marker cables, mention count, decision."""
    rows = []
    for key, p in sorted(rv.scan.persons.items(), key=lambda kv: kv[1].display):
        fs = rv.person_findings(key)
        d = rv.decisions.get(("person", key))
        rows.append({"person": key, "name": p.display, "entity_id": p.entity_id or f"local:{key}",
                     "watch": p.watch, "marked_in": sorted({f.cable_id for f in fs if f.kind == "marker"}),
                     "mentions": sum(1 for f in fs if f.kind in ("mention", "watch")),
                     "cables": len({f.cable_id for f in fs}), "variants": p.mask_variants(),
                     "status": d["decision"] if d else "suggested"})
    return rows


def watch(desk: Any, action: str, name: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
    """Add/remove/list names on the watch list (found wherever they appear, marked or not)."""
    ps = _store(desk)
    if action == "add" and name:
        ps.watch_add(name, user)
    elif action == "remove" and name:
        ps.watch_remove(name)
    return ps.watch_list()

"""Find protected sources: protection markers, the names they protect, and every other mention.

A cable marks a confidential source with ``(protect)``, ``(strictly protect)``, ``(PROTECT
THROUGHOUT)``… after the name. The danger is cross-cable: the same person appears unmarked in
another cable's paragraph, subject, REF, "Classified By" or signature line. :func:`scan` reads the
corpus once and returns every finding; the review queue, the export and the draft check use it.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cabledesk.model import Cable
from cabledesk.protect_names import (
    ARTICLES,
    ORG_WORDS,
    PARTICLES,
    Person,
    compatible_given,
    entity_hooks,
    fold,
    is_name_token,
    name_before,
    slug,
    split_name,
    tokens,
    variant_regex,
)

#: A protection marker in parentheses, in every spelling seen in the cables.
MARKER = re.compile(
    r"\(\s*(?:again,\s*)?(?:(?:please|pls|strictly)\s+)*protect(?:\s+(?:throughout|source|identity))?"
    r"(?:\s*[-–]\s*see\s+ref\w*)?[\s,.]*\)",
    re.IGNORECASE,
)
KINDS = ("marker", "redacted", "descriptor", "mention", "watch", "possible_source")
#: Findings that make a cable "protected" (possible sources are only suggestions).
PROTECTED_KINDS = frozenset({"marker", "redacted", "descriptor", "mention", "watch"})

_SOURCE_CUE = re.compile(
    r"\b(?:told|informed|confided to|briefed)\s+(?:pol|econ|emb|con|mgmt|pao|ds|le|rso)?off|\btold\s+(?:us|the\s+ambassador|"
    r"the\s+dcm|polcouns|econcouns|post)\b|\ba\s+(?:trusted\s+|longtime\s+|reliable\s+|well-placed\s+)?"
    r"(?:embassy\s+|post\s+)?(?:contact|source|interlocutor)\b",
    re.IGNORECASE,
)
_OFFICIAL = frozenset(
    "president minister ambassador secretary senator governor deputy mayor king prince general spokesman "
    "spokeswoman chancellor premier pm fm commander admiral".split()
)


@dataclass(slots=True)
class Finding:
    """One place where a protected (or possibly protected) person appears."""

    cable_id: str
    name: str  # the text as written: a name, an X-run, or a descriptor
    kind: str  # one of KINDS
    field: str  # "paragraph", "subject", "ref", "classified_by", "signer", "tags", "header", "body"
    index: int | None  # paragraph / ref / tag index within the cable
    paragraph: int | None  # paragraph number as written
    start: int  # offsets in the field's text
    end: int
    confidence: float
    context: str
    person: str | None = None  # Person.key
    entity_id: str | None = None
    marker: str | None = None  # marker text (marker kinds); for mentions, where the protection comes from
    status: str = "suggested"
    decided_by: str | None = None
    decided_at: str | None = None

    @property
    def key(self) -> str:
        """Stable id of this finding within a corpus: cable, field, index, offsets."""
        idx = "" if self.index is None else str(self.index)
        return f"{self.cable_id}:{self.field}{idx}:{self.start}-{self.end}"

    def to_contract(self) -> dict[str, Any]:
        """The ``cabledesk protect ID --json`` finding: exactly these keys."""
        return {
            "name": self.name,
            "entity_id": self.entity_id,
            "marker": self.marker,
            "paragraph": self.paragraph if self.field == "paragraph" else self.field,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 2),
            "status": self.status,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, for the review queue and the web."""
        return {"key": self.key, **self.to_contract(), "cable_id": self.cable_id, "kind": self.kind,
                "field": self.field, "index": self.index, "person": self.person, "context": self.context,
                "decided_by": self.decided_by, "decided_at": self.decided_at}


@dataclass
class Scan:
    """Every finding in a corpus, the people behind them, and how people were matched."""

    findings: list[Finding] = field(default_factory=list)
    persons: dict[str, Person] = field(default_factory=dict)
    matching: str = ""

    def for_cable(self, cable_id: str) -> list[Finding]:
        return [f for f in self.findings if f.cable_id == cable_id]

    def by_key(self) -> dict[str, Finding]:
        return {f.key: f for f in self.findings}


def locations(cable: Cable) -> Iterator[tuple[str, int | None, int | None, str]]:
    """(field, index, paragraph n, text) of every text field a name can hide in."""
    if cable.subject:
        yield "subject", None, None, cable.subject
    for i, r in enumerate(cable.references):
        yield "ref", i, None, r.raw
    if cable.classified_by:
        yield "classified_by", None, None, cable.classified_by.text
    for i, t in enumerate(cable.tags):
        yield "tags", i, None, t
    for i, p in enumerate(cable.paragraphs):
        yield "paragraph", i, p.n, p.text
    if cable.signer:
        yield "signer", None, None, cable.signer
    if cable.header:
        yield "header", None, None, cable.header


def _context(text: str, s: int, e: int, width: int = 90) -> str:
    a, b = max(0, s - width), min(len(text), e + width)
    return ("…" if a else "") + " ".join(text[a:b].split()) + ("…" if b < len(text) else "")


def find_markers(cable: Cable) -> list[Finding]:
    """Every protection marker in a cable, with the name (or redaction, or descriptor) it protects."""
    out: list[Finding] = []
    where = [(f, i, n, t) for f, i, n, t in locations(cable) if f in ("paragraph", "subject")]
    if not any(MARKER.search(t) for *_, t in where) and MARKER.search(cable.body):
        where = [("body", None, None, cable.body)]  # paragraphs were not parsed: fall back to the body
    for fld, idx, n, text in where:
        for m in MARKER.finditer(text):
            span = name_before(text, m.start())
            if span is None:
                continue
            kind = {"name": "marker", "redacted": "redacted", "descriptor": "descriptor"}[span.kind]
            out.append(Finding(cable.id, span.text, kind, fld, idx, n, span.start, span.end, span.confidence,
                               _context(text, span.start, m.end()), marker=" ".join(m.group(0).split())))
    _resolve_pronouns(out)
    return out


def _resolve_pronouns(found: list[Finding]) -> None:
    """"He specifically noted (again, please protect)": the last named source (the span stays the pronoun's)."""
    last: Finding | None = None
    for f in found:
        if f.kind == "marker":
            last = f
        elif f.kind == "descriptor" and last is not None and re.search(r"\b(?:he|she)\b", fold(f.name)):
            f.kind, f.name, f.person, f.confidence = "marker", last.name, last.person, 0.6


def _full_form_in_cable(surname: str, texts: list[str]) -> str | None:
    """"Taiana (protect)": the cable may name him in full elsewhere ("Foreign Minister Jorge Taiana")."""
    pat = re.compile(r"([^\W\d_][\w'’.-]*)\s+" + re.escape(surname) + r"(?![\w])")
    for t in texts:
        for m in pat.finditer(t):
            g = m.group(1)
            before = tokens(t[max(0, m.start() - 30):m.start()])
            pw = before[-1][2] if before else ""
            if is_name_token(g) and not g.endswith(".") and fold(g) not in ORG_WORDS and (
                not pw or not is_name_token(pw) or pw in _COMMON_GIVEN_FIRST
            ):
                return f"{pw} {g} {surname}" if pw in _COMMON_GIVEN_FIRST else f"{g} {surname}"
    return None


_COMMON_GIVEN_FIRST = frozenset("Juan Jose Miguel Jean Karl Maria Ana Luis Carlos".split())


def _persons_of(markers: list[Finding], cables: dict[str, Cable]) -> dict[str, Person]:
    """Merge marked names into people: "Ricard" and "Jean-Francois Ricard" are one person."""
    people: dict[str, Person] = {}
    by_surname: dict[str, list[Person]] = defaultdict(list)
    hooks = entity_hooks()
    for f in sorted((m for m in markers if m.kind == "marker"), key=lambda m: -len(m.name.split())):
        name = f.name
        given, surname = split_name(name)
        if not given:
            full = _full_form_in_cable(surname, [p.text for p in cables[f.cable_id].paragraphs])
            if full:
                given, surname2 = split_name(full)
                surname = surname2 or surname
        person = next((p for p in by_surname[fold(surname)] if not given or not p.given
                       or any(compatible_given(g, h) for g in given for h in p.given)), None)
        if person is None:
            display = " ".join([*given[:1], surname]) if given else surname
            person = Person(key=slug(display), display=display, surname=surname)
            if hooks.aliases:
                person.aliases = [a for a in hooks.aliases(display) if a and a != display]
            if hooks.entity_id:
                person.entity_id = hooks.entity_id(display)
            people[person.key] = person
            by_surname[fold(surname)].append(person)
        for g in given:
            if g not in person.given:
                person.given.append(g)
        person.forms.add(name)
        longest = max(person.forms, key=lambda x: (len(x.split()), len(x)))
        if len(longest.split()) > len(person.display.split()):
            person.display = longest
        elif given and person.display == person.surname:
            person.display = f"{given[0]} {surname}"
        f.person = person.key
        f.entity_id = person.entity_id or f"local:{person.key}"
    return people


def _mentions(person: Person, cable: Cable, marked_here: bool, ambiguous: bool,
              skip: set[tuple[str, int | None, int, int]]) -> list[Finding]:
    """Every mention of ``person`` in ``cable``: full forms anywhere, the surname alone with care."""
    out: list[Finding] = []
    full = variant_regex(person.full_forms())
    sur = variant_regex(person.surnames())
    origin = "marked in this cable" if marked_here else f"protected elsewhere ({person.display})"
    for fld, idx, n, text in locations(cable):
        if fld == "header":
            continue
        folded = fold(text)
        taken: list[tuple[int, int]] = []
        if full is not None:
            for m in full.finditer(folded):
                if (fld, idx, m.start(), m.end()) in skip:
                    taken.append((m.start(), m.end()))
                    continue
                taken.append((m.start(), m.end()))
                out.append(Finding(cable.id, text[m.start():m.end()], "mention", fld, idx, n, m.start(), m.end(),
                                   0.95 if marked_here else 0.9, _context(text, m.start(), m.end()),
                                   person=person.key, entity_id=person.entity_id or f"local:{person.key}",
                                   marker=origin))
        if sur is None:
            continue
        all_caps = text.isupper()
        for m in sur.finditer(folded):
            if any(a <= m.start() < b for a, b in taken):
                continue
            if (fld, idx, m.start(), m.end()) in skip:
                continue
            written = text[m.start():m.end()]
            if not (written[:1].isupper() or re.match(r"(?:von|van|de|di|da|du|zu|al)", written)):
                continue  # "blunt", "freer": words, not the surname
            if not all_caps and written.isupper() and fld == "paragraph" and len(written) > 4:
                pass  # an ALL-CAPS surname inside mixed text is still a surname
            prev = tokens(text[max(0, m.start() - 40):m.start()])
            pw = prev[-1][2] if prev else ""
            if pw and is_name_token(pw, all_caps) and not any(compatible_given(pw, g) for g in person.given or [pw]):
                continue  # "Jose Sanchez" is not "Juan Carlos Sanchez"
            conf = 0.85 if marked_here else (0.35 if ambiguous else 0.6)
            out.append(Finding(cable.id, written, "mention", fld, idx, n, m.start(), m.end(), conf,
                               _context(text, m.start(), m.end()), person=person.key,
                               entity_id=person.entity_id or f"local:{person.key}", marker=origin))
    return out


def _ambiguous_surnames(people: dict[str, Person], cables: dict[str, Cable], wanted: dict[str, set[str]]) -> set[str]:
    """Surnames the corpus also gives to someone else ("Jose Sanchez") or uses as a word ("blunt")."""
    pats = {k: re.compile(r"(?<![\w])" + re.escape(fold(p.surnames()[-1])) + r"(?![\w])")
            for k, p in people.items() if p.surname}
    out: set[str] = set()
    for cid, keys in wanted.items():
        c = cables.get(cid)
        todo = [k for k in keys if k in pats and k not in out]
        if c is None or not todo:
            continue
        body = c.body
        folded = fold(body)
        for key in todo:
            p = people[key]
            for m in pats[key].finditer(folded):
                if body[m.start()].islower() and not p.surname[:1].islower():
                    out.add(key)  # used as an ordinary word
                    break
                prev = tokens(body[max(0, m.start() - 40):m.start()])
                g = prev[-1][2] if prev else ""
                if g and p.given and is_name_token(g) and not any(compatible_given(g, h) for h in p.given):
                    out.add(key)  # another person with the same surname
                    break
    return out


def _watch_persons(names: Iterable[str]) -> dict[str, Person]:
    people = {}
    hooks = entity_hooks()
    for name in names:
        given, surname = split_name(name)
        p = Person(key=slug(name), display=name, given=given, surname=surname if given else "", forms={name}, watch=True)
        if hooks.aliases:
            p.aliases = [a for a in hooks.aliases(name) if a and a != name]
        if hooks.entity_id:
            p.entity_id = hooks.entity_id(name)
        people[p.key] = p
    return people


def possible_sources(cable: Cable, known: set[str]) -> list[Finding]:
    """Named people who "told poloff" or are called "a contact": unmarked, so only suggested."""
    out = []
    for i, p in enumerate(cable.paragraphs):
        text = p.text
        for sent in re.finditer(r"[^.!?]+[.!?]?", text):
            st = sent.group(0)
            if not _SOURCE_CUE.search(st):
                continue
            toks = tokens(st)
            j = 0
            while j < len(toks):
                run: list[tuple[int, int, str]] = []
                k = j
                while k < len(toks) and (is_name_token(toks[k][2]) or (run and toks[k][2] in PARTICLES)):
                    run.append(toks[k])
                    k += 1
                if len(run) >= 2 and run[-1][2] not in PARTICLES:
                    before = fold(toks[j - 1][2]).strip(".") if j else ""
                    name = st[run[0][0]:run[-1][1]].rstrip(".,")
                    last = fold(run[-1][2]).rstrip(".,")
                    if (before in ARTICLES or last in ORG_WORDS or run[-1][2].endswith(("'s", "’s"))
                            or fold(run[0][2]) in ORG_WORDS):
                        j = max(k, j + 1)
                        continue
                    if before not in _OFFICIAL and slug(name) not in known and not any(
                        fold(w) in _OFFICIAL for _, _, w in run
                    ):
                        s = sent.start() + run[0][0]
                        out.append(Finding(cable.id, name, "possible_source", "paragraph", i, p.n, s, s + len(name),
                                           0.3, _context(text, s, s + len(name)), marker=None,
                                           person=None, entity_id=None))
                j = max(k, j + 1)
    return out


def _candidate_ids(desk: Any, query: str) -> set[str] | None:
    try:
        from cabledesk.search import matching_ids

        return set(matching_ids(desk.index, query, resolvers=desk.resolvers))
    except Exception:  # noqa: BLE001 - no index: the caller scans every cable
        return None


def scan(desk: Any, watch: Iterable[str] = (), suggest_sources: bool = True) -> Scan:
    """Every finding in the desk's corpus (markers, mentions, watch-list hits, possible sources)."""
    store = desk.store
    cand = _candidate_ids(desk, "protect")
    marked_cables = store.get_many(sorted(cand)).values() if cand is not None else store.iter_cables()
    markers: list[Finding] = []
    cables: dict[str, Cable] = {}
    for c in marked_cables:
        found = find_markers(c)
        if found:
            cables[c.id] = c
            markers.extend(found)
    people = _persons_of(markers, cables)
    watch_people = _watch_persons(w for w in watch if w.strip())
    everyone = {**people, **{k: v for k, v in watch_people.items() if k not in people}}
    # Which cables can mention whom: the index narrows it (each surname once), else read them all.
    wanted: dict[str, set[str]] = defaultdict(set)
    all_ids: list[str] | None = None
    for p in everyone.values():
        terms = p.surnames()[-1:] or [p.display]
        got = _candidate_ids(desk, " OR ".join(f'"{t}"' for t in terms))
        if got is None:
            all_ids = all_ids or list(store.ids())
            got = set(all_ids)
        for cid in got:
            wanted[cid].add(p.key)
    texts = store.get_many(sorted(wanted)) if wanted else {}
    ambiguous = _ambiguous_surnames(everyone, texts, wanted)
    skip_by_cable: dict[str, set[tuple[str, int | None, int, int]]] = defaultdict(set)
    for f in markers:
        skip_by_cable[f.cable_id].add((f.field, f.index, f.start, f.end))
    findings = list(markers)
    for cid in sorted(wanted):
        c = texts.get(cid)
        if c is None:
            continue
        for key in sorted(wanted[cid]):
            p = everyone[key]
            marked_here = any(f.cable_id == cid and f.person == key for f in markers)
            for f in _mentions(p, c, marked_here, key in ambiguous, skip_by_cable[cid]):
                if p.watch and key not in people:
                    f.kind, f.confidence, f.marker = "watch", max(f.confidence, 0.7), "watch list"
                findings.append(f)
    if suggest_sources:
        known = set(everyone)
        src_ids = _candidate_ids(desk, "poloff OR econoff OR emboff OR contact OR source OR interlocutor OR told")
        pool = store.get_many(sorted(src_ids)).values() if src_ids is not None else store.iter_cables()
        for c in pool:
            findings.extend(possible_sources(c, known))
    findings = _dedupe(findings)
    findings.sort(key=lambda f: (f.cable_id, f.field, f.index or 0, f.start))
    return Scan(findings, everyone, entity_hooks().source)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        old = seen.get(f.key)
        if old is None or _rank(f) > _rank(old):
            seen[f.key] = f
    return list(seen.values())


def _rank(f: Finding) -> tuple[int, float]:
    order = {"marker": 5, "redacted": 5, "descriptor": 4, "watch": 3, "mention": 2, "possible_source": 1}
    return order.get(f.kind, 0), f.confidence


# -- a per-database cache: the corpus changes only on ingest, the watch list on `watch add` ---------

_CACHE: dict[tuple[Any, ...], Scan] = {}
_CACHE_LOCK = threading.Lock()


def cached_scan(desk: Any, watch: Iterable[str] = ()) -> Scan:
    """``scan`` memoised per database, corpus state and watch list."""
    w = tuple(sorted(watch))
    try:
        state = (desk.store.count(), desk.store.last_ledger_id(), w)
    except Exception:  # noqa: BLE001
        state = (None, None, w)
    # A collection-scoped Desk (server mode) scans only its cables: its allowed set is part of the key.
    key = (str(getattr(desk, "db_path", id(desk))), state, getattr(desk.store, "allowed", None))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    result = scan(desk, watch=w)
    with _CACHE_LOCK:
        if len(_CACHE) >= 8:  # a few newsrooms' scans at once; the oldest goes first
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = result
    return result

"""Article-level evidence: which cables are behind a story, and why, beyond its direct quotes.

A cable earns points for each quote matched to it, for article sentences that paraphrase one of its
paragraphs (rare words shared, found through the paragraph index), and, once it is a candidate, for
a date the article gives that equals its created date, its signer named or described by role
("deputy chief of mission"), and its post ("the embassy in Mexico City"). Every point comes with a
human-readable evidence string so a reporter can check the reasoning.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import tantivy

from cabledesk import textnorm
from cabledesk.model import Cable
from cabledesk.trace_match import SUBJECT, Matcher

if TYPE_CHECKING:
    from cabledesk.desk import Desk
    from cabledesk.trace import QuoteResult

#: Points: a matched quote (times score/100), a date, the signer named / by role, the post.
W_QUOTE, W_DATE, W_DAY, W_SIGNER, W_ROLE, W_POST, W_PLACE = 10.0, 4.0, 2.0, 4.0, 2.0, 3.0, 1.0
#: Paraphrase: a sentence sharing at least MIN_SHARED rare words with a paragraph; capped per cable.
MIN_SHARED, W_PARA_MAX, PARA_CAP = 3, 3.0, 12.0
#: A paraphrase-only cable needs this many points to be listed at all.
MIN_PARAPHRASE = 2.0
RARE_SHARE = 0.02  # a word in at most 2% of paragraphs is "rare"
MAX_CABLES = 10

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")]
    )
    for m in names
}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_DATE_MDY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}(?:,?\s+(\d{{4}}))?\b", re.I)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ROLES = {
    "ambassador": r"\bamb(?:assador)?\b\.?",
    "deputy chief of mission": r"\b(?:dcm|deputy chief of mission)\b",
    "chargé d'affaires": r"\bcharg[eé]\b",
    "consul general": r"\b(?:consul[- ]general|principal officer)\b",
    "political counselor": r"\bpol(?:itical)?\.?\s*(?:minister[- ])?couns(?:elor)?\b",
    "economic counselor": r"\becon(?:omic)?\.?\s*(?:minister[- ])?couns(?:elor)?\b",
    "secretary of state": r"\bsecretary of state\b",
}
_ABBREV_END = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Gen|Gov|Sen|Rep|Amb|Lt|Col|St|No|[A-Z])\.$"
)
_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“A-Z0-9])|\n\s*\n")


@dataclass(slots=True)
class CableRank:
    """A cable behind the story: its score, how many quotes came from it, and why it ranks."""

    id: str
    score: float = 0.0
    quotes: int = 0
    evidence: list[str] = field(default_factory=list)
    subject: str | None = None
    created: str | None = None
    origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``cables`` in the trace JSON contract."""
        return {"id": self.id, "score": round(self.score, 1), "quotes": self.quotes, "evidence": self.evidence}


@dataclass(slots=True)
class ArticleDate:
    """A date the article mentions; year None when it says "a Jan. 29 cable"."""

    text: str
    year: int | None
    month: int
    day: int | None


def article_dates(text: str) -> list[ArticleDate]:
    """Dates written in the article: "Jan. 29, 2010", "29 January 2010", "Oct. 5", "2009-10-05"."""
    out = []
    for m in _DATE_MDY.finditer(text):
        if text[m.start()].islower():
            continue  # "may 5 officials": a verb, not a month
        year = int(m.group(3)) if m.group(3) else None
        out.append(ArticleDate(m.group(0), year, _MONTHS[m.group(1).lower()[:3]], int(m.group(2))))
    for m in _DATE_DMY.finditer(text):
        if text[m.end(1) :].lstrip()[:1].islower():
            continue
        year = int(m.group(3)) if m.group(3) else None
        out.append(ArticleDate(m.group(0), year, _MONTHS[m.group(2).lower()[:3]], int(m.group(1))))
    for m in _DATE_ISO.finditer(text):
        out.append(ArticleDate(m.group(0), int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return [d for d in out if d.day is None or 1 <= d.day <= 31]


def _date_evidence(dates: list[ArticleDate], created: datetime | None) -> tuple[float, str | None]:
    if created is None:
        return 0.0, None
    for d in dates:
        if d.month == created.month and d.day == created.day and d.year in (None, created.year):
            full = created.strftime("%b. %d, %Y").replace(" 0", " ")
            return (W_DATE if d.year else W_DAY), f"date '{d.text}' = created {full}"
    return 0.0, None


def _roles_in(text: str) -> set[str]:
    low = text.lower()
    return {role for role, rx in _ROLES.items() if re.search(rx, low)}


def _signer_roles(desk: Desk, surname: str, cable: Cable) -> set[str]:
    """Roles the signer is known by: this cable's "Classified By" line, then other cables that name them."""
    texts = [cable.classified_by.text] if cable.classified_by else []
    schema, searcher = desk.index.schema, desk.index.searcher("cables")
    res = searcher.search(tantivy.Query.term_query(schema, "classifiedby", surname.lower()), 20, count=False)
    ids = [searcher.doc(a).to_dict()["id"][0] for _, a in res.hits]
    texts += [c.classified_by.text for c in desk.store.get_many(ids).values() if c.classified_by]
    roles: set[str] = set()
    for t in texts:
        if surname.lower() in t.lower():
            roles |= _roles_in(t.split(".")[0] if "reason" in t.lower() else t)
    return roles


def _place(origin: str | None) -> str | None:
    """"Embassy Mexico" -> "Mexico"; "Consulate Monterrey" -> "Monterrey"; others None."""
    if not origin:
        return None
    m = re.match(r"(?:Embassy|Consulate|Mission|USUN|US Mission to|REO|AIT)\s+(.+)", origin)
    return m.group(1).strip() if m else None


def _post_evidence(text: str, origin: str | None) -> tuple[float, str | None]:
    place = _place(origin)
    if place is None:
        if origin == "Secretary of State":
            m = re.search(r"\b(?:state department|department of state|secretary of state)\b", text, re.I)
            if m:
                return W_POST, f"origin {origin} ↔ '{m.group(0)}'"
        return 0.0, None
    p = re.escape(place)
    rx = rf"\b(?:embassy|consulate|mission|diplomats?)\s+(?:in|at)\s+(?:the\s+)?{p}(?:\s+City)?\b|\b{p}(?:\s+City)?\s+(?:embassy|consulate)\b"
    m = re.search(rx, text, re.I)
    if m:
        return W_POST, f"origin {origin} ↔ '{m.group(0)}'"
    m = re.search(rf"\b{p}\b", text, re.I)
    if m:
        return W_PLACE, f"origin {origin}: '{place}' mentioned"
    return 0.0, None


def sentences(text: str) -> list[str]:
    """The article's sentences (rough split; enough to compare facts, never shown as quotes)."""
    out: list[str] = []
    for piece in _SENTENCE.split(text):
        piece = " ".join(piece.split())
        if out and _ABBREV_END.search(out[-1]):  # "Jan. 29", "Mr. Calderon": not a sentence end
            out[-1] += " " + piece
        elif piece:
            out.append(piece)
    return [s for s in out if len(textnorm.terms(s)) >= 6]


def mask_quotes(text: str, quotes: list[QuoteResult]) -> str:
    """The article with quoted words blanked (same length): paraphrase is what a reporter did not quote."""
    chars = list(text)
    for qr in quotes:
        for i in range(qr.quote.start, qr.quote.end):
            if not chars[i].isspace():
                chars[i] = " "
    return "".join(chars)


def paraphrases(matcher: Matcher, text: str) -> dict[str, list[tuple[int, str, int | None, list[str]]]]:
    """Per cable: (shared rare words, sentence, paragraph n, the words) of sentences paraphrasing it."""
    schema, Q, Occ = matcher.index.schema, tantivy.Query, tantivy.Occur
    rare_max = max(2, RARE_SHARE * matcher.n_docs)
    found: dict[str, list[tuple[int, str, int | None, list[str]]]] = defaultdict(list)
    for sent in sentences(text):
        rare = sorted({t for t in textnorm.terms(sent) if len(t) > 2 and not t.isdigit() and 0 < matcher.df(t) <= rare_max},
                      key=matcher.df)[:12]
        if len(rare) < MIN_SHARED:
            continue
        q = Q.boolean_query([(Occ.Should, Q.term_query(schema, "text", t)) for t in rare])
        best: dict[str, tuple[int, int | None, list[str]]] = {}
        for _, addr in matcher.searcher.search(q, 5, count=False).hits:
            d = matcher.searcher.doc(addr).to_dict()
            shared = [t for t in rare if t in set(textnorm.terms(d["text"][0]))]
            cid = d["id"][0]
            if len(shared) >= MIN_SHARED and len(shared) > best.get(cid, (0, None, []))[0]:
                best[cid] = (len(shared), (d.get("n") or [None])[0], shared)
        for cid, (k, n, words) in best.items():
            found[cid].append((k, sent, n, words))
    return found


def rank_cables(desk: Desk, matcher: Matcher, text: str, quotes: list[QuoteResult]) -> list[CableRank]:
    """Cables behind the story, best first, each with its evidence strings."""
    ranks: dict[str, CableRank] = {}

    def rank(cid: str) -> CableRank:
        return ranks.setdefault(cid, CableRank(cid))

    for i, qr in enumerate(quotes, 1):
        if qr.status != "matched":
            continue
        seen = set()
        for m in qr.matches:
            if m.id in seen:
                continue
            seen.add(m.id)
            r = rank(m.id)
            r.score += W_QUOTE * m.score / 100
            r.quotes += 1
            where = "the subject line" if m.pos == SUBJECT else (
                f"¶{m.paragraph}" if m.paragraph is not None else f"paragraph {m.pos + 1}")
            r.evidence.append(f"quote {i} matched {where} (score {m.score:g})")
    for cid, hits in paraphrases(matcher, mask_quotes(text, quotes)).items():
        hits.sort(key=lambda h: -h[0])
        points = sum(min(W_PARA_MAX, 1.0 + 0.5 * (h[0] - MIN_SHARED)) for h in hits)
        if cid not in ranks and points < MIN_PARAPHRASE:
            continue
        r = rank(cid)
        r.score += min(PARA_CAP, points)
        for k, sent, n, words in hits[:2]:
            short = sent if len(sent) <= 70 else sent[:67].rstrip() + "…"
            where = f"¶{n}" if n is not None else "a paragraph"
            r.evidence.append(f"paraphrase '{short}' ~ {where} ({k} rare words: {', '.join(words[:5])})")
    if not ranks:
        return []
    cables = desk.store.get_many(list(ranks))
    dates = article_dates(text)
    article_roles = _roles_in(text)
    for cid, r in ranks.items():
        c = cables.get(cid)
        if c is None:
            continue
        r.subject, r.origin = c.subject, c.origin
        r.created = c.created.date().isoformat() if c.created else None
        for pts, ev in (_date_evidence(dates, c.created), _post_evidence(text, c.origin)):
            if ev:
                r.score += pts
                r.evidence.append(ev)
        _signer_evidence(desk, r, c, text, article_roles)
    ordered = sorted(ranks.values(), key=lambda r: (-r.score, -r.quotes, r.id))
    return ordered[:MAX_CABLES]


def _signer_evidence(desk: Desk, r: CableRank, c: Cable, text: str, article_roles: set[str]) -> None:
    if not c.signer or not re.fullmatch(r"[A-Z][A-Z'-]{2,}", c.signer):
        return
    m = re.search(rf"\b{re.escape(c.signer)}\b", text, re.I)
    if m:
        r.score += W_SIGNER
        r.evidence.append(f"signer {c.signer} named in the article")
        return
    if not article_roles:
        return
    common = sorted(_signer_roles(desk, c.signer, c) & article_roles)
    if common:
        r.score += W_ROLE
        r.evidence.append(f"signer {c.signer} ↔ '{common[0]}'")

"""Two typed header fields with many spellings: the TAGS line and the "Classified By" line.

TAGS: comma lines keep each free-text item whole ('USEU BRUSSELS', 'Organized Crime'; an item of
codes only, 'ECON KISL', lacks a comma and is split); space lines split on
spaces; person tags '(CLINTON, HILLARY)' stay whole in both; each physical line follows its own
style (09STATE11937 has a space line continued by a comma line).

Classified By: about twenty spellings of the reasons (``1.4 (b) and (d)``, ``1.4(b,d)``, ``1.4 B/D``,
``1.5 (b) (d)``, ``1:4 b,d``, damaged ``a nd``) and names written after an office
(``PolMC Josiah Rosenblatt``), before it (``DUDDY, AMBASSADOR, DOS, AMB``) or wrapped mid-word
(``FOR REAS ONS``). A name is kept as written; what cannot be read is left empty.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cabledesk.model import ClassifiedBy

__all__ = ["parse_classified_by", "parse_reasons", "parse_tags", "split_classified_by"]

# ---------------------------------------------------------------- TAGS
_TAG_ITEM = re.compile(r"\([^()]*\)?|[^,;\s()]+(?:\([^()]*\))?")
_CODE_TAG = re.compile(r"^[A-Za-z]{2,6}[0-9]?$")


def _tag_lines(value: str) -> list[str]:
    """Physical lines of the TAGS value, a person tag wrapped over two lines joined back."""
    out: list[str] = []
    for line in value.split("\n"):
        line = " ".join(line.split())
        if out and out[-1].count("(") > out[-1].count(")"):
            out[-1] += " " + line
        elif line:
            out.append(line)
    return out


def _comma_items(line: str) -> list[str]:
    items: list[str] = []
    depth = 0
    cur = ""
    for ch in line:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch in ",;" and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out: list[str] = []
    for it in items:
        it = it.strip()
        head, paren, person = it.partition("(")
        if paren and head.strip() and all(_CODE_TAG.match(t) for t in head.split()):
            out.extend(head.split())  # "OVIP (CLINTON, HILLARY)": a code tag, then a person tag
            out.append("(" + person)
        elif len(it.split()) > 1 and all(t.isupper() and _CODE_TAG.match(t) for t in it.split()):
            out.extend(it.split())  # "ECON KISL": a missing comma between two codes (09RIYADH651)
        else:
            out.append(it)  # free text stays whole: "USEU BRUSSELS", "GOI EXTERNAL", "Organized Crime"
    return out


def parse_tags(value: str) -> list[str]:
    """Tags in order, codes and person tags upper-cased, free text kept as written, no duplicates."""
    items: list[str] = []
    for line in _tag_lines(value.strip(" .:")):
        if "," in line or ";" in line:
            items.extend(_comma_items(line))
        else:
            items.extend(m.group(0) for m in _TAG_ITEM.finditer(line))
    out: list[str] = []
    for it in items:
        it = it.strip(" .:")
        if not it:
            continue
        if _CODE_TAG.match(it) or it.startswith("("):
            it = it.upper()
        if it not in out:
            out.append(it)
    return out


# ---------------------------------------------------------------- Classified By: reasons
_AND = re.compile(r"\b(?:a\s+n\s?d|an\s+d)\b", re.I)  # "a nd", "an d", "A ND": wrapped "and"
_REASON = re.compile(
    r"(?:1\s*[./:]\s*(?P<a>[45])|\b1(?P<b>[45])(?=\s*\(\s*[a-h]\s*\)))"
    r"(?P<letters>(?:[\s(),/&;:.+\-]|and\b|or\b|[a-h](?![A-Za-z]))*)",
    re.I,
)
_AND_OR = re.compile(r"\b(?:and|or)\b", re.I)
_FRAGMENT = re.compile(r"[a-z]+[,.]?")
_CAPITALISED = re.compile(r"[A-Z][a-z]{2,}")
_DERIVED = re.compile(r"derived\s+from\b", re.I)
_LETTER = re.compile(r"(?<![A-Za-z])([a-h])(?![A-Za-z])", re.I)
_REASON_WORD = re.compile(
    r"[,;.]?\s*(?:\b(?:f\s?o\s?r?|per|under|by)\s+)?(?:the\s+)?\b(?:r\s?e\s?a\s?s?\s?o\s?n\s?s?\b|E\.?\s?O\.?\s*\d{5}\b)",
    re.I,
)
# what may stand between a name and its reasons; a connector needs a space before it, so that an
# office after a comma survives ("RBlau, Charge, state, FO; REASON" keeps FO)
_TAIL = re.compile(
    r"(?:[\s,;:.\-]+|(?<![,;])\s+(?:f\s?o\s?r?|per|under|by|the|sections?|and)\b|\bE\.?\s?O\.?(?:\s*\d{5})?"
    r"|\br\s?e\s?a\s?s?\s?o\s?n\s?s?\b)+$",
    re.I,
)
_AFFAIRES = re.compile(r"\b([dD])\s*[,'’]\s*(?=Affai|AFFAI)")  # "Charge d,Affaires", "Charge D’ Affaires"
_SMALL_WORDS = frozenset("for per by and the of at in on to a.i a.i. or".split())
_LEAD = re.compile(r"^\s*(?:\(U\)\s*)?(?:Classified\s+by\b\s*:?\s*)?", re.I)


@lru_cache(maxsize=512)
def _reasons(text: str) -> tuple[tuple[str, ...], int, int]:
    """Normalised reasons, where the first reason starts and where the last one ends."""
    fixed = _AND.sub(lambda m: "and".ljust(len(m.group(0))), text)  # same length: offsets stay valid
    reasons: list[str] = []
    start = end = -1
    for m in _REASON.finditer(fixed):
        section = m.group("a") or m.group("b")
        letters = _LETTER.findall(_AND_OR.sub(" ", m.group("letters")))
        if not letters:
            continue
        if start < 0:
            start = m.start()
        end = m.end()
        while end > m.start() and fixed[end - 1] in " \t(/&,;:-+":
            end -= 1
        for letter in letters:
            r = f"1.{section}({letter.lower()})"
            if r not in reasons:
                reasons.append(r)
    return tuple(reasons), start, end


def parse_reasons(text: str) -> list[str]:
    """['1.4(b)', '1.4(d)'] from '... for reasons 1.4 (b) and (d)'."""
    return list(_reasons(text)[0])


def split_classified_by(text: str) -> tuple[str, str]:
    """('… for reasons 1.4 (b), (d)', '1. (C/NF) Summary: …'): text glued after the reasons."""
    _, _, end = _reasons(text)
    if end < 0 or not text[end:].strip(" \t\n.)"):
        return text, ""
    return text[:end].rstrip(), text[end:].strip()


# ---------------------------------------------------------------- Classified By: name and title
_TITLE_WORDS = frozenset(
    w.upper()
    for w in (
        "Ambassador Ambasador Amb Charge Chargé Charge' d'Affaires d’Affaires d'Affairs a.i. a.i A.I CDA DCM "
        "ADCM Deputy Chief of Mission Counselor Counsellor Councelor Couselor Consul General ConGen Director "
        "Dir Officer Political Economic Pol Econ PolCouns EconCouns PolChief Polcounselor Acting Minister "
        "Ministers Assistant Secretary Section Head Senior Advisor Adviser Attache Coordinator Principal "
        "Office Manager Affairs Specialist Classified By Polcouns Poloff Econoff PolOff EconOff PolMC MC "
        "PolMinCouns EconMinCouns and the for Regional Leader Unit Chief Team Interagency Provincial "
        "Military Public Management Consular Commercial Internal External Global Security Desk Staff "
        "Embassy Consulate Mission Department Dept State DOS Bureau Exec Under Charges PDAS DAS EUR ISN "
        "WHA SCA NEA EAP INR INL DRL PRM OES EEB USEU PRT PAS RSO CG DPO PO Economics Environment "
        "Science Technology Health Sub-National Governance Nuclear Policy Vice President Special Envoy "
        "Representative Permanent Delegation Counsul Charg Deputy/Ambassador"
    ).split()
)
_CAMEL_TITLE = re.compile(
    r"^(?:Pol|Econ|Mil|Min|Couns|Off|MC|Gen|Con|Chief|Dep|Mgmt|Pub|Aff|Dir|Sec)+$", re.I
)
_NAME_TOKEN = re.compile(
    r"^(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*\.?|[A-Z]\.?|(?:[A-Z]\.){2,3}|[A-Z]\.[A-Z][A-Za-z'’\-]+"
    r"|(?:Mc|Mac|Le|La|De|Di|Du|Da|Van|Von|St)[A-Z][a-z]+|[A-Z]['’][A-Z][a-z]+|[A-Z]{2,3}[a-z]+"
    r"|[\"“][A-Z][a-z]+[\"”]|[xX]{3,}|Jr\.?|Sr\.?|I{2,3}|IV)$"
)
_CAPS_TOKEN = re.compile(r"^[A-Z]{2,}(?:[-'’][A-Z]+)*\.?$")
_SUFFIX = re.compile(r"(?:Jr|JR|Sr|SR)\.?|I{2,3}|IV")
_INITIAL = re.compile(r"^(?:[A-Z]\.?|(?:[A-Z]\.){2,3}|Jr\.?|Sr\.?|I{2,3}|IV)$")


def _is_title(tok: str) -> bool:
    key = tok.strip(",.;:").upper()
    if key in _TITLE_WORDS or "/" in tok or _CAMEL_TITLE.match(tok.strip(",.;:")):
        return True
    return "-" in key and any(p in _TITLE_WORDS for p in key.split("-"))


def _is_name(tok: str, mixed: bool) -> bool:
    tok = tok.rstrip(",")
    if _is_title(tok):
        return False
    if _NAME_TOKEN.match(tok):
        return True
    # an all-caps word is a surname in an all-caps line, an office acronym (DCM, PDAS) otherwise
    return not mixed and bool(_CAPS_TOKEN.match(tok))


def _tokens(seg: str) -> list[str]:
    """Words of a segment, a name split by a wrap rejoined: 'Andrew Y oung' -> 'Andrew Young'."""
    out: list[str] = []
    for t in seg.split():
        if (
            out
            and t[0].islower()
            and _FRAGMENT.fullmatch(t)
            and t.strip(",.") not in _SMALL_WORDS
            and (
                (len(out[-1]) == 1 and out[-1].isupper())
                or (out[-1] + t).strip(",.").upper() in _TITLE_WORDS
                or (len(t.strip(",.")) <= 3 and _CAPITALISED.fullmatch(out[-1]))
            )
        ):
            out[-1] += t  # "Affa irs" -> "Affairs", "Michae l" -> "Michael"
        else:
            out.append(t)
    return out


def _split_name_title(who: str) -> tuple[str | None, str | None]:
    """Separate a person's name from the office ('DCM Gerald M. Feierstein')."""
    if not who or _DERIVED.match(who):
        return None, None
    segs = [
        s.strip(" -–")
        for s in re.split(
            r"\s*[,;]\s*", _AFFAIRES.sub(lambda m: m.group(1) + ("’" if "’" in m.group(0) else "'"), who)
        )
    ]
    segs = [s for s in segs if s]
    if len(segs) >= 3 and all(_is_name(t, True) for t in (segs[0] + " " + segs[1]).split()):
        if len(segs[0].split()) == 1 and len(segs[1].split()) <= 2 and _is_title(segs[2].split()[0]):
            segs[:2] = [f"{segs[0]}, {segs[1]}"]  # "Martinez, Vilma, Ambassador, DOS": surname first
    for idx, seg in enumerate(segs):
        mixed = any(c.islower() for c in seg)
        toks = _tokens(seg)
        best: tuple[int, int] | None = None
        i = 0
        while i < len(toks):
            if not _is_name(toks[i], mixed):
                i += 1
                continue
            j = i
            while j < len(toks) and _is_name(toks[j], mixed):
                j += 1
            if not all(_INITIAL.match(t) for t in toks[i:j]):
                best = (i, j)
            i = j
        if best is None:
            continue
        i, j = best
        name = " ".join(toks[i:j]).rstrip(",.") if not toks[j - 1].endswith("Jr.") else " ".join(toks[i:j])
        own = " ".join([*toks[:i], *toks[j:]]).strip(" -–")
        later = segs[idx + 1 :]
        if j == len(toks) and later and _SUFFIX.fullmatch(later[0]):
            name, later = f"{name}, {later[0]}", later[1:]  # "CLARK T. RANDT, JR."
        title = ", ".join(p for p in [*segs[:idx], own, *later] if p)
        return name, title or None
    return None, ", ".join(segs) or None


def parse_classified_by(text: str) -> ClassifiedBy:
    """'Ambassador Carlos Pascual for reasons 1.4 (b) and (d)' -> name, title, ['1.4(b)', '1.4(d)']."""
    text = " ".join(text.split()).strip()
    reasons, start, _ = _reasons(text)
    body = _LEAD.sub("", text)
    offset = len(text) - len(body)
    cut = len(body)
    if start >= 0:
        cut = min(cut, max(0, start - offset))
    w = _REASON_WORD.search(body, 0, cut)
    if w:
        cut = w.start()
    who = body[:cut]
    if len(who) > 40:  # the tail pattern is anchored at the end: run it on the end only
        who = who[:-40] + _TAIL.sub("", who[-40:])
    else:
        who = _TAIL.sub("", who)
    who = who.strip(" ,.;:-")
    name, title = _split_name_title(who)
    return ClassifiedBy(text=text, name=name, title=title, reasons=list(reasons))

"""The one vocabulary of cabledesk: a cable and its parts, declared once.

Readers produce :class:`RawRecord`; :func:`cabledesk.telegram.parse` turns one into a
:class:`Cable`; the store keeps cables; everything else reads them. ``Cable.to_dict()`` is the
JSON contract of ``cabledesk show ID --json`` (other tools depend on its names) and
:func:`json_schema` exports that contract for the API.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

#: Classification levels, lowest first.
LEVELS: tuple[str, ...] = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")

#: How a reference's year was obtained: written in the REF line, or inferred from the citing cable.
YearSource = Literal["stated", "inferred"]

#: What a REF item points to. Only "cable" items carry a canonical id.
RefKind = Literal["cable", "email", "telcon", "dtg", "fam", "memo", "other"]

#: Outcome of one input item in the ingest ledger.
LedgerStatus = Literal["ingested", "duplicate", "updated", "failed"]


@dataclass(slots=True)
class Paragraph:
    """A numbered (or unnumbered) paragraph with its portion marking, as a reporter cites it."""

    n: int | None  # paragraph number as written ("6." -> 6); None for unnumbered text
    marking: str | None  # portion marking without parentheses, upper-cased: "C", "S//NF", "SBU"
    text: str  # paragraph text, number and marking removed, section-break lines removed


@dataclass(slots=True)
class Reference:
    """One REF item: the raw text and, when it names a cable, its canonical reference id."""

    raw: str  # the item as written, e.g. "A. 09 MEXICO 3125"
    id: str | None = None  # canonical cable id ("09MEXICO3125") when the item names a cable
    year_source: YearSource | None = None  # how the year of ``id`` was obtained
    kind: RefKind = "other"
    label: str | None = None  # the item's letter ("A") when lettered


@dataclass(slots=True)
class ClassifiedBy:
    """The "Classified By:" line: who classified the cable and under which E.O. reasons."""

    text: str  # the line as written, without the "Classified By:" prefix
    name: str | None = None
    title: str | None = None
    reasons: list[str] = field(default_factory=list)  # normalised, e.g. ["1.4(b)", "1.4(d)"]


@dataclass(slots=True)
class Declassify:
    """The E.O. declassification line, raw and with its date when one can be read."""

    raw: str  # e.g. "E.O. 12958: DECL: 01/29/2020"
    date: date | None = None


@dataclass(slots=True)
class Conflict:
    """Two sources disagree about a field (page metadata vs telegram text); both values are kept."""

    field: str  # "classification", "origin", "created", "id" ...
    metadata: str | None  # value from the page metadata table / CSV columns
    telegram: str | None  # value read from the telegram text
    note: str = ""


@dataclass(slots=True)
class Cable:
    """A diplomatic cable parsed faithfully; every later screen reads this."""

    id: str
    created: datetime | None = None
    released: datetime | None = None
    origin: str | None = None  # conventional name: "Embassy Mexico", "Secretary of State"
    classification: str | None = None  # level, one of LEVELS
    caveats: list[str] = field(default_factory=list)  # ["NOFORN", "SIPDIS"]
    classification_label: str | None = None  # as written: "SECRET//NOFORN"
    precedence: str | None = None  # "IMMEDIATE", "PRIORITY", "ROUTINE", "FLASH", "NIACT IMMEDIATE"
    dtg: str | None = None  # date-time group as written: "292049Z JAN 10"
    from_: str | None = None  # FM line: "AMEMBASSY MEXICO"
    to: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    subject: str | None = None
    subject_marking: str | None = None  # the subject's own portion mark, e.g. "C/NF"
    references: list[Reference] = field(default_factory=list)
    classified_by: ClassifiedBy | None = None
    declassify: Declassify | None = None
    signer: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    body: str = ""  # telegram body verbatim (mirror markup stripped, entities unescaped)
    header: str = ""  # telegram header verbatim (routing block), may be empty
    conflicts: list[Conflict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``cabledesk show ID --json`` (names fixed; other tools read them)."""
        return {
            "id": self.id,
            "created": _iso(self.created),
            "released": _iso(self.released),
            "origin": self.origin,
            "classification": self.classification,
            "caveats": list(self.caveats),
            "classification_label": self.classification_label,
            "precedence": self.precedence,
            "dtg": self.dtg,
            "from": self.from_,
            "to": list(self.to),
            "info": list(self.info),
            "tags": list(self.tags),
            "subject": self.subject,
            "subject_marking": self.subject_marking,
            "references": [_flat(r) for r in self.references],
            "classified_by": _flat(self.classified_by) if self.classified_by else None,
            "declassify": (
                {"raw": self.declassify.raw, "date": _iso(self.declassify.date)}
                if self.declassify
                else None
            ),
            "signer": self.signer,
            "paragraphs": [_flat(p) for p in self.paragraphs],
            "body": self.body,
            "header": self.header,
            "conflicts": [_flat(c) for c in self.conflicts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cable:
        """Inverse of :meth:`to_dict`; the store keeps cables as this JSON."""
        decl = d.get("declassify")
        cb = d.get("classified_by")
        return cls(
            id=d["id"],
            created=_dt(d.get("created")),
            released=_dt(d.get("released")),
            origin=d.get("origin"),
            classification=d.get("classification"),
            caveats=list(d.get("caveats") or []),
            classification_label=d.get("classification_label"),
            precedence=d.get("precedence"),
            dtg=d.get("dtg"),
            from_=d.get("from"),
            to=list(d.get("to") or []),
            info=list(d.get("info") or []),
            tags=list(d.get("tags") or []),
            subject=d.get("subject"),
            subject_marking=d.get("subject_marking"),
            references=[Reference(**r) for r in d.get("references") or []],
            classified_by=ClassifiedBy(**cb) if cb else None,
            declassify=(
                Declassify(raw=decl["raw"], date=date.fromisoformat(decl["date"]) if decl.get("date") else None)
                if decl
                else None
            ),
            signer=d.get("signer"),
            paragraphs=[Paragraph(**p) for p in d.get("paragraphs") or []],
            body=d.get("body") or "",
            header=d.get("header") or "",
            conflicts=[Conflict(**c) for c in d.get("conflicts") or []],
        )

    def content_hash(self) -> str:
        """SHA-256 of the telegram text: same id + same hash = duplicate, else a new version."""
        h = hashlib.sha256()
        h.update(self.header.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
        h.update(self.body.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    @property
    def year(self) -> int | None:
        return self.created.year if self.created else None


@dataclass(slots=True)
class RawRecord:
    """What a reader yields for one input item: telegram text plus any metadata, not yet parsed.

    ``error`` set means the item could not be read (binary junk, not a cable page, bad row): it
    becomes a ``failed`` ledger row with that reason and the batch goes on.
    """

    source: str  # the input path given by the user (file, folder or archive)
    item: str  # the item inside it: archive member, relative file path, "row 17"
    format: str  # reader name: "mirror", "csv", "text"
    body: str = ""  # telegram body text (markup stripped, entities unescaped)
    header: str | None = None  # telegram header block when the format separates it
    meta: dict[str, str] = field(default_factory=dict)  # id, created, released, classification, origin, references
    size: int = 0  # bytes read for this item (for MB/s)
    error: str | None = None  # human-readable reason when the item is unusable


@dataclass(slots=True)
class LedgerEntry:
    """One row per input item: what became of it, and why when it failed."""

    source: str
    item: str
    status: LedgerStatus
    cable_id: str | None = None
    reason: str | None = None
    content_hash: str | None = None
    at: str | None = None  # ISO timestamp, set by the store

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _flat(obj: Any) -> dict[str, Any]:
    """``asdict`` of a flat part (Paragraph, Reference ...) without its deep copy: 5x faster at ingest."""
    return {name: (list(v) if isinstance(v := getattr(obj, name), list) else v) for name in obj.__slots__}


def _iso(v: date | datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def _dt(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def json_schema() -> dict[str, Any]:
    """JSON Schema of the cable contract, exported from this one place for the API and docs."""
    s = {"type": "string"}
    ns = {"type": ["string", "null"]}
    arr = {"type": "array", "items": s}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Cable",
        "type": "object",
        "required": ["id", "paragraphs", "body"],
        "properties": {
            "id": s,
            "created": {**ns, "format": "date-time"},
            "released": {**ns, "format": "date-time"},
            "origin": ns,
            "classification": {"enum": [*LEVELS, None]},
            "caveats": arr,
            "classification_label": ns,
            "precedence": ns,
            "dtg": ns,
            "from": ns,
            "to": arr,
            "info": arr,
            "tags": arr,
            "subject": ns,
            "subject_marking": ns,
            "references": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "raw": s,
                        "id": ns,
                        "year_source": {"enum": ["stated", "inferred", None]},
                        "kind": s,
                        "label": ns,
                    },
                },
            },
            "classified_by": {
                "type": ["object", "null"],
                "properties": {"text": s, "name": ns, "title": ns, "reasons": arr},
            },
            "declassify": {
                "type": ["object", "null"],
                "properties": {"raw": s, "date": {**ns, "format": "date"}},
            },
            "signer": ns,
            "paragraphs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"n": {"type": ["integer", "null"]}, "marking": ns, "text": s},
                },
            },
            "body": s,
            "header": s,
            "conflicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": s, "metadata": ns, "telegram": ns, "note": s},
                },
            },
        },
    }


def dumps(obj: Any) -> str:
    """Compact JSON with non-ASCII kept, as the CLI and exports write it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

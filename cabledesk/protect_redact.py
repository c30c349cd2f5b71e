"""Redacted copies: accepted names masked in every field, with a manifest of what and by whose decision.

The mask has a fixed length (``XXXXXXXXXXXX``), whatever the name, so its length reveals nothing.
Masking works on ``Cable.to_dict()`` — every string of the JSON contract, header and body
included — case- and accent-insensitively, and never touches the stored cable.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from cabledesk.model import Cable, dumps
from cabledesk.protect_names import fold, variant_regex

MASK = "XXXXXXXXXXXX"
_WORD = re.compile(r"\w+")
Format = Literal["text", "html", "jsonl"]


@dataclass(slots=True)
class Rule:
    """One name to mask everywhere, and the decision behind it."""

    key: str  # person key, or finding key for a single accepted name
    name: str  # display name
    variants: list[str]
    decided_by: str
    decided_at: str
    scope: str  # "person" | "finding"


@dataclass
class Plan:
    """All masking rules of an export, compiled once."""

    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One pass per string: every rule's alternation in a named group, longest names first.
        order = sorted(range(len(self.rules)), key=lambda i: -max((len(v) for v in self.rules[i].variants), default=0))
        groups = []
        for i in order:
            pat = variant_regex(self.rules[i].variants)
            if pat is not None:
                groups.append(f"(?P<r{i}>{pat.pattern})")
        self._pattern = re.compile("|".join(groups)) if groups else None
        # Where a name can start: the first word of any variant (checked per word, not per character).
        self._starts = {m.group(0) for r in self.rules for v in r.variants if (m := re.match(r"\w+", fold(v).strip()))}

    def mask_text(self, text: str, counts: Counter[tuple[str, str]] | None = None, where: str = "") -> str:
        """``text`` with every variant of every rule replaced by the mask (offsets via folded text)."""
        if not text or self._pattern is None:
            return text
        folded = fold(text)
        parts: list[str] = []
        last = 0
        for w in _WORD.finditer(folded):
            if w.start() < last or w.group(0) not in self._starts:
                continue
            m = self._pattern.match(folded, w.start())
            if m is None:
                continue
            parts.append(text[last:m.start()])
            parts.append(MASK)
            last = m.end()
            if counts is not None and m.lastgroup:
                counts[(self.rules[int(m.lastgroup[1:])].key, where)] += 1
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)

    def mask_value(self, v: Any, counts: Counter[tuple[str, str]], where: str) -> Any:
        """Mask every string inside a JSON value (dict keys are field names and stay)."""
        if isinstance(v, str):
            return self.mask_text(v, counts, where)
        if isinstance(v, list):
            return [self.mask_value(x, counts, where) for x in v]
        if isinstance(v, dict):
            return {k: self.mask_value(x, counts, f"{where}.{k}" if where else k) for k, x in v.items()}
        return v


def redact_dict(cable: Cable, plan: Plan) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """The cable's JSON contract with names masked, and how many masks went where."""
    counts: Counter[tuple[str, str]] = Counter()
    d = cable.to_dict()
    out = {k: (v if k == "id" else plan.mask_value(v, counts, k)) for k, v in d.items()}
    return out, counts


def _where(path: str) -> str:
    """Collapse "paragraphs.text" -> "paragraphs", "references.raw" -> "references"."""
    return path.split(".", 1)[0]


def manifest(plan: Plan, per_cable: dict[str, Counter[tuple[str, str]]], selection: str, fmt: str, user: str,
             at: str) -> dict[str, Any]:
    """What was masked, where, and by whose decision."""
    rules = []
    for r in plan.rules:
        where: dict[str, dict[str, int]] = {}
        for cid, counts in per_cable.items():
            for (key, path), n in counts.items():
                if key == r.key:
                    w = where.setdefault(cid, {})
                    w[_where(path)] = w.get(_where(path), 0) + n
        rules.append({"key": r.key, "name": r.name, "scope": r.scope, "variants": r.variants,
                      "decided_by": r.decided_by, "decided_at": r.decided_at,
                      "masked": sum(sum(v.values()) for v in where.values()), "cables": where})
    return {"tool": "cabledesk protect export", "mask": MASK, "selection": selection, "format": fmt,
            "exported_by": user, "exported_at": at, "cables": sorted(per_cable), "rules": rules}


def _text_block(d: dict[str, Any]) -> str:
    lines = [f"ID: {d['id']}", f"CREATED: {d.get('created') or ''}", f"ORIGIN: {d.get('origin') or ''}",
             f"CLASSIFICATION: {d.get('classification_label') or d.get('classification') or ''}",
             f"SUBJECT: {d.get('subject') or ''}"]
    if d.get("header"):
        lines += ["", d["header"]]
    lines += ["", d.get("body") or ""]
    return "\n".join(lines)


def _manifest_text(m: dict[str, Any]) -> str:
    out = ["REDACTED EXPORT (cabledesk protect)",
           f"selection: {m['selection']}  exported by {m['exported_by']} at {m['exported_at']}",
           f"mask: {m['mask']} (fixed length; the original length is not kept)"]
    for r in m["rules"]:
        out.append(f"- {r['name']} [{r['scope']} decision by {r['decided_by']} at {r['decided_at']}]: "
                   f"{r['masked']} masked in {len(r['cables'])} cable(s)")
    return "\n".join(out)


def write_export(out: IO[str], cables: Iterable[Cable], plan: Plan, fmt: Format, selection: str, user: str,
                 at: str) -> dict[str, Any]:
    """Write the redacted cables in ``fmt``; returns the manifest (also written into text/HTML headers)."""
    docs: list[dict[str, Any]] = []
    per_cable: dict[str, Counter[tuple[str, str]]] = {}
    for c in cables:
        d, counts = redact_dict(c, plan)
        docs.append(d)
        per_cable[c.id] = counts
    m = manifest(plan, per_cable, selection, fmt, user, at)
    if fmt == "jsonl":
        for d in docs:
            out.write(dumps(d) + "\n")
    elif fmt == "text":
        out.write(_manifest_text(m) + "\n")
        for d in docs:
            out.write("\n" + "=" * 78 + "\n" + _text_block(d) + "\n")
    elif fmt == "html":
        out.write("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                  f"<title>Redacted export: {html.escape(selection)}</title></head><body>\n")
        out.write(f"<header><pre class=\"manifest\">{html.escape(_manifest_text(m))}</pre></header>\n")
        for d in docs:
            out.write(f"<article id=\"{html.escape(d['id'])}\"><h2>{html.escape(d['id'])}: "
                      f"{html.escape(d.get('subject') or '')}</h2><pre>{html.escape(_text_block(d))}</pre></article>\n")
        out.write("</body></html>\n")
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return m

"""Terminal rendering of cables, stats and ledgers with Rich (the CLI's look, kept out of cli.py)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cabledesk.model import Cable, LedgerEntry

LEVEL_STYLE = {
    "TOP SECRET": "bold white on red",
    "SECRET": "bold red",
    "CONFIDENTIAL": "bold blue",
    "UNCLASSIFIED": "green",
}


def cable_view(cable: Cable) -> Group:
    """A readable cable: header fields as a table, then numbered paragraphs with their markings."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold cyan", no_wrap=True)
    head.add_column()

    def row(label: str, value: Any) -> None:
        if value:
            head.add_row(label, Text(str(value)))

    row("Reference", cable.id)
    row("Created", cable.created.strftime("%Y-%m-%d %H:%M") if cable.created else None)
    row("Released", cable.released.strftime("%Y-%m-%d") if cable.released else None)
    row("Origin", cable.origin)
    label = cable.classification_label or cable.classification
    if label:
        head.add_row("Classification", Text(label, style=LEVEL_STYLE.get(cable.classification or "", "")))
    row("Caveats", ", ".join(cable.caveats))
    row("Precedence", cable.precedence)
    row("DTG", cable.dtg)
    row("From", cable.from_)
    row("To", "; ".join(cable.to))
    row("Info", "; ".join(cable.info[:8]) + (f" (+{len(cable.info) - 8} more)" if len(cable.info) > 8 else ""))
    row("Tags", ", ".join(cable.tags))
    row("Subject", (f"({cable.subject_marking}) " if cable.subject_marking else "") + (cable.subject or ""))
    if cable.classified_by:
        row("Classified by", cable.classified_by.text)
    if cable.declassify:
        row("Declassify", cable.declassify.raw)
    for i, ref in enumerate(cable.references):
        head.add_row("References" if i == 0 else "", Text(ref.raw + (f"  → {ref.id}" if ref.id else "")))
    row("Signer", cable.signer)
    for c in cable.conflicts:
        head.add_row("Conflict", Text(f"{c.field}: page says {c.metadata!r}, telegram says {c.telegram!r}",
                                      style="yellow"))
    parts: list[Any] = [Panel(head, title=cable.id, title_align="left")]
    for p in cable.paragraphs:
        t = Text()
        if p.n is not None:
            t.append(f"¶{p.n} ", style="bold")
        if p.marking:
            t.append(f"({p.marking}) ", style=_marking_style(p.marking))
        t.append(p.text)
        parts.append(t)
        parts.append(Text(""))
    return Group(*parts)


def _marking_style(marking: str) -> str:
    m = marking.upper()
    if m.startswith("TS"):
        return LEVEL_STYLE["TOP SECRET"]
    if m.startswith("S") and not m.startswith("SBU"):
        return LEVEL_STYLE["SECRET"]
    if m.startswith("C"):
        return LEVEL_STYLE["CONFIDENTIAL"]
    return LEVEL_STYLE["UNCLASSIFIED"]


def count_table(title: str, counts: dict[str, int], limit: int = 15) -> Table:
    """A two-column table of the top counts."""
    t = Table(title=title, title_justify="left", show_edge=False)
    t.add_column(title.split()[-1].capitalize())
    t.add_column("Cables", justify="right")
    for k, v in list(counts.items())[:limit]:
        t.add_row(str(k), f"{v:,}")
    if len(counts) > limit:
        t.add_row(f"… {len(counts) - limit} more", "")
    return t


def stats_view(stats: dict[str, Any]) -> Group:
    """Corpus statistics as a set of small tables."""
    parts: list[Any] = [Text(f"{stats.get('cables', 0):,} cables", style="bold")]
    for key, title in (("classification", "by classification"), ("origin", "by origin"),
                       ("year", "by year"), ("tag", "by tag")):
        if stats.get(key):
            counts = stats[key]
            if key == "year":
                counts = dict(sorted(counts.items(), key=lambda kv: str(kv[0])))
            parts.append(count_table(f"Cables {title}", counts, limit=50 if key == "year" else 15))
    refs = stats.get("references") or {}
    if refs.get("items"):
        parts.append(Text(
            f"REF items: {refs['items']:,}; cable-like {refs['cable_like']:,}, resolved to an id "
            f"{refs['resolution_rate']:.1%}; cited cable in this corpus {refs['in_corpus_rate']:.1%}, "
            f"in the 2011 full release {refs['in_manifest_rate']:.1%}"))
    return Group(*parts)


def ledger_view(entries: list[LedgerEntry]) -> Table:
    """The ledger as a table: one row per input item."""
    t = Table(show_edge=False)
    for col in ("Status", "Item", "Cable", "Reason"):
        t.add_column(col)
    style = {"failed": "red", "duplicate": "yellow", "updated": "cyan", "ingested": "green"}
    for e in entries:
        t.add_row(Text(e.status, style=style.get(e.status, "")), e.item, e.cable_id or "", e.reason or "")
    return t


def console(stderr: bool = False) -> Console:
    """A console that never wraps JSON or emits colour codes into pipes."""
    return Console(stderr=stderr, soft_wrap=True)


def _highlighted(text: str, spans: list[list[int]]) -> Text:
    t = Text(text)
    for start, end in spans or []:
        t.stylize("bold yellow", start, end)
    return t


def search_view(data: dict[str, Any], paragraphs: bool = False) -> Group:
    """Search results: the count, each hit with its matching paragraph, then the top facets."""
    parts: list[Any] = [Text(f"{data.get('total', 0):,} {'paragraphs' if paragraphs else 'cables'} "
                             f"match {data.get('query', '')!r}", style="bold")]
    for hit in data.get("hits", []):
        line = Text()
        line.append(hit["id"], style="bold cyan")
        if paragraphs:
            line.append(f" ¶{hit.get('paragraph')}")
            if hit.get("marking"):
                line.append(f" ({hit['marking']})", style=_marking_style(hit["marking"]))
            parts.append(line)
            parts.append(_highlighted(hit.get("text", ""), hit.get("highlights", [])))
        else:
            created = (hit.get("created") or "")[:10]
            line.append(f"  {created}  {hit.get('origin') or ''}  ")
            label = hit.get("classification") or ""
            line.append(label, style=LEVEL_STYLE.get(label.split("//")[0], ""))
            parts.append(line)
            if hit.get("subject"):
                parts.append(Text(hit["subject"], style="italic"))
            snip = hit.get("snippet") or {}
            if snip.get("text"):
                prefix = Text(f"¶{snip.get('paragraph')} " if snip.get("paragraph") is not None else "")
                if snip.get("marking"):
                    prefix.append(f"({snip['marking']}) ", style=_marking_style(snip["marking"]))
                parts.append(prefix + _highlighted(snip["text"], snip.get("highlights", [])))
        parts.append(Text(""))
    facets = data.get("facets") or {}
    if facets:
        grid = Table.grid(padding=(0, 3))
        names = [k for k in ("origin", "classification", "year", "tag", "signer") if facets.get(k)]
        for _ in names:
            grid.add_column()
        if names:
            grid.add_row(*[count_table(f"Facet {n}", facets[n], limit=6) for n in names])
            parts.append(grid)
    return Group(*parts)

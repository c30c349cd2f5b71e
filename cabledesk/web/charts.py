"""Geometry of the server-rendered SVG charts: numbers only; templates draw (and escape) them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cabledesk.model import LEVELS
from cabledesk.timeline import UNKNOWN

#: Stacking order (bottom first) and CSS class of each level.
LEVEL_CLASS = {
    "UNCLASSIFIED": "lv-u",
    "CONFIDENTIAL": "lv-c",
    "SECRET": "lv-s",
    "TOP SECRET": "lv-ts",
    UNKNOWN: "lv-x",
}
MONTHLY_MAX_SPAN = 120  # above ten years the timeline groups by year (a bar stays clickable)


def _month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _month_name(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def timeline_chart(
    months: Sequence[dict[str, Any]], href: Callable[[str, str], str], width: int = 960, height: int = 150
) -> dict[str, Any] | None:
    """Stacked columns per month (or per year when the span is long); ``href(start, end)`` narrows."""
    if not months:
        return None
    first, last = _month_index(months[0]["month"]), _month_index(months[-1]["month"])
    by_month = {m["month"]: m for m in months}
    buckets: list[tuple[str, str, str, dict[str, int]]] = []  # label, start, end, counts
    if last - first + 1 <= MONTHLY_MAX_SPAN:
        granularity = "month"
        for i in range(first, last + 1):
            name = _month_name(i)
            buckets.append((name, name, name, dict(by_month.get(name, {}).get("counts", {}))))
    else:
        granularity = "year"
        years: dict[int, dict[str, int]] = {}
        for m in months:
            acc = years.setdefault(int(m["month"][:4]), {})
            for lvl, n in m["counts"].items():
                acc[lvl] = acc.get(lvl, 0) + n
        for yr in range(first // 12, last // 12 + 1):
            buckets.append((str(yr), f"{yr}-01", f"{yr}-12", years.get(yr, {})))
    left, bottom, top = 36, 22, 8
    plot_w, plot_h = width - left - 4, height - bottom - top
    ymax = max(sum(c.values()) for *_, c in buckets) or 1
    step = plot_w / len(buckets)
    bar_w = max(1.0, min(step * 0.8, 28.0))
    bars = []
    for i, (label, start, end, counts) in enumerate(buckets):
        total = sum(counts.values())
        x = left + i * step + (step - bar_w) / 2
        y: float = top + plot_h
        stack = []
        for lvl in (*LEVELS, UNKNOWN):
            n = counts.get(lvl, 0)
            if not n:
                continue
            h = max(plot_h * n / ymax, 2.0)  # a single cable stays visible (and clickable)
            y -= h
            stack.append({"y": round(y, 2), "h": round(h, 2), "cls": LEVEL_CLASS.get(lvl, "lv-x"), "level": lvl, "n": n})
        parts = ", ".join(f"{s['n']} {s['level']}" for s in reversed(stack))
        bars.append(
            {
                "x": round(x, 2),
                "w": round(bar_w, 2),
                "hit_x": round(left + i * step, 2),
                "hit_w": round(step, 2),
                "label": label,
                "total": total,
                "stack": stack,
                "title": f"{label}: {total} cable{'s' if total != 1 else ''}" + (f" ({parts})" if parts else ""),
                "href": href(start, end) if total else None,
            }
        )
    ticks = _ticks(buckets, granularity, left, step)
    yticks = [{"y": round(top + plot_h - plot_h * v / ymax, 2), "label": str(v)} for v in _nice(ymax)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "base": top + plot_h,
        "right": width - 4,
        "bars": bars,
        "ticks": ticks,
        "yticks": yticks,
        "granularity": granularity,
        "legend": [(lvl, LEVEL_CLASS[lvl]) for lvl in (*LEVELS, UNKNOWN)],
    }


def _ticks(buckets: list[tuple[str, str, str, dict[str, int]]], granularity: str, left: int, step: float) -> list[dict[str, Any]]:
    """X-axis labels: years (every Nth so they never overlap)."""
    if granularity == "month":
        starts = [(i, b[0][:4]) for i, b in enumerate(buckets) if i == 0 or b[0].endswith("-01")]
        if len(buckets) <= 14:
            starts = [(i, b[0]) for i, b in enumerate(buckets)]
    else:
        starts = [(i, b[0]) for i, b in enumerate(buckets)]
    label_w = 34 if len(starts[0][1]) <= 4 else 58
    every = max(1, int(label_w // max(step, 1e-9)) + 1) if granularity == "year" else 1
    out = []
    last_x = -1e9
    for k, (i, label) in enumerate(starts):
        x = left + i * step + step / 2
        if k % every or x - last_x < label_w:
            continue
        out.append({"x": round(x, 2), "label": label})
        last_x = x
    return out


def _nice(ymax: int) -> list[int]:
    """Two or three round y-axis values up to ``ymax``."""
    if ymax <= 2:
        return list(range(0, ymax + 1))
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if ymax / step <= 4:
            return list(range(0, ymax + 1, step))
    return [0, ymax]


def hbar_chart(
    items: Sequence[tuple[str, int]], href: Callable[[str], str], note: Callable[[str], str | None] | None = None,
    width: int = 640, label_w: int = 220, row_h: int = 22,
) -> dict[str, Any]:
    """Horizontal bars, one row per (label, count), largest first as given."""
    vmax = max((n for _, n in items), default=1) or 1
    bar_space = width - label_w - 60
    rows = []
    for i, (label, n) in enumerate(items):
        rows.append(
            {
                "y": i * row_h,
                "label": label,
                "n": n,
                "w": round(max(1.0, bar_space * n / vmax), 2),
                "href": href(label),
                "title": f"{label}" + (f" — {note(label)}" if note and note(label) else "") + f": {n:,}",
            }
        )
    return {"width": width, "height": max(row_h, len(items) * row_h), "label_w": label_w, "row_h": row_h, "rows": rows}

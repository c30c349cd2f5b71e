"""Cables per month for a query, split by classification level: the data behind the web timeline.

Counting runs inside the index, not over hits: the compiled query feeds one tantivy aggregation
(terms on the ``class`` fast field, each with a ``range`` sub-aggregation of monthly buckets on the
``ts`` fast field), after one min/max aggregation has found the months the matches span. Two
aggregations per call, whatever the number of matching cables; no documents are loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import tantivy

from cabledesk.errors import QueryError
from cabledesk.model import LEVELS
from cabledesk.query import compile_query, expand_derived, parse

if TYPE_CHECKING:
    from cabledesk.desk import Desk

#: Counts of cables whose level is missing from the index.
UNKNOWN = "UNKNOWN"


def _month_start(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


def _months(lo_ts: float, hi_ts: float) -> list[tuple[str, int, int]]:
    """(YYYY-MM, start, end) for every month from the one holding ``lo_ts`` to the one holding ``hi_ts``."""
    lo = datetime.fromtimestamp(lo_ts, UTC)
    hi = datetime.fromtimestamp(hi_ts, UTC)
    y, m = lo.year, lo.month
    out = []
    while (y, m) <= (hi.year, hi.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((f"{y:04d}-{m:02d}", _month_start(y, m), _month_start(ny, nm)))
        y, m = ny, nm
    return out


def timeline(desk: Desk, query: str | None = None) -> list[dict[str, Any]]:
    """Months with matching cables, oldest first: ``{"month", "total", "counts": {level: n}}``.

    ``query`` empty or None means every cable. ``counts`` always has the four LEVELS (zeros kept,
    so stacked charts line up) plus ``UNKNOWN`` when some cables have no level. Undated cables are
    not counted. Raises QueryError for a malformed query, like :meth:`Desk.search`.
    """
    index = desk.index
    if query and query.strip():
        ast = expand_derived(parse(query), desk.resolvers)
        try:
            tq = compile_query(ast, index.schema)
        except ValueError as exc:  # engine errors never leak as a 500
            raise QueryError(f"the search engine rejected the query: {exc}", 0, "simplify the query") from exc
    else:
        tq = tantivy.Query.all_query()
    searcher = index.searcher("cables")
    try:
        bounds = searcher.aggregate(tq, {"lo": {"min": {"field": "ts"}}, "hi": {"max": {"field": "ts"}}})
        lo, hi = bounds["lo"].get("value"), bounds["hi"].get("value")
        if lo is None or hi is None:
            return []
        months = _months(lo, hi)
        ranges = [{"key": key, "from": start, "to": end} for key, start, end in months]
        per_month = {"range": {"field": "ts", "ranges": ranges}}
        agg = searcher.aggregate(
            tq,
            {
                "all": per_month,
                "lv": {"terms": {"field": "class", "size": 16}, "aggs": {"m": per_month}},
            },
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise QueryError(f"the search engine rejected the query: {exc}", 0, "simplify the query") from exc

    totals = {b["key"]: int(b["doc_count"]) for b in agg["all"]["buckets"]}
    by_level: dict[str, dict[str, int]] = {}
    for lb in agg["lv"]["buckets"]:
        by_level[str(lb["key"])] = {b["key"]: int(b["doc_count"]) for b in lb["m"]["buckets"]}
    out = []
    for key, _start, _end in months:
        total = totals.get(key, 0)
        if not total:
            continue
        counts = {lvl: by_level.get(lvl, {}).get(key, 0) for lvl in LEVELS}
        for lvl, m in by_level.items():  # a level outside LEVELS (should not happen) is kept, not lost
            if lvl not in counts and m.get(key):
                counts[lvl] = m[key]
        known = sum(counts.values())
        if known < total:
            counts[UNKNOWN] = total - known
        out.append({"month": key, "total": total, "counts": counts})
    return out

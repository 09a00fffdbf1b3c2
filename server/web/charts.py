"""Charts as data: which canned-query answers draw as bar charts, and the numbers they draw.

One table (``CHARTS``) says, per canned query, which column labels the bars, which series
the bars show (a numeric column, or the number of distinct values of a column per label, such
as the cities naming each role) and which column holds the IRI a bar links to. ``chart_data``
turns an answer into the JSON that ``static/js/charts.js`` draws with the vendored Chart.js.
Every page that draws a chart also shows its numbers as a table (``_charts.html``), for
screen readers and for people who would rather read. Nothing here is HTML: the values reach
the page through Jinja's ``tojson`` (a JSON script block) and are drawn as canvas text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.sparql.tables import Table, plain

# Colour names the stylesheet and charts.js share (the palette lives in charts.js).
TONES = ("primary", "highlight", "muted", "sufficient", "insufficient", "noresponse")


@dataclass(frozen=True)
class Series:
    """One set of bars: the numbers of ``column``, or (``column`` None) per label the number
    of distinct values of ``distinct`` (the rows when that is None too)."""

    name: str
    column: str | None = None
    distinct: str | None = None
    tone: str = "primary"


@dataclass(frozen=True)
class ChartSpec:
    """How one canned query's answer reads as a horizontal bar chart."""

    title: str
    item: str  # what a bar is ("Policy area"), the heading of the table's first column
    label: tuple[str, ...]  # the columns joined into a bar's label
    series: tuple[Series, ...]
    unit: str = "cities"  # what the numbers count, for the axis and the table
    link: str | None = None  # a column holding the IRI each bar links to
    sort: str | None = None  # a series name: bars in decreasing order of it (counts are always sorted)
    stacked: bool = False
    params: dict[str, str] = field(default_factory=dict)  # what the home page runs the query with


SUFFICIENCY_SERIES = (
    Series("Insufficient data", "insufficientCount", tone="insufficient"),
    Series("No response", "noResponseCount", tone="noresponse"),
    Series("Sufficient data", "sufficientCount", tone="sufficient"),
)

# By canned-query name: the answers that read better as a chart. A query whose columns change
# must change here too (tests/web/test_pages.py draws every one over the seeds).
CHARTS: dict[str, ChartSpec] = {
    "data-sufficiency-matrix": ChartSpec(
        "Policy areas lacking data", "Policy area", ("areaLabel",), SUFFICIENCY_SERIES, link="area",
        sort="Insufficient data", stacked=True),
    "policy-areas-lacking-data": ChartSpec(
        "Policy areas most often lacking data", "Policy area", ("areaLabel",),
        (Series("Cities rating their data insufficient", "insufficientCount", tone="insufficient"),
         Series("Cities rating the area", "ratedCount", tone="muted")), link="area"),
    "roles": ChartSpec(
        "Innovation roles by number of cities", "Role", ("roleLabel",), (Series("Cities", distinct="name"),), link="role"),
    "funding-sources": ChartSpec(
        "Where innovation funding comes from", "Funding source", ("sourceLabel",), (Series("Cities", distinct="name"),), link="source"),
    "success-factors-ranked": ChartSpec(
        "Critical success factors", "Success factor", ("factorLabel",), (Series("Cities", "cityCount"),), link="factor"),
    "cities-by-role": ChartSpec(
        "Roles each city states", "City", ("name",), (Series("Roles stated", "statedRoleCount"),), unit="roles", link="city"),
    "funding-overview": ChartSpec(
        "Funding sources and funded activities named", "City", ("name",),
        (Series("Funding sources", "sourceCount"), Series("Funded activities", "activityCount", tone="muted")),
        unit="answers", link="city"),
    "funding-sources-vs-activities": ChartSpec(
        "Funded activities by funding source", "Source · activity", ("sourceLabel", "activityLabel"), (Series("Cities", "cityCount"),),
        link="activity"),
    "team-size-vs-population": ChartSpec(
        "Innovation staff per 100,000 residents", "City", ("name",), (Series("Staff per 100,000 residents", "staffPer100k"),),
        unit="staff per 100,000 residents", link="city"),
    "peer-cities": ChartSpec(
        "Similarity of each peer city (Jaccard)", "Peer city", ("peerName",), (Series("Similarity", "jaccard"),),
        unit="similarity (0 to 1)", link="peer"),
    "data-sufficiency": ChartSpec(
        "Ratings by level", "Level", ("levelLabel",), (Series("Ratings", distinct=None),), unit="ratings"),
}

# The home page's four charts, in order.
HOME_CHARTS = ("data-sufficiency-matrix", "roles", "funding-sources", "success-factors-ranked")


def number(value: Any) -> float | None:
    """A cell's value as a number, when it is one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def chart_data(spec: ChartSpec, table: Table, href: Callable[[str], str | None], limit: int | None = None) -> dict[str, Any] | None:
    """The chart of ``table`` as JSON-ready values; None when no row has a label and a number.

    ``href`` turns a link column's IRI into a link (a local page, or None). ``limit`` keeps
    the first bars (after sorting); the table under the chart says how many there are.
    """
    index = {name: i for i, name in enumerate(table.columns)}
    if any(column not in index for column in spec.label):
        return None
    bars: dict[str, dict[str, Any]] = {}
    for row in table.rows:
        parts = [plain(row[index[column]]) for column in spec.label]
        if any(part is None for part in parts):
            continue
        label = " · ".join(str(part) for part in parts)
        bar = bars.setdefault(label, {"label": label, "href": None, "values": [0.0] * len(spec.series),
                                      "seen": [set() for _ in spec.series]})
        if spec.link in index and bar["href"] is None and row[index[spec.link]] is not None:
            bar["href"] = href(str(plain(row[index[spec.link]])))
        for i, series in enumerate(spec.series):
            if series.column is None:
                key = plain(row[index[series.distinct]]) if series.distinct in index else len(bar["seen"][i])
                bar["seen"][i].add(key)
                bar["values"][i] = len(bar["seen"][i])
            elif series.column in index:
                value = number(plain(row[index[series.column]]))
                if value is not None:
                    bar["values"][i] = value
    kept = [bar for bar in bars.values() if any(bar["values"])]
    if not kept:
        return None
    order = _sort_index(spec)
    if order is not None:
        kept.sort(key=lambda bar: (-bar["values"][order], bar["label"].casefold()))
    total = len(kept)
    kept = kept[:limit] if limit else kept
    return {
        "title": spec.title,
        "item": spec.item,
        "unit": spec.unit,
        "stacked": spec.stacked,
        "labels": [bar["label"] for bar in kept],
        "links": [bar["href"] for bar in kept],
        "series": [{"name": s.name, "tone": s.tone, "values": [_tidy(bar["values"][i]) for bar in kept]}
                   for i, s in enumerate(spec.series)],
        "total": total,
        "highlight": None,
    }


def ranking(title: str, item: str, unit: str, entries: Sequence[tuple[str, str | None, float]], series: str,
            highlight: int | None = None) -> dict[str, Any]:
    """A one-series chart of ``(label, href, value)`` entries as given, ``highlight`` drawn in
    the highlight tone (the city a page is about)."""
    return {
        "title": title,
        "item": item,
        "unit": unit,
        "stacked": False,
        "labels": [label for label, _, _ in entries],
        "links": [href for _, href, _ in entries],
        "series": [{"name": series, "tone": "primary", "values": [_tidy(value) for _, _, value in entries]}],
        "total": len(entries),
        "highlight": highlight,
    }


def _sort_index(spec: ChartSpec) -> int | None:
    if spec.sort is not None:
        return next(i for i, s in enumerate(spec.series) if s.name == spec.sort)
    if any(s.column is None for s in spec.series):
        return 0
    return None


def _tidy(value: float) -> float | int:
    """Whole numbers as ints, so the page shows 3 rather than 3.0."""
    return int(value) if float(value).is_integer() else value

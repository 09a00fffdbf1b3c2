"""The ``home`` blueprint: ``/``, what a visitor sees first.

What the data is (source, survey rounds, how many cities, snapshots and people, licence, when
the store was built), a search box, the map of the cities (the coordinates the build stores
with each Wikidata match, drawn over the vendored Natural Earth outlines by
``static/js/map.js``), the cities as a sortable table, four charts of canned-query answers
(``server.web.charts.HOME_CHARTS``), the canned-query gallery and the ways to get the data.
The numbers are read once per store version.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response

from server.sparql.dataset import CC_BY, EXPORT_FORMATS
from server.store.backends import backend
from server.store.prefixes import CIK, SCHEMA
from server.web import charts
from server.web.context import base_iri, executor, linker, published, select
from server.web.negotiation import vary_on_accept
from server.web.render import page
from server.web.views.queries import describe_query, run_table, state
from server.web.views.standing import metrics

bp = Blueprint("home", __name__)
bp.after_request(vary_on_accept)
ROUTE_MEDIA: dict[str, list[str]] = {"home.home": ["text/html"]}  # for /openapi.json
CACHE_KEY = "web.home"
CHART_BARS = 12  # bars per home chart; its canned query has them all

STATS = f"""
SELECT (COUNT(DISTINCT ?snapshot) AS ?snapshots) (GROUP_CONCAT(DISTINCT STR(?round); separator=" ") AS ?rounds)
WHERE {{ GRAPH ?snapshot {{ ?snapshot a <{CIK}Snapshot> OPTIONAL {{ ?snapshot <{CIK}surveyRound> ?round }} }} }}"""
PEOPLE = f"SELECT (COUNT(DISTINCT ?person) AS ?n) WHERE {{ ?person a <{SCHEMA}Person> }}"


@bp.get("/")
def home() -> Response:
    """Home: the data, the search box, the map, the cities, the charts, the gallery, the downloads."""
    data = home_data()
    context = state().context(executor())
    gallery = [describe_query(q, context) for q in sorted(state().queries.values(), key=lambda q: q.name)]
    return page("home.html", **data, queries=gallery, tags=sorted({t for q in gallery for t in q["tags"]}),
                exports=list(EXPORT_FORMATS), base=base_iri(), licence=CC_BY)


def home_data() -> dict[str, Any]:
    """The cities, the numbers and the charts of the current store version (read once)."""
    cache = published()[1]
    if CACHE_KEY not in cache:
        cache[CACHE_KEY] = _read_home_data()
    return cache[CACHE_KEY]


def _read_home_data() -> dict[str, Any]:
    links = linker()
    cities = metrics()
    stats_row = select(STATS)[0]
    located = [c for c in cities if c["lat"] is not None and c["long"] is not None]
    home_charts = []
    for name in charts.HOME_CHARTS:
        spec = charts.CHARTS[name]
        _, table = run_table(name, spec.params)
        data = charts.chart_data(spec, table, links.href, limit=CHART_BARS)
        if data is not None:
            home_charts.append({"id": f"chart-{name}", "query": name, "data": data})
    return {
        "cities": cities,
        "map_cities": [{"name": c["name"], "country": c["country"], "href": c["href"], "lat": c["lat"], "long": c["long"]}
                       for c in located],
        "unmapped": [c for c in cities if c not in located],
        "stats": {
            "cities": len(cities),
            "snapshots": int(stats_row["snapshots"]["value"]),
            "rounds": sorted(set(stats_row.get("rounds", {}).get("value", "").split())),
            "people": int(select(PEOPLE)[0]["n"]["value"]),
            "countries": len({c["country"] for c in cities if c["country"]}),
        },
        "built": built_at(backend(executor().config.store).version()),
        "charts": home_charts,
    }


def built_at(version: str) -> str:
    """The embedded store's version (its directory, ``…/store.d/20261129T131736-55931c``: the build
    id, UTC) as ``2026-11-29 13:17 UTC``; "" for another backend's (a remote store's is its URL
    and a time window: neither a build time nor for the public page)."""
    match = re.match(r"^(?:legacy-)?(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})\d{2}-", Path(version).name)
    return f"{match[1]}-{match[2]}-{match[3]} {match[4]}:{match[5]} UTC" if match else ""

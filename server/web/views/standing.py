"""Where a city stands among all the cities: what its page and the compare page add to its profile.

- ``metrics()``: every city as its latest snapshot states it (name, country, population, the
  roles and funding sources it names, its team size, its coordinates); read once per store
  version, also for the home page's table and map.
- ``standing(iri)``: for each metric, a sentence ("7 roles: the most of 5 cities") and a chart
  of the cities around it, the city highlighted.
- ``peers(iri)``: the most similar cities, from the ``peer-cities`` canned query.
- ``sufficiency_chart(profile)``: its data-availability ratings by policy area, as a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from server.store.prefixes import CIK, DCT, RDFS, SKOS
from server.web import charts
from server.web.context import linker, published, select
from server.web.views.queries import run_table

CACHE_KEY = "web.metrics"
WINDOW = 15  # at most this many cities in a standing chart: the city and its neighbours in the ranking
PEERS = 3

GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
# One row per city as its latest snapshot states it (the canned queries' pattern), with the
# coordinates of its Wikidata match: what the home page lists and maps, and what the cities
# are ranked by. Grouped by city, so a country with two labels cannot list a city twice.
CITIES = f"""
SELECT ?city (SAMPLE(?label) AS ?name) (SAMPLE(?countryLabel) AS ?countryName) (SAMPLE(?surveyRound) AS ?round)
       (SAMPLE(?snapshots) AS ?rounds) (SAMPLE(?people) AS ?population) (SAMPLE(?size) AS ?teamSize)
       (SAMPLE(?moreThan) AS ?teamSizeMoreThan) (SAMPLE(?latitude) AS ?lat) (SAMPLE(?longitude) AS ?long)
       (COUNT(DISTINCT ?role) AS ?roles) (COUNT(DISTINCT ?source) AS ?sources) WHERE {{
  {{
    SELECT ?city (IRI(STRAFTER(MAX(CONCAT(COALESCE(STR(?r), "0000"), " ", STR(?snapshot))), " ")) AS ?g)
           (COUNT(DISTINCT ?snapshot) AS ?snapshots)
    WHERE {{ GRAPH ?snapshot {{ ?snapshot a <{CIK}Snapshot> ; <{DCT}subject> ?city OPTIONAL {{ ?snapshot <{CIK}surveyRound> ?r }} }} }}
    GROUP BY ?city
  }}
  GRAPH ?g {{
    ?city a <{CIK}City> ; <{RDFS}label> ?label .
    OPTIONAL {{ ?g <{CIK}surveyRound> ?surveyRound }}
    OPTIONAL {{ ?city <{CIK}population> ?people }}
    OPTIONAL {{ ?city <{CIK}teamSize> ?size }}
    OPTIONAL {{ ?city <{CIK}teamSizeMoreThan> ?moreThan }}
    OPTIONAL {{ ?city <{CIK}country> ?country }}
    OPTIONAL {{ ?city <{CIK}employsRole> ?role }}
    OPTIONAL {{ ?city <{CIK}fundedBy> ?source }}
  }}
  OPTIONAL {{ ?country <{SKOS}prefLabel> ?prefLabel FILTER(LANG(?prefLabel) IN ("", "en")) }}
  OPTIONAL {{ ?country <{RDFS}label> ?plainLabel }}
  BIND(COALESCE(?prefLabel, ?plainLabel) AS ?countryLabel)
  OPTIONAL {{ ?match <{CIK}reconciles> ?city ; <{GEO}lat> ?latitude ; <{GEO}long> ?longitude }}
}} GROUP BY ?city"""


@dataclass(frozen=True)
class Metric:
    """One way to rank the cities: a key of ``metrics()`` rows, and how to say it."""

    key: str
    title: str
    unit: str  # plural, as in "7 roles"
    singular: str


METRICS = (
    Metric("roles", "Innovation roles named", "roles", "role"),
    Metric("sources", "Funding sources named", "funding sources", "funding source"),
    Metric("team", "Innovation team size", "staff", "staff member"),
)


def metrics() -> list[dict[str, Any]]:
    """One row per city, by name: iri, name, href, country, round, rounds (how many snapshots),
    population, roles, sources, team (None when not stated) and team_more_than (the page says
    "more than N"), lat and long (None when not located); read once per store version."""
    cache = published()[1]
    if CACHE_KEY not in cache:
        links = linker()
        rows = []
        for row in select(CITIES):
            value = {key: cell["value"] for key, cell in row.items()}
            team = value.get("teamSize") or value.get("teamSizeMoreThan")
            rows.append({
                "iri": value["city"], "name": value["name"], "href": links.href(value["city"]),
                "country": value.get("countryName", ""), "round": value.get("round", ""),
                "rounds": int(value.get("rounds", "1")), "population": _integer(value.get("population")),
                "roles": int(value["roles"]), "sources": int(value["sources"]), "team": _integer(team),
                "team_more_than": "teamSize" not in value and "teamSizeMoreThan" in value,
                "lat": _degrees(value.get("lat")), "long": _degrees(value.get("long")),
            })
        cache[CACHE_KEY] = sorted(rows, key=lambda r: (r["name"].casefold(), r["iri"]))
    return cache[CACHE_KEY]


def _integer(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _degrees(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def standing(iri: str) -> list[dict[str, Any]]:
    """For each metric the city has a value for: a sentence and a chart of the ranking around it."""
    rows = metrics()
    out = []
    for metric in METRICS:
        ranked = sorted((r for r in rows if r[metric.key] is not None), key=lambda r: (-r[metric.key], r["name"].casefold()))
        position = next((i for i, r in enumerate(ranked) if r["iri"] == iri), None)
        if position is None:
            continue
        this = ranked[position]
        start = max(0, min(position - WINDOW // 2, len(ranked) - WINDOW))
        shown = ranked[start : start + WINDOW]
        entries = [(_label(r, metric), r["href"], r[metric.key]) for r in shown]
        chart = charts.ranking(metric.title, "City", metric.unit, entries, metric.title, highlight=position - start)
        if start or start + WINDOW < len(ranked):
            chart["total"] = len(ranked)
        out.append({
            "key": metric.key,
            "title": metric.title,
            "sentence": _sentence(this, metric, position, ranked),
            "chart": chart,
        })
    return out


def _label(row: dict[str, Any], metric: Metric) -> str:
    return f"{row['name']} (more than)" if metric.key == "team" and row["team_more_than"] else row["name"]


def _sentence(row: dict[str, Any], metric: Metric, position: int, ranked: list[dict[str, Any]]) -> str:
    """"7 roles: 1st of 5 cities (median 5)", ties said as such."""
    value = row[metric.key]
    amount = f"{'more than ' if metric.key == 'team' and row['team_more_than'] else ''}{value} {metric.singular if value == 1 else metric.unit}"
    values = [r[metric.key] for r in ranked]
    better = sum(v > value for v in values)
    tied = values.count(value) > 1
    rank = f"{'joint ' if tied else ''}{_ordinal(better + 1)} of {len(ranked)} cities"
    return f"{amount}: {rank} (median {_number(median(values))})"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def peers(iri: str) -> list[dict[str, Any]]:
    """The most similar cities (``peer-cities``: Jaccard similarity of roles, policy areas and
    activities), those sharing anything, best first."""
    _, table = run_table("peer-cities", {"city": iri})
    columns = table.columns
    links = linker()
    out = []
    for row in table.rows:
        cell = dict(zip(columns, row))
        jaccard = float(cell["jaccard"]["value"]) if cell.get("jaccard") else 0.0
        if jaccard <= 0:
            continue
        peer = cell["peer"]["value"]
        shared = cell.get("sharedConcepts", {}) or {}
        out.append({
            "iri": peer, "href": links.href(peer), "name": cell["peerName"]["value"],
            "similarity": round(jaccard * 100), "shared": [s for s in shared.get("value", "").split("; ") if s],
            "count": int(cell["shared"]["value"]), "either": int(cell["either"]["value"]),
        })
        if len(out) == PEERS:
            break
    return out


LEVEL_SERIES = (("Insufficient", "Insufficient data", "insufficient", "insufficientCount"),
                ("NoResponse", "No response", "noresponse", "noResponseCount"),
                ("Sufficient", "Sufficient data", "sufficient", "sufficientCount"))
MATRIX_KEY = "web.sufficiency-matrix"


def ratings_by_area() -> dict[str, list[int]]:
    """Per policy area (by its page link), how many cities rate their data in it insufficient,
    give no response, rate it sufficient (``data-sufficiency-matrix``); read once per version."""
    cache = published()[1]
    if MATRIX_KEY not in cache:
        _, table = run_table("data-sufficiency-matrix")
        links = linker()
        rows = [dict(zip(table.columns, row)) for row in table.rows]
        cache[MATRIX_KEY] = {links.href(row["area"]["value"]): [int(row[column]["value"]) if row.get(column) else 0
                                                               for *_, column in LEVEL_SERIES] for row in rows}
    return cache[MATRIX_KEY]


def sufficiency_chart(profile: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The policy areas the city rated, grouped by its rating (insufficient first: the story is
    where data is lacking), each bar how every city that rated the area rates it, the label in
    the tone of the city's own rating. None when the city rated none."""
    levels = {level: (label, tone) for level, label, tone, _ in LEVEL_SERIES}
    matrix = [row for row in profile.get("matrix", []) if row["level"] in levels]
    if not matrix:
        return None
    everyone = ratings_by_area()
    order = [level for level, *_ in LEVEL_SERIES]
    matrix = sorted(matrix, key=lambda row: (order.index(row["level"]), -everyone.get(row["area"]["href"], [0])[0],
                                             row["area"]["text"].casefold()))
    counts = {level: sum(row["level"] == level for row in matrix) for level in order}
    own = [row["level"] if row["area"]["href"] in everyone else None for row in matrix]
    return {
        "title": f"{name}'s policy areas: how every city rates its data there",
        "item": "Policy area",
        "unit": "cities",
        "stacked": True,
        "labels": [row["area"]["text"] for row in matrix],
        "links": [row["area"]["href"] for row in matrix],
        "series": [{"name": label, "tone": tone,
                    "values": [everyone.get(row["area"]["href"], [0, 0, 0])[i] for row in matrix]}
                   for i, (_, label, tone, _) in enumerate(LEVEL_SERIES)],
        "marks": {"heading": f"{name} says", "values": [levels[row["level"]][0] for row in matrix],
                  "tones": [levels[row["level"]][1] for row in matrix]},
        "total": len(matrix),
        "highlight": None,
        "groups": [{"level": level, "label": label, "count": counts[level],
                    "areas": [row["area"] for row in matrix if row["level"] == level]}
                   for level, label, _, _ in LEVEL_SERIES],
        "complete": all(own),
    }


def city_extras(iri: str, profile: dict[str, Any], name: str) -> dict[str, Any]:
    """What a city page shows beyond the snapshot: its standing, its peers, its data chart."""
    return {
        "standing": standing(iri),
        "peers": peers(iri),
        "sufficiency": sufficiency_chart(profile, name),
        "city_count": len(metrics()),
    }

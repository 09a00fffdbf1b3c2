"""The ``compare`` blueprint: ``/compare?cities=a,b[,c]``, two or three cities side by side.

Each city as its latest snapshot states it (the profile of its page, ``server.web.describe``):
the key facts, every section of the profile with the values all of them share marked, the
data-availability rating of every policy area any of them rated, and their standing on the
page's metrics (``server.web.views.standing``). Cities are named by id (``medellin``), prefixed
name (``city:medellin``) or IRI, comma-separated or as repeated ``cities`` parameters (what the
page's form sends). HTML for browsers, JSON for scripts. Without cities the page is the form;
an unknown city is a 404, one city, more than three or a repeat is a 400, each on the form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.sparql.canned import CannedQueryError, UnknownQuery
from server.sparql.request import SparqlError
from server.web import charts, describe
from server.web.context import base_iri, construct, linker, select
from server.web.negotiation import HTML, Offer, negotiate, vary_on_accept
from server.web.render import page
from server.web.views.resources import SNAPSHOT_DESCRIBE, SNAPSHOTS_OF, snapshot_order
from server.web.views.standing import METRICS, metrics

bp = Blueprint("compare", __name__)
bp.after_request(vary_on_accept)
ROUTE_MEDIA: dict[str, list[str]] = {"compare.compare": ["text/html", "application/json"]}  # for /openapi.json
ROUTE_QUERY_PARAMS: dict[str, list[dict[str, Any]]] = {
    "compare.compare": [
        {"name": "cities", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "two or three cities, comma-separated: ids (`medellin`), prefixed names (`city:lima`) or IRIs"},
    ],
}
OFFERS = (HTML, Offer("json", "application/json"))
MIN_CITIES, MAX_CITIES = 2, 3


@bp.get("/compare")
def compare() -> Response:
    """Two or three cities side by side; the form when none are named."""
    offer = negotiate(OFFERS)
    city_ns = base_iri() + "city/"
    known = {row["iri"]: {**row, "id": row["iri"].removeprefix(city_ns)} for row in metrics()}
    names = [part.strip() for value in request.args.getlist("cities") for part in value.split(",") if part.strip()]
    try:
        iris = resolve(names, known)
    except CannedQueryError as exc:
        if offer.name == "json":
            return _json_error(exc)
        kept = [iri for iri in dict.fromkeys(_iri(name) for name in names) if iri in known]  # keep what was right
        response = page("compare.html", options=list(known.values()), chosen=kept, cities=[], error=exc.message)
        response.status_code = exc.http_status
        return response
    cities = [city_view(iri) for iri in iris]
    if offer.name == "json":
        return jsonify({"cities": [_as_json(city) for city in cities]})
    return page("compare.html", options=list(known.values()), chosen=iris, cities=cities, error=None,
                **(comparison(cities) if cities else {}))


def resolve(names: list[str], known: dict[str, dict[str, Any]]) -> list[str]:
    """The IRIs of the named cities; none named is the empty list (the form)."""
    if not names:
        return []
    city_ns = base_iri() + "city/"
    iris = []
    for name in names:
        iri = _iri(name)
        if iri not in known:
            choices = ", ".join(iri.removeprefix(city_ns) for iri in known)
            raise UnknownQuery(f"no city {name!r}; the cities are: {choices}", "cities")
        if iri in iris:
            raise CannedQueryError(f"{name!r} is named twice; compare different cities", "cities")
        iris.append(iri)
    if not MIN_CITIES <= len(iris) <= MAX_CITIES:
        raise CannedQueryError(f"compare {MIN_CITIES} or {MAX_CITIES} cities, not {len(iris)}", "cities")
    return iris


def _iri(name: str) -> str:
    """``medellin``, ``city:medellin`` or an IRI, as the city's IRI."""
    city_ns = base_iri() + "city/"
    return city_ns + name.removeprefix("city:") if name.startswith("city:") or "/" not in name else name


def city_view(iri: str) -> dict[str, Any]:
    """A city's page values as its latest snapshot states them."""
    snapshots = {(row["g"]["value"], row["round"]["value"] if "round" in row else None)
                 for row in select(SNAPSHOTS_OF, {"r": f"<{iri}>"})}
    latest = max(snapshots, key=snapshot_order)
    triples = construct(SNAPSHOT_DESCRIBE, {"r": f"<{iri}>", "g": f"<{latest[0]}>"})
    view = describe.resource_view(iri, triples, linker(), "city")
    view["href"] = linker().href(iri)
    view["round"] = latest[1]
    return view


def comparison(cities: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of the page: sections and ratings, with what every city shares marked."""
    sections = []
    for title, _ in describe.CITY_SECTIONS:
        per_city = [next((s["values"] for s in c["profile"]["sections"] if s["title"] == title), []) for c in cities]
        if not any(per_city):
            continue
        texts = [{v["text"] for v in values} for values in per_city]
        shared = set.intersection(*texts) if all(texts) else set()
        cells = [[{**v, "shared": v["text"] in shared} for v in values] for values in per_city]
        if any(s["title"] == title for s in sections):  # two properties share a title (team size)
            continue
        sections.append({"title": title, "cells": cells, "shared": len(shared)})
    areas: dict[str, dict[str, Any]] = {}
    for i, city in enumerate(cities):
        for row in city["profile"]["matrix"]:
            entry = areas.setdefault(row["area"]["text"], {"area": row["area"], "levels": [None] * len(cities)})
            entry["levels"][i] = row["level"]
    by_iri = {row["iri"]: row for row in metrics()}
    standing = []
    for metric in METRICS:
        entries = [(c["title"], c["href"], by_iri[c["iri"]][metric.key]) for c in cities
                   if by_iri.get(c["iri"], {}).get(metric.key) is not None]
        if entries:
            standing.append({"id": f"compare-{metric.key}",
                             "chart": charts.ranking(metric.title, "City", metric.unit, entries, metric.title)})
    return {
        "sections": sections,
        "areas": sorted(areas.values(), key=lambda a: a["area"]["text"].casefold()),
        "levels": dict(describe.LEVELS),
        "standing": standing,
    }


def _as_json(city: dict[str, Any]) -> dict[str, Any]:
    profile = city["profile"]
    return {
        "iri": city["iri"],
        "name": city["title"],
        "round": city["round"],
        "page": city["href"],
        "sections": {s["title"]: [v["text"] for v in s["values"]] for s in profile["sections"]},
        "dataAvailability": {row["area"]["text"]: row["level"] for row in profile["matrix"]},
        "wikidata": [w["iri"] for w in profile["wikidata"]],
    }


def _json_error(exc: SparqlError) -> Response:
    response = jsonify({"error": exc.message, "status": exc.http_status, "type": type(exc).__name__,
                        "parameter": getattr(exc, "parameter", None)})
    response.status_code = exc.http_status
    return response

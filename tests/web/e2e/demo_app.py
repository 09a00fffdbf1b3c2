"""A tiny site that proves the vendored front-end libraries work offline, before the real pages exist.

It serves the demo page (tests/web/e2e/demo/), the vendored libraries at the URL the real site
will use (/static/vendor/, from server/web/static/vendor/), and a minimal SPARQL 1.1 Protocol
endpoint at /sparql over an in-memory pyoxigraph store holding DEMO_DATA: three cities with
coordinates and team sizes (demo values, not survey facts), one of them with a label that
contains markup. Nothing in it depends on the citykg server package, which is being rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, Response, request, send_from_directory
from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, Store

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEMO_DIR = HERE / "demo"
VENDOR_DIR = REPO / "server" / "web" / "static" / "vendor"

MARKUP_LABEL = "<b>Bold</b> & <img src=x onerror=alert(1)> Town"

DEMO_DATA = f"""
@prefix cik: <https://w3id.org/citykg/ontology#> .
@prefix city: <https://w3id.org/citykg/city/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .

city:helsinki a cik:City ; rdfs:label "Helsinki" ; cik:teamSize 12 ;
    geo:lat 60.1699 ; geo:long 24.9384 .
city:medellin a cik:City ; rdfs:label "Medellín" ; cik:teamSize 30 ;
    geo:lat 6.2442 ; geo:long -75.5812 .
city:markup a cik:City ; rdfs:label {json.dumps(MARKUP_LABEL)} ; cik:teamSize 5 ;
    geo:lat -33.8688 ; geo:long 151.2093 .
"""

# What the demo page's map and chart are expected to show, checked by hand against DEMO_DATA.
DEMO_CITIES = {"Helsinki": (60.1699, 24.9384), "Medellín": (6.2442, -75.5812), MARKUP_LABEL: (-33.8688, 151.2093)}
DEMO_TEAM_SIZES = {"Medellín": 30, "Helsinki": 12, MARKUP_LABEL: 5}

# Served as the YASQE prefix list (its `prefixCcApi` option), instead of a fetch from prefix.cc.
DEMO_PREFIXES = {
    "cik": "https://w3id.org/citykg/ontology#",
    "city": "https://w3id.org/citykg/city/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

SELECT_TYPES = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}


def create_demo_app() -> Flask:
    """The demo site: /, /demo/<file>, /static/vendor/<file>, /sparql, /prefixes.json."""
    app = Flask(__name__, static_folder=None)
    store = Store()
    store.load(DEMO_DATA.encode(), RdfFormat.TURTLE)

    @app.get("/")
    def index() -> Response:
        return send_from_directory(DEMO_DIR, "index.html")

    @app.get("/demo/<path:name>")
    def demo_file(name: str) -> Response:
        return send_from_directory(DEMO_DIR, name)

    @app.get("/static/vendor/<path:name>")
    def vendor_file(name: str) -> Response:
        return send_from_directory(VENDOR_DIR, name)

    @app.get("/prefixes.json")
    def prefixes() -> dict[str, str]:
        return DEMO_PREFIXES

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        query = request.values.get("query")
        if not query:
            return Response("missing query parameter", 400, mimetype="text/plain")
        try:
            result = store.query(query)
        except SyntaxError as error:
            return Response(f"bad query: {error}", 400, mimetype="text/plain")
        if isinstance(result, (QuerySolutions, QueryBoolean)):
            media = request.accept_mimetypes.best_match(SELECT_TYPES, "application/sparql-results+json")
            return Response(result.serialize(format=SELECT_TYPES[media]), mimetype=media)
        return Response(result.serialize(format=RdfFormat.N_TRIPLES), mimetype="application/n-triples")

    return app

"""The ``home`` blueprint: ``/``, what a visitor sees first.

A SPARQL query form posting to ``/sparql``, the cities linking to their pages, the canned-query
gallery, and links to the dumps, VoID, the context, the ontology and the API description.
"""

from __future__ import annotations

from flask import Blueprint, Response

from server.sparql.dataset import EXPORT_FORMATS
from server.store.prefixes import CIK, RDFS, SKOS
from server.web.context import base_iri, linker, select
from server.web.negotiation import vary_on_accept
from server.web.render import page
from server.web.views.queries import state

bp = Blueprint("home", __name__)
bp.after_request(vary_on_accept)
ROUTE_MEDIA: dict[str, list[str]] = {"home.home": ["text/html"]}  # for /openapi.json

# One row per city: Oxigraph's union default graph gives a triple once per graph holding it, and a
# country has a skos:prefLabel and an rdfs:label, so the name and the country are aggregated
# (the English label first, then any, the smallest of each for repeatable pages).
CITIES = f"""
SELECT ?city (MIN(?label) AS ?name) (COALESCE(MIN(?english), MIN(?anyCountry)) AS ?countryName) WHERE {{
  ?city a <{CIK}City> ; <{RDFS}label> ?label .
  OPTIONAL {{ ?city <{CIK}country> ?country . ?country <{SKOS}prefLabel>|<{RDFS}label> ?anyCountry .
             OPTIONAL {{ ?country <{SKOS}prefLabel> ?english FILTER(LANGMATCHES(LANG(?english), "en")) }} }}
}} GROUP BY ?city ORDER BY ?name ?city"""
EXAMPLE = "SELECT ?city ?name WHERE {\n  ?city cik:employsRole role:data-scientist ; rdfs:label ?name .\n} ORDER BY ?name"


@bp.get("/")
def home() -> Response:
    """Home: a SPARQL query editor, the canned-query gallery, the cities, links to exports and VoID."""
    links = linker()
    cities = [
        {"name": row["name"]["value"], "href": links.href(row["city"]["value"]),
         "country": row.get("countryName", {}).get("value", "")}
        for row in select(CITIES)
    ]
    queries = [
        {"name": q.name, "summary": q.summary, "href": f"/queries/{q.name}"}
        for q in sorted(state().queries.values(), key=lambda q: q.name)
    ]
    return page("home.html", cities=cities, queries=queries, example=EXAMPLE,
                exports=list(EXPORT_FORMATS), base=base_iri())

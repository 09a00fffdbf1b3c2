"""Format names as clients send them (issue 11, item 1): every common alias answers 200 on
``/sparql`` (for a table and for a graph), the resource pages, VoID and the exports, with the
media type it names when it names one for that answer; resources also by file extension."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

SELECT = "SELECT ?name WHERE { ?c a cik:City ; rdfs:label ?name } ORDER BY ?name"
CONSTRUCT = "CONSTRUCT { ?c rdfs:label ?name } WHERE { ?c a cik:City ; rdfs:label ?name }"
# alias -> (media type for a table, media type for a graph); None: not a format of that kind,
# so Accept decides (no Accept: the default)
ALIASES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "ttl": (None, "text/turtle"),
    "turtle": (None, "text/turtle"),
    "nt": (None, "application/n-triples"),
    "ntriples": (None, "application/n-triples"),
    "n3": (None, "text/n3"),
    "rdf": (None, "application/rdf+xml"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "jsonld": (None, "application/ld+json"),
    "json-ld": (None, "application/ld+json"),
    "nq": (None, "application/n-quads"),
    "trig": (None, "application/trig"),
}


@pytest.mark.parametrize("alias", list(ALIASES))
def test_every_alias_answers_200_everywhere(client: FlaskClient, alias: str) -> None:
    table, graph = ALIASES[alias]
    answers = {
        "select": (client.get("/sparql", query_string={"query": SELECT, "format": alias}), table or "application/sparql-results+json"),
        "construct": (client.get("/sparql", query_string={"query": CONSTRUCT, "format": alias}), graph or "text/turtle"),
        "resource": (client.get("/city/lima", query_string={"format": alias}), graph or "text/html"),
        "void": (client.get("/.well-known/void", query_string={"format": alias}), graph or "text/turtle"),
        "export": (client.get("/export", query_string={"format": alias}), graph or "text/turtle"),
        "output=": (client.get("/sparql", query_string={"query": CONSTRUCT, "output": alias}), graph or "text/turtle"),
    }
    for where, (response, expected) in answers.items():
        assert (response.status_code, response.mimetype) == (200, expected), (where, response.data[:200])


@pytest.mark.parametrize(("path", "media_type"), [
    ("/city/lima.ttl", "text/turtle"), ("/city/lima.jsonld", "application/ld+json"),
    ("/city/lima.nt", "application/n-triples"), ("/city/lima.rdf", "application/rdf+xml"),
    ("/city/lima.html", "text/html"), ("/city/lima.n3", "text/n3"), ("/city/lima.nq", "application/n-quads"),
    ("/city/lima.trig", "application/trig"), ("/person/medellin/paula-zapata.ttl", "text/turtle"),
    ("/vocab/role/data-scientist.nt", "application/n-triples"), ("/city/medellin/data/education.jsonld", "application/ld+json"),
    ("/ontology.ttl", "text/turtle"), ("/ontology.owl", "application/rdf+xml"),
])
def test_extension_urls_serve_their_format_whatever_the_accept(client: FlaskClient, path: str, media_type: str) -> None:
    response = client.get(path, headers={"Accept": "text/html;q=0.9, application/ld+json"})
    assert (response.status_code, response.mimetype) == (200, media_type)


def test_an_extension_of_no_format_is_part_of_the_name(client: FlaskClient) -> None:
    assert client.get("/city/lima.csv").status_code == 404  # no city "lima.csv"
    assert client.get("/ontology.csv").status_code == 404

"""Lookups run in-process only when proven cheap (server.sparql.lookup, issue 13): the shape is
read from the tokens, the subject's size is measured first, and the answer is the worker's."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.sparql.lookup import lookup
from server.web.app import close_app, create_app
from server.web.context import EXECUTOR

MEDELLIN = "https://w3id.org/citykg/city/medellin"


@pytest.mark.parametrize("query", [
    f"SELECT DISTINCT ?p ?o WHERE {{ <{MEDELLIN}> ?p ?o }}",
    "SELECT * { city:medellin a ?type . } LIMIT 5 OFFSET 1",
    'PREFIX c: <https://w3id.org/citykg/city/> ASK { c:lima rdfs:label "Lima"@es }',
    "SELECT ?o WHERE { city:lima cik:population ?o }",
    'SELECT * { <a> ?p "7"^^xsd:integer }',
])
def test_one_pattern_about_one_iri_is_a_lookup(query: str) -> None:
    assert lookup(query) is not None


@pytest.mark.parametrize("query", [
    "SELECT ?p WHERE { ?s ?p ?o }",  # no subject IRI: a scan of everything
    "SELECT * { <a> ?p ?o . <b> ?q ?r }",  # two patterns: a product
    "SELECT * { <a> ?p ?o ; ?q ?r }",
    "SELECT * { <a> ?p ?o , ?o2 }",
    "SELECT * { <a> ?p ?o } ORDER BY ?o",
    "SELECT * { <a> ?p ?o FILTER(?o > 1) }",
    "SELECT * FROM <g> { <a> ?p ?o }",
    "SELECT * { <a> ?p _:b }",
    "SELECT * { _:a ?p ?o }",
    "SELECT * { [] ?p ?o }",
    "SELECT * { GRAPH ?g { <a> ?p ?o } }",
    "SELECT * { <a> <p>/<q> ?o }",
    "SELECT * { <a> <p>* ?o }",
    "SELECT * { <a> ^<p> ?o }",
    "SELECT * { SERVICE <https://query.wikidata.org/sparql> { <a> ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) { <a> ?p ?o }",
    "SELECT * { <a> ?p ?o } LIMIT 1 LIMIT 2",
    "SELECT * { <a> ?p ?o } VALUES ?o { 1 }",
    "SELECT * { { <a> ?p ?o } }",
    "CONSTRUCT { <a> ?p ?o } WHERE { <a> ?p ?o }",
    "DESCRIBE <a>",
    "INSERT DATA { <a> <b> <c> }",
    "SELECT * { <urn:citykg:wikidata-entities> ?p ?o }",
])
def test_anything_else_is_not(query: str) -> None:
    assert lookup(query) is None


@pytest.fixture
def apps(seed_store: Path):
    made = []

    def make(**config):
        app = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0,
                          "CITYKG_WIKIDATA_ENDPOINT": "none", "CITYKG_RESPONSE_CACHE": 0, **config})
        made.append(app)
        return app

    yield make
    for app in made:
        close_app(app)


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"])
def test_a_lookup_answers_as_a_worker_does(apps, accept: str) -> None:
    query = f"SELECT DISTINCT ?p ?o WHERE {{ <{MEDELLIN}> ?p ?o }} ORDER BY ?p ?o"  # ORDER BY: a worker's
    local = f"SELECT DISTINCT ?p ?o WHERE {{ <{MEDELLIN}> ?p ?o }}"
    here, there = apps(), apps(CITYKG_LOOKUP_QUADS=0)
    mine = here.test_client().get("/sparql", query_string={"query": local}, headers={"Accept": accept})
    theirs = there.test_client().get("/sparql", query_string={"query": local}, headers={"Accept": accept})
    assert mine.status_code == theirs.status_code == 200 and mine.mimetype == theirs.mimetype
    assert sorted(mine.data.splitlines()) == sorted(theirs.data.splitlines()) or mine.data == theirs.data
    assert here.extensions[EXECUTOR].local.answered == 1
    assert there.extensions[EXECUTOR].local is None
    ordered = here.test_client().get("/sparql", query_string={"query": query})
    assert ordered.status_code == 200 and here.extensions[EXECUTOR].local.answered == 1  # not a lookup: a worker


def test_a_subject_with_many_statements_goes_to_a_worker(apps) -> None:
    app = apps(CITYKG_LOOKUP_QUADS=5)  # Medellin has more than 5 statements
    answer = app.test_client().get("/sparql", query_string={"query": f"SELECT * {{ <{MEDELLIN}> ?p ?o }}"})
    assert answer.status_code == 200 and len(answer.json["results"]["bindings"]) > 5
    assert app.extensions[EXECUTOR].local.answered == 0
    small = app.test_client().get("/sparql", query_string={"query": "SELECT * { <https://example.org/none> ?p ?o }"})
    assert small.json["results"]["bindings"] == [] and app.extensions[EXECUTOR].local.answered == 1


def test_limits_hold_in_process(apps) -> None:
    app = apps(CITYKG_MAX_ROWS=3)
    answer = app.test_client().get("/sparql", query_string={"query": f"SELECT * {{ <{MEDELLIN}> ?p ?o }}"})
    assert answer.status_code == 422 and "more than 3 rows" in answer.json["error"]
    syntax = app.test_client().get("/sparql", query_string={"query": f"SELECT * {{ <{MEDELLIN}> ?p ?o }} LIMIT 99999999999999999999999"})
    assert syntax.status_code == 400


def test_a_subject_measured_small_is_measured_again_after_a_rebuild(tmp_path: Path) -> None:
    """The size is kept per store version: a subject that grew past the bound goes to a worker."""
    from pyoxigraph import Literal, NamedNode, Quad

    from server.store.embedded import write_store

    def quads(n: int) -> list[Quad]:
        return [Quad(NamedNode(MEDELLIN), NamedNode(f"https://example.org/p{i}"), Literal(str(i)),
                     NamedNode("https://w3id.org/citykg/snapshot/s")) for i in range(n)]

    store = tmp_path / "store"
    write_store(quads(3), store)
    app = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0,
                      "CITYKG_WIKIDATA_ENDPOINT": "none", "CITYKG_RESPONSE_CACHE": 0, "CITYKG_LOOKUP_QUADS": 5})
    try:
        http, local = app.test_client(), app.extensions[EXECUTOR].local
        query = {"query": f"SELECT * {{ <{MEDELLIN}> ?p ?o }}"}
        assert len(http.get("/sparql", query_string=query).json["results"]["bindings"]) == 3
        assert len(http.get("/sparql", query_string=query).json["results"]["bindings"]) == 3
        assert local.answered == 2
        write_store(quads(8), store)
        assert len(http.get("/sparql", query_string=query).json["results"]["bindings"]) == 8
        assert local.answered == 2  # 8 statements: measured again, over the bound, a worker's
    finally:
        close_app(app)

"""Real clients against a real ``citykg serve`` (a subprocess on 127.0.0.1, a free port).

SPARQLWrapper and rdflib's SPARQLStore are what Python users reach for; httpx stands for any
plain HTTP client. Every answer is a hand-checked fact of the seeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.live import citykg_serve

PREFIXES = """PREFIX cik: <https://w3id.org/citykg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX role: <https://w3id.org/citykg/vocab/role/>
PREFIX funding-source: <https://w3id.org/citykg/vocab/funding-source/>
"""
DATA_SCIENTISTS = PREFIXES + "SELECT ?name WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name } ORDER BY ?name"
MUNICIPAL_BUDGET = PREFIXES + "SELECT ?name WHERE { ?c cik:fundedBy funding-source:municipal-budget ; rdfs:label ?name } ORDER BY ?name"
MEDELLIN = URIRef("https://w3id.org/citykg/city/medellin")


@pytest.fixture(scope="module")
def endpoint(seed_store: Path) -> Iterator[str]:
    with citykg_serve(["--store", seed_store, "--workers", "2"]) as url:
        yield url


# --- SPARQLWrapper -------------------------------------------------------------------------------


def test_sparqlwrapper_json(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(DATA_SCIENTISTS)
    client.setReturnFormat(JSON)
    result = client.query().convert()
    assert [row["name"]["value"] for row in result["results"]["bindings"]] == ["Lima", "Medellin", "Mexico City"]


def test_sparqlwrapper_xml_over_post(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(MUNICIPAL_BUDGET)
    client.setReturnFormat(XML)
    client.setMethod(POST)
    document = client.query().convert()  # xml.dom.minidom.Document
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == ["Lima", "Medellin", "Mexico City", "Saltillo"]  # Baltimore's fragment names no source


def test_sparqlwrapper_ask_and_construct(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(PREFIXES + "ASK { ?c rdfs:label 'Baltimore' ; cik:innovationActivity ?a }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is False
    client.setQuery("DESCRIBE <https://w3id.org/citykg/person/medellin/paula-zapata>")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert (URIRef("https://w3id.org/citykg/person/medellin/paula-zapata"), URIRef("http://schema.org/name"), Literal("Paula Zapata")) in graph


def test_sparqlwrapper_sees_a_malformed_query_as_bad_formed(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery("SELECT ?x WHERE { ?x ")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="error at 1:22"):
        client.query()


# --- rdflib's SPARQLStore ------------------------------------------------------------------------


def test_rdflib_sparqlstore_query_and_triples(endpoint: str) -> None:
    graph = Graph(store=SPARQLStore(endpoint, returnFormat="xml"))
    rows = graph.query(DATA_SCIENTISTS)
    assert [str(row.name) for row in rows] == ["Lima", "Medellin", "Mexico City"]
    assert list(graph.objects(MEDELLIN, RDFS.label)) == [Literal("Medellin")]
    officer = next(graph.objects(MEDELLIN, URIRef("https://w3id.org/citykg/ontology#hasLeadInnovationOfficer")))
    assert officer == URIRef("https://w3id.org/citykg/person/medellin/paula-zapata")


def test_rdflib_sparqlstore_is_read_only(endpoint: str) -> None:
    graph = Graph(store=SPARQLStore(endpoint))
    with pytest.raises(TypeError):  # rdflib's SPARQLStore refuses writes itself; the server would too
        graph.add((MEDELLIN, RDFS.label, Literal("x")))


# --- plain HTTP ----------------------------------------------------------------------------------


def test_httpx_get_post_and_errors(endpoint: str) -> None:
    with httpx.Client(timeout=30) as http:
        got = http.get(endpoint, params={"query": DATA_SCIENTISTS}, headers={"Accept": "text/csv"})
        assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
        assert got.text.splitlines() == ["name", "Lima", "Medellin", "Mexico City"]
        assert got.headers["access-control-allow-origin"] == "*"
        posted = http.post(endpoint, content=DATA_SCIENTISTS, headers={"Content-Type": "application/sparql-query"})
        assert [b["name"]["value"] for b in posted.json()["results"]["bindings"]] == ["Lima", "Medellin", "Mexico City"]
        refused = http.post(endpoint, data={"update": "CLEAR ALL"})
        assert refused.status_code == 403 and "read-only" in refused.text
        description = http.get(endpoint)
        assert description.headers["content-type"].startswith("text/turtle")
        assert f"sd:endpoint <{endpoint}>" in description.text

"""The clients people use, against a live citykg on 127.0.0.1 (issue 11, item 5).

- SPARQLWrapper in each of its return formats (JSON, XML, CSV, TSV, N3, TURTLE, RDFXML, JSONLD,
  and its default, XML) for SELECT, ASK, CONSTRUCT and DESCRIBE, GET and POST. SPARQLWrapper
  sends its format as ``format=``/``output=`` with an Accept header of its own; a format that
  does not fit the query form (CSV for a CONSTRUCT, Turtle for a SELECT) falls back to Accept,
  as in Fuseki, and every answer must convert to the hand-checked facts.
- rdflib's SPARQLStore: SELECT, ASK, CONSTRUCT, DESCRIBE and ``triples``.
- Comunica (``@comunica/query-sparql``, pinned with its lockfile in tests/clients/comunica and
  installed by ``make test`` with ``npm ci`` into .venv/comunica, so the test itself stays
  offline), querying the endpoint as a SPARQL source and a resource page as a document it
  dereferences. Skipped only when node or that install is missing.

Facts (seeds): the cities employing a data scientist are Lima, Medellin and Mexico City; Medellin's
lead innovation officer is Paula Zapata; Lima's mayor is Jorge Muñoz Wells.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pytest
from flask import Flask
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tests.conftest import REPO
from tests.live import serve_in_thread

CIK = "https://w3id.org/citykg/ontology#"
PAULA = URIRef("https://w3id.org/citykg/person/medellin/paula-zapata")
NAME = URIRef("http://schema.org/name")
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
PREFIXES = f"""PREFIX cik: <{CIK}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX role: <https://w3id.org/citykg/vocab/role/>
"""
QUERIES = {
    "SELECT": PREFIXES + "SELECT ?name WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name } ORDER BY ?name",
    "ASK": PREFIXES + "ASK { ?city rdfs:label 'Lima' ; cik:employsRole role:data-scientist }",
    "CONSTRUCT": PREFIXES + "CONSTRUCT { ?city rdfs:label ?name } WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name }",
    "DESCRIBE": f"DESCRIBE <{PAULA}>",
}
DATA_SCIENTISTS = ["Lima", "Medellin", "Mexico City"]
# rdflib's own parsers (which SPARQLWrapper calls) warn about their ConjunctiveGraph internals
pytestmark = pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph.*:DeprecationWarning",
                                        "ignore:Dataset.default_context.*:DeprecationWarning")
RETURN_FORMATS = {"JSON": JSON, "XML": XML, "CSV": CSV, "TSV": TSV, "N3": N3, "TURTLE": TURTLE, "RDFXML": RDFXML,
                  "JSONLD": JSONLD, "default": None}


@pytest.fixture(scope="module")
def endpoint(seed_app: Flask) -> Iterator[str]:
    with serve_in_thread(seed_app) as root:
        yield root + "/sparql"


# --- SPARQLWrapper -------------------------------------------------------------------------------


def sparqlwrapper(endpoint: str, form: str, return_format: str | None, method: str = "GET") -> tuple[str, Any]:
    """(Content-Type, converted result) of one query as SPARQLWrapper sends and converts it."""
    client = SPARQLWrapper(endpoint)
    client.setQuery(QUERIES[form])
    client.setMethod(method)
    if return_format is not None:
        client.setReturnFormat(return_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "format requested was X, but Y was returned"
        result = client.query()
        converted = result.convert()
    return result.info()["content-type"], converted


def table_of(content_type: str, converted: Any) -> list[str]:
    """The ``name`` column of a SELECT answer, whatever results format came back."""
    if isinstance(converted, dict):
        return [row["name"]["value"] for row in converted["results"]["bindings"]]
    if isinstance(converted, Document):
        return [node.firstChild.data for node in converted.getElementsByTagName("literal")]
    text = converted.decode("utf-8")
    if content_type.startswith("text/csv"):
        return [row["name"] for row in csv.DictReader(io.StringIO(text))]
    assert content_type.startswith("text/tab-separated-values"), content_type
    lines = text.splitlines()
    assert lines[0] == "?name"
    return [json.loads(line) for line in lines[1:]]  # TSV cells are N-Triples terms: "Lima"


def boolean_of(content_type: str, converted: Any) -> bool:
    if isinstance(converted, dict):
        return converted["boolean"]
    if isinstance(converted, Document):
        return converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
    text = converted.decode("utf-8").strip().splitlines()
    return text[-1] == "true"  # CSV "_askResult\ntrue", TSV "?_askResult\ntrue"


def graph_of(content_type: str, converted: Any) -> Graph:
    if isinstance(converted, Graph):
        return converted
    fmt = "n3" if "n3" in content_type else "turtle"
    return Graph().parse(data=converted.decode("utf-8") if isinstance(converted, bytes) else converted, format=fmt)


@pytest.mark.parametrize("name", list(RETURN_FORMATS))
@pytest.mark.parametrize("form", list(QUERIES))
def test_sparqlwrapper_in_every_return_format(endpoint: str, form: str, name: str) -> None:
    content_type, converted = sparqlwrapper(endpoint, form, RETURN_FORMATS[name])
    if form == "SELECT":
        assert table_of(content_type, converted) == DATA_SCIENTISTS
    elif form == "ASK":
        assert boolean_of(content_type, converted) is True
    else:
        graph = graph_of(content_type, converted)
        if form == "CONSTRUCT":
            assert sorted(str(o) for o in graph.objects(None, LABEL)) == DATA_SCIENTISTS and len(graph) == 3
        else:
            assert (PAULA, NAME, Literal("Paula Zapata")) in graph


@pytest.mark.parametrize(("form", "name", "expected"), [
    ("SELECT", "default", "application/sparql-results+xml"),
    ("SELECT", "CSV", "text/csv"),
    ("SELECT", "TSV", "text/tab-separated-values"),
    ("SELECT", "TURTLE", "application/sparql-results+json"),  # no graph for a table: the default
    ("ASK", "XML", "application/sparql-results+xml"),
    ("CONSTRUCT", "default", "application/rdf+xml"),  # format=xml, Accept: application/rdf+xml
    ("CONSTRUCT", "JSON", "application/ld+json"),  # json is JSON-LD for a graph, as in Fuseki
    ("CONSTRUCT", "N3", "text/n3"),
    ("CONSTRUCT", "RDFXML", "application/rdf+xml"),  # format=rdf+xml
    ("DESCRIBE", "JSONLD", "application/ld+json"),  # format=json-ld
    ("DESCRIBE", "CSV", "text/turtle"),  # no table for a graph: Accept */*, the default
])
def test_sparqlwrapper_gets_the_format_it_names(endpoint: str, form: str, name: str, expected: str) -> None:
    for method in ("GET", POST):
        content_type, _ = sparqlwrapper(endpoint, form, RETURN_FORMATS[name], method)
        assert content_type.split(";")[0] == expected, method


# --- rdflib --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_in_every_query_form(endpoint: str, method: str) -> None:
    """Its default ``xml`` asks for SPARQL XML or RDF/XML, so every form works; ``json`` and
    ``turtle`` accept one kind only, so they are for tables and graphs respectively."""
    graph = Graph(store=SPARQLStore(endpoint, method=method))
    assert [str(row.name) for row in graph.query(QUERIES["SELECT"])] == DATA_SCIENTISTS
    assert graph.query(QUERIES["ASK"]).askAnswer is True
    constructed = graph.query(QUERIES["CONSTRUCT"]).graph
    assert sorted(str(o) for o in constructed.objects(None, LABEL)) == DATA_SCIENTISTS
    assert (PAULA, NAME, Literal("Paula Zapata")) in graph.query(QUERIES["DESCRIBE"]).graph
    assert list(graph.objects(PAULA, NAME)) == [Literal("Paula Zapata")]
    tables = Graph(store=SPARQLStore(endpoint, returnFormat="json", method=method))
    assert [str(row.name) for row in tables.query(QUERIES["SELECT"])] == DATA_SCIENTISTS
    graphs = Graph(store=SPARQLStore(endpoint, returnFormat="turtle", method=method))
    assert (PAULA, NAME, Literal("Paula Zapata")) in graphs.query(QUERIES["DESCRIBE"]).graph


# --- Comunica ------------------------------------------------------------------------------------

COMUNICA = REPO / "tests" / "clients" / "comunica"


@pytest.fixture(scope="module")
def comunica() -> list[str]:
    """``node …/query.js``: Comunica, installed by ``make test``
    from the lockfile in tests/clients/comunica into ``.venv/comunica``; the test never downloads."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Comunica test needs it (Debian: apt-get install nodejs npm)")
    install = Path(os.environ.get("CITYKG_COMUNICA_DIR") or REPO / ".venv" / "comunica")
    script = install / "node_modules" / "@comunica" / "query-sparql" / "bin" / "query.js"
    if not script.exists():
        pytest.skip(f"Comunica is not installed in {install}: `make test` installs it when npm is present")
    return [node, str(script)]


def comunica_query(command: list[str], source: str, query: str, media_type: str = "application/sparql-results+json") -> str:
    done = subprocess.run([*command, source, "-q", query, "-t", media_type], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def bindings(output: str, variable: str) -> list[str]:
    return sorted(row[variable]["value"] for row in json.loads(output)["results"]["bindings"])


def test_comunica_queries_the_endpoint(comunica: list[str], endpoint: str) -> None:
    source = f"sparql@{endpoint}"
    assert bindings(comunica_query(comunica, source, QUERIES["SELECT"]), "name") == DATA_SCIENTISTS
    assert json.loads(comunica_query(comunica, source, QUERIES["ASK"]))["boolean"] is True
    triples = comunica_query(comunica, source, QUERIES["CONSTRUCT"], "application/n-triples")
    assert sorted(line.split('"')[1] for line in triples.splitlines() if line.strip()) == DATA_SCIENTISTS


@pytest.mark.parametrize("page", ["/city/lima", "/city/lima.ttl", "/city/lima.jsonld"])
def test_comunica_reads_a_resource_page(comunica: list[str], endpoint: str, page: str) -> None:
    """Comunica dereferences the page with its own Accept header and parses what comes back."""
    query = (f"SELECT ?name WHERE {{ <https://w3id.org/citykg/city/lima> <{CIK}hasMayor> ?mayor . "
             f"?mayor <{NAME}> ?name }}")
    assert bindings(comunica_query(comunica, endpoint.removesuffix("/sparql") + page, query), "name") == ["Jorge Muñoz Wells"]

"""The W3C SPARQL 1.1 Protocol and Service Description tests, run against the app.

The protocol manifest describes each test as HTTP requests (method, path, headers, body) and
expected responses (status class, result format, ASK answer); this module reads it with
rdflib and replays every request through the Flask test client, against a store holding the
test's ``ut:graphData`` graphs. Query tests must pass as written. citykg is read-only, so in
update tests every request the manifest expects to succeed as an update must instead get the
read-only 403, and each follow-up ASK (which checks the update's effect) must answer false,
with the data untouched. The service-description manifest names three tests without a
machine-readable action; they are implemented from the Service Description recommendation.
"""

from __future__ import annotations

import json
import urllib.parse
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import (
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    parse,
    parse_query_results,
)
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from server.store.embedded import write_store
from server.web.app import close_app, create_app

W3C = Path(__file__).parent / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
_UPDATE_TEXT = re.compile(r"\s*(?:PREFIX[^\n]*\n\s*)*(?:CLEAR|INSERT|DELETE|WITH|LOAD|DROP|CREATE)\b", re.IGNORECASE)
TABULAR = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
RDF_TYPES = {  # "RDF/XML, Turtle, N-Triples, RDFa" in the manifest's words
    "application/rdf+xml": RdfFormat.RDF_XML,
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
}


# --- reading the manifest ------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]  # "2xx", "3xx", "4xx"
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        """An update operation: a sparql-update body, an ``update`` parameter, or update text."""
        query_string = self.path.split("?", 1)[1] if "?" in self.path else ""
        body = (self.body or b"").decode("utf-8", "replace")
        return (
            "application/sparql-update" in self.headers.get("content-type", "")
            or "update" in parse_qs(query_string)
            or "update" in parse_qs(body)
            or bool(_UPDATE_TEXT.match(body))
        )


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graphs: tuple[tuple[str, str], ...]  # (data file, graph IRI)
    requests: tuple[HttpRequest, ...] = field(default=())


def _protocol_tests() -> list[ProtocolTest]:
    graph = Graph().parse(W3C / "protocol-manifest.ttl", format="turtle", publicID="http://example/manifest")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        data = tuple(
            sorted(
                (f"protocol-{Path(str(graph.value(node, UT.graph))).name}", str(graph.value(node, RDFS.label)))
                for node in graph.objects(entry, UT.graphData)
            )
        )
        action = graph.value(entry, MF.action)
        requests = tuple(_request(graph, node) for node in Collection(graph, graph.value(action, HT.requests)))
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[-1], str(graph.value(entry, MF.name)), data, requests))
    return tests


def _request(graph: Graph, node: URIRef) -> HttpRequest:
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        chars = str(graph.value(body_node, CNT.chars))
        charset = re.search(r"charset=([\w-]+)", headers.get("content-type", ""))
        encoding = charset.group(1) if charset else str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = chars.encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(str(s).rsplit("StatusCode", 1)[-1] for s in graph.objects(response, MF.expectedStatus))
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    return HttpRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)).replace("/sparql/", "/sparql", 1),  # the manifest says: adapt the prefix
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(fmt) if fmt is not None else None,
        expected_boolean=boolean.toPython() if boolean is not None else None,
    )


PROTOCOL_TESTS = _protocol_tests()


# --- apps over the test data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_for(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One app per distinct set of graphs, built on first use and closed at module end."""
    apps: dict[tuple[tuple[str, str], ...], Flask] = {}

    def get(graphs: tuple[tuple[str, str], ...]) -> Flask:
        if graphs not in apps:
            store = tmp_path_factory.mktemp("w3c") / "store"
            write_store(_quads(graphs), store)
            apps[graphs] = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 1})
        return apps[graphs]

    yield get
    for app in apps.values():
        close_app(app)


def _quads(graphs: tuple[tuple[str, str], ...]) -> list[Quad]:
    quads = []
    for filename, iri in graphs:
        for triple in parse(path=str(W3C / filename), format=RdfFormat.N_TRIPLES):
            quads.append(Quad(triple.subject, triple.predicate, triple.object, NamedNode(iri)))
    return quads


ALL_GRAPHS = tuple(sorted({g for test in PROTOCOL_TESTS for g in test.graphs}))


def _send(client: FlaskClient, req: HttpRequest):
    headers = dict(req.headers)
    content_type = headers.pop("content-type", None)
    return client.open(req.path, method=req.method, headers=headers, data=req.body, content_type=content_type)


def _status_class(code: int) -> str:
    return f"{code // 100}xx"


def _boolean(response) -> bool:
    media_type = response.mimetype
    if media_type == "application/sparql-results+json":
        return json.loads(response.data)["boolean"]
    assert media_type == "application/sparql-results+xml", media_type
    node = ElementTree.fromstring(response.data).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None
    return node.text == "true"


def _check_format(graphs: tuple[tuple[str, str], ...], response, req: HttpRequest) -> None:
    if req.expected_format == "boolean":  # JSON or XML; some tests state the answer too
        answer = _boolean(response)
        assert req.expected_boolean is None or answer is req.expected_boolean
    elif req.expected_format == "tabular":
        assert response.mimetype in TABULAR, response.mimetype
        if response.mimetype == "text/csv":  # lossy: pyoxigraph does not read it back
            assert response.data.decode().splitlines()[0] == "value"
        else:
            rows = list(parse_query_results(response.data, format=TABULAR[response.mimetype]))
            assert [row["value"].value for row in rows] == ["1"]
    elif req.expected_format == "RDF":
        assert response.mimetype in RDF_TYPES, response.mimetype
        got = {(q.subject, q.predicate, q.object) for q in parse(response.data, format=RDF_TYPES[response.mimetype], base_iri="http://localhost/sparql")}
        asked = urllib.parse.unquote_plus(req.path) + (req.body.decode() if isinstance(req.body, bytes) else str(req.body or ""))
        if "CONSTRUCT { <s> <p> 1 }" in asked:  # relative IRIs: resolved against the dataset base, never the request URL
            base = "https://w3id.org/citykg/"
            assert got == {(NamedNode(base + "s"), NamedNode(base + "p"), Literal("1", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")))}
        else:  # DESCRIBE of an IRI: what the test's own data says about it (here: nothing)
            assert got <= {(q.subject, q.predicate, q.object) for q in _quads(graphs)}


# --- the tests -----------------------------------------------------------------------------------


QUERY_TESTS = [t for t in PROTOCOL_TESTS if not any(r.is_update for r in t.requests)]
UPDATE_TESTS = [t for t in PROTOCOL_TESTS if any(r.is_update for r in t.requests)]


def test_manifest_is_read_whole() -> None:
    """34 entries: 20 query tests (7 of them "bad_query") and 14 update tests (7 "bad_update")."""
    assert len(PROTOCOL_TESTS) == 34
    assert len(QUERY_TESTS) == 20 and len(UPDATE_TESTS) == 14
    assert {t.name for t in UPDATE_TESTS} == {t.name for t in PROTOCOL_TESTS if "update" in t.name}


@pytest.mark.parametrize("test", QUERY_TESTS, ids=[t.name for t in QUERY_TESTS])
def test_query(test: ProtocolTest, app_for) -> None:
    """Every query test passes exactly as the manifest states it."""
    client = app_for(test.graphs).test_client()
    for req in test.requests:
        response = _send(client, req)
        assert _status_class(response.status_code) in req.statuses, (req.path, response.status, response.data[:300])
        if response.status_code < 300:
            _check_format(test.graphs, response, req)
        else:  # the error contract: a JSON message, never an HTML page or a traceback
            assert response.mimetype == "application/json", response.data
            assert json.loads(response.data)["error"].strip()


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_update_is_refused(test: ProtocolTest, app_for) -> None:
    """Updates get the read-only 4xx; what the manifest then checks for is absent."""
    app = app_for(ALL_GRAPHS)
    client = app.test_client()
    for req in test.requests:
        response = _send(client, req)
        if req.is_update and "2xx" in req.statuses:
            assert response.status_code == 403, response.data
            assert b"read-only" in response.data
        elif req.is_update or "4xx" in req.statuses:  # the manifest's own bad_update_* expectations
            assert _status_class(response.status_code) == "4xx", (response.status, response.data)
        else:  # a follow-up ASK for the update's effect: nothing happened
            assert response.status_code == 200 and req.expected_boolean is True
            assert _boolean(response) is False
    # CLEAR ALL was among the refused requests: the data is all still there
    answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"})
    assert json.loads(answer.data)["results"]["bindings"][0]["n"]["value"] == "3"


# --- service description -------------------------------------------------------------------------


def _description(client: FlaskClient, accept: str = "text/turtle", base_url: str = "http://localhost") -> Graph:
    response = client.get("/sparql", headers={"Accept": accept}, base_url=base_url)
    assert response.status_code == 200, response.data
    if response.mimetype == "application/ld+json":  # read by pyoxigraph, handed over as N-Triples
        quads = parse(response.data, format=RdfFormat.JSON_LD)
        return Graph().parse(data="".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads), format="nt")
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/n-triples": "nt"}
    return Graph().parse(data=response.data, format=fmt[response.mimetype])


def test_service_description_manifest_lists_three_tests() -> None:
    graph = Graph().parse(W3C / "service-description-manifest.ttl", format="turtle")
    names = {str(s).rsplit("#", 1)[-1] for s in graph.subjects(RDF.type, MF.ServiceDescriptionTest)}
    assert names == {"returns-rdf", "has-endpoint-triple", "conforms-to-schema"}


@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json", "*/*"])
def test_sd_returns_rdf(app_for, accept: str) -> None:
    """returns-rdf: GET on the endpoint with no query returns RDF (in each RDF format asked for)."""
    graph = _description(app_for(ALL_GRAPHS).test_client(), accept)
    assert (None, RDF.type, SD.Service) in graph


@pytest.mark.parametrize("base_url", ["http://localhost", "https://sparql.example.org:8443"])
def test_sd_has_endpoint_triple(app_for, base_url: str) -> None:
    """has-endpoint-triple: an sd:endpoint triple whose object is the endpoint's URL: the public
    URL the server is configured with (``--public-url``), whatever Host the request names."""
    app = app_for(ALL_GRAPHS)
    previous = app.config["CITYKG_PUBLIC_URL"]
    app.config["CITYKG_PUBLIC_URL"] = base_url + "/"
    try:
        for asked in (base_url, "http://attacker.example"):
            graph = _description(app.test_client(), base_url=asked)
            service = next(graph.subjects(RDF.type, SD.Service))
            assert list(graph.objects(service, SD.endpoint)) == [URIRef(f"{base_url}/sparql")]
    finally:
        app.config["CITYKG_PUBLIC_URL"] = previous


def test_sd_conforms_to_schema(app_for) -> None:
    """conforms-to-schema: the domains and ranges of the SD vocabulary hold (SD §3)."""
    graph = _description(app_for(ALL_GRAPHS).test_client())
    services = list(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services[0]
    assert all(isinstance(o, URIRef) for o in graph.objects(service, SD.endpoint))
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages == {SD.SPARQL11Query}  # no update language: read-only
    assert {SD.UnionDefaultGraph, SD.BasicFederatedQuery} <= set(graph.objects(service, SD.feature))
    formats = set(graph.objects(service, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    assert all(isinstance(f, URIRef) and str(f).startswith("http://www.w3.org/ns/formats/") for f in formats)
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (graph.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in graph
    named = {graph.value(node, SD.name) for node in graph.objects(dataset, SD.namedGraph)}
    assert all((node, RDF.type, SD.NamedGraph) in graph for node in graph.objects(dataset, SD.namedGraph))
    assert named == {URIRef(iri) for _, iri in ALL_GRAPHS}

"""/sparql over the seed store: negotiation, datasets, read-only, SERVICE, limits, CORS.

Answers are the hand-checked facts of the seeds (README "Example queries"): the cities that
employ a data scientist are Lima, Medellin and Mexico City; Baltimore lists no innovation
activity; Paula Zapata is Medellin's lead innovation officer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import QueryResultsFormat, RdfFormat, Triple, parse, parse_query_results

from server.sparql.admission import fingerprint
from server.sparql.request import QueryRequest
from server.store.embedded import store_version
from server.web.app import close_app, create_app
from tests.live import connections_to, listening_trap, serve_in_thread

DATA_SCIENTISTS = "SELECT ?name WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name } ORDER BY ?name"
DATA_SCIENTIST_CITIES = ["Lima", "Medellin", "Mexico City"]
PAULA = "DESCRIBE <https://w3id.org/citykg/person/medellin/paula-zapata>"
MEDELLIN_OFFICER = "CONSTRUCT { ?c cik:hasLeadInnovationOfficer ?p . ?p schema:name ?n } WHERE { ?c rdfs:label 'Medellin' ; cik:hasLeadInnovationOfficer ?p . ?p schema:name ?n }"
# runs for days in constant memory (no ORDER BY to materialise): a remote store that goes on
# after citykg gave up must not run out of memory before its own limit stops it
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SNAPSHOT = "https://w3id.org/citykg/snapshot/"
MAX_ROWS = 1000
MAX_BODY = 16 * 1024


@pytest.fixture(scope="module")
def trap() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1: any SERVICE request sent to it would be queued here."""
    with listening_trap(8) as sock:
        yield sock


@pytest.fixture(scope="module")
def app(served_store, trap) -> Iterator[Flask]:
    """Two workers; only ``/allowed`` on the trap's port (and Wikidata) is on the allowlist."""
    port = trap.getsockname()[1]
    application = create_app(
        {
            "CITYKG_STORE": served_store,
            "CITYKG_WORKERS": 2,
            "CITYKG_MAX_ROWS": MAX_ROWS,
            "CITYKG_MAX_BODY": MAX_BODY,
            "CITYKG_SERVICE_ALLOWLIST": ("https://query.wikidata.org/sparql", f"http://127.0.0.1:{port}/allowed"),
        }
    )
    yield application
    close_app(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def names(response) -> list[str]:
    """The ``name`` column of a results document, in any of the four result formats."""
    if response.mimetype == "text/csv":  # lossy by design: pyoxigraph does not read it back
        rows = list(csv.reader(io.StringIO(response.data.decode())))
        assert rows[0] == ["name"]
        return [row[0] for row in rows[1:]]
    formats = {
        "application/sparql-results+json": QueryResultsFormat.JSON,
        "application/sparql-results+xml": QueryResultsFormat.XML,
        "text/tab-separated-values": QueryResultsFormat.TSV,
    }
    return [row["name"].value for row in parse_query_results(response.data, format=formats[response.mimetype])]


def triples(response) -> set[Triple]:
    formats = {
        "text/turtle": RdfFormat.TURTLE,
        "application/n-triples": RdfFormat.N_TRIPLES,
        "application/rdf+xml": RdfFormat.RDF_XML,
        "application/trig": RdfFormat.TRIG,
        "application/n-quads": RdfFormat.N_QUADS,
        "application/ld+json": RdfFormat.JSON_LD,
    }
    return {Triple(q.subject, q.predicate, q.object) for q in parse(response.data, format=formats[response.mimetype])}


def error(response) -> str:
    """The message of an error answer (the JSON error contract)."""
    assert response.mimetype == "application/json", response.data
    body = json.loads(response.data)
    assert body["status"] == response.status_code and body["type"]
    return body["error"]


def count_quads(client: FlaskClient) -> int:
    response = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"})
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


# --- the three ways to send a query --------------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(client: FlaskClient) -> None:
    via_get = client.get("/sparql", query_string={"query": DATA_SCIENTISTS})
    via_form = client.post("/sparql", data={"query": DATA_SCIENTISTS})
    via_body = client.post("/sparql", data=DATA_SCIENTISTS.encode(), content_type="application/sparql-query")
    for response in (via_get, via_form, via_body):
        assert response.status_code == 200
        assert response.mimetype == "application/sparql-results+json"
        assert names(response) == DATA_SCIENTIST_CITIES
    assert via_get.data == via_form.data == via_body.data


def test_ask(client: FlaskClient) -> None:
    query = "ASK { ?c rdfs:label 'Baltimore' ; cik:innovationActivity ?a }"
    assert json.loads(client.get("/sparql", query_string={"query": query}).data) == {"head": {}, "boolean": False}
    xml = client.get("/sparql", query_string={"query": "ASK { ?c rdfs:label 'Lima' }"}, headers={"Accept": "application/sparql-results+xml"})
    node = ElementTree.fromstring(xml.data).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None and node.text == "true"


# --- content negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
        ("text/html;q=1.0, text/csv;q=0.8", "text/csv"),  # no HTML here: the next best
        ("application/json", "application/sparql-results+json"),
        ("application/xml;q=0.9, */*;q=0.1", "application/sparql-results+xml"),
    ],
)
def test_select_negotiates_with_q_values(client: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": DATA_SCIENTISTS}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert names(response) == DATA_SCIENTIST_CITIES
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/n-triples;q=0.8, text/turtle;q=0.2", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/trig;q=0.9, application/n-quads;q=0.95", "application/n-quads"),
    ],
)
def test_construct_negotiates_with_q_values(client: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": MEDELLIN_OFFICER}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    got = {(str(t.subject), str(t.predicate), str(t.object)) for t in triples(response)}
    assert got == {
        ("<https://w3id.org/citykg/city/medellin>", "<https://w3id.org/citykg/ontology#hasLeadInnovationOfficer>", "<https://w3id.org/citykg/person/medellin/paula-zapata>"),
        ("<https://w3id.org/citykg/person/medellin/paula-zapata>", "<http://schema.org/name>", '"Paula Zapata"'),
    }


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_format_parameter_overrides_accept_for_select(client: FlaskClient, fmt: str) -> None:
    response = client.get("/sparql", query_string={"query": DATA_SCIENTISTS, "format": fmt}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert response.mimetype.endswith(fmt) or (fmt == "tsv" and response.mimetype == "text/tab-separated-values")
    assert names(response) == DATA_SCIENTIST_CITIES


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "ntriples", "rdfxml", "trig", "nquads"])
def test_every_graph_format_carries_the_same_triples(client: FlaskClient, fmt: str) -> None:
    reference = triples(client.get("/sparql", query_string={"query": PAULA, "format": "ntriples"}))
    response = client.get("/sparql", query_string={"query": PAULA, "format": fmt}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert triples(response) == reference
    assert {str(t.object) for t in reference} >= {'"Paula Zapata"', "<http://schema.org/Person>"}


def test_jsonld_is_compacted_with_the_project_context(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": MEDELLIN_OFFICER, "format": "jsonld"})
    document = json.loads(response.data)
    assert document["@context"]["hasLeadInnovationOfficer"] == {"@id": "cik:hasLeadInnovationOfficer", "@type": "@id"}
    nodes = {node["id"]: node for node in document["@graph"]}
    assert nodes["https://w3id.org/citykg/city/medellin"]["hasLeadInnovationOfficer"] == "https://w3id.org/citykg/person/medellin/paula-zapata"
    assert nodes["https://w3id.org/citykg/person/medellin/paula-zapata"]["name"] == "Paula Zapata"


@pytest.mark.parametrize(
    ("query", "params", "headers"),
    [
        (PAULA, {"format": "csv"}, {"Accept": "text/csv"}),  # CSV for a graph, by name and by Accept
        (PAULA, {}, {"Accept": "text/csv"}),
        (DATA_SCIENTISTS, {"format": "turtle"}, {"Accept": "text/turtle"}),  # Turtle for a table
        (DATA_SCIENTISTS, {}, {"Accept": "text/turtle, application/ld+json"}),
        ("ASK {}", {}, {"Accept": "application/n-triples"}),
    ],
)
def test_406_for_a_format_that_cannot_be_served(client: FlaskClient, query: str, params: dict, headers: dict) -> None:
    response = client.get("/sparql", query_string={"query": query, **params}, headers=headers)
    assert response.status_code == 406
    assert "available:" in error(response)


@pytest.mark.parametrize(
    ("query", "fmt", "accept", "expected"),
    [
        (PAULA, "csv", None, "text/turtle"),  # a results format for a graph: Accept decides, default Turtle
        (PAULA, "xml", "application/rdf+xml", "application/rdf+xml"),  # SPARQLWrapper's default CONSTRUCT
        (PAULA, "xml", None, "application/rdf+xml"),  # as Fuseki: xml is RDF/XML for a graph,
        (PAULA, "json", None, "application/ld+json"),  # json is JSON-LD
        (PAULA, "tsv", "application/n-triples", "application/n-triples"),
        (DATA_SCIENTISTS, "turtle", None, "application/sparql-results+json"),  # a graph format for a table
        (DATA_SCIENTISTS, "rdf+xml", "application/sparql-results+xml", "application/sparql-results+xml"),
        ("ASK {}", "n3", "text/csv", "text/csv"),
    ],
)
def test_a_format_that_does_not_fit_the_query_form_falls_back_to_accept(
        client: FlaskClient, query: str, fmt: str, accept: str | None, expected: str) -> None:
    response = client.get("/sparql", query_string={"query": query, "format": fmt}, headers={"Accept": accept} if accept else {})
    assert (response.status_code, response.mimetype) == (200, expected)


def test_unknown_format_name_is_a_400_listing_the_known_ones(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": DATA_SCIENTISTS, "format": "yaml"})
    assert response.status_code == 400
    assert b"unknown format 'yaml'" in response.data and b"turtle" in response.data


# --- service description -------------------------------------------------------------------------


def test_service_description_names_the_configured_url_never_the_host_header(client: FlaskClient, app: Flask) -> None:
    response = client.get("/sparql", base_url="http://attacker.example:8080", headers={"Host": "attacker.example"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert b"attacker.example" not in response.data
    graph = set(parse(response.data, format=RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoints = {str(q.object) for q in graph if q.predicate.value == sd + "endpoint"}
    assert endpoints == {f"<{app.config['CITYKG_PUBLIC_URL']}sparql>"} == {"<http://127.0.0.1:8000/sparql>"}
    named = {q.object.value for q in graph if q.predicate.value == sd + "name"}
    assert {SNAPSHOT + "medellin-2018", SNAPSHOT + "lima-2020", SNAPSHOT + "baltimore-2018"} <= named
    features = {q.object.value for q in graph if q.predicate.value == sd + "feature"}
    assert sd + "UnionDefaultGraph" in features


def test_service_description_in_json_ld_by_accept(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    assert any(q.predicate.value.endswith("#endpoint") for q in parse(response.data, format=RdfFormat.JSON_LD))


# --- datasets ------------------------------------------------------------------------------------


def test_union_of_all_graphs_by_default(client: FlaskClient) -> None:
    assert names(client.get("/sparql", query_string={"query": DATA_SCIENTISTS})) == DATA_SCIENTIST_CITIES


def test_default_graph_uri_narrows_the_default_graph(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": DATA_SCIENTISTS, "default-graph-uri": SNAPSHOT + "medellin-2018"})
    assert names(response) == ["Medellin"]
    both = client.post(
        "/sparql",
        data={"query": DATA_SCIENTISTS, "default-graph-uri": [SNAPSHOT + "lima-2020", SNAPSHOT + "baltimore-2018"]},
    )
    assert names(both) == ["Lima"]  # Baltimore employs no data scientist


def test_named_graph_uri_limits_graph_patterns(client: FlaskClient) -> None:
    query = "SELECT ?name WHERE { GRAPH ?g { ?c cik:employsRole role:data-scientist ; rdfs:label ?name } } ORDER BY ?name"
    response = client.post(
        f"/sparql?named-graph-uri={SNAPSHOT}lima-2020&named-graph-uri={SNAPSHOT}mexico-city-2020",
        data=query.encode(),
        content_type="application/sparql-query",
    )
    assert names(response) == ["Lima", "Mexico City"]
    # with only named graphs given, the default graph is empty
    empty = client.get("/sparql", query_string={"query": DATA_SCIENTISTS, "named-graph-uri": SNAPSHOT + "lima-2020"})
    assert names(empty) == []


def test_from_in_the_query_is_honoured(client: FlaskClient) -> None:
    query = f"SELECT ?name FROM <{SNAPSHOT}mexico-city-2020> WHERE {{ ?c cik:employsRole role:data-scientist ; rdfs:label ?name }}"
    assert names(client.get("/sparql", query_string={"query": query})) == ["Mexico City"]


def test_a_bad_graph_uri_is_a_400(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": DATA_SCIENTISTS, "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and b"default-graph-uri" in response.data


# --- read-only -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data={"update": "DROP ALL"}),
        lambda c: c.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update"),
        lambda c: c.get("/sparql", query_string={"query": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}),
        lambda c: c.post("/sparql", data=b"PREFIX x: <urn:x#>\nDELETE WHERE { ?s ?p ?o }", content_type="application/sparql-query"),
        lambda c: c.post("/sparql", data={"query": "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"}),
    ],
    ids=["get-update", "form-update", "sparql-update-body", "insert-as-query", "delete-as-direct-query", "with-as-form-query"],
)
def test_update_is_refused_and_nothing_changes(client: FlaskClient, seed_store, send) -> None:
    version, before = store_version(seed_store), count_quads(client)
    response = send(client)
    assert response.status_code == 403
    assert error(response).startswith("SPARQL UPDATE is refused: this endpoint is read-only")
    assert count_quads(client) == before and store_version(seed_store) == version


# --- SERVICE -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "status"),
    [
        ("SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}", 403),
        ("SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}", 403),
        ("SERVICESILENT<http://127.0.0.1:{port}/sparql>{{ ?s ?p ?o }}", 400),  # not SPARQL 1.1: the SERVICE check cannot read it
        ("SERVICE <http:\\u002F\\u002F127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}", 403),
        ("SERVICE trap:sparql {{ ?s ?p ?o }}", 403),
        ("SERVICE:sparql {{ ?s ?p ?o }}", 403),
        ("BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }}", 403),
        ("FILTER(?a<?b#> '''\n) SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} # '''\n", 403),
    ],
    ids=["plain", "silent", "glued", "escaped-iri", "prefixed", "empty-prefix-glued", "variable", "comment-trick"],
)
def test_service_off_the_allowlist_is_refused_before_execution(client: FlaskClient, trap: socket.socket, service: str, status: int) -> None:
    port = trap.getsockname()[1]
    query = f"PREFIX trap: <http://127.0.0.1:{port}/>\nPREFIX : <http://127.0.0.1:{port}/>\nSELECT * WHERE {{ {service.format(port=port)} }}"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == status, response.data
    message = error(response)
    assert ("is not allowed; allowed endpoints: " if status == 403 else "the SERVICE check can read") in message
    assert connections_to(trap) == 0


def test_the_trap_would_see_an_allowed_service(client: FlaskClient, trap: socket.socket) -> None:
    """The control: same host and port, but on the allowlist, so pyoxigraph really connects."""
    port = trap.getsockname()[1]
    query = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/allowed> {{ ?s ?p ?o }} }}"
    answer: dict[str, int] = {}
    thread = threading.Thread(target=lambda: answer.update(status=client.get("/sparql", query_string={"query": query, "timeout": "5"}).status_code))
    thread.start()
    assert connections_to(trap, wait=10) == 1
    thread.join()
    assert answer["status"] == 200  # SILENT: the failed call is an empty result


def test_nested_service_inside_an_allowed_one_is_for_the_remote_end(client: FlaskClient) -> None:
    """Wikidata's label-service idiom: the inner SERVICE is sent to Wikidata, not run here —
    so it is not refused (the query is then refused for another reason: no network in tests)."""
    from server.sparql.services import refused_service

    query = """PREFIX wikibase: <http://wikiba.se/ontology#>
SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> {
  ?item ?p ?o . SERVICE wikibase:label { ?item ?q ?label } } }"""
    assert refused_service(query, {}, "https://w3id.org/citykg/", ["https://query.wikidata.org/sparql"]) is None
    assert refused_service(query, {}, "https://w3id.org/citykg/", ["http://wikiba.se/ontology#label"]) == "<https://query.wikidata.org/sparql>"


# --- errors and limits ---------------------------------------------------------------------------


def test_malformed_query_is_a_400_with_the_parser_position(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x cik:employsRole }"})
    assert response.status_code == 400
    message = error(response)
    assert message.startswith("query syntax error: error at 1:38: expected one of")
    assert message.splitlines()[-2:] == ["  SELECT ?x WHERE { ?x cik:employsRole }", "  " + " " * 37 + "^"]


def test_errors_are_json_for_clients_that_prefer_json(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["status"] == 400 and body["type"] == "QuerySyntaxError" and "1:18" in body["error"]


def test_unknown_paths_and_methods_are_json_errors(client: FlaskClient) -> None:
    assert error(client.get("/nothing-here")).startswith("Not Found")
    response = client.put("/sparql", data=b"ASK {}")
    assert response.status_code == 405 and "Method Not Allowed" in error(response) and "POST" in response.headers["Allow"]


def test_row_cap_refuses_a_larger_answer_whole(client: FlaskClient) -> None:
    too_many = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"})
    assert too_many.status_code == 422
    assert f"more than {MAX_ROWS} rows".encode() in too_many.data
    graph = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert graph.status_code == 422 and f"more than {MAX_ROWS} triples".encode() in graph.data
    at_cap = client.get("/sparql", query_string={"query": f"SELECT * {{ ?s ?p ?o }} LIMIT {MAX_ROWS}", "format": "csv"})
    assert at_cap.status_code == 200
    assert len(at_cap.data.decode().splitlines()) == MAX_ROWS + 1  # header + rows


def test_oversize_body_is_a_413(client: FlaskClient) -> None:
    padding = "#" + "x" * MAX_BODY + "\n"
    direct = client.post("/sparql", data=(padding + "ASK {}").encode(), content_type="application/sparql-query")
    form = client.post("/sparql", data={"query": padding + "ASK {}"})
    for response in (direct, form):
        assert response.status_code == 413
        assert f"limit of {MAX_BODY} bytes".encode() in response.data
    small = client.post("/sparql", data=("#" + "x" * 1000 + "\nASK {}").encode(), content_type="application/sparql-query")
    assert small.status_code == 200


@pytest.mark.parametrize(
    ("timeout", "message"),
    [("abc", b"not a number"), ("0", b"positive"), ("-1", b"positive"), ("11", b"above this endpoint's limit of 10 s"),
     ("0.001", b"below this endpoint's minimum of 1 s"), ("nan", b"positive"), ("", b"is empty")],
)
def test_timeout_parameter_can_only_lower_the_limit(client: FlaskClient, timeout: str, message: bytes) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}", "timeout": timeout})
    assert response.status_code == 400 and message in response.data


def test_protocol_errors(client: FlaskClient) -> None:
    two = client.get("/sparql", query_string=[("query", "ASK {}"), ("query", "ASK {}")])
    assert two.status_code == 400 and b"one query per request" in two.data
    assert client.post("/sparql", data=b"ASK {}", content_type="text/plain").status_code == 415
    assert client.post("/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query; charset=UTF-16").status_code == 415
    assert client.post("/sparql", data={"format": "json"}).status_code == 400


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_on_answers_errors_and_preflight(client: FlaskClient) -> None:
    origin = {"Origin": "https://somewhere.example"}
    assert client.get("/sparql", query_string={"query": "ASK {}"}, headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/sparql", query_string={"query": "ASK {"}, headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


# --- the hard timeout, on a real server ----------------------------------------------------------


def wait_for(condition, limit: float = 30.0) -> None:
    """Wait until ``condition()`` holds (an observable state, not a guess at timing)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.02)


def test_endless_query_is_killed_at_its_timeout_while_the_server_keeps_answering(app: Flask) -> None:
    lanes = app.extensions["citykg.executor"]
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        assert http.get("/sparql", params={"query": "ASK {}"}).status_code == 200  # interactive workers warm
        assert lanes.heavy.wait_ready(60)  # the heavy pool starts on first use: here, before the clock runs
        pools = [lanes.interactive, lanes.heavy]
        before = set().union(*(pool.pids() for pool in pools))
        slow: dict[str, httpx.Response] = {}
        thread = threading.Thread(target=lambda: slow.update(r=http.get("/sparql", params={"query": ENDLESS, "timeout": "2"})))
        thread.start()
        wait_for(lambda: sum(pool.busy for pool in pools) == 1)  # it holds a worker
        quick = http.get("/sparql", params={"query": DATA_SCIENTISTS})
        assert quick.status_code == 200 and thread.is_alive()  # answered while the endless one runs
        assert [b["name"]["value"] for b in quick.json()["results"]["bindings"]] == DATA_SCIENTIST_CITIES
        thread.join(60)
        response = slow["r"]
        assert response.status_code == 504
        assert response.json()["error"].startswith("the query ran longer than 2 s and was stopped")
        after = http.get("/sparql", params={"query": DATA_SCIENTISTS})  # replacements took their places
        assert after.status_code == 200
    killed = before - set().union(*(pool.pids() for pool in pools))
    assert len(killed) == 2  # the interactive worker at its 1 s budget, then the heavy one at 2 s
    for pid in killed:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the worker processes, and the query, are gone
    assert lanes.moved >= 1 and lanes.is_heavy(fingerprint(QueryRequest(ENDLESS)))


# --- a rebuild while serving ---------------------------------------------------------------------


def test_workers_follow_a_rebuild(tmp_path) -> None:
    """``citykg build`` swaps the symlink; each worker reopens the new version before its next query."""
    from pyoxigraph import Literal, NamedNode, Quad

    from server.store.embedded import write_store

    store = tmp_path / "store"

    def build(label: str) -> None:
        write_store([Quad(NamedNode("urn:x:city"), NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), Literal(label), NamedNode("urn:x:g"))], store)

    build("before")
    application = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0})
    try:
        http = application.test_client()
        query = {"query": "SELECT ?name { ?c rdfs:label ?name }", "format": "csv"}
        assert http.get("/sparql", query_string=query).data.decode().splitlines() == ["name", "before"]
        first = store_version(store)
        build("after")  # the worker still holds the previous version: the build leaves it
        assert store_version(store) != first and first.exists()
        assert http.get("/sparql", query_string=query).data.decode().splitlines() == ["name", "after"]
        build("again")  # the worker moved on: this build removes the first version
        assert not first.exists()
        assert http.get("/sparql", query_string=query).data.decode().splitlines() == ["name", "again"]
    finally:
        close_app(application)


def test_503_when_no_worker_frees_up_within_the_timeout(seed_store) -> None:
    """One worker, held by an endless query; a request that may wait only 0.5 s gets a 503."""
    application = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0,
                              "CITYKG_MIN_TIMEOUT": 0.1})
    pool = application.extensions["citykg.executor"].interactive
    try:
        http = application.test_client()
        assert http.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
        slow: dict[str, int] = {}
        thread = threading.Thread(
            target=lambda: slow.update(status=http.get("/sparql", query_string={"query": ENDLESS, "timeout": "3"}).status_code)
        )
        thread.start()
        wait_for(lambda: pool.busy == 1)  # the endless query holds the only worker
        busy = http.get("/sparql", query_string={"query": "ASK {}", "timeout": "0.5"})
        thread.join(60)
        assert busy.status_code == 503 and error(busy).startswith("all 1 query workers stayed busy for 0.5 s")
        assert busy.headers["Retry-After"] == "1"
        assert slow["status"] == 504
    finally:
        close_app(application)


def test_503_at_once_when_the_queue_is_full(seed_store) -> None:
    """No place in the queue: the next request is told at once when to come back."""
    application = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0, "CITYKG_QUEUE": 0,
                              "CITYKG_RESPONSE_CACHE": 0})  # the second ASK must reach the queue, not the cache
    pool = application.extensions["citykg.executor"].interactive
    try:
        http = application.test_client()
        assert http.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
        thread = threading.Thread(target=lambda: http.get("/sparql", query_string={"query": ENDLESS, "timeout": "2"}))
        thread.start()
        wait_for(lambda: pool.busy == 1)
        full = http.get("/sparql", query_string={"query": "ASK {}"})
        assert full.status_code == 503 and "already waiting" in error(full)
        assert int(full.headers["Retry-After"]) >= 1
        thread.join(60)
    finally:
        close_app(application)

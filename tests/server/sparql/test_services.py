"""SERVICE targets: found by rdflib's grammar, resolved by pyoxigraph itself, checked before a query runs.

The spellings are the ones pyoxigraph 0.5.13 was measured to accept: glued keywords, the empty
prefix, ``\\u`` escapes in IRIs, and the bypass of issue 9 (a relative ``PREFIX`` IRI that the
engine resolves against ``BASE``, or against the request URL when that was the base). The
last tests run every spelling through a real query worker, with the network guard off so the
check stands alone, against a listener on 127.0.0.1 that records any connection: none arrives,
while the control (an allowlisted URL on the same listener) does.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapper.rdf import DEFAULT_BASE
from server.sparql.executor import Executor, ExecutorConfig
from server.sparql.request import QueryRequest, ServiceCheckFailed, ServiceNotAllowed, SparqlError
from server.sparql.services import decode_iri_escapes, refused_service, resolve
from tests.live import connections_to, listening_trap

WIKIDATA = "https://query.wikidata.org/sparql"
EVIL = "http://evil.example/sparql"
BASE = DEFAULT_BASE


def refused(query: str, predeclared: dict[str, str] | None = None, base: str | None = BASE) -> bool:
    try:
        return refused_service(query, predeclared or {}, base, [WIKIDATA]) is not None
    except ServiceCheckFailed:
        return True


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ service silent <{EVIL}> {{ }} }}",
        f"SELECT * {{ SeRvIcE <{EVIL}> {{ }} }}",
        f"SELECT * {{ SERVICESILENT<{EVIL}>{{}} }}",
        "SELECT * { SERVICE <http:\\u002F\\u002Fevil.example/sparql> {} }",
        "PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql {} }",
        "PREFIX : <http://evil.example/> SELECT * { SERVICE:sparql {} }",
        "PREFIX : <http://evil.example/> SELECT * { SERVICE SILENT:sparql {} }",
        "SELECT * { VALUES ?e { <http://evil.example/sparql> } SERVICE ?e {} }",
        "BASE <http://evil.example/> SELECT * { SERVICE <sparql> {} }",
        "SELECT * { SERVICE <sparql> {} }",  # relative: the dataset base, not an endpoint
        "SELECT * { SERVICE undeclared:sparql {} }",
        # issue 9: ':' is '<https>' resolved against BASE, so this is http://evil.example/https://query…
        "BASE <http://evil.example/> PREFIX : <https> SELECT * { SERVICE::\\/\\/query\\.wikidata\\.org\\/sparql { ?s ?p ?o } }",
        "PREFIX : <https> SELECT * { SERVICE ::\\/\\/query\\.wikidata\\.org\\/sparql { ?s ?p ?o } }",
        "BASE <http://evil.example/> PREFIX w: <https> SELECT * { SERVICESILENT w::\\/\\/query.wikidata.org\\/sparql {} }",
        "PREFIX : <https://query.wikidata.org/> BASE <http://evil.example/> PREFIX : <x> SELECT * { SERVICE :sparql {} }",
        f"SELECT * {{ FILTER(?a<?b#> '''\n) SERVICE <{EVIL}> {{}} # '''\n}}",
        f'SELECT * {{ FILTER(?a<?b#> """\n) . ?s <http://x#y> ?o . SERVICE <{EVIL}> {{}} # """\n}}',
        f'SELECT * {{ ?s ?p "\\u0022" SERVICE <{EVIL}> {{}} ?a ?b "\\u0022" }}',  # rdflib alone would read one string
        f"SELECT * {{ SERVICE <{WIKIDATA}> {{ ?s ?p ?o }} SERVICE <{EVIL}> {{}} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE <{EVIL}> {{}} }} }} }}",
        f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{EVIL}> {{}} }} }}",
        f"SELECT * {{ OPTIONAL {{ SERVICE <{EVIL}> {{}} }} }}",
        f"SELECT * {{ {{ }} UNION {{ SERVICE <{EVIL}> {{}} }} }}",
        f"SELECT * {{ ?s ?p ?o MINUS {{ SERVICE <{EVIL}> {{}} }} }}",
        f"ASK {{ SERVICE <{EVIL}> {{}} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE ?s WHERE {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE <{WIKIDATA}/../evil> {{}} }}",
        f"SELECT * {{ SERVICE <{WIKIDATA}#x> {{}} }}",
        "SELECT * { SERVICE <HTTPS://query.wikidata.org/sparql> {} }",
        f"SELECT * {{ SERVICE <{WIKIDATA}?x=1> {{}} }}",
        f"SELECT * {{ SERVICE <{EVIL}> {{}} ",  # malformed too: still refused, never run
    ],
)
def test_services_off_the_allowlist_are_refused(query: str) -> None:
    assert refused(query)


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * {{ SERVICE <{WIKIDATA}> {{ ?s ?p ?o }} }}",
        "PREFIX wdq: <https://query.wikidata.org/> SELECT * { SERVICE SILENT wdq:sparql { ?s ?p ?o } }",
        "PREFIX : <https://query.wikidata.org/> SELECT * { SERVICE:sparql { ?s ?p ?o } }",
        "SELECT * { SERVICE <https:\\u002F\\u002Fquery.wikidata.org/sparql> { ?s ?p ?o } }",
        "BASE <https://query.wikidata.org/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
        f"SELECT * {{ ?s ?p 'SERVICE <{EVIL}> {{}}' }} # SERVICE <{EVIL}> {{}}",
        "PREFIX service: <urn:s#> SELECT * { ?s service:p ?o . ?s ?p ?o FILTER(?o < 3) }",
        f"PREFIX wikibase: <http://wikiba.se/ontology#> SELECT * {{ SERVICE <{WIKIDATA}> {{ ?i ?p ?o SERVICE wikibase:label {{ ?i ?q ?l }} }} }}",
        "SELECT * { ?s <http://x.example/#service> ?o }",
        "SELECT * { ?s <http://x.example/service> ?o }",
        "SELECT * { ?s ?p ?o } # no service here",
    ],
)
def test_allowed_and_harmless_queries_pass(query: str) -> None:
    assert not refused(query)


def test_predeclared_prefixes_are_used_and_the_prologue_wins() -> None:
    predeclared = {"wdq": "https://query.wikidata.org/"}
    assert refused_service("SELECT * { SERVICE wdq:sparql {} }", predeclared, BASE, [WIKIDATA]) is None
    overridden = "PREFIX wdq: <http://evil.example/> SELECT * { SERVICE wdq:sparql {} }"
    assert refused_service(overridden, predeclared, BASE, [WIKIDATA]) == "wdq:sparql"


def test_the_refusal_names_the_target_as_written() -> None:
    query = "BASE <http://evil.example/> PREFIX : <https> SELECT * { SERVICE::\\/\\/query\\.wikidata\\.org\\/sparql {} }"
    assert refused_service(query, {}, BASE, [WIKIDATA]) == "::\\/\\/query\\.wikidata\\.org\\/sparql"
    assert refused_service("SELECT * { SERVICE ?x {} }", {}, BASE, [WIKIDATA]) == "?x"


@pytest.mark.parametrize(
    ("declarations", "target", "base", "expected"),
    [
        ("BASE <http://evil.example/> PREFIX : <https>", "::\\/\\/q\\.org\\/sparql", BASE, "http://evil.example/https://q.org/sparql"),
        ("PREFIX : <https:>", ":\\/\\/q.org\\/sparql", BASE, "https://q.org/sparql"),
        ("PREFIX : <https:>", ":\\/\\/q.org/sparql", BASE, None),  # an unescaped '/' ends the name: no IRI
        ("", "<sparql>", "http://a.example/b/c", "http://a.example/b/sparql"),
        ("BASE <../x/>", "<y>", "http://a.example/b/c/d", "http://a.example/b/x/y"),
        ("", "<sparql>", None, None),  # relative with no base: the engine refuses it
        ("", "p:x", BASE, None),  # undeclared prefix
    ],
)
def test_resolution_is_the_engines(declarations: str, target: str, base: str | None, expected: str | None) -> None:
    assert resolve(declarations, target, {}, base) == expected


def test_escapes_decode_only_inside_iris() -> None:
    assert decode_iri_escapes("SELECT * { SERVICE <http:\\u002F\\u002Fa> {} }") == "SELECT * { SERVICE <http://a> {} }"
    assert decode_iri_escapes('SELECT * { ?s ?p "\\u0022" }') == 'SELECT * { ?s ?p "u0022" }'
    assert decode_iri_escapes("SELECT * { ?s ?p <a\\u003Eb> }") == "SELECT * { ?s ?p <a\\u003Eb> }"  # '>' in an IRI: left


# --- through a real worker, against a listener ----------------------------------------------------


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1: any connection to it is queued and counted."""
    with listening_trap(64) as sock:
        yield sock


@pytest.fixture(scope="module")
def unguarded(seed_store: Path, listener: socket.socket) -> Iterator[Executor]:
    """One worker with the network guard off, so only the SERVICE check stands between a query
    and the listener; the listener's ``/allowed`` path is on the allowlist (the control)."""
    port = listener.getsockname()[1]
    executor = Executor(ExecutorConfig(
        store=seed_store, workers=1, network_guard="off", base_iri=BASE, timeout=5, max_timeout=5,
        service_allowlist=(WIKIDATA, f"http://127.0.0.1:{port}/allowed"),
    ))
    yield executor
    executor.close()


SPELLINGS = [
    "SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}",
    "SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}",
    "service silent <http://127.0.0.1:{port}/sparql> {{ }}",
    "SERVICESILENT<http://127.0.0.1:{port}/sparql>{{ }}",
    "SERVICE <http:\\u002F\\u002F127.0.0.1:{port}/sparql> {{ }}",
    "SERVICE <http://127.0.0.1:{port}/allowed/../sparql> {{ }}",
    "SERVICE <http://127.0.0.1:{port}/allowed#x> {{ }}",
    "SERVICE <http://localhost:{port}/allowed> {{ }}",
    "SERVICE <http://127.1:{port}/allowed> {{ }}",
    "SERVICE <http://2130706433:{port}/allowed> {{ }}",
    "SERVICE <http://[::ffff:127.0.0.1]:{port}/allowed> {{ }}",
    "SERVICE trap:sparql {{ }}",
    "SERVICE:sparql {{ }}",
    "SERVICE SILENT:sparql {{ }}",
    "SERVICE rel:sparql {{ }}",
    "SERVICE <sparql> {{ }}",
    "BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e {{ }}",
    "VALUES ?e {{ <http://127.0.0.1:{port}/allowed> }} SERVICE ?e {{ }}",
    "FILTER(?a<?b#> '''\n) SERVICE <http://127.0.0.1:{port}/sparql> {{ }} # '''\n",
    '?s ?p "\\u0022" SERVICE <http://127.0.0.1:{port}/sparql> {{}} ?a ?b "\\u0022"',
    "{{ SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ }} }} }}",
    "FILTER NOT EXISTS {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ }} }}",
    "SERVICE <https://query.wikidata.org/sparql> {{ }} SERVICE <http://127.0.0.1:{port}/sparql> {{ }}",
]
PROLOGUES = [
    "PREFIX trap: <http://127.0.0.1:{port}/>\nPREFIX : <http://127.0.0.1:{port}/>\nPREFIX rel: <x/>\n",
    "BASE <http://127.0.0.1:{port}/>\nPREFIX trap: <>\nPREFIX : <allowed/..>\nPREFIX rel: <>\n",  # the engine resolves these against BASE
    "BASE <http://127.0.0.1:{port}/allowed/>\nPREFIX : <https>\nPREFIX trap: <../>\nPREFIX rel: <./>\n",
]


@pytest.mark.parametrize("prologue", PROLOGUES, ids=["prefixes", "base", "relative-prefixes"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_no_spelling_reaches_the_listener(unguarded: Executor, listener: socket.socket, prologue: str, spelling: str) -> None:
    port = listener.getsockname()[1]
    query = prologue.format(port=port) + "SELECT * WHERE { " + spelling.format(port=port) + " }"
    with pytest.raises(SparqlError) as refusal:
        unguarded.run(QueryRequest(query))
    assert isinstance(refusal.value, (ServiceNotAllowed, ServiceCheckFailed)) or refusal.value.http_status == 400
    assert connections_to(listener) == 0


def test_the_issue_9_query_does_not_reach_the_listener(unguarded: Executor, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    query = (f"BASE <http://127.0.0.1:{port}/> PREFIX : <https> "
             "SELECT * WHERE { SERVICE::\\/\\/query\\.wikidata\\.org\\/sparql {?s ?p ?o} }")
    with pytest.raises(ServiceNotAllowed, match=r"SERVICE ::\\/\\/query"):
        unguarded.run(QueryRequest(query))
    assert connections_to(listener) == 0


def test_the_control_an_allowed_target_does_reach_it(unguarded: Executor, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    query = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/allowed> {{ ?s ?p ?o }} }}"
    import threading

    thread = threading.Thread(target=lambda: unguarded.run(QueryRequest(query), timeout=5))
    thread.start()
    assert connections_to(listener, wait=10) == 1
    thread.join(30)

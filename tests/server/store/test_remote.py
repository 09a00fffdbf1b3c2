"""The remote store against a real ``oxigraph serve`` on 127.0.0.1 (and, for what a real store
will not do on demand, a scripted one): builds over the Graph Store Protocol, rebuilds,
deletions, undo, reads that equal the embedded store's, limits, refusals before sending.

The endpoint, linked-data and canned-query suites also run against ``oxigraph serve``
(``tests/conftest.py``, ``served_store``); this module covers what is particular to it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, Variable

import server.store.remote as remote_module
from server.store.backends import backend
from server.store.build import build_store
from server.store.embedded import open_store
from server.store.interface import NoStore, StoreError
from server.store.remote import RemoteStore, RemoteStoreError, _bind
from server.web.app import close_app, create_app
from server.web.views.resources import DESCRIBE
from tests.conftest import SEEDS, canonical_nquads
from tests.live import citykg_serve, oxigraph_serve

MEDELLIN = SEEDS / "000_25ed298be2eb3bc2.txt"
SNAPSHOT = "https://w3id.org/citykg/snapshot/"
SEED_SNAPSHOTS = {SNAPSHOT + name for name in ("medellin-2018", "mexico-city-2020", "saltillo-2018", "lima-2020", "baltimore-2018")}
FOREIGN = "http://example.org/another-dataset"


@pytest.fixture
def oxigraph() -> Iterator[str]:
    """A fresh, empty ``oxigraph serve`` (in memory) for a test that writes."""
    with oxigraph_serve(None) as url:
        yield url


def content(store: RemoteStore) -> set[str]:
    """Every quad, canonical N-Quads lines: equal sets mean isomorphic datasets."""
    return canonical_nquads(store.open().quads_for_pattern(None, None, None, None))


def snapshot_graphs(store: RemoteStore) -> set[str]:
    return {g.value for g in store.open().named_graphs() if g.value.startswith(SNAPSHOT)}


def put_graph(url: str, graph: str, turtle: str) -> None:
    response = httpx.put(f"{url}/store", params={"graph": graph}, content=turtle.encode(), headers={"Content-Type": "text/turtle"})
    assert response.is_success, response.text


# --- locations ------------------------------------------------------------------------------


def test_a_url_means_a_remote_store_with_the_routes_of_its_kind() -> None:
    oxigraph = backend("http://db.example:7878")
    assert isinstance(oxigraph, RemoteStore) and not oxigraph.evaluates_in_process
    assert (oxigraph.query_url, oxigraph.gsp_url, oxigraph.update_url) == (
        "http://db.example:7878/query", "http://db.example:7878/store", "http://db.example:7878/update")
    fuseki = RemoteStore.at("http://db.example:3030/ds/", "fuseki")
    assert (fuseki.query_url, fuseki.gsp_url, fuseki.update_url) == (
        "http://db.example:3030/ds/query", "http://db.example:3030/ds/data", "http://db.example:3030/ds/update")
    assert RemoteStore.at("http://q.example:7001", "qlever").query_url == "http://q.example:7001"
    virtuoso = RemoteStore.at("http://v.example:8890", "virtuoso", query_url="https://v.example/sparql")
    assert (virtuoso.query_url, virtuoso.gsp_url) == ("https://v.example/sparql", "http://v.example:8890/sparql-graph-crud-auth")
    with pytest.raises(StoreError, match="not an absolute http"):
        RemoteStore.at("ftp://db.example")
    with pytest.raises(StoreError, match="unknown kind of store 'neo4j'"):
        RemoteStore.at("http://db.example", "neo4j")


# --- building -------------------------------------------------------------------------------


def test_a_build_holds_what_the_embedded_build_holds_and_a_rebuild_adds_nothing(oxigraph: str, seed_store: Path) -> None:
    store = RemoteStore.at(oxigraph)
    with pytest.raises(NoStore, match="run `citykg build --store-url"):
        store.version()
    report = build_store([SEEDS], store)
    assert report.written and report.store == oxigraph
    embedded = canonical_nquads(open_store(seed_store).quads_for_pattern(None, None, None, None))
    first = content(store)
    assert first == embedded and len(store.open()) == len(embedded) == report.totals.quads
    build_store([SEEDS], store)  # every graph PUT again, whole
    assert content(store) == first and len(store.open()) == report.totals.quads  # no duplicate quad, no stray blank node
    assert snapshot_graphs(store) == SEED_SNAPSHOTS


@pytest.mark.parametrize("drop_by", ["update", "graph-store"])
def test_snapshots_gone_from_the_source_are_deleted_and_other_graphs_kept(oxigraph: str, drop_by: str) -> None:
    store = RemoteStore.at(oxigraph)
    if drop_by == "graph-store":
        store = dataclasses.replace(store, update_url=None)  # no update endpoint: one DELETE per graph
    put_graph(oxigraph, FOREIGN, '<http://example.org/x> <http://example.org/p> "not citykg\'s" .')
    build_store([SEEDS], store)
    build_store([MEDELLIN], store)
    assert snapshot_graphs(store) == {SNAPSHOT + "medellin-2018"}
    assert FOREIGN in {g.value for g in store.open().named_graphs()}
    cities = {row["name"].value for row in store.open().query(
        "SELECT ?name WHERE { ?c a <https://w3id.org/citykg/ontology#City> ; <http://www.w3.org/2000/01/rdf-schema#label> ?name }",
        use_default_graph_as_union=True)}
    assert cities == {"Medellin"}


def _fail_on(calls: int, original: Callable, exc: type[BaseException]) -> Callable:
    count = {"n": 0}

    def wrapper(*args, **kwargs):
        count["n"] += 1
        if count["n"] == calls:
            raise exc("simulated failure")
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(("step", "call"), [("_put", 2), ("_put", 9), ("_drop", 1), ("_verify", 1)])
@pytest.mark.parametrize("exc", [RemoteStoreError, KeyboardInterrupt])
def test_a_failed_build_puts_back_every_graph_it_changed(
    oxigraph: str, monkeypatch: pytest.MonkeyPatch, step: str, call: int, exc: type[BaseException]
) -> None:
    """Rebuilding with one document replaces one snapshot and deletes four; break it anywhere."""
    store = RemoteStore.at(oxigraph)
    build_store([SEEDS], store)
    before = content(store)
    original = getattr(remote_module._GraphWrite, step)
    calls = call + 1 if step == "_put" else call  # the first PUT is the write-access probe
    monkeypatch.setattr(remote_module._GraphWrite, step, _fail_on(calls, original, exc))
    with pytest.raises(exc, match="simulated failure"):
        build_store([MEDELLIN], store)
    monkeypatch.undo()
    assert content(store) == before


def test_no_write_access_is_found_before_anything_changes(oxigraph: str) -> None:
    store = RemoteStore.at(oxigraph)
    build_store([SEEDS], store)
    before = content(store)
    read_only = RemoteStore.at(oxigraph, gsp_url=f"{oxigraph}/query")  # answers 404 to a PUT
    with pytest.raises(RemoteStoreError, match=r"PUT: the store at .*/query answered HTTP 404"):
        build_store([MEDELLIN], read_only)
    assert content(store) == before


def test_a_store_that_does_not_query_the_union_is_refused(oxigraph: str) -> None:
    build_store([SEEDS], RemoteStore.at(oxigraph))
    generic = RemoteStore.at(oxigraph, "generic", query_url=f"{oxigraph}/query")  # asks for no union
    with pytest.raises(StoreError, match="does not query the union of its named graphs"):
        generic.version()
    with oxigraph_serve(None, "--union-default-graph") as union:
        build_store([MEDELLIN], RemoteStore.at(union))
        RemoteStore.at(union, "generic", query_url=f"{union}/query").version()  # the server's own union


# --- reading --------------------------------------------------------------------------------


def test_the_reader_answers_as_the_embedded_store_does(remote_seed_store: RemoteStore, seed_store: Path) -> None:
    remote, embedded = remote_seed_store.open(), open_store(seed_store)
    assert {g.value for g in remote.named_graphs()} == {g.value for g in embedded.named_graphs()}
    assert len(remote) == len(embedded)
    graph = NamedNode(SNAPSHOT + "medellin-2018")
    assert (canonical_nquads(Quad(*t, graph) for t in _triples(remote.dump(format=RdfFormat.N_TRIPLES, from_graph=graph)))
            == canonical_nquads(Quad(*t, graph) for t in _triples(embedded.dump(format=RdfFormat.N_TRIPLES, from_graph=graph))))
    city = NamedNode("https://w3id.org/citykg/city/lima")
    assert set(remote.quads_for_pattern(city, None, None)) == set(embedded.quads_for_pattern(city, None, None))
    bound = {Variable("r"): NamedNode("https://w3id.org/citykg/city/medellin")}
    described = [set(store.query(DESCRIBE, substitutions=bound, use_default_graph_as_union=True)) for store in (remote, embedded)]
    assert len(described[0]) > 100
    assert canonical_nquads(Quad(*t) for t in described[0]) == canonical_nquads(Quad(*t) for t in described[1])


def _triples(data: bytes) -> list:
    from pyoxigraph import parse

    return [(q.subject, q.predicate, q.object) for q in parse(data, format=RdfFormat.N_TRIPLES)]


BOUND_QUERIES = [
    # bound only in a FILTER: a VALUES join after evaluation would not filter at all
    ("SELECT ?name ?_r WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(?c = ?_r) }", {"_r": "https://w3id.org/citykg/city/lima"}),
    # bound inside a grouped subquery and in the outer pattern
    ("""SELECT ?_r ?n WHERE { { SELECT ?_r (COUNT(?p) AS ?n) WHERE { ?_r ?p ?o } GROUP BY ?_r }
        ?_r a <https://w3id.org/citykg/ontology#City> }""", {"_r": "https://w3id.org/citykg/city/saltillo"}),
    # two variables, one in ORDER BY, and '?_r' inside a string that must stay text
    ("""SELECT ?_r ?_p ?o ("?_r" AS ?text) WHERE { ?_r ?_p ?o } ORDER BY ?_p ?o""",
     {"_r": "https://w3id.org/citykg/city/baltimore", "_p": "http://www.w3.org/2000/01/rdf-schema#label"}),
]


@pytest.mark.parametrize(("query", "values"), BOUND_QUERIES)
def test_bound_variables_answer_as_pyoxigraph_binds_them(remote_seed_store: RemoteStore, seed_store: Path, query: str, values: dict) -> None:
    substitutions = {Variable(name): NamedNode(iri) for name, iri in values.items()}
    answers = []
    for store in (remote_seed_store.open(), open_store(seed_store)):
        solutions = store.query(query, substitutions=substitutions, use_default_graph_as_union=True)
        answers.append([{v.value: str(row[v]) for v in solutions.variables if row[v] is not None} for row in solutions])
    assert answers[0] == answers[1] and answers[0]


def test_binding_rewrites_variables_only() -> None:
    text = _bind('SELECT ?a ?b WHERE { ?a <http://x/?a> "?a" . BIND(?a AS ?z) # ?a\n} GROUP BY ?a ORDER BY DESC(?a)',
                 {Variable("a"): NamedNode("http://t")})
    assert text.split() == ['SELECT', '(<http://t>', 'AS', '?a)', '?b', 'WHERE', '{', '<http://t>', '<http://x/?a>', '"?a"', '.',
                            'BIND(', '<http://t>', 'AS', '?z)', '#', '?a', '}', 'GROUP', 'BY', '(<http://t>)', 'ORDER', 'BY',
                            'DESC(', '<http://t>', ')']


def test_syntax_errors_point_into_the_callers_text_not_the_prologue(remote_seed_store: RemoteStore, seed_store: Path) -> None:
    """The same message, position included, as the embedded store gives."""
    messages = []
    for store in (remote_seed_store.open(), open_store(seed_store)):
        with pytest.raises(SyntaxError) as error:
            store.query("SELECT ?x\nWHERE { ?x cik:x }", prefixes={"cik": "https://w3id.org/citykg/ontology#"})
        messages.append(str(error.value))
    assert messages[0].startswith("error at 2:18: expected one of") and messages[0] == messages[1]


# --- a scripted store: what a real one will not do on demand --------------------------------


@dataclass
class Scripted:
    url: str
    requests: list[dict] = field(default_factory=list)
    answer: Callable[[dict], tuple[int, dict, bytes]] = lambda request: (200, {}, b"")


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    """A SPARQL endpoint on 127.0.0.1 that records every request and answers as told
    (by default: every ASK is true, so citykg data is there; every SELECT is empty)."""
    record = Scripted(url="")

    def default(request: dict) -> tuple[int, dict, bytes]:
        text = request["form"].get("query", [""])[0].upper()
        body = b'{"head": {}, "boolean": true}' if "ASK" in text and "SELECT" not in text else b'{"head": {"vars": []}, "results": {"bindings": []}}'
        return 200, {"Content-Type": "application/sparql-results+json"}, body

    record.answer = default

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            request = {"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)}
            record.requests.append(request)
            status, headers, payload = record.answer(request)
            self.send_response(status)
            for name, value in {"Content-Length": str(len(payload)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    yield record
    server.shutdown()
    server.server_close()


def test_each_query_carries_the_stores_limit_and_the_credentials(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYKG_STORE_TOKEN", "s3cret")
    for kind, expected in (("fuseki", ["7"]), ("virtuoso", ["7000"]), ("qlever", ["7s"])):
        scripted.requests.clear()
        RemoteStore.at("http://unused.example", kind, query_url=scripted.url, timeout=7).open().query("ASK {}")
        (request,) = scripted.requests
        assert request["form"]["timeout"] == expected and request["form"]["query"] == ["ASK {}"]
        assert request["headers"]["Authorization"] == "Bearer s3cret"
        assert request["headers"]["User-Agent"].startswith("citykg/")
    monkeypatch.delenv("CITYKG_STORE_TOKEN")
    monkeypatch.setenv("CITYKG_STORE_USER", "ann")
    monkeypatch.setenv("CITYKG_STORE_PASSWORD", "pw")
    scripted.requests.clear()
    RemoteStore.at("http://unused.example", "generic", query_url=scripted.url).open().query("ASK {}")
    assert scripted.requests[0]["headers"]["Authorization"] == "Basic " + __import__("base64").b64encode(b"ann:pw").decode()
    assert "timeout" not in scripted.requests[0]["form"]


@pytest.mark.parametrize(
    ("status", "headers", "body", "message"),
    [
        (206, {"Content-Type": "application/sparql-results+json"}, b'{"head":{"vars":["s"]},"results":{"bindings":[]}}', "partial answer"),
        (200, {"Content-Type": "application/sparql-results+json", "X-SQL-State": "S1TAT"}, b'{"head":{"vars":["s"]},"results":{"bindings":[]}}', "partial answer"),
        (200, {"Content-Type": "application/sparql-results+json"}, b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"urn:a"}},', "cannot be read (cut off?)"),
        (200, {"Content-Type": "application/n-triples"}, b'<urn:a> <urn:b> <urn:c> .\nThe SPARQL operation has been cancelled', "cannot be read (cut off?)"),
        (401, {"Content-Type": "text/plain"}, b"who are you", "set CITYKG_STORE_USER and CITYKG_STORE_PASSWORD, or CITYKG_STORE_TOKEN"),
        (503, {"Content-Type": "text/plain"}, b"overloaded", "answered HTTP 503: overloaded"),
        (200, {"Content-Type": "text/html"}, b"<html>", "answered in text/html, which citykg cannot read"),
    ],
    ids=["206", "virtuoso-anytime", "json-cut-off", "ntriples-cut-off", "401", "503", "html"],
)
def test_an_incomplete_or_failed_answer_is_an_error_never_a_result(
    scripted: Scripted, status: int, headers: dict, body: bytes, message: str
) -> None:
    scripted.answer = lambda request: (status, headers, body)
    with pytest.raises(RemoteStoreError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        RemoteStore.at("http://unused.example", "generic", query_url=scripted.url).open().query("SELECT * { ?s ?p ?o }")


def test_a_store_that_does_not_answer_in_time_is_an_error(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_module, "TRANSFER_MARGIN", 0.0)
    scripted.answer = lambda request: (time.sleep(2), (200, {}, b""))[1]
    with pytest.raises(RemoteStoreError, match="did not answer within 0.5 s"):
        RemoteStore.at("http://unused.example", "generic", query_url=scripted.url, timeout=0.5).open().query("ASK {}")


@pytest.fixture
def scripted_app(scripted: Scripted) -> Iterator:
    app = create_app({"CITYKG_STORE": RemoteStore.at("http://unused.example", "generic", query_url=scripted.url),
                      "CITYKG_WORKERS": 1, "CITYKG_SERVICE_ALLOWLIST": ()})
    yield app.test_client()
    close_app(app)


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/sparql", data={"update": "DROP ALL"}),
        lambda c: c.get("/sparql", query_string={"query": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}),
        lambda c: c.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}),
    ],
    ids=["update", "update-as-query", "service-off-the-allowlist"],
)
def test_updates_and_services_are_refused_before_anything_is_sent(scripted: Scripted, scripted_app, send) -> None:
    assert scripted_app.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200  # the pool is up
    sent = len(scripted.requests)
    assert send(scripted_app).status_code == 403
    assert len(scripted.requests) == sent  # nothing reached the store


# --- the command line and the server --------------------------------------------------------


def test_build_and_serve_over_a_store_url(oxigraph: str, run_cli) -> None:
    built = run_cli("build", MEDELLIN, "--store-url", oxigraph)
    assert built.code == 0, built.err
    assert f"store {oxigraph} (build " in built.out
    with citykg_serve(["--store-url", oxigraph, "--workers", "2"]) as endpoint:
        base = endpoint.rsplit("/sparql", 1)[0]
        answer = httpx.get(endpoint, params={"query": "SELECT ?name { ?c a cik:City ; rdfs:label ?name }"}, timeout=30)
        assert [b["name"]["value"] for b in answer.json()["results"]["bindings"]] == ["Medellin"]
        page = httpx.get(f"{base}/city/medellin", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and "Federico Gutiérrez" in page.text
        refused = httpx.post(endpoint, data={"update": "CLEAR ALL"}, timeout=30)
        assert refused.status_code == 403
    assert snapshot_graphs(RemoteStore.at(oxigraph)) == {SNAPSHOT + "medellin-2018"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query-url", "http://h/q"], "--query-url needs --store-url"),
        (["--store", "elsewhere", "--store-url", "http://h"], "--store and --store-url name two stores"),
        (["--store-url", "file:///tmp/x"], "store URL 'file:///tmp/x' is not an absolute http(s) URL"),
    ],
)
def test_store_url_mistakes_are_one_line(run_cli, args: list[str], message: str) -> None:
    result = run_cli("export", *args)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_replicas_over_one_store_follow_a_rebuild(oxigraph: str) -> None:
    """Queries read the live store at once; what a replica caches (VoID) follows within --store-refresh."""
    store = RemoteStore.at(oxigraph, refresh=0.5)
    build_store([SEEDS], store)
    apps = [create_app({"CITYKG_STORE": store, "CITYKG_WORKERS": 1}) for _ in range(2)]
    try:
        clients = [app.test_client() for app in apps]
        count = {"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?g a cik:Snapshot } }", "format": "csv"}
        assert [c.get("/sparql", query_string=count).data.decode().split()[-1] for c in clients] == ["5", "5"]
        assert [_void_subsets(c) for c in clients] == [5, 5]
        build_store([MEDELLIN], store)
        assert [c.get("/sparql", query_string=count).data.decode().split()[-1] for c in clients] == ["1", "1"]
        deadline = time.monotonic() + 20
        while [_void_subsets(c) for c in clients] != [1, 1]:
            assert time.monotonic() < deadline, "VoID still describes the previous build"
            time.sleep(0.2)
    finally:
        for app in apps:
            close_app(app)


def _void_subsets(client) -> int:
    void = json.loads(client.get("/.well-known/void", headers={"Accept": "application/ld+json"}).data)
    nodes = void if isinstance(void, list) else void.get("@graph", [void])
    return sum(len(node.get("http://rdfs.org/ns/void#subset", [])) for node in nodes)


def test_a_remote_store_makes_its_own_service_calls(remote_seed_store: RemoteStore, seed_store: Path) -> None:
    """citykg's Wikidata proxy listens on this host's 127.0.0.1, out of a remote store's reach:
    over a remote store no proxy starts and SERVICE IRIs are sent as written (allowlist still checked)."""
    config = {"CITYKG_WORKERS": 1, "CITYKG_WIKIDATA_ENDPOINT": "https://query.wikidata.org/sparql"}
    remote, embedded = (create_app({**config, "CITYKG_STORE": store}) for store in (remote_seed_store, str(seed_store)))
    try:
        assert remote.extensions["citykg.wikidata_proxy"] is None
        assert remote.extensions["citykg.executor"].config.service_rewrites == ()
        assert "https://query.wikidata.org/sparql" in remote.extensions["citykg.executor"].config.service_allowlist
        assert embedded.extensions["citykg.wikidata_proxy"] is not None  # the embedded store keeps its proxy
    finally:
        close_app(remote)
        close_app(embedded)

"""HTTP caching (issue 13): validators, 304 on revalidation, a rebuild invalidates, the response
cache answers repeats without a query, gzip for large bodies, Vary, federated answers uncached."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from pyoxigraph import Literal, NamedNode, Quad

from server.store.embedded import write_store
from server.web.app import close_app, create_app
from server.web.caching import CachingMiddleware, Entry, ResponseCache, cache_stats
from server.web.context import EXECUTOR
from tests.live import empty_sparql_endpoint

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def version_quads(n: int) -> list[Quad]:
    return [Quad(NamedNode(f"https://w3id.org/citykg/city/c{i}"), LABEL, Literal(f"City {i}"),
                 NamedNode("https://w3id.org/citykg/snapshot/s")) for i in range(n + 1)]


def make_app(store: Path | str, **config: object) -> Flask:
    return create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0,
                       "CITYKG_WIKIDATA_ENDPOINT": "none", "CITYKG_PER_CLIENT": None, **config})


class Counting:
    """Counts the queries that reach the app's worker pools."""

    def __init__(self, app: Flask) -> None:
        self.lanes, self.runs = app.extensions[EXECUTOR], 0
        self._run = self.lanes.run
        self.lanes.run = self.run  # type: ignore[method-assign]

    def run(self, request, timeout=None):
        self.runs += 1
        return self._run(request, timeout)


@pytest.fixture(scope="module")
def app(seed_store: Path) -> Iterator[Flask]:
    application = make_app(seed_store)
    yield application
    close_app(application)


def test_answers_carry_validators_and_vary(app: Flask) -> None:
    answer = app.test_client().get("/queries/city-profile.json", query_string={"city": "medellin"})
    assert answer.status_code == 200
    assert answer.headers["ETag"].startswith('"') and answer.headers["Last-Modified"].endswith("GMT")
    assert answer.headers["Cache-Control"] == "public, no-cache"
    assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in answer.headers["Vary"].split(",")}


@pytest.mark.parametrize("path, params", [
    ("/queries/city-profile.json", {"city": "medellin"}),  # a canned query
    ("/city/medellin", {"format": "turtle"}),  # a resource page
    ("/export", {"format": "nquads"}),  # an export
    ("/sparql", {"query": COUNT}),  # an ad-hoc query
])
def test_a_current_validator_gets_304_without_a_query(app: Flask, path: str, params: dict) -> None:
    http = app.test_client()
    first = http.get(path, query_string=params)
    counting = Counting(app)
    try:
        again = http.get(path, query_string=params, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        since = http.get(path, query_string=params, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304
        other = http.get(path, query_string=params, headers={"If-None-Match": '"someone-else"'})
        assert other.status_code == 200 and other.data == first.data
        assert counting.runs == 0  # the 304s ran nothing, and the 200 came from the response cache
    finally:
        app.extensions[EXECUTOR].run = counting._run


def test_the_tag_depends_on_the_request(app: Flask) -> None:
    http = app.test_client()
    as_json = http.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
    as_csv = http.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "text/csv"})
    other = http.get("/sparql", query_string={"query": "ASK {}"})
    assert len({as_json.headers["ETag"], as_csv.headers["ETag"], other.headers["ETag"]}) == 3
    assert as_csv.mimetype == "text/csv"


def test_a_rebuild_changes_every_tag_and_empties_the_cache(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(version_quads(1), store)
    application = make_app(store)
    try:
        http = application.test_client()
        first = http.get("/sparql", query_string={"query": COUNT})
        assert first.json["results"]["bindings"][0]["n"]["value"] == "2"
        counting = Counting(application)
        assert http.get("/sparql", query_string={"query": COUNT}).data == first.data and counting.runs == 0
        write_store(version_quads(4), store)
        again = http.get("/sparql", query_string={"query": COUNT}, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200 and counting.runs == 1
        assert again.json["results"]["bindings"][0]["n"]["value"] == "5"
        assert again.headers["ETag"] != first.headers["ETag"]
    finally:
        close_app(application)


def test_post_queries_are_kept_but_never_304(app: Flask) -> None:
    http = app.test_client()
    first = http.post("/sparql", data={"query": COUNT})
    counting = Counting(app)
    try:
        again = http.post("/sparql", data={"query": COUNT}, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200 and again.data == first.data and counting.runs == 0
        different = http.post("/sparql", data={"query": "ASK {}"})
        assert different.json == {"head": {}, "boolean": True} and counting.runs == 1
    finally:
        app.extensions[EXECUTOR].run = counting._run


def test_large_answers_are_gzipped_for_clients_that_accept_it(app: Flask) -> None:
    http = app.test_client()
    plain = http.get("/export", query_string={"format": "nquads"}, headers={"Accept-Encoding": "identity"})
    packed = http.get("/export", query_string={"format": "nquads"}, headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and len(plain.data) > 10_000
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] != plain.headers["ETag"]  # another representation, another tag
    revalidated = http.get("/export", query_string={"format": "nquads"},
                           headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert revalidated.status_code == 304
    small = http.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # not worth it under a kilobyte


def test_errors_are_neither_tagged_nor_kept(app: Flask) -> None:
    http = app.test_client()
    bad = http.get("/sparql", query_string={"query": "SELECT WHERE"})
    assert bad.status_code == 400 and "ETag" not in bad.headers
    assert http.get("/sparql", query_string={"query": "SELECT WHERE"}).status_code == 400


def test_the_cache_can_be_turned_off(seed_store: Path) -> None:
    application = make_app(seed_store, CITYKG_RESPONSE_CACHE=0)
    try:
        http = application.test_client()
        first = http.get("/sparql", query_string={"query": COUNT})
        counting = Counting(application)
        assert http.get("/sparql", query_string={"query": COUNT}).data == first.data and counting.runs == 1
        assert "ETag" in first.headers  # validators still work
        assert cache_stats(application)["entries"] == 0
    finally:
        close_app(application)


def test_federated_answers_are_not_kept(seed_store: Path) -> None:
    """A SERVICE query's answer depends on the remote endpoint, not only on the store."""
    with empty_sparql_endpoint() as endpoint:
        application = make_app(seed_store, CITYKG_WIKIDATA_ENDPOINT=endpoint, CITYKG_WIKIDATA_CACHE=None,
                               CITYKG_NETWORK_GUARD="off")
        query = f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?x ?p ?o }} }}"
        try:
            http = application.test_client()
            first = http.get("/sparql", query_string={"query": query})
            assert first.status_code == 200, first.data
            assert "ETag" not in first.headers
            counting = Counting(application)
            assert http.get("/sparql", query_string={"query": query}).status_code == 200 and counting.runs == 1
            later = http.get("/sparql", query_string={"query": query},
                             headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
            assert later.status_code == 200 and counting.runs == 2  # never a 304: the endpoint may have changed
        finally:
            close_app(application)


def test_the_response_cache_is_bounded_by_bytes_and_by_version() -> None:
    cache = ResponseCache(max_bytes=250)
    for n in range(5):
        cache.put("v1", f"k{n}", Entry(200, [], b"x" * 100))
    assert len(cache) == 2 and cache.bytes == 200
    assert cache.get("v1", "k4") is not None and cache.get("v1", "k0") is None
    assert cache.get("v2", "k4") is None  # another version: nothing
    cache.put("v2", "k9", Entry(200, [], b"y" * 10))
    assert len(cache) == 1 and cache.get("v1", "k4") is None
    cache.put("v2", "big", Entry(200, [], b"z" * 300))  # larger than the whole cache: not kept
    assert cache.get("v2", "big") is None


def test_a_kept_answer_keeps_every_header_the_app_gave(app: Flask) -> None:
    """Served from memory, a page still carries its CSP, CORS and nosniff headers; HEAD gets the
    headers without the body."""
    http = app.test_client()
    first = http.get("/city/medellin", headers={"Accept": "text/html"})
    counting = Counting(app)
    try:
        again = http.get("/city/medellin", headers={"Accept": "text/html"})
        head = http.head("/city/medellin", headers={"Accept": "text/html"})
        assert counting.runs == 0 and again.data == first.data and head.data == b""
        for answer in (first, again, head):
            assert answer.status_code == 200
            assert answer.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
            assert answer.headers["Access-Control-Allow-Origin"] == "*"
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert again.headers["ETag"] == first.headers["ETag"] == head.headers["ETag"]
        assert head.headers["Content-Length"] == str(len(first.data))
    finally:
        app.extensions[EXECUTOR].run = counting._run


def test_a_first_head_is_validated_and_kept_as_its_get(app: Flask) -> None:
    http = app.test_client()
    head = http.head("/city/lima", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"]
    counting = Counting(app)
    try:
        get = http.get("/city/lima", headers={"Accept": "text/turtle"})
        assert counting.runs == 0 and get.headers["ETag"] == head.headers["ETag"]
        assert head.headers["Content-Length"] == str(len(get.data)) and b"Lima" in get.data
        missing = http.head("/city/no-such-city", headers={"Accept": "text/turtle"})
        assert missing.status_code == 404 and missing.data == b"" and "ETag" not in missing.headers
    finally:
        app.extensions[EXECUTOR].run = counting._run


# --- concurrent repeats: one evaluation ------------------------------------------------------


class FixedClock:
    """A store that never changes: version "v1", built at the epoch."""

    @contextmanager
    def pinned(self) -> Iterator[str]:
        yield "v1"

    def fresh(self) -> str:
        return "v1"

    def built_at(self, version: str) -> float:
        return 0.0


class Flights(dict):
    """The middleware's in-flight table, noting when a request found its twin being computed."""

    def __init__(self) -> None:
        super().__init__()
        self.joined = threading.Event()

    def get(self, key, default=None):
        found = super().get(key, default)
        if found is not None:
            self.joined.set()
        return found


def blocked_app(status: str) -> tuple[Callable, list[int], threading.Event]:
    """A WSGI app answering ``status`` once released; it counts its calls."""
    calls, release = [], threading.Event()

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        calls.append(1)
        release.wait(30)
        start_response(status, [("Content-Type", "text/plain")])
        return [b"answer %d" % len(calls)]

    return app, calls, release


def concurrent_twins(status: str) -> tuple[list[int], list[tuple[str, bytes]]]:
    """Two identical GETs, the second arriving while the first is computed; (app calls, answers)."""
    app, calls, release = blocked_app(status)
    middleware = CachingMiddleware(app, FixedClock(), ResponseCache(), lambda: "", 0, [])  # type: ignore[arg-type]
    middleware._in_flight = flights = Flights()
    answers: list[tuple[str, bytes]] = []

    def get() -> None:
        statuses: list[str] = []
        body = b"".join(middleware({"REQUEST_METHOD": "GET", "PATH_INFO": "/queries/roles.json"},
                                   lambda s, h: statuses.append(s)))
        answers.append((statuses[0], body))

    first = threading.Thread(target=get)
    first.start()
    while not calls:
        time.sleep(0.01)
    second = threading.Thread(target=get)
    second.start()
    assert flights.joined.wait(10), "the second request never found the first in flight"
    release.set()
    first.join(10), second.join(10)
    return calls, answers


def test_a_request_arriving_while_its_twin_is_computed_waits_for_that_answer() -> None:
    calls, answers = concurrent_twins("200 OK")
    assert len(calls) == 1
    assert [body for _, body in answers] == [b"answer 1", b"answer 1"]


def test_a_twin_whose_answer_was_not_kept_asks_the_app_itself() -> None:
    calls, answers = concurrent_twins("503 Service Unavailable")
    assert len(calls) == 2
    assert sorted(status for status, _ in answers) == ["503 Service Unavailable"] * 2


def test_waiting_twins_are_bounded_beyond_which_they_are_admitted_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.web.caching.MAX_FOLLOWERS", 0)
    calls, answers = concurrent_twins("200 OK")
    assert len(calls) == 2  # the twin did not wait: it ran (through the app's admission)
    assert all(status == "200 OK" for status, _ in answers)

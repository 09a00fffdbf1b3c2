"""Federated queries with Wikidata, offline: `oxigraph serve` on 127.0.0.1 plays Wikidata.

The "Wikidata" is `oxigraph serve` (the `oxigraph` package of the test extra), in memory,
loaded with tests/fixtures/wikidata.ttl (fixture values, not facts). In front of it a recording
HTTP server keeps every request's headers and query, so the tests can see what reached the
upstream: citykg's User-Agent, the VALUES restriction, and how many calls the cache let through.
Should the `oxigraph` binary be missing, the recorder answers from pyoxigraph itself.
Nothing here touches the internet.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Store

from server.sparql import federation
from server.sparql.canned import load_queries
from server.web.app import close_app, create_app
from tests.conftest import REPO
from tests.live import SparqlProtocolHandler, free_port, oxigraph_serve, serve_handler

FIXTURE = REPO / "tests" / "fixtures" / "wikidata.ttl"
CITY = "https://w3id.org/citykg/city/"
WD = "http://www.wikidata.org/entity/"
FEDERATED = ("wikidata-population", "wikidata-mayor", "wikidata-coordinates")


# --- the local "Wikidata" ------------------------------------------------------------------


@dataclass
class Upstream:
    """The recording front of the local Wikidata: ``url`` is what citykg is configured with;
    behind it, ``oxigraph serve`` (the test extra) holds the Wikidata-shaped fixture."""

    url: str
    requests: list[dict] = field(default_factory=list)
    delay: float = 0.0

    def calls(self, containing: str = "") -> list[dict]:
        return [r for r in self.requests if containing in r["query"]]


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    record = Upstream(url="")
    with oxigraph_serve(None) as backend_url:
        load = urllib.request.Request(
            backend_url + "/store?default", data=FIXTURE.read_bytes(), headers={"Content-Type": "text/turtle"}, method="POST"
        )
        with urllib.request.urlopen(load, timeout=10) as response:
            assert response.status in (200, 201, 204)

        class Recorder(SparqlProtocolHandler):
            requests = record.requests

            def answer(self, query: str) -> tuple[int, str, bytes, dict[str, str]]:
                """Forwarded to oxigraph serve, after the delay a test asked for."""
                if record.delay:
                    time.sleep(record.delay)
                accept = self.headers.get("Accept") or "application/sparql-results+json"
                request = urllib.request.Request(
                    backend_url + "/query", data=query.encode(),
                    headers={"Content-Type": "application/sparql-query", "Accept": accept}, method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status, response.headers["Content-Type"], response.read(), {}
                except urllib.error.HTTPError as exc:
                    return exc.code, "text/plain", exc.read(), {}

        with serve_handler(Recorder) as url:
            record.url = url
            yield record


def _app(store: Path, endpoint: str, cache: Path | None, **extra: object) -> Flask:
    return create_app({
        "CITYKG_STORE": str(store), "CITYKG_WORKERS": 2, "TESTING": True,
        "CITYKG_WIKIDATA_ENDPOINT": endpoint, "CITYKG_WIKIDATA_CACHE": str(cache) if cache else None, **extra,
    })


@pytest.fixture(scope="module")
def app(seed_store: Path, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = _app(seed_store, upstream.url, tmp_path_factory.mktemp("wikidata-cache"))
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def rows(client: FlaskClient, name: str, **params: str) -> list[dict]:
    response = client.get(f"/queries/{name}.json", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["rows"]


def by_city(table: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in table:
        out.setdefault(row["name"], []).append(row)
    return out


# --- the joins ---------------------------------------------------------------------------------


def test_population_join(client: FlaskClient) -> None:
    cities = by_city(rows(client, "wikidata-population"))
    assert set(cities) == {"Baltimore", "Lima", "Medellin", "Mexico City", "Saltillo"}
    (medellin,) = cities["Medellin"]  # only the preferred (truthy) statement of the two
    assert medellin == {
        "city": CITY + "medellin", "name": "Medellin", "population": 2500000, "year": "2017",
        "item": WD + "Q48278", "link": "sameAs", "wdPopulation": 2573220,
        "wdDate": "2023-06-30T00:00:00Z", "wdYear": 2023, "difference": 73220,
    }
    (mexico,) = cities["Mexico City"]
    assert (mexico["population"], mexico["wdPopulation"], mexico["difference"], mexico["wdYear"]) == (9209944, 9209944, 0, 2020)
    (saltillo,) = cities["Saltillo"]
    assert (saltillo["link"], saltillo["population"], saltillo["year"], saltillo["wdPopulation"]) == ("closeMatch", 709671, "2010", 879958)
    assert saltillo.get("wdDate") is None  # its statement has no P585
    assert all(WD + "Q90" != row["item"] for group in cities.values() for row in group)


def test_close_matches_can_be_left_out(client: FlaskClient) -> None:
    names = {row["name"] for row in rows(client, "wikidata-population", close_match="false")}
    assert names == {"Baltimore", "Lima", "Medellin", "Mexico City"}


def test_mayor_join(client: FlaskClient) -> None:
    cities = by_city(rows(client, "wikidata-mayor"))
    (medellin,) = cities["Medellin"]
    assert (medellin["mayor"], medellin["headLabel"], medellin["sameName"]) == ("Federico Gutiérrez", "Federico Gutiérrez", True)
    (baltimore,) = cities["Baltimore"]
    assert (baltimore["mayor"], baltimore["headLabel"], baltimore["sameName"]) == ("Catherine Pugh", "Brandon Scott", False)
    (lima,) = cities["Lima"]
    assert lima["headLabel"] == "Renzo Reggiardo"  # Spanish label when there is no English one
    assert lima["head"] == WD + "Q900000003"


def test_coordinates_join(client: FlaskClient) -> None:
    cities = by_city(rows(client, "wikidata-coordinates"))
    (medellin,) = cities["Medellin"]
    assert medellin["coordinates"] == "Point(-75.5636 6.2308)"
    assert (medellin["lat"], medellin["lon"], medellin["country"]) == (6.2308, -75.5636, "Colombia")
    (lima,) = cities["Lima"]
    assert (lima["lat"], lima["lon"]) == (-12.0464, -77.0428)
    assert len(cities) == 5 and all(len(group) == 1 for group in cities.values())


# --- what reached the upstream ------------------------------------------------------------------


def test_upstream_sees_citykg_user_agent_and_only_linked_entities(client: FlaskClient, upstream: Upstream) -> None:
    rows(client, "wikidata-coordinates")
    (call, *_) = upstream.calls("P625")
    agent = call["headers"]["User-Agent"]
    assert agent.startswith("citykg/") and "(https://w3id.org/citykg;" in agent, agent
    assert "Oxigraph" not in agent
    for qid in ("Q48278", "Q1489", "Q2868", "Q5092", "Q53077"):
        assert f"<{WD}{qid}>" in call["query"]
    assert "Q90>" not in call["query"] and federation.ENTITIES_MARKER not in call["query"]


def test_a_repeated_query_is_answered_from_the_cache(seed_store: Path, upstream: Upstream, tmp_path: Path) -> None:
    app = _app(seed_store, upstream.url, tmp_path / "cache")
    try:
        client = app.test_client()
        before = len(upstream.calls("P1082"))
        first = rows(client, "wikidata-population")
        after_first = len(upstream.calls("P1082"))
        assert after_first == before + 1  # one SERVICE call, whatever the number of cities
        second = rows(client, "wikidata-population")
        assert second == first
        assert len(upstream.calls("P1082")) == after_first  # the second never reached the upstream
        proxy = app.extensions["citykg.wikidata_proxy"]
        assert (proxy.stats.upstream, proxy.stats.hits) == (1, 1)
        assert list((tmp_path / "cache").glob("*.json"))  # on disk, under the configured directory
    finally:
        close_app(app)
    restarted = _app(seed_store, upstream.url, tmp_path / "cache")  # the disk cache outlives a restart
    try:
        assert rows(restarted.test_client(), "wikidata-population") == first
        assert len(upstream.calls("P1082")) == after_first
    finally:
        close_app(restarted)


def test_an_expired_cache_entry_is_fetched_again(seed_store: Path, upstream: Upstream) -> None:
    app = _app(seed_store, upstream.url, None, CITYKG_WIKIDATA_CACHE_TTL=0)
    try:
        client = app.test_client()
        before = len(upstream.calls("P6"))
        rows(client, "wikidata-mayor")
        rows(client, "wikidata-mayor")
        assert len(upstream.calls("P6")) == before + 2
    finally:
        close_app(app)


# --- the allowlist and the rewrite -------------------------------------------------------------


def test_plain_sparql_to_the_wikidata_iri_goes_through_the_proxy(client: FlaskClient, upstream: Upstream) -> None:
    query = (
        "SELECT ?pop WHERE { SERVICE <https://query.wikidata.org/sparql> "
        "{ <http://www.wikidata.org/entity/Q5092> <http://www.wikidata.org/prop/direct/P1082> ?pop } }"
    )
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True).split() == ["pop", "585708"]
    assert upstream.calls("Q5092> <http://www.wikidata.org/prop/direct/P1082>")[-1]["headers"]["User-Agent"].startswith("citykg/")


def test_the_configured_endpoint_is_allowed_and_proxied(client: FlaskClient, upstream: Upstream) -> None:
    query = f"SELECT ?l WHERE {{ SERVICE <{upstream.url}> {{ <{WD}Q90> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert upstream.calls(f"<{WD}Q90>")[-1]["headers"]["User-Agent"].startswith("citykg/")


def test_a_service_to_another_endpoint_is_still_refused(client: FlaskClient, upstream: Upstream) -> None:
    count = len(upstream.requests)
    other = upstream.url.replace("/sparql", "/other")
    for target in (other, "http://127.0.0.1:9/sparql", "https://dbpedia.org/sparql"):
        query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 403, target
        assert f"SERVICE <{target}> is not allowed" in response.get_data(as_text=True)
    assert len(upstream.requests) == count


def test_federation_can_be_turned_off(seed_store: Path) -> None:
    app = _app(seed_store, "none", None, CITYKG_SERVICE_ALLOWLIST=())
    try:
        assert app.extensions["citykg.wikidata_proxy"] is None
        response = app.test_client().get("/queries/wikidata-population.json")
        assert response.status_code == 403 and "is not allowed" in response.get_json()["error"]
    finally:
        close_app(app)


def test_an_unreachable_endpoint_is_a_502_naming_it_and_nothing_internal(seed_store: Path) -> None:
    """Issue 11: without network a federated query is a bad gateway, in JSON when asked, and the
    body names the configured endpoint, never citykg's proxy (its port is internal)."""
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    app = _app(seed_store, dead, None)
    proxy_port = str(app.extensions["citykg.wikidata_proxy"].url.split(":")[2].split("/")[0])
    query = f"SELECT * WHERE {{ SERVICE <{federation.WIKIDATA_PLACEHOLDER}> {{ ?s ?p ?o }} }} LIMIT 1"
    try:
        client = app.test_client()
        for response in (client.get("/queries/wikidata-coordinates.json"),
                         client.get("/queries/wikidata-population", headers={"Accept": "application/json"}),
                         client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})):
            assert response.status_code == 502 and response.mimetype == "application/json"
            body = response.get_json()
            assert body["status"] == 502 and body["type"] == "UpstreamFailure"
            assert f"the Wikidata endpoint {dead} cannot be reached" in body["error"]
            assert proxy_port not in response.get_data(as_text=True) and "/wikidata" not in body["error"]
    finally:
        close_app(app)


def test_an_endpoint_that_does_not_answer_in_time_is_a_504(seed_store: Path, upstream: Upstream) -> None:
    upstream.delay = 2.0
    app = _app(seed_store, upstream.url, None, CITYKG_WIKIDATA_TIMEOUT=0.5)
    try:
        response = app.test_client().get("/queries/wikidata-mayor.json")
        assert response.status_code == 504 and response.get_json()["type"] == "UpstreamTimeout"
        assert f"the Wikidata endpoint {upstream.url} did not answer within 0.5 s" in response.get_json()["error"]
        assert app.extensions["citykg.wikidata_proxy"].url not in response.get_data(as_text=True)
    finally:
        upstream.delay = 0.0
        close_app(app)


def test_the_proxy_enforces_its_timeout(upstream: Upstream) -> None:
    upstream.delay = 2.0
    try:
        with federation.WikidataProxy(federation.ProxyConfig(endpoint=upstream.url, cache_dir=None, timeout=0.5)) as proxy:
            status, _, body, _ = proxy.answer("ASK {}", "application/sparql-results+json")
            assert status == 504 and b"did not answer within 0.5 s" in body  # the upstream takes 2 s
    finally:
        upstream.delay = 0.0


@pytest.mark.parametrize("endpoint", ["ftp://example.org/sparql", "query.wikidata.org/sparql", "http:///x", "http://a b/"])
def test_the_endpoint_must_be_an_absolute_http_iri(seed_store: Path, endpoint: str, run_cli) -> None:
    with pytest.raises(federation.FederationConfigError):
        _app(seed_store, endpoint, None)
    result = run_cli("query", "wikidata-population", "--store", seed_store, "--wikidata-endpoint", endpoint)
    assert result.code == 2 and "--wikidata-endpoint" in result.err


def test_prepare_rewrites_service_targets_only() -> None:
    store = Store()
    proxy = "http://127.0.0.1:1234/wikidata"
    rewrites = federation.rewrites_for("http://localhost:7878/query", proxy)
    text = (
        'PREFIX w: <https://query.wikidata.org/>\n'
        'SELECT * WHERE { ?s ?p <https://query.wikidata.org/sparql> . FILTER(?o != "SERVICE <https://query.wikidata.org/sparql>")\n'
        '  SERVICE <https://query.wikidata.org/sparql> { ?a ?b ?c } SERVICE SILENT w:sparql { ?d ?e ?f }\n'
        '  service <http://localhost:7878/query> { ?g ?h ?i } # SERVICE <https://query.wikidata.org/sparql>\n}'
    )
    out = federation.prepare(store, text, rewrites, {})
    assert out.count(f"<{proxy}>") == 3
    assert "?s ?p <https://query.wikidata.org/sparql> ." in out  # not a SERVICE target
    assert '"SERVICE <https://query.wikidata.org/sparql>"' in out and "# SERVICE <https://query.wikidata.org/sparql>" in out


def test_the_entities_marker_expands_to_the_linked_entities(seed_store: Path) -> None:
    from server.store.embedded import open_store

    store = open_store(seed_store)
    out = federation.prepare(store, "SELECT * WHERE { VALUES ?item { <urn:citykg:wikidata-entities> } }", {}, {})
    assert out == (
        "SELECT * WHERE { VALUES ?item { <http://www.wikidata.org/entity/Q1489> <http://www.wikidata.org/entity/Q2868> "
        "<http://www.wikidata.org/entity/Q48278> <http://www.wikidata.org/entity/Q5092> <http://www.wikidata.org/entity/Q53077> } }"
    )


# --- the shell --------------------------------------------------------------------------------


def test_cli_runs_a_federated_query_through_the_proxy(run_cli, seed_store: Path, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default cache directory is var/cache/wikidata, relative
    before = len(upstream.calls("P625"))
    result = run_cli("query", "wikidata-coordinates", "--store", seed_store, "--wikidata-endpoint", upstream.url, "--format", "csv")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "city,name,country,item,link,coordinates,lat,lon"
    assert f"{CITY}medellin,Medellin,Colombia,{WD}Q48278,sameAs,Point(-75.5636 6.2308),6.2308,-75.5636" in lines
    assert len(upstream.calls("P625")) == before + 1
    assert upstream.calls("P625")[-1]["headers"]["User-Agent"].startswith("citykg/")
    again = run_cli("query", "wikidata-coordinates", "--store", seed_store, "--wikidata-endpoint", upstream.url, "--format", "csv")
    assert again.out == result.out and len(upstream.calls("P625")) == before + 1  # from var/cache/wikidata
    assert list((tmp_path / "var" / "cache" / "wikidata").glob("*.json"))


def test_cli_and_http_print_the_same_bytes(run_cli, client: FlaskClient, seed_store: Path, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in FEDERATED:
        result = run_cli("query", name, "--store", seed_store, "--wikidata-endpoint", upstream.url, "--format", "json")
        assert result.code == 0, result.err
        assert json.loads(result.out) == client.get(f"/queries/{name}.json").get_json(), name


def test_federated_queries_are_in_the_catalogue(client: FlaskClient) -> None:
    entries = {e["name"]: e for e in client.get("/queries.json").get_json()["queries"]}
    queries = load_queries()
    for name in FEDERATED:
        assert "federated" in queries[name].tags and entries[name]["summary"]


@pytest.mark.parametrize("name", FEDERATED)
def test_cli_runs_the_rq_file_as_a_plain_query(run_cli, seed_store: Path, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """`citykg query queries/NAME.rq` (no --param): the rewrite and the proxy apply to plain SPARQL too."""
    monkeypatch.chdir(tmp_path)
    count = len(upstream.requests)
    result = run_cli("query", REPO / "queries" / f"{name}.rq", "--store", seed_store, "--wikidata-endpoint", upstream.url, "--format", "csv")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 6 and any(line.startswith(f"{CITY}saltillo,Saltillo,") for line in lines)  # closeMatch kept
    assert all(r["headers"]["User-Agent"].startswith("citykg/") for r in upstream.requests[count:])
    assert len(upstream.requests) == count + 1

"""Persons on the web (issue 11): ``/person/<city>/<id>``, and the IRIs persons had before.

The store holds Medellin (seed 000, lead officer Paula Zapata, mayor Federico Gutiérrez), the same
page as the 2020 round prints it, a copy for Envigado naming the same officer under another mayor,
and Lima (seed 003). Two officers of one name in two cities stay two people: each has its page;
``/person/paula-zapata`` (the IRI both had) answers 300 with both, ``/person/federico-gutierrez``
(one city's) 301 to it, and a name nobody had 404.
"""

from __future__ import annotations

from collections.abc import Iterator
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import RdfFormat, parse

from server.store.build import build_store
from server.web.app import close_app, create_app
from tests.conftest import SEEDS
from tests.wikidata.test_person_identity import MEDELLIN_TEXT, envigado, round_2020

BASE = "https://w3id.org/citykg/"
SCHEMA_NAME = "http://schema.org/name"
OFFICER = "https://w3id.org/citykg/ontology#hasLeadInnovationOfficer"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    docs = tmp_path_factory.mktemp("namesake-pages")
    (docs / "medellin-2018.txt").write_text(MEDELLIN_TEXT, encoding="utf-8")
    (docs / "medellin-2020.txt").write_text(round_2020(MEDELLIN_TEXT), encoding="utf-8")
    (docs / "envigado.txt").write_text(envigado(MEDELLIN_TEXT).replace("Federico Gutiérrez", "Ana Restrepo"), encoding="utf-8")
    (docs / "lima.txt").write_text((SEEDS / "003_b8b18154ea468ef5.txt").read_text(encoding="utf-8"), encoding="utf-8")
    store = tmp_path_factory.mktemp("namesake-store") / "store"
    assert build_store([docs], store).written
    application = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 1, "TESTING": True})
    yield application
    close_app(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def triples(body: bytes) -> set[tuple[str, str, str]]:
    return {(t.subject.value, t.predicate.value, t.object.value) for t in parse(body, format=RdfFormat.N_TRIPLES)}


def test_two_officers_of_one_name_in_two_cities_stay_two_people(client: FlaskClient) -> None:
    medellin = client.get("/person/medellin/paula-zapata", headers={"Accept": "application/n-triples"})
    envigado_ = client.get("/person/envigado/paula-zapata", headers={"Accept": "application/n-triples"})
    assert medellin.status_code == envigado_.status_code == 200
    assert (BASE + "city/medellin", OFFICER, BASE + "person/medellin/paula-zapata") in triples(medellin.data)
    assert not any(s == BASE + "city/envigado" for s, _, _ in triples(medellin.data))  # no other city's officer
    assert (BASE + "city/envigado", OFFICER, BASE + "person/envigado/paula-zapata") in triples(envigado_.data)
    assert not any(s == BASE + "city/medellin" for s, _, _ in triples(envigado_.data))
    page = client.get("/person/medellin/paula-zapata", headers={"Accept": "text/html"}).data.decode()
    assert '<a href="/city/medellin">Medellin</a>' in page and "Envigado" not in page


def test_the_old_iri_of_one_person_redirects_301(client: FlaskClient) -> None:
    response = client.get("/person/federico-gutierrez")
    assert (response.status_code, response.headers["Location"]) == (301, "/person/medellin/federico-gutierrez")
    kept = client.get("/person/federico-gutierrez.ttl?round=2018")  # the extension and the query string go along
    assert kept.headers["Location"] == "/person/medellin/federico-gutierrez.ttl?round=2018"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_old_iri_of_namesakes_is_a_300_listing_them(client: FlaskClient) -> None:
    page = client.get("/person/paula-zapata", headers={"Accept": "text/html"})
    assert page.status_code == 300 and page.mimetype == "text/html"
    text = page.data.decode()
    assert 'href="/person/envigado/paula-zapata"' in text and 'href="/person/medellin/paula-zapata"' in text
    assert sorted(page.headers.getlist("Link")) == ['</person/envigado/paula-zapata>; rel="alternate"',
                                                    '</person/medellin/paula-zapata>; rel="alternate"']
    data = client.get("/person/paula-zapata.nt")
    assert data.status_code == 300 and data.mimetype == "application/n-triples"
    replaces = {s for s, p, o in triples(data.data) if p == "http://purl.org/dc/terms/replaces"}
    assert replaces == {BASE + "person/medellin/paula-zapata", BASE + "person/envigado/paula-zapata"}
    assert (BASE + "person/envigado/paula-zapata", SCHEMA_NAME, "Paula Zapata") in triples(data.data)


def test_an_old_iri_nobody_had_is_404(client: FlaskClient) -> None:
    assert client.get("/person/nobody-at-all").status_code == 404
    assert client.get("/person/nobody/at-all").status_code == 404


def test_persons_of_one_city_are_one_across_rounds(client: FlaskClient) -> None:
    body = client.get("/person/medellin/paula-zapata.nt").data
    naming = {s for s, p, o in triples(body) if p == OFFICER}
    assert naming == {BASE + "city/medellin"}
    graphs = client.get("/sparql", query_string={
        "query": f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?c <{OFFICER}> <{BASE}person/medellin/paula-zapata> }} }} ORDER BY ?g",
        "format": "csv"}).data.decode().split()
    assert graphs[1:] == [BASE + "snapshot/medellin-2018", BASE + "snapshot/medellin-2020"]

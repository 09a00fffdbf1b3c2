"""Dereferenceable IRIs, exports, VoID, the context and the home page (issue 4, items 1 and 2).

Offline: the session seed store, plus one store built from a Medellin page whose spotlight
carries ``<script>`` under a non-default base IRI. Facts are the hand-checked ones of the
README: Medellin's mayor Federico Gutiérrez, officer Paula Zapata, population 2,500,000
(2017), Wikidata Q48278; the cities employing a data scientist are Lima, Medellin, Mexico City.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Quad, RdfFormat, Store, parse

from server.sparql.dataset import union_triples
from server.store.build import build_store
from server.store.embedded import open_store
from server.web.app import close_app, create_app
from tests.conftest import SEEDS

BASE = "https://w3id.org/citykg/"
MEDELLIN = BASE + "city/medellin"
CIK = "https://w3id.org/citykg/ontology#"
VOID = "http://rdfs.org/ns/void#"
OTHER_BASE = "http://example.org/kg/"
SCRIPT = "<script>alert(1)</script>"
RDF_FORMATS = {
    "turtle": ("text/turtle", RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", RdfFormat.JSON_LD),
    "ntriples": ("application/n-triples", RdfFormat.N_TRIPLES),
    "rdfxml": ("application/rdf+xml", RdfFormat.RDF_XML),
}
ROUTES = [
    "/city/medellin",
    "/person/medellin/paula-zapata",  # person IRIs are person/<city>/<name> (issue 11)
    "/vocab/role/data-scientist",
    "/vocab/role",
    "/snapshot/medellin-2018",
    "/country/colombia",
    "/ontology",
]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Medellin with ``<script>`` in its spotlight, built and served under OTHER_BASE."""
    pages = tmp_path_factory.mktemp("hostile-pages")
    text = (SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
    assert "Medellin has a triple helix" in text
    text = text.replace("Medellin has a triple helix", f"Medellin {SCRIPT} has a triple helix")
    (pages / "medellin.txt").write_text(text, encoding="utf-8")
    store = tmp_path_factory.mktemp("hostile-store") / "store"
    report = build_store([pages], store, OTHER_BASE)
    assert report.written, report.reason_not_written
    application = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 2, "TESTING": True,
                              "CITYKG_BASE_IRI": OTHER_BASE})
    yield application
    close_app(application)


def subjects(body: bytes, fmt: RdfFormat) -> set[str]:
    return {q.subject.value for q in parse(body, format=fmt)}


# --- content negotiation --------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("name", list(RDF_FORMATS))
def test_every_route_serves_every_rdf_format_by_accept_and_by_format(client: FlaskClient, path: str, name: str) -> None:
    media, fmt = RDF_FORMATS[name]
    by_accept = client.get(path, headers={"Accept": media})
    by_param = client.get(path, query_string={"format": name}, headers={"Accept": "text/html"})
    for response in (by_accept, by_param):
        assert response.status_code == 200, response.data
        assert response.mimetype == media
        assert "Accept" in response.headers["Vary"]
        triples = list(parse(response.data, format=fmt))
        assert triples
    iri = "https://w3id.org/citykg/ontology" if path == "/ontology" else BASE + path[1:]
    assert iri in subjects(by_accept.data, fmt)


@pytest.mark.parametrize("path", ROUTES)
def test_browsers_and_bare_clients_get_html(client: FlaskClient, path: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for headers in ({"Accept": browser}, {"Accept": "*/*"}, {}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html;q=0.5, text/turtle", "text/turtle"),
        ("application/ld+json;q=0.9, application/n-triples;q=0.4", "application/ld+json"),
        ("application/rdf+xml, text/html;q=0.1", "application/rdf+xml"),
        ("text/turtle;q=0.2, application/n-triples;q=0.8", "application/n-triples"),
        ("application/json", "application/ld+json"),
    ],
)
def test_q_values_choose_the_format(client: FlaskClient, accept: str, expected: str) -> None:
    response = client.get("/city/medellin", headers={"Accept": accept})
    assert (response.status_code, response.mimetype) == (200, expected)


def test_format_parameter_accepts_a_media_type_and_wins_over_accept(client: FlaskClient) -> None:
    response = client.get("/person/medellin/paula-zapata?format=text/turtle", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "text/turtle"


@pytest.mark.parametrize("path", ["/city/nowhere", "/person/nobody", "/vocab/role/pilot", "/vocab/no-scheme",
                                  "/snapshot/atlantis-2018", "/country/atlantis", "/city/medellin/data/nothing"])
def test_unknown_resources_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/city/medellin", "/vocab/role/data-scientist", "/ontology", "/.well-known/void"])
def test_unservable_formats_are_406(client: FlaskClient, path: str) -> None:
    assert client.get(path, headers={"Accept": "text/csv"}).status_code == 406
    assert client.get(path, query_string={"format": "csv"}, headers={"Accept": "text/csv"}).status_code == 406
    assert client.get(path, headers={"Accept": "image/png, application/pdf;q=0.5"}).status_code == 406
    assert client.get(path, query_string={"format": "yaml"}).status_code == 406  # a name no format has


@pytest.mark.parametrize("path", ["/city/medellin", "/ontology", "/.well-known/void"])
def test_a_format_name_that_does_not_fit_falls_back_to_accept(client: FlaskClient, path: str) -> None:
    """As Fuseki does: ``csv`` names no graph format, so Accept decides (the page's default)."""
    default = "text/turtle" if path == "/.well-known/void" else "text/html"
    assert client.get(path, query_string={"format": "csv"}).mimetype == default
    response = client.get(path, query_string={"format": "csv"}, headers={"Accept": "application/n-triples"})
    assert (response.status_code, response.mimetype) == (200, "application/n-triples")


def test_jsonld_resource_is_compacted_with_the_context(client: FlaskClient) -> None:
    document = client.get("/city/medellin", headers={"Accept": "application/ld+json"}).get_json()
    nodes = {node.get("id"): node for node in document["@graph"]}
    medellin = nodes.get("city:medellin") or nodes[MEDELLIN]
    assert "hasMayor" in medellin and "employsRole" in medellin
    mayor = medellin["hasMayor"]
    mayor_id = mayor if isinstance(mayor, str) else mayor["id"]
    assert nodes[mayor_id]["name"] == "Federico Gutiérrez"


# --- the city page, the concept page, escaping -------------------------------------------------


def test_city_rdf_holds_its_facts_and_its_owned_nodes(client: FlaskClient) -> None:
    body = client.get("/city/medellin?format=ntriples").data.decode()
    assert f"<{MEDELLIN}> <{CIK}hasMayor> <{BASE}person/medellin/federico-gutierrez>" in body
    assert f'<{BASE}person/medellin/paula-zapata> <http://schema.org/name> "Paula Zapata"' in body
    assert f"<{MEDELLIN}/data/transport-mobility> <{CIK}sufficiencyLevel> <{CIK}Sufficient>" in body
    assert f'<{BASE}vocab/role/data-scientist> <http://www.w3.org/2004/02/skos/core#prefLabel> "Data scientist"@en' in body
    assert f"<{MEDELLIN}> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q48278>" in body


def test_city_page_is_a_readable_profile(client: FlaskClient) -> None:
    page = client.get("/city/medellin", headers={"Accept": "text/html"}).data.decode()
    for fact in ("Federico Gutiérrez", "Paula Zapata", "2,500,000 (2017)", "Colombia", "Data scientist",
                 "Municipal budget", "Transport/Mobility", "triple helix", "Data availability", "Spotlight"):
        assert fact in page, fact
    assert 'href="http://www.wikidata.org/entity/Q48278"' in page
    assert 'href="/person/medellin/federico-gutierrez"' in page and 'href="/vocab/role/data-scientist"' in page
    assert 'href="/sparql?query=DESCRIBE+%3Chttps%3A%2F%2Fw3id.org%2Fcitykg%2Fcity%2Fmedellin%3E' in page
    assert 'href="/snapshot/medellin-2018"' in page


def test_saltillo_links_to_its_close_match(client: FlaskClient) -> None:
    page = client.get("/city/saltillo", headers={"Accept": "text/html"}).data.decode()
    assert 'href="http://www.wikidata.org/entity/Q53077"' in page and "close match" in page


def test_concept_page_lists_the_cities_that_use_it(client: FlaskClient) -> None:
    page = client.get("/vocab/role/data-scientist", headers={"Accept": "text/html"}).data.decode()
    section = page.split("Cities using it", 1)[1]
    for city, slug in (("Lima", "lima"), ("Medellin", "medellin"), ("Mexico City", "mexico-city")):
        assert f'<a href="/city/{slug}">{city}</a>' in section
    assert "Baltimore" not in section and "Saltillo" not in section


def test_policy_area_page_counts_data_ratings_as_uses(client: FlaskClient) -> None:
    page = client.get("/vocab/policy-area/education", headers={"Accept": "text/html"}).data.decode()
    section = page.split("Cities using it", 1)[1]
    for slug in ("lima", "medellin", "mexico-city"):
        assert f'href="/city/{slug}"' in section
    assert "cik:policyArea" in section


def test_person_page_names_the_city(client: FlaskClient) -> None:
    page = client.get("/person/medellin/paula-zapata", headers={"Accept": "text/html"}).data.decode()
    assert "Paula Zapata" in page and '<a href="/city/medellin">Medellin</a>' in page


def test_script_in_a_snapshot_value_shows_as_text(hostile_app: Flask) -> None:
    client = hostile_app.test_client()
    page = client.get("/city/medellin", headers={"Accept": "text/html"}).data.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    home = client.get("/").data.decode()
    assert "<script>" not in home


def test_the_served_host_maps_to_a_configured_base_iri(hostile_app: Flask) -> None:
    client = hostile_app.test_client()
    response = client.get("http://127.0.0.1:8000/city/medellin", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert OTHER_BASE + "city/medellin" in subjects(response.data, RdfFormat.N_TRIPLES)
    assert BASE + "city/medellin" not in response.data.decode()
    page = client.get("/city/medellin", headers={"Accept": "text/html"}).data.decode()
    assert 'href="/person/medellin/paula-zapata"' in page and "http://example.org/kg/city/medellin" in page


def test_the_default_base_does_not_resolve_another_base(seed_store: Path, hostile_app: Flask) -> None:
    wrong = create_app({"CITYKG_STORE": hostile_app.config["CITYKG_STORE"], "CITYKG_WORKERS": 1, "TESTING": True})
    try:
        assert wrong.test_client().get("/city/medellin").status_code == 404
    finally:
        close_app(wrong)


def test_openapi_lists_the_linked_data_routes(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/", "/city/{id}", "/person/{id}", "/vocab/{scheme}/{id}", "/vocab/{scheme}", "/snapshot/{id}",
                 "/country/{id}", "/ontology", "/export", "/.well-known/void", "/context.jsonld"):
        assert path in paths, path


# --- exports ------------------------------------------------------------------------------


def store_quads(store: Path) -> list[Quad]:
    return list(open_store(store).quads_for_pattern(None, None, None, None))


@pytest.mark.parametrize(("fmt", "rdf_format", "graphs"), [
    ("turtle", RdfFormat.TURTLE, False),
    ("trig", RdfFormat.TRIG, True),
    ("nquads", RdfFormat.N_QUADS, True),
    ("jsonld", RdfFormat.JSON_LD, False),
])
def test_every_export_round_trips_to_the_store(client: FlaskClient, seed_store: Path, served_store, canonical, run_cli,
                                               fmt: str, rdf_format: RdfFormat, graphs: bool) -> None:
    response = client.get("/export", query_string={"format": fmt})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"] and "citykg." in response.headers["Content-Disposition"]
    if graphs:
        expected = canonical(store_quads(seed_store))
    else:
        expected = canonical(Quad(t.subject, t.predicate, t.object) for t in union_triples(open_store(seed_store)))
    assert canonical(parse(response.data, format=rdf_format)) == expected
    where = ["--store", served_store] if isinstance(served_store, str) else ["--store-url", served_store.location]
    cli = run_cli("export", "--format", fmt, *where)
    assert cli.code == 0 and cli.out.encode() == response.data  # one implementation


def test_jsonld_export_uses_the_published_context_terms(client: FlaskClient) -> None:
    document = json.loads(client.get("/export?format=jsonld").data)
    assert document["@context"]["hasMayor"] == {"@id": "cik:hasMayor", "@type": "@id"}
    nodes = {node["id"]: node for node in document["@graph"]}
    medellin = nodes["city:medellin"]
    # plain-JSON users read the mayor's name where the city names its mayor (issue 4)
    assert medellin["hasMayor"] == {"id": "person:medellin/federico-gutierrez", "type": "Person", "name": "Federico Gutiérrez",
                                    "dct:replaces": {"@id": "person:federico-gutierrez"}}  # the IRI before issue 11
    assert "person:medellin/federico-gutierrez" not in nodes  # nested, not repeated at the top level
    transport = next(d for d in medellin["dataSufficiency"] if d["policyArea"] == "policy-area:transport-mobility")
    assert transport["sufficiencyLevel"] == "Sufficient"
    assert medellin["criticalSuccessFactor"][0].startswith("success-factor:")  # shared concepts stay references
    assert "https://w3id.org/citykg/ontology#hasMayor" not in json.dumps(document)


def test_unknown_export_format_is_406(client: FlaskClient) -> None:
    assert client.get("/export?format=yaml").status_code == 406
    assert client.get("/export?format=csv", headers={"Accept": "text/csv"}).status_code == 406
    assert client.get("/export?format=csv").mimetype == "text/turtle"  # csv is no graph format: the default


def test_context_is_served_with_cors(client: FlaskClient) -> None:
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["@context"]["hasMayor"]["@id"] == "cik:hasMayor"


# --- VoID ---------------------------------------------------------------------------------


def void_dataset(body: bytes, fmt: RdfFormat) -> Store:
    store = Store()
    store.extend(parse(body, format=fmt))
    return store


def _value(dataset: Store, subject, prop: str) -> str:
    from pyoxigraph import NamedNode

    found = [q.object for q in dataset.quads_for_pattern(subject, NamedNode(VOID + prop), None)]
    assert len(found) == 1, (prop, found)
    return found[0].value


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", RdfFormat.TURTLE), ("application/ld+json", RdfFormat.JSON_LD),
                                             ("application/n-triples", RdfFormat.N_TRIPLES)])
def test_void_counts_equal_the_store(client: FlaskClient, seed_store: Path, accept: str, fmt: RdfFormat) -> None:
    from pyoxigraph import NamedNode

    response = client.get("/.well-known/void", headers={"Accept": accept, "Host": "attacker.example"})
    assert response.status_code == 200 and response.mimetype == accept and "Accept" in response.headers["Vary"]
    assert b"attacker.example" not in response.data  # the configured public URL, never the Host header
    void = void_dataset(response.data, fmt)
    public = "http://127.0.0.1:8000/"  # CITYKG_PUBLIC_URL's default (`citykg serve` sets the bound address)
    dataset = NamedNode(public + ".well-known/void#citykg")
    store = open_store(seed_store)
    triples = union_triples(store)
    assert int(_value(void, dataset, "triples")) == len(triples)
    assert int(_value(void, dataset, "distinctSubjects")) == len({t.subject for t in triples})
    assert int(_value(void, dataset, "classes")) == len({t.object for t in triples if t.predicate.value.endswith("#type")
                                                            and t.predicate.value.startswith("http://www.w3.org/1999/02/22-rdf")})
    assert int(_value(void, dataset, "entities")) == len({t.subject.value for t in triples
                                                          if isinstance(t.subject, NamedNode) and t.subject.value.startswith(BASE)})
    assert _value(void, dataset, "uriSpace") == BASE
    assert _value(void, dataset, "sparqlEndpoint") == public + "sparql"
    dumps = {q.object.value for q in void.quads_for_pattern(dataset, NamedNode(VOID + "dataDump"), None)}
    assert dumps == {f"{public}export?format={f}" for f in ("turtle", "trig", "nquads", "jsonld")}
    licence = [q.object.value for q in void.quads_for_pattern(dataset, NamedNode("http://purl.org/dc/terms/license"), None)]
    assert licence == ["https://creativecommons.org/licenses/by/4.0/"]
    subsets = {q.object for q in void.quads_for_pattern(dataset, NamedNode(VOID + "subset"), None)}
    assert {s.value.rsplit("/", 1)[-1] for s in subsets} == {"medellin-2018", "mexico-city-2020", "saltillo-2018",
                                                              "lima-2020", "baltimore-2018"}
    for subset in subsets:
        in_graph = list(store.quads_for_pattern(None, None, None, subset))
        assert int(_value(void, subset, "triples")) == len(in_graph)


# --- home ---------------------------------------------------------------------------------


def test_home_page_has_the_editor_the_gallery_and_the_cities(client: FlaskClient) -> None:
    response = client.get("/")
    page = response.data.decode()
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'href="/sparql"' in page  # the SPARQL editor (tests/web/ checks the page itself)
    assert 'href="/queries/cities-by-role?role=data-scientist"' in page
    for slug, name in (("medellin", "Medellin"), ("mexico-city", "Mexico City"), ("saltillo", "Saltillo"),
                       ("lima", "Lima"), ("baltimore", "Baltimore")):
        assert f'<a href="/city/{slug}">{name}</a>' in page
    for link in ('href="/export?format=turtle"', 'href="/.well-known/void"', 'href="/openapi.json"', 'href="/context.jsonld"'):
        assert link in page

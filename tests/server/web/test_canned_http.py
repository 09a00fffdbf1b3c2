"""``/queries``, ``/queries/<name>`` and ``/openapi.json`` over the seed store, through the
app's worker pool: formats by suffix, ``?format=`` and Accept; 400s naming the parameter;
injection attempts; HTML escaping; the OpenAPI document validated by openapi-spec-validator.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.sparql.canned import load_queries
from server.sparql.tables import Table
from server.store.embedded import open_store

QUERIES = load_queries()
CITY = "https://w3id.org/citykg/city/"
ROLE = "https://w3id.org/citykg/vocab/role/"


def names(document: dict) -> list[str]:
    return [row["name"] for row in document["rows"]]


# --- the catalogue --------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "headers"), [("/queries.json", {}), ("/queries", {"Accept": "application/json"}), ("/queries", {})])
def test_catalogue_json(client: FlaskClient, url: str, headers: dict) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    entries = {entry["name"]: entry for entry in response.get_json()["queries"]}
    assert set(entries) == set(QUERIES)
    role = entries["cities-by-role"]
    assert role["summary"] and role["description"] and role["tags"] == ["capacity"]
    assert role["example_url"] == "/queries/cities-by-role?role=data-scientist"
    (param,) = role["parameters"]
    assert (param["name"], param["type"], param["required"], param["default"]) == ("role", "iri", False, ROLE + "data-scientist")
    assert {"value": ROLE + "data-scientist", "label": "Data scientist"} in param["allowed"]
    assert len(param["allowed"]) == 7
    city = entries["city-profile"]["parameters"][0]
    assert city["required"] is True and [c["value"] for c in city["allowed"]] == [
        CITY + c for c in ("baltimore", "lima", "medellin", "mexico-city", "saltillo")]
    integer = entries["team-size-vs-population"]["parameters"][0]
    assert (integer["type"], integer["default"], integer["allowed"]) == ("integer", "0", None)


def test_every_example_url_of_the_catalogue_answers(client: FlaskClient) -> None:
    for entry in client.get("/queries.json").get_json()["queries"]:
        if "federated" in entry["tags"]:  # SERVICE to Wikidata: run against a local server in test_federation.py
            continue
        response = client.get(entry["example_url"], headers={"Accept": "application/json"})
        assert response.status_code == 200, (entry["name"], response.get_data(as_text=True))
        assert response.get_json()["query"] == entry["name"]


def test_catalogue_html(client: FlaskClient) -> None:
    response = client.get("/queries", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for name in QUERIES:
        assert f'href="/queries/{name}"' in page
    assert "Cities employing an innovation skill or role" in page
    assert "&#34;X utilizes N different" in page or "&quot;X utilizes N different" in page  # quotes escaped


# --- running ------------------------------------------------------------------------------


def test_run_json_is_datasette_like(client: FlaskClient) -> None:
    response = client.get("/queries/cities-by-role")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Accept" in response.headers["Vary"]
    document = response.get_json()
    assert document["query"] == "cities-by-role"
    assert document["parameters"] == {"role": ROLE + "data-scientist"}
    assert document["columns"] == ["city", "name", "roleLabel", "statedRoleCount"]
    assert names(document) == ["Lima", "Medellin", "Mexico City"]
    assert document["rows"][0] == {"city": CITY + "lima", "name": "Lima", "roleLabel": "Data scientist", "statedRoleCount": 3}
    assert document["truncated"] is False


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        ("/queries/cities-by-policy-area.json", {"area": "economic-development"}, ["Medellin", "Saltillo"]),
        ("/queries/cities-by-role.json", {"role": "role:designer"}, ["Medellin", "Mexico City", "Saltillo"]),
        ("/queries/innovation-strategy.json", {"has_strategy": "true"}, ["Lima", "Medellin", "Mexico City"]),
        ("/queries/innovation-strategy.json", {"has_strategy": "false"}, ["Baltimore", "Saltillo"]),
        ("/queries/funding-sources.json", {"source": "municipal-budget"}, ["Lima", "Medellin", "Mexico City", "Saltillo"]),
        ("/queries/team-size-vs-population.json", {"min_population": "1000000"}, ["Lima", "Mexico City", "Medellin"]),
        ("/queries/find-cities.json", {"text": "paula"}, ["Medellin"]),
    ],
)
def test_answers_over_the_seeds(client: FlaskClient, url: str, params: dict, expected: list[str]) -> None:
    response = client.get(url, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert names(response.get_json()) == expected


def test_peer_cities_and_comparison(client: FlaskClient) -> None:
    peers = client.get("/queries/peer-cities.json", query_string={"city": "medellin"}).get_json()
    assert [(r["peerName"], r["jaccard"]) for r in peers["rows"]] == [
        ("Saltillo", 0.4375), ("Mexico City", 0.2941), ("Lima", 0.25), ("Baltimore", 0.0)]
    compare = client.get("/queries/compare-cities.json", query_string={"city_a": "medellin", "city_b": "lima"}).get_json()
    rows = {row["propertyLabel"]: row for row in compare["rows"]}
    assert rows["employs role"]["both"] == "Data scientist; Engineer; Project manager"
    assert compare["parameters"] == {"city_a": CITY + "medellin", "city_b": CITY + "lima"}


@pytest.mark.parametrize(
    ("url", "headers", "mimetype"),
    [
        ("/queries/roles.csv", {}, "text/csv"),
        ("/queries/roles", {"Accept": "text/csv"}, "text/csv"),
        ("/queries/roles?format=csv", {"Accept": "application/json"}, "text/csv"),
        ("/queries/roles", {"Accept": "application/sparql-results+json"}, "application/sparql-results+json"),
        ("/queries/roles?format=sparql-json", {}, "application/sparql-results+json"),
        ("/queries/roles", {"Accept": "text/html"}, "text/html"),
        ("/queries/roles.html", {"Accept": "application/json"}, "text/html"),
        ("/queries/roles", {"Accept": "text/csv;q=0.5, application/json"}, "application/json"),
    ],
)
def test_format_by_suffix_parameter_or_accept(client: FlaskClient, url: str, headers: dict, mimetype: str) -> None:
    response = client.get(url, headers=headers)
    assert (response.status_code, response.mimetype) == (200, mimetype)


def test_csv(client: FlaskClient) -> None:
    response = client.get("/queries/cities-by-role.csv", query_string={"role": "engineer"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["city", "name", "roleLabel", "statedRoleCount"],
        [CITY + "lima", "Lima", "Engineer", "3"],
        [CITY + "medellin", "Medellin", "Engineer", "7"],
        [CITY + "mexico-city", "Mexico City", "Engineer", "5"],
    ]


def test_sparql_json_keeps_the_parameter_column(client: FlaskClient) -> None:
    response = client.get("/queries/cities-by-role", query_string={"role": "engineer"},
                          headers={"Accept": "application/sparql-results+json"})
    document = json.loads(response.data)
    assert document["head"]["vars"][0] == "_role_iri"
    assert {b["_role_iri"]["value"] for b in document["results"]["bindings"]} == {ROLE + "engineer"}


def test_cli_and_http_give_the_same_bytes(client: FlaskClient, run_cli, seed_store: Path) -> None:
    for fmt in ("csv", "json"):
        http = client.get(f"/queries/compare-cities.{fmt}", query_string={"city_a": "lima", "city_b": "saltillo"})
        cli = run_cli("query", "compare-cities", "--param", "city_a=lima", "--param", "city_b=city:saltillo",
                      "--store", seed_store, "--format", fmt)
        assert cli.code == 0, cli.err
        assert cli.out.encode() == http.data


def test_html_table(client: FlaskClient) -> None:
    response = client.get("/queries/cities-by-role", query_string={"role": "designer"}, headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<a href="/city/saltillo">city:saltillo</a>' in page  # our IRIs link to their pages here
    assert '<option value="https://w3id.org/citykg/vocab/role/designer" selected>Designer</option>' in page
    assert 'href="/queries/cities-by-role.csv?role=designer"' in page
    assert "3 rows" in page


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "parameter", "message"),
    [
        ("/queries/city-profile", {}, "city", "missing required parameter 'city'"),
        ("/queries/compare-cities", {"city_a": "lima"}, "city_b", "missing required parameter 'city_b'"),
        ("/queries/cities-by-role", {"role": "pilot"}, "role", "not one of the 7 allowed values"),
        ("/queries/cities-by-role", {"role": "https://example.org/x"}, "role", "not one of"),
        ("/queries/team-size-vs-population", {"min_population": "lots"}, "min_population", "not an integer"),
        ("/queries/innovation-strategy", {"has_strategy": "perhaps"}, "has_strategy", "not a boolean"),
        ("/queries/cities-by-role", {"rol": "designer"}, "rol", "unknown parameter 'rol'"),
        ("/queries/cities-by-role", {"role": ["designer", "engineer"]}, "role", "given 2 times"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client: FlaskClient, url: str, params: dict, parameter: str, message: str) -> None:
    response = client.get(url, query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and message in body["error"] and body["status"] == 400


def test_errors_in_csv_and_html(client: FlaskClient) -> None:
    response = client.get("/queries/city-profile.csv")
    assert (response.status_code, response.mimetype) == (400, "text/plain")
    assert "missing required parameter 'city'" in response.get_data(as_text=True)
    response = client.get("/queries/cities-by-role", query_string={"role": "<script>x</script>"}, headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("url", "message"),
    [("/queries/no-such-query", "no canned query 'no-such-query'"),
     ("/queries/no-such-query.csv", "no canned query 'no-such-query'"),  # as text/plain, the CSV error form
     ("/queries/roles.xml", "no format .xml")],
)
def test_unknown_query_or_suffix_is_404(client: FlaskClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 404 and message in response.get_data(as_text=True)


def test_unservable_format_is_406(client: FlaskClient) -> None:
    assert client.get("/queries/roles", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/queries/roles", query_string={"format": "xml"}).status_code == 406
    assert client.get("/queries", headers={"Accept": "text/csv"}).status_code == 406


def test_timeout_may_be_lowered_not_raised(client: FlaskClient) -> None:
    assert client.get("/queries/roles.json", query_string={"timeout": "5"}).status_code == 200
    bad = client.get("/queries/roles.json", query_string={"timeout": "soon"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "timeout"
    assert client.get("/queries/roles.json", query_string={"timeout": "100000"}).status_code == 400


# --- injection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        'https://w3id.org/citykg/vocab/role/x> } ; DROP ALL ; #',
        "designer> . ?s ?p ?o",
        "role:designer> } UNION { ?s ?p ?o",
        'https://w3id.org/citykg/vocab/role/designer"} ; DROP',
        "https://w3id.org/citykg/vocab/role/{designer}",
        "<https://w3id.org/citykg/vocab/role/designer>",
    ],
)
def test_iri_injection_is_rejected(client: FlaskClient, value: str) -> None:
    response = client.get("/queries/cities-by-role.json", query_string={"role": value})
    assert response.status_code == 400 and response.get_json()["parameter"] == "role"


@pytest.mark.parametrize("value", ['"} ; DROP ALL ; #', "lima\" || true || \"", "x') } UNION { ?city ?p ?o } #", "\\u0022"])
def test_string_injection_is_bound_as_a_literal(client: FlaskClient, seed_store: Path, value: str) -> None:
    before = len(open_store(seed_store))
    response = client.get("/queries/find-cities.json", query_string={"text": value})
    assert response.status_code == 200
    assert response.get_json()["rows"] == [] and response.get_json()["parameters"] == {"text": value}
    assert len(open_store(seed_store)) == before


def test_integer_injection_is_rejected(client: FlaskClient) -> None:
    response = client.get("/queries/policy-areas-lacking-data.json", query_string={"min_cities": "1) || true || (1"})
    assert response.status_code == 400 and response.get_json()["parameter"] == "min_cities"


# --- HTML escaping ------------------------------------------------------------------------


def test_html_escapes_every_value(seed_app: Flask) -> None:
    from server.web.render import page as render_page
    from server.web.views.queries import page_of

    cells = [
        {"type": "literal", "value": '<script>alert("x")</script>'},
        {"type": "uri", "value": "javascript:alert(1)"},
        {"type": "uri", "value": 'https://example.org/a"onmouseover="alert(1)'},
    ]
    query = {"name": "<q>", "summary": "<b>s</b>", "description": "&", "url": "/queries/x", "parameters": [
        {"name": "p", "type": "string", "required": False, "description": "<i>", "allowed": None}], "sparql": "SELECT <x>"}
    with seed_app.test_request_context("/queries/x"):
        table = page_of(Table(["<col>"], [[cell] for cell in cells]), {})
        page = render_page("queries/result.html", query=query, shown={}, given={"p": '"><script>1</script>'}, error=None,
                           table=table, links={"JSON": "/j", "CSV": "/c"}, editor="/sparql", chart=None).get_data(as_text=True)
    assert "<script>" not in page and "<b>s</b>" not in page and "<col>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href="https://example.org/a&#34;onmouseover=&#34;alert(1)"' in page
    assert 'value="&#34;&gt;&lt;script&gt;1&lt;/script&gt;"' in page


def test_html_escapes_stored_text(client: FlaskClient) -> None:
    """Stored prose with quotes and apostrophes comes out escaped."""
    page = client.get("/queries/city-profile", query_string={"city": "mexico-city"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Mexico City&#39;s Digital Agency" in page


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_document_is_valid_and_complete(seed_app: Flask, client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])
    assert "/queries" in paths and "/queries/{name}" in paths and "/openapi.json" in paths
    for name in QUERIES:
        assert f"/queries/{name}" in paths, name
    (role,) = [p for p in paths["/queries/cities-by-role"]["get"]["parameters"] if p["name"] == "role"]
    assert role["schema"]["default"] == ROLE + "data-scientist"
    assert ROLE + "data-scientist" in role["schema"]["enum"] and role["required"] is False
    (size,) = [p for p in paths["/queries/team-size-vs-population"]["get"]["parameters"] if p["name"] == "min_population"]
    assert size["schema"] == {"type": "integer", "default": 0}
    (city,) = [p for p in paths["/queries/city-profile"]["get"]["parameters"] if p["name"] == "city"]
    assert city["required"] is True and CITY + "medellin" in city["schema"]["enum"]
    assert {"400", "404"} <= set(paths["/queries/city-profile"]["get"]["responses"])
    # every route of the app is described
    for rule in seed_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert template in paths or rule.endpoint in ("queries.catalogue", "queries.run"), rule.rule

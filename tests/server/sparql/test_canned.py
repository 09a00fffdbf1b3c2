"""Canned queries in-process: headers, typed parameter validation, and every query's answer
over the seed store, checked against the hand-written goldens (tests/golden/*.json).

The HTTP routes and the CLI share this code path (server.sparql.canned → server.sparql.execute →
server.sparql.tables); tests/server/web/test_canned_http.py and the CLI tests check their own layer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode

from mapper.rdf import DEFAULT_BASE
from server.sparql.canned import (
    QUERIES_DIR,
    CannedQueryError,
    Context,
    bind,
    load_context,
    load_queries,
    parse_query,
    request_for,
)
from server.sparql.execute import execute
from server.sparql.tables import plain, table_from_results
from server.store.build import build_store
from server.store.embedded import open_store
from server.store.prefixes import store_prefixes
from tests.conftest import REPO, SEEDS
from tests.test_variations import HEADER, page

QUERIES = load_queries()
CITY = DEFAULT_BASE + "city/"
VOCAB = DEFAULT_BASE + "vocab/"
GOLDEN = {d["city"]: d for d in (json.loads(p.read_text()) for p in sorted((REPO / "tests" / "golden").glob("*.json")))}
CITIES = set(GOLDEN)

Runner = Callable[..., list[dict[str, Any]]]


def runner_for(store_dir: Path) -> Runner:
    store = open_store(store_dir)
    prefixes = store_prefixes(store)
    run = lambda request: execute(store, request, prefixes=prefixes)  # noqa: E731
    context = load_context(run, QUERIES.values(), DEFAULT_BASE)

    def canned(name: str, **params: str) -> list[dict[str, Any]]:
        query = QUERIES[name]
        bound = bind(query, params, context)
        table = table_from_results(run(request_for(query, bound)).body, query, bound)
        return [dict(zip(table.columns, (plain(cell) for cell in row))) for row in table.rows]

    canned.context = context  # type: ignore[attr-defined]
    return canned


@pytest.fixture(scope="module")
def canned(seed_store: Path) -> Runner:
    return runner_for(seed_store)


@pytest.fixture(scope="module")
def context(canned: Runner) -> Context:
    return canned.context  # type: ignore[attr-defined]


def names(rows: list[dict[str, Any]], column: str = "name") -> list[str]:
    return [row[column] for row in rows]


# --- the catalogue of files ----------------------------------------------------------------


def test_at_least_twelve_documented_queries() -> None:
    assert len(QUERIES) >= 12
    for query in QUERIES.values():
        assert query.summary and query.description and query.tags, query.name
        assert set(query.example) <= {p.name for p in query.parameters}, query.name
        for param in query.parameters:
            assert param.description, f"{query.name}: {param.name}"


@pytest.mark.parametrize(
    "name",
    ["cities-by-policy-area", "cities-by-role", "data-sufficiency-matrix", "policy-areas-lacking-data",
     "funding-overview", "innovation-strategy", "success-factors-ranked", "team-size-vs-population",
     "city-profile", "compare-cities", "peer-cities", "free-text-answers"],
)
def test_the_questions_users_ask_have_a_query(name: str) -> None:
    assert name in QUERIES


def test_parameter_variables_follow_the_grlc_convention() -> None:
    compare = QUERIES["compare-cities"]
    assert [(p.name, p.variable, p.type, p.required) for p in compare.parameters] == [
        ("city_a", "_city_a_iri", "iri", True),
        ("city_b", "_city_b_iri", "iri", True),
    ]
    role = QUERIES["cities-by-role"].parameter("role")
    assert (role.type, role.required, role.default, role.scheme) == ("iri", False, "data-scientist", "role")
    optional = QUERIES["funding-sources"].parameter("source")
    assert (optional.variable, optional.required) == ("__source_iri", False)
    assert QUERIES["team-size-vs-population"].parameter("min_population").type == "integer"
    assert QUERIES["innovation-strategy"].parameter("has_strategy").type == "boolean"
    assert QUERIES["find-cities"].parameter("text").type == "string"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("#+ params:\n#+   nope:\n#+     description: x\n", "names 'nope'"),
        ("#+ params:\n#+   n:\n#+     scheme: role\n", "not an iri parameter"),
        ("#+ summary: [unclosed\n", "not valid YAML"),
        ("#+ params:\n#+   n:\n#+     description: x\n#+ enumerate:\n#+   - n\n", "without values, scheme or class"),
    ],
)
def test_a_header_that_contradicts_the_query_fails_at_load(header: str, message: str) -> None:
    with pytest.raises(CannedQueryError, match=message):
        parse_query("broken", header + "SELECT ?_n_integer WHERE { BIND(1 AS ?x) }")


def test_an_enumerated_iri_parameter_needs_enumerate() -> None:
    text = "#+ params:\n#+   r:\n#+     scheme: role\nSELECT ?_r_iri WHERE { ?c ?p ?_r_iri }"
    with pytest.raises(CannedQueryError, match="list it under enumerate"):
        parse_query("broken", text)


# --- parameter validation ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["data-scientist", "role:data-scientist", VOCAB + "role/data-scientist", " data-scientist "])
def test_short_prefixed_and_full_forms_bind_the_same_concept(context: Context, value: str) -> None:
    assert bind(QUERIES["cities-by-role"], {"role": value}, context) == {"role": NamedNode(VOCAB + "role/data-scientist")}


def test_defaults_bind_when_a_parameter_is_left_out(context: Context) -> None:
    assert bind(QUERIES["cities-by-role"], {}, context) == {"role": NamedNode(VOCAB + "role/data-scientist")}
    assert bind(QUERIES["cities-by-role"], {"role": ""}, context) == {"role": NamedNode(VOCAB + "role/data-scientist")}
    assert bind(QUERIES["team-size-vs-population"], {}, context) == {"min_population": Literal(0)}
    assert bind(QUERIES["funding-sources"], {}, context) == {}  # optional, no default: unbound


@pytest.mark.parametrize(
    ("name", "params", "parameter", "message"),
    [
        ("city-profile", {}, "city", "missing required parameter 'city'"),
        ("compare-cities", {"city_a": "lima"}, "city_b", "missing required parameter 'city_b'"),
        ("cities-by-role", {"role": "pilot"}, "role", "not one of the 7 allowed values"),
        ("cities-by-role", {"role": "policy-area:health"}, "role", "not one of"),
        ("cities-by-role", {"role": "https://example.org/role/data-scientist"}, "role", "not one of"),
        ("city-profile", {"city": "atlantis"}, "city", "not one of the 5 allowed values"),
        ("cities-by-role", {"role": "relative/path"}, "role", "not an absolute IRI"),
        ("cities-by-role", {"rol": "designer"}, "rol", "unknown parameter 'rol'"),
        ("team-size-vs-population", {"min_population": "1e6"}, "min_population", "not an integer"),
        ("team-size-vs-population", {"min_population": "12 OR 1=1"}, "min_population", "not an integer"),
        ("team-size-vs-population", {"min_population": "9" * 40}, "min_population", "not an integer"),
        ("innovation-strategy", {"has_strategy": "maybe"}, "has_strategy", "not a boolean"),
        ("find-cities", {}, "text", "missing required parameter 'text'"),
    ],
)
def test_bad_or_missing_parameters_are_named(context: Context, name: str, params: dict, parameter: str, message: str) -> None:
    with pytest.raises(CannedQueryError, match=message) as caught:
        bind(QUERIES[name], params, context)
    assert caught.value.parameter == parameter
    assert caught.value.http_status == 400
    assert repr(parameter) in str(caught.value)


INJECTIONS = [
    'https://w3id.org/citykg/vocab/role/x> } ; DROP ALL ; #',
    'data-scientist> . ?s ?p ?o',
    'role:data-scientist> } UNION { ?s ?p ?o',
    'https://w3id.org/citykg/vocab/role/data-scientist"} ; DROP',
    'https://w3id.org/citykg/vocab/role/{x}',
    "https://w3id.org/citykg/vocab/role/data-scientist\\u003E",
    "<https://w3id.org/citykg/vocab/role/data-scientist>",
    "data-scientist\n} ; DROP ALL",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_iri_injection_attempts_are_rejected(context: Context, value: str) -> None:
    with pytest.raises(CannedQueryError) as caught:
        bind(QUERIES["cities-by-role"], {"role": value}, context)
    assert caught.value.parameter == "role"


@pytest.mark.parametrize("value", ['"} ; DROP ALL ; #', "x' } UNION { ?s ?p ?o } #", '\\"', "Lima\" || true || \""])
def test_string_injection_attempts_are_bound_as_one_literal(canned: Runner, context: Context, value: str) -> None:
    bound = bind(QUERIES["find-cities"], {"text": value}, context)
    assert bound == {"text": Literal(value)}
    request = request_for(QUERIES["find-cities"], bound)
    assert request.query == QUERIES["find-cities"].text  # the text never changes
    assert canned("find-cities", text=value) == []


def test_query_text_is_never_changed_by_parameters(context: Context) -> None:
    query = QUERIES["compare-cities"]
    request = request_for(query, bind(query, {"city_a": "lima", "city_b": "medellin"}, context))
    assert request.query == query.text
    assert request.substitutions == {"_city_a_iri": f"<{CITY}lima>", "_city_b_iri": f"<{CITY}medellin>"}


# --- every query's answer over the seeds ---------------------------------------------------


EMPTY_ON_SEEDS = {"free-text-answers", "unreconciled-cities"}  # every seed answer and city is matched


def test_every_example_runs(canned: Runner) -> None:
    for query in QUERIES.values():
        if "federated" in query.tags:  # SERVICE to Wikidata: run against a local server in test_federation.py
            continue
        rows = canned(query.name, **query.example)
        assert bool(rows) is (query.name not in EMPTY_ON_SEEDS), query.name


def test_cities_by_role(canned: Runner) -> None:
    assert names(canned("cities-by-role")) == ["Lima", "Medellin", "Mexico City"]
    assert names(canned("cities-by-role", role="designer")) == ["Medellin", "Mexico City", "Saltillo"]
    assert names(canned("cities-by-role", role="role:sociologist")) == ["Medellin"]
    counts = {row["name"]: row["statedRoleCount"] for row in canned("cities-by-role")}
    assert counts == {"Lima": 3, "Medellin": 7, "Mexico City": 5}
    assert "role" not in canned("cities-by-role")[0]  # bound: echoed under parameters, not per row


def test_cities_by_policy_area(canned: Runner) -> None:
    assert names(canned("cities-by-policy-area")) == ["Medellin", "Saltillo"]  # default economic-development
    assert names(canned("cities-by-policy-area", area="transport-mobility")) == ["Saltillo"]
    (lima,) = canned("cities-by-policy-area", area="digital-governance")
    assert lima["name"] == "Lima" and lima["explanation"].startswith("Lima has developed apps such as Vive Lima")


def test_innovation_strategy(canned: Runner) -> None:
    everyone = {row["name"]: row["hasStrategy"] for row in canned("innovation-strategy")}
    assert everyone == {"Medellin": True, "Mexico City": True, "Lima": True, "Saltillo": False, "Baltimore": False}
    assert {c: GOLDEN[c]["has_strategy"] for c in CITIES} == everyone
    assert names(canned("innovation-strategy", has_strategy="true")) == ["Lima", "Medellin", "Mexico City"]
    assert names(canned("innovation-strategy", has_strategy="false")) == ["Baltimore", "Saltillo"]
    assert names(canned("innovation-strategy", has_strategy="no")) == ["Baltimore", "Saltillo"]


def test_data_sufficiency_matrix_matches_the_goldens(canned: Runner) -> None:
    expected: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"Sufficient": set(), "Insufficient": set(), "NoResponse": set()})
    for city, golden in GOLDEN.items():
        for level, areas in golden["data_sufficiency"].items():
            for area in areas:
                expected[area][level].add(city)
    rows = canned("data-sufficiency-matrix")
    found = {
        row["areaLabel"]: {
            level: set(filter(None, row[column].split(", ")))
            for level, column in (("Sufficient", "sufficient"), ("Insufficient", "insufficient"), ("NoResponse", "noResponse"))
        }
        for row in rows
    }
    assert found == expected
    education = next(row for row in rows if row["areaLabel"] == "Education")
    assert (education["insufficientCount"], education["insufficient"]) == (3, "Lima, Medellin, Mexico City")
    economy = next(row for row in rows if row["areaLabel"] == "Economic development")
    assert (economy["sufficient"], economy["insufficient"], economy["noResponse"]) == ("Lima", "Mexico City", "Medellin")


def test_data_sufficiency_for_one_city_and_level(canned: Runner) -> None:
    rows = canned("data-sufficiency", city="lima", level="Sufficient")
    assert {row["areaLabel"] for row in rows} == set(GOLDEN["Lima"]["data_sufficiency"]["Sufficient"])
    assert len(canned("data-sufficiency", city="city:medellin", level="cik:NoResponse")) == 3
    everything = canned("data-sufficiency")
    assert len(everything) == sum(len(a) for g in GOLDEN.values() for a in g["data_sufficiency"].values())
    assert {"city", "level"} <= set(everything[0])  # optional, left out: their columns stay


def test_policy_areas_lacking_data(canned: Runner) -> None:
    lacking: dict[str, set[str]] = defaultdict(set)
    for city, golden in GOLDEN.items():
        for area in golden["data_sufficiency"]["Insufficient"]:
            lacking[area].add(city)
    rows = canned("policy-areas-lacking-data", min_cities="2")
    assert {row["areaLabel"]: set(row["cities"].split(", ")) for row in rows} == {
        area: cities for area, cities in lacking.items() if len(cities) >= 2
    }
    assert (rows[0]["areaLabel"], rows[0]["insufficientCount"], rows[0]["insufficientPercent"]) == ("Education", 3, 100)
    assert [row["insufficientCount"] for row in rows] == sorted((row["insufficientCount"] for row in rows), reverse=True)
    assert len(canned("policy-areas-lacking-data")) == len(lacking)


def test_funding_overview(canned: Runner) -> None:
    rows = {row["name"]: row for row in canned("funding-overview")}
    for city, golden in GOLDEN.items():
        assert set(filter(None, rows[city]["sources"].split("; "))) == set(golden["funding_sources"]), city
        assert set(filter(None, rows[city]["fundedActivities"].split("; "))) == set(golden["funded_activities"]), city
        assert rows[city]["dedicatedFunding"] is golden["has_dedicated_funding"]
    assert (rows["Baltimore"]["sourceCount"], rows["Baltimore"]["sources"]) == (0, "")


def test_funding_sources_against_activities(canned: Runner) -> None:
    rows = canned("funding-sources-vs-activities", source="municipal-budget")
    municipal = [c for c, g in GOLDEN.items() if "Municipal budget" in g["funding_sources"]]
    expected: dict[str, set[str]] = defaultdict(set)
    for city in municipal:
        for activity in GOLDEN[city]["funded_activities"]:
            expected[activity].add(city)
    assert {row["activityLabel"]: set(row["cities"].split(", ")) for row in rows} == expected
    assert rows[0]["activityLabel"] == "Investing in digital systems" and rows[0]["cityCount"] == 3
    assert names(canned("funding-sources", source="municipal-budget")) == ["Lima", "Medellin", "Mexico City", "Saltillo"]
    assert {row["source"] for row in canned("funding-sources")} >= {VOCAB + "funding-source/municipal-budget"}


def test_success_factors_ranked(canned: Runner) -> None:
    counts: dict[str, int] = defaultdict(int)
    for golden in GOLDEN.values():
        for factor in golden["success_factors"]:
            counts[factor] += 1
    rows = canned("success-factors-ranked")
    assert {row["factorLabel"]: row["cityCount"] for row in rows} == counts
    assert (rows[0]["factorLabel"], rows[0]["cityCount"], rows[0]["percentOfCities"]) == ("Focus on measurement", 5, 100)
    assert [row["cityCount"] for row in rows] == sorted(counts.values(), reverse=True)


def test_team_size_against_population(canned: Runner) -> None:
    rows = canned("team-size-vs-population")
    assert names(rows) == ["Lima", "Mexico City", "Medellin", "Saltillo", "Baltimore"]  # by population
    found = {row["name"]: (row["population"], row["teamSize"], row["teamSizeMoreThan"], row["staffPer100k"]) for row in rows}
    assert found == {
        "Lima": (9670000, None, None, None),
        "Mexico City": (9209944, 150, None, 1.63),
        "Medellin": (2500000, None, 100, 4.0),
        "Saltillo": (709671, 4, None, 0.56),
        "Baltimore": (611648, 10, None, 1.63),
    }
    assert names(canned("team-size-vs-population", min_population="1000000")) == ["Lima", "Mexico City", "Medellin"]


def test_city_profile(canned: Runner) -> None:
    rows = canned("city-profile", city="medellin")
    facts = {(row["propertyLabel"], row["valueLabel"]) for row in rows}
    assert {("name", "Medellin"), ("has mayor", "Federico Gutiérrez"), ("has lead innovation officer", "Paula Zapata"),
            ("team size more than", "100"), ("country", "Colombia"), ("has innovation strategy", "true"),
            ("data sufficiency", "Transport/Mobility: Sufficient data"),
            ("data sufficiency", "Economic development: No response")} <= facts
    assert {v for p, v in facts if p == "employs role"} == set(GOLDEN["Medellin"]["roles"])
    assert {row["graph"] for row in rows if row["propertyLabel"] != "same as"} >= {DEFAULT_BASE + "snapshot/medellin-2018"}
    assert {row["graph"] for row in rows if row["propertyLabel"] == "employs role"} == {DEFAULT_BASE + "snapshot/medellin-2018"}


def test_compare_cities(canned: Runner) -> None:
    rows = {row["propertyLabel"]: row for row in canned("compare-cities", city_a="medellin", city_b="lima")}
    assert (rows["name"]["cityA"], rows["name"]["cityB"], rows["name"]["both"]) == ("Medellin", "Lima", "")
    assert rows["employs role"]["both"] == "Data scientist; Engineer; Project manager"
    assert rows["funded by"]["both"] == "Municipal budget"
    assert rows["has innovation strategy"]["both"] == "true"
    shared_ratings = set(rows["data sufficiency"]["both"].split("; "))
    expected = {
        f"{area}: {label}"
        for level, label in (("Sufficient", "Sufficient data"), ("Insufficient", "Insufficient data"), ("NoResponse", "No response"))
        for area in set(GOLDEN["Medellin"]["data_sufficiency"][level]) & set(GOLDEN["Lima"]["data_sufficiency"][level])
    }
    assert shared_ratings == expected
    assert rows["team size more than"]["cityB"] == ""


def jaccard(a: str, b: str) -> float:
    def concepts(city: str) -> set[tuple[str, str]]:
        g = GOLDEN[city]
        return {("role", x) for x in g["roles"]} | {("area", x) for x in g["policy_areas"]} | {("activity", x) for x in g["activities"]}

    union = concepts(a) | concepts(b)
    return round(len(concepts(a) & concepts(b)) / len(union), 4) if union else 0.0


@pytest.mark.parametrize("city", sorted(CITIES))
def test_peer_cities_rank_by_jaccard_similarity(canned: Runner, city: str) -> None:
    from mapper.text import slugify

    rows = canned("peer-cities", city=slugify(city))
    assert {row["peerName"]: row["jaccard"] for row in rows} == {other: jaccard(city, other) for other in CITIES - {city}}
    assert [row["jaccard"] for row in rows] == sorted((row["jaccard"] for row in rows), reverse=True)


def test_peer_cities_of_medellin_by_hand(canned: Runner) -> None:
    rows = canned("peer-cities", city="medellin")
    assert [(r["peerName"], r["shared"], r["either"], r["jaccard"]) for r in rows] == [
        ("Saltillo", 7, 16, 0.4375),  # PM, designer, communication officer; economic development; 3 activities
        ("Mexico City", 5, 17, 0.2941),
        ("Lima", 4, 16, 0.25),
        ("Baltimore", 0, 13, 0.0),
    ]


def test_find_cities(canned: Runner) -> None:
    rows = canned("find-cities", text="MEXICO")
    assert {(row["name"], row["matchedField"]) for row in rows} == {
        ("Mexico City", "name"), ("Mexico City", "country"), ("Saltillo", "country")}
    assert names(canned("find-cities", text="paula")) == ["Medellin"]


def test_free_text_answers_are_empty_on_the_seeds(canned: Runner) -> None:
    assert canned("free-text-answers") == []


def test_free_text_answers_list_what_no_option_covers(tmp_path: Path) -> None:
    extra = tmp_path / "docs"
    extra.mkdir()
    (extra / "denver.txt").write_text(page(
        HEADER,
        "Denver utilizes 3 different innovation skills or roles",
        "Project manager\nUrban planner\nData scientist",
        "Innovation roles by number of cities",
        "Policy areas that Denver is focused on",
        "Resilience: The city trains residents as volunteers who respond to floods and heat waves.",
        "Policy areas by number of cities",
    ))
    report = build_store([SEEDS, extra], tmp_path / "store")
    assert report.written
    canned = runner_for(tmp_path / "store")
    rows = canned("free-text-answers")
    assert [(r["text"], r["scheme"], r["property"], r["cities"]) for r in rows] == [
        ("Resilience", VOCAB + "policy-area", "https://w3id.org/citykg/ontology#focusesOn", "Denver"),
        ("Urban planner", VOCAB + "role", "https://w3id.org/citykg/ontology#employsRole", "Denver"),
    ]
    # a free-text concept is a value of its scheme like any other
    assert names(canned("cities-by-role", role="urban-planner")) == ["Denver"]


def test_queries_dir_is_the_repository_one() -> None:
    assert QUERIES_DIR == REPO / "queries"

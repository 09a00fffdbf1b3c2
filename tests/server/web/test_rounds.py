"""Several survey rounds of one city (issue 5, item 3): the canned queries and the city page show
the latest round by default, a given round on request, and compare-rounds shows both.

The store holds the five seeds plus Medellin 2020: seed 000 (Medellin 2018) rewritten as a
2020-round page with a new mayor, a new population and three roles instead of seven (no data
scientist, no sociologist), and Education rated sufficient instead of insufficient. A query that
read the union of the rounds would show two mayors, two populations, seven roles and both
Education ratings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mapper.rdf import DEFAULT_BASE
from server.sparql.canned import QUERIES_DIR
from server.store.build import build_store
from server.web.app import close_app, create_app
from tests.conftest import SEEDS
from tests.server.sparql.test_canned import Runner, names, runner_for

MEDELLIN = DEFAULT_BASE + "city/medellin"
G2018 = DEFAULT_BASE + "snapshot/medellin-2018"
G2020 = DEFAULT_BASE + "snapshot/medellin-2020"
NEW_MAYOR = "Daniel Quintero Calle"
OLD_MAYOR = "Federico Gutiérrez"
ROLES_2020 = {"Project manager", "Designer", "Engineer"}


def _swap(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def medellin_2020(seed: str) -> str:
    """Seed 000 as the 2020 round prints it: the round sentence instead of the 2019 PDF note,
    another mayor and population, three roles, Education moved from insufficient to sufficient."""
    note = next(line for line in seed.splitlines() if line.startswith("Note: The City Innovation Snapshot"))
    text = _swap(seed, note, "Medellin took part in the 2020 survey of innovation capacity.")
    text = _swap(text, OLD_MAYOR, NEW_MAYOR)
    text = _swap(text, "2,500,000 (2017)", "2,569,007 (2020)")
    text = _swap(text, "Medellin utilizes 7 different innovation skills or roles\n\n"
                       "Project manager\nData scientist\nDesigner\nEngineer\nSociologist\n"
                       "Communication officer\nCommunity engagement staff\n",
                 "Medellin utilizes 3 different innovation skills or roles\n\nProject manager\nDesigner\nEngineer\n")
    text = _swap(text, "5\n7\n3\n", "6\n6\n3\n")
    text = _swap(text, "Culture\n\nInsufficient data", "Culture\n\nEducation\n\nInsufficient data")
    return _swap(text, "Education\n\nSocial inclusion", "Social inclusion")


@pytest.fixture(scope="module")
def rounds_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("rounds-docs")
    seed = (SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
    (docs / "medellin-2020.txt").write_text(medellin_2020(seed), encoding="utf-8")
    store = tmp_path_factory.mktemp("rounds-store") / "store"
    report = build_store([SEEDS, docs], store)
    assert report.written, report.reason_not_written
    assert {d.graph_id for d in report.documents} >= {"medellin-2018", "medellin-2020"}
    return store


@pytest.fixture(scope="module")
def canned(rounds_store: Path) -> Runner:
    return runner_for(rounds_store)


def facts(rows: list[dict]) -> set[tuple[str, str]]:
    return {(row["propertyLabel"], row["valueLabel"]) for row in rows}


# --- canned queries ----------------------------------------------------------------------------


def test_the_variant_reads_as_a_2020_snapshot(canned: Runner) -> None:
    (row,) = [r for r in canned("latest-snapshot") if r["name"] == "Medellin"]
    assert (row["graph"], row["latestRound"], row["rounds"]) == (G2020, "2020", 2)
    assert len(canned("latest-snapshot")) == 5  # one row per city


def test_city_profile_shows_the_latest_round_by_default(canned: Runner) -> None:
    rows = canned("city-profile", city="medellin")
    found = facts(rows)
    assert ("has mayor", NEW_MAYOR) in found and ("has mayor", OLD_MAYOR) not in found
    assert {v for p, v in found if p == "population"} == {"2569007"}
    assert {v for p, v in found if p == "employs role"} == ROLES_2020
    assert {v for p, v in found if p == "stated role count"} == {"3"}
    assert ("data sufficiency", "Education: Sufficient data") in found
    assert ("data sufficiency", "Education: Insufficient data") not in found
    assert {row["graph"] for row in rows if row["propertyLabel"] != "same as"} == {G2020}
    assert ("same as", "http://www.wikidata.org/entity/Q48278") in found  # the reconciliation graph stays


def test_city_profile_reads_a_given_round(canned: Runner) -> None:
    rows = canned("city-profile", city="medellin", round="2018")
    found = facts(rows)
    assert ("has mayor", OLD_MAYOR) in found and ("has mayor", NEW_MAYOR) not in found
    assert {v for p, v in found if p == "population"} == {"2500000"}
    assert len({v for p, v in found if p == "employs role"}) == 7
    assert ("data sufficiency", "Education: Insufficient data") in found
    assert ("data sufficiency", "Education: Sufficient data") not in found
    assert {row["graph"] for row in rows if row["propertyLabel"] != "same as"} == {G2018}
    assert facts(canned("city-profile", city="medellin", round="2020")) == facts(canned("city-profile", city="medellin"))
    assert canned("city-profile", city="medellin", round="2019") == []


def test_cities_by_role_counts_the_latest_roles_only(canned: Runner) -> None:
    assert names(canned("cities-by-role")) == ["Lima", "Mexico City"]  # Medellin 2020 names no data scientist
    designers = canned("cities-by-role", role="designer")
    assert names(designers) == ["Medellin", "Mexico City", "Saltillo"]
    assert {row["name"]: row["statedRoleCount"] for row in designers}["Medellin"] == 3
    assert canned("cities-by-role", role="sociologist") == []


def test_other_queries_read_the_latest_round(canned: Runner) -> None:
    leaders = [row for row in canned("city-leaders") if row["name"] == "Medellin"]
    assert [(r["mayor"], r["population"], r["year"]) for r in leaders] == [(NEW_MAYOR, 2569007, "2020")]
    assert {row["roleLabel"] for row in canned("roles") if row["name"] == "Medellin"} == ROLES_2020
    assert len({row["roleLabel"] for row in canned("roles", round="2018") if row["name"] == "Medellin"}) == 7
    assert {row["name"] for row in canned("roles", round="2018")} == {"Medellin", "Saltillo"}  # Baltimore names none
    education = next(row for row in canned("data-sufficiency-matrix") if row["areaLabel"] == "Education")
    assert (education["insufficient"], education["sufficient"]) == ("Lima, Mexico City", "Medellin")
    assert len([r for r in canned("team-size-vs-population") if r["name"] == "Medellin"]) == 1
    assert names(canned("find-cities", text="quintero")) == ["Medellin"]
    assert canned("find-cities", text="federico") == []
    peers = canned("peer-cities", city="medellin")
    assert len(peers) == 4 and len({row["peerName"] for row in peers}) == 4


def test_compare_rounds_lists_both(canned: Runner) -> None:
    rows = {(row["valueLabel"], row["rounds"], row["inAllRounds"]) for row in canned("compare-rounds", city="medellin")}
    assert (OLD_MAYOR, "2018", False) in rows and (NEW_MAYOR, "2020", False) in rows
    assert ("Project manager", "2018, 2020", True) in rows and ("Data scientist", "2018", False) in rows


def test_every_per_city_query_shares_the_latest_snapshot_pattern() -> None:
    """One sub-select chooses the snapshot everywhere; only its variables (and the optional
    `round` filter) differ. compare-rounds reads every round, free-text-answers every answer.
    The federated wikidata-* queries and find-cities choose it the same way for the cities they
    find first (linked, or matching the text), each city's snapshots looked up from there
    (OPTIONAL then FILTER(BOUND)), for speed."""
    every_round = {"compare-rounds", "free-text-answers"}
    cities_first = {"wikidata-coordinates", "wikidata-mayor", "wikidata-population", "find-cities"}
    latest = r'\(IRI\(STRAFTER\(MAX\(CONCAT\(COALESCE\(STR\(\?round\), "0000"\), " ", STR\(\?snapshot\)\)\), " "\)\) AS (\?\w+)\)'
    snapshots = r"GRAPH \?snapshot \{ \?snapshot a cik:Snapshot ; dct:subject \1 OPTIONAL \{ \?snapshot cik:surveyRound \?round \} \}"
    shape = re.compile(
        rf"SELECT (\?\w+) (?:\?__round_integer )?{latest}\s+WHERE \{{\s+{snapshots}\s+"
        r"(?:FILTER\(COALESCE\(COALESCE\(xsd:integer\(STR\(\?round\)\), 0\) = \?__round_integer, true\)\)\s+)?"
        r"\}\s+GROUP BY \1(?: \?__round_integer)?\s+\}"
    )
    found_first = re.compile(  # the cities found first (linked, or matching a text), then their latest snapshot
        rf"SELECT (\?city)(?: \?item \?link)? {latest}\s+WHERE \{{.*?"
        rf"OPTIONAL \{{ {snapshots} \}}\s+FILTER\(BOUND\(\?snapshot\)\)\s+\}}\s+GROUP BY \?city(?: \?item \?link)?\s+\}}",
        re.S,
    )
    for path in sorted(QUERIES_DIR.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        uses = text.count("(IRI(STRAFTER(MAX(CONCAT(")
        if path.stem in every_round:
            assert uses == 0, path.name
            continue
        expected = found_first if path.stem in cities_first else shape
        assert uses >= 1 and len(expected.findall(text)) == uses, path.name
        if "?__round_integer" in text:
            assert "FILTER(COALESCE(COALESCE(xsd:integer(STR(?round)), 0) = ?__round_integer, true))" in text, path.name


# --- the city page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(rounds_store: Path) -> Iterator[FlaskClient]:
    app: Flask = create_app({"CITYKG_STORE": str(rounds_store), "CITYKG_WORKERS": 2, "TESTING": True})
    try:
        yield app.test_client()
    finally:
        close_app(app)


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.data
    return response.data.decode()


def test_city_page_shows_the_latest_round_and_links_the_others(client: FlaskClient) -> None:
    html = page(client, "/city/medellin")
    assert NEW_MAYOR in html and "2,569,007 (2020)" in html
    assert OLD_MAYOR not in html and "Sociologist" not in html and "2,500,000" not in html
    assert "Survey round <strong>2020</strong> (the latest)" in html
    assert 'href="/snapshot/medellin-2020"' in html
    assert '<a href="/city/medellin?round=2018">2018</a>' in html
    compare = re.search(r'<a href="(/queries/compare-rounds\?city=[^"]+)">compare the rounds</a>', html)
    assert compare is not None
    answer = client.get(compare.group(1).replace("&amp;", "&"), headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and OLD_MAYOR in answer.data.decode() and NEW_MAYOR in answer.data.decode()
    groups = dict(re.findall(r'<div class="level-group" data-level="(\w+)">(.*?)</div>', html, re.DOTALL))
    assert ">Education</a>" in groups["Sufficient"] and ">Education</a>" not in groups.get("Insufficient", "")


def test_city_page_shows_a_given_round(client: FlaskClient) -> None:
    html = page(client, "/city/medellin?round=2018")
    assert OLD_MAYOR in html and "2,500,000 (2017)" in html and "Sociologist" in html
    assert NEW_MAYOR not in html
    assert "Survey round <strong>2018</strong>:" in html
    assert '<a href="/city/medellin">2020</a> (latest)' in html
    assert 'href="/city/medellin?format=turtle&amp;round=2018"' in html
    without_format_links = lambda text: re.sub(r'href="/city/medellin\?format=[^"]*"', "", text)  # noqa: E731
    assert without_format_links(page(client, "/city/medellin?snapshot=medellin-2018")) == without_format_links(html)
    missing = client.get("/city/medellin?round=2019", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "its rounds: 2018, 2020" in missing.data.decode()
    assert client.get("/city/medellin?snapshot=lima-2020").status_code == 404


def test_a_city_of_one_round_says_so_without_links(client: FlaskClient) -> None:
    html = page(client, "/city/lima")
    assert "Survey round <strong>2020</strong> (the latest)" in html
    assert "Other rounds" not in html and "compare the rounds" not in html


def test_city_rdf_keeps_every_round_unless_one_is_asked_for(client: FlaskClient) -> None:
    everything = client.get("/city/medellin?format=ntriples").data.decode()
    mayor = f"<{MEDELLIN}> <https://w3id.org/citykg/ontology#hasMayor> "
    assert mayor + f"<{DEFAULT_BASE}person/medellin/federico-gutierrez>" in everything
    assert mayor + f"<{DEFAULT_BASE}person/medellin/daniel-quintero-calle>" in everything
    old = client.get("/city/medellin?format=ntriples&round=2018").data.decode()
    assert mayor + f"<{DEFAULT_BASE}person/medellin/federico-gutierrez>" in old
    assert "daniel-quintero-calle" not in old
    assert f"<{MEDELLIN}> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q48278>" in old


def test_openapi_documents_the_round_of_a_city_page(client: FlaskClient) -> None:
    parameters = client.get("/openapi.json").get_json()["paths"]["/city/{id}"]["get"]["parameters"]
    assert {p["name"] for p in parameters} >= {"id", "round", "snapshot"}

"""The ``citykg`` command line over a store built from seeds/.

The acceptance queries of issue 2 with answers checked by hand against the seed texts, output
formats that must parse back, exports that must round-trip, and user errors that must end in
one line and exit status 2.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Quad, RdfFormat, parse

from server.store.embedded import open_store
from tests.conftest import REPO

VOCAB = "https://w3id.org/citykg/vocab/"
QUERY_FILES = sorted((REPO / "queries").glob("*.rq"))


def select(run_cli, store: Path, query: str) -> list[dict[str, str]]:
    """Run a SELECT through ``citykg query --format json``; rows as {variable: value}."""
    result = run_cli("query", query, "--store", store, "--format", "json")
    assert result.code == 0, result.err
    bindings = json.loads(result.out)["results"]["bindings"]
    return [{name: cell["value"] for name, cell in row.items()} for row in bindings]


def names(rows: list[dict[str, str]]) -> set[str]:
    return {row["name"] for row in rows}


def store_quads(store: Path) -> list[Quad]:
    return list(open_store(store).quads_for_pattern(None, None, None, None))


def as_union(quads) -> list[Quad]:
    """The same statements in the default graph: what Turtle and JSON-LD exports carry."""
    return [Quad(q.subject, q.predicate, q.object) for q in quads]


# --- acceptance queries -------------------------------------------------------------------


def test_cities_employing_a_data_scientist(run_cli, seed_store: Path) -> None:
    query = f"SELECT ?name WHERE {{ ?c cik:employsRole <{VOCAB}role/data-scientist> ; rdfs:label ?name }}"
    assert names(select(run_cli, seed_store, query)) == {"Medellin", "Mexico City", "Lima"}


def test_cities_rating_transport_data_sufficient(run_cli, seed_store: Path) -> None:
    query = f"""SELECT ?name WHERE {{
        ?c rdfs:label ?name ; cik:dataSufficiency ?d .
        ?d cik:policyArea <{VOCAB}policy-area/transport-mobility> ; cik:sufficiencyLevel cik:Sufficient }}"""
    assert names(select(run_cli, seed_store, query)) == {"Medellin", "Mexico City", "Lima"}


def test_city_leaders_population_and_year(run_cli, seed_store: Path) -> None:
    rows = select(run_cli, seed_store, str(REPO / "queries" / "city-leaders.rq"))
    found = {
        row["name"]: (row["mayor"], set(row["officers"].split("; ")), row["population"], row["year"])
        for row in rows
    }
    assert found == {
        "Medellin": ("Federico Gutiérrez", {"Paula Zapata"}, "2500000", "2017"),
        "Mexico City": ("Claudia Sheinbaum Pardo", {"Antonio Peña Merino"}, "9209944", "2020"),
        "Saltillo": ("Manolo Jiménez Salinas", {"Javier Cesar Cardenas", "Ariel Dominguez"}, "709671", "2010"),
        "Lima": ("Jorge Muñoz Wells", {"Rubén Parra Williams"}, "9670000", "2020"),
        "Baltimore": ("Catherine Pugh", {"Dan Hymowitz"}, "611648", "2017"),
    }


def test_cities_funded_by_a_municipal_budget(run_cli, seed_store: Path) -> None:
    query = f"SELECT ?name WHERE {{ ?c cik:fundedBy <{VOCAB}funding-source/municipal-budget> ; rdfs:label ?name }}"
    assert names(select(run_cli, seed_store, query)) == {"Medellin", "Mexico City", "Saltillo", "Lima"}


def test_baltimore_has_no_innovation_activity(run_cli, seed_store: Path) -> None:
    exists = run_cli("query", 'ASK { ?c a cik:City ; rdfs:label "Baltimore" }', "--store", seed_store)
    activity = run_cli("query", 'ASK { ?c rdfs:label "Baltimore" ; cik:innovationActivity ?a }', "--store", seed_store)
    assert (exists.code, exists.out.strip()) == (0, "true")
    assert (activity.code, activity.out.strip()) == (0, "false")


# Canned queries whose answer over the seeds is empty by design (tests/server/sparql/test_canned.py checks them
# on a store that has free-text answers), or that need a parameter to answer at all.
EMPTY_ON_SEEDS = {"free-text-answers.rq", "find-cities.rq", "unreconciled-cities.rq"}


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_every_canned_query_runs_and_answers(run_cli, seed_store: Path, path: Path) -> None:
    """Run as a plain file, parameters unbound (optional ones then range over every value)."""
    if "SERVICE <https://query.wikidata.org/sparql>" in path.read_text(encoding="utf-8"):
        pytest.skip("federated: run against a local Wikidata in tests/server/sparql/test_federation.py")
    rows = select(run_cli, seed_store, str(path))
    assert bool(rows) is (path.name not in EMPTY_ON_SEEDS)


# --- query output formats -----------------------------------------------------------------


ROLES = "SELECT ?name ?role WHERE { ?c rdfs:label ?name ; cik:employsRole ?role } ORDER BY ?name ?role"


def test_csv_output_parses(run_cli, seed_store: Path) -> None:
    result = run_cli("query", ROLES, "--store", seed_store, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.code == 0
    assert {row["name"] for row in rows if row["role"] == f"{VOCAB}role/data-scientist"} == {"Medellin", "Mexico City", "Lima"}


def test_table_output_prefixes_iris_and_counts_rows(run_cli, seed_store: Path) -> None:
    result = run_cli("query", ROLES, "--store", seed_store)
    expected_rows = len(select(run_cli, seed_store, ROLES))
    assert result.code == 0
    assert "role:data-scientist" in result.out and f"{VOCAB}role/" not in result.out
    assert result.out.rstrip().endswith(f"{expected_rows} rows")


def test_construct_prints_turtle(run_cli, seed_store: Path) -> None:
    query = "CONSTRUCT { ?c rdfs:label ?name } WHERE { ?c a cik:City ; rdfs:label ?name }"
    result = run_cli("query", query, "--store", seed_store)
    triples = list(parse(result.out.encode(), format=RdfFormat.TURTLE))
    assert result.code == 0 and "@prefix city:" in result.out
    assert {t.object.value for t in triples} == {"Medellin", "Mexico City", "Saltillo", "Lima", "Baltimore"}


def test_query_from_a_file(run_cli, seed_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "lima.rq"
    path.write_text('SELECT ?name WHERE { ?c rdfs:label ?name FILTER(?name = "Lima") }', encoding="utf-8")
    assert names(select(run_cli, seed_store, str(path))) == {"Lima"}


# --- query errors -------------------------------------------------------------------------


def test_syntax_error_shows_the_position_and_exits_2(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "SELECT ?x WHERE { ?x ?y }", "--store", seed_store)
    assert result.code == 2
    assert "syntax error" in result.err and "at 1:" in result.err and "^" in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_update_is_refused(run_cli, seed_store: Path, canonical) -> None:
    before = canonical(store_quads(seed_store))
    query = "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }"
    result = run_cli("query", query, "--store", seed_store)
    assert result.code == 2 and "UPDATE is refused" in result.err
    assert canonical(store_quads(seed_store)) == before


# --- export -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_export_with_graphs_round_trips_to_the_store_quads(run_cli, seed_store: Path, canonical, fmt: str) -> None:
    result = run_cli("export", "--format", fmt, "--store", seed_store)
    rdf_format = {"trig": RdfFormat.TRIG, "nquads": RdfFormat.N_QUADS}[fmt]
    assert result.code == 0
    assert canonical(parse(result.out.encode(), format=rdf_format)) == canonical(store_quads(seed_store))


@pytest.mark.parametrize("fmt", ["turtle", "jsonld"])
def test_export_of_the_union_holds_every_triple(run_cli, seed_store: Path, canonical, fmt: str) -> None:
    result = run_cli("export", "--format", fmt, "--store", seed_store)
    rdf_format = {"turtle": RdfFormat.TURTLE, "jsonld": RdfFormat.JSON_LD}[fmt]
    assert result.code == 0
    assert canonical(parse(result.out.encode(), format=rdf_format)) == canonical(as_union(store_quads(seed_store)))


def test_turtle_and_jsonld_exports_use_readable_prefixes(run_cli, seed_store: Path) -> None:
    turtle = run_cli("export", "--store", seed_store).out
    jsonld = json.loads(run_cli("export", "--format", "jsonld", "--store", seed_store).out)
    for prefix in ("cik", "schema", "skos", "owl", "rdfs", "xsd", "dct", "city"):
        assert f"@prefix {prefix}: <" in turtle
        assert prefix in jsonld["@context"]
    assert "city:medellin" in turtle and "city:medellin" in json.dumps(jsonld)


def test_export_to_a_file(run_cli, seed_store: Path, tmp_path: Path, canonical) -> None:
    out = tmp_path / "citykg.trig"
    result = run_cli("export", "--format", "trig", "-o", out, "--store", seed_store)
    assert (result.code, result.out) == (0, "")
    assert canonical(parse(path=str(out), format=RdfFormat.TRIG)) == canonical(store_quads(seed_store))


# --- validate -----------------------------------------------------------------------------


def test_seed_store_conforms_to_the_shapes(run_cli, seed_store: Path) -> None:
    result = run_cli("validate", "--store", seed_store)
    assert (result.code, result.out.strip().splitlines()[-1]) == (0, "conforms")


def test_validate_prints_each_violation(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import server.store.reading as reading_module
    from pyoxigraph import Literal, NamedNode, Quad

    from mapper.rdf import cik
    from server.store.build import build_store

    original = reading_module.snapshot_quads

    def with_second_label(snapshot, base, graph_id, **fetched):  # a city with two names breaks CityShape
        quads = original(snapshot, base=base, graph_id=graph_id, **fetched)
        city = next(q.subject for q in quads if q.object == cik("City"))
        label = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
        return [*quads, Quad(city, label, Literal("Second name"), quads[0].graph_name)]

    monkeypatch.setattr(reading_module, "snapshot_quads", with_second_label)  # before the readers fork
    seeds = [REPO / "seeds" / name for name in ("000_25ed298be2eb3bc2.txt", "003_b8b18154ea468ef5.txt")]
    build_store(seeds, tmp_path / "store")
    result = run_cli("validate", "--store", tmp_path / "store")
    assert result.code == 1
    for city, graph in (("lima", "lima-2020"), ("medellin", "medellin-2018")):
        line = f"Violation: city:{city} rdfs:label: a city has exactly one rdfs:label (its name, a plain string) (in snapshot:{graph})"
        assert line in result.out.splitlines()
    assert result.out.splitlines()[-1] == "2 violations: does not conform"


# --- errors a user can cause: one line, exit status 2 ----------------------------------------


def _fill(arg: str, values: dict[str, Path]) -> str:
    for placeholder, value in values.items():
        arg = arg.replace(placeholder, str(value))
    return arg


def _undecodable(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.rq"
    path.write_bytes("SELECT * WHERE { ?s ?p \"é\" }".encode("latin-1"))
    return path


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["build", "{tmp}/no-such-dir", "--store", "{tmp}/store"], "no-such-dir"),
        (["build", "--base-iri", "not an iri", "--store", "{tmp}/store"], "--base-iri"),
        (["build", "--report", "{tmp}/missing/report.json", "--store", "{tmp}/store"], "--report"),
        (["query", "ASK {}", "--store", "{tmp}/never-built"], "run `citykg build` first"),
        (["query", "{tmp}/missing.rq", "--store", "{store}"], "missing.rq"),
        (["query", "{undecodable}", "--store", "{store}"], "latin1.rq"),
        (["query", "ASK {}", "--store", "{store}", "--format", "xml"], "--format"),
        (["export", "--format", "rdfxml", "--store", "{store}"], "--format"),
        (["export", "-o", "{tmp}/missing/out.ttl", "--store", "{store}"], "missing"),
        (["validate", "--store", "{tmp}/never-built"], "never-built"),
    ],
)
def test_user_errors_name_the_culprit_and_exit_2(run_cli, seed_store, tmp_path, argv, named) -> None:
    values = {"{tmp}": tmp_path, "{store}": seed_store, "{undecodable}": _undecodable(tmp_path)}
    result = run_cli(*(_fill(arg, values) for arg in argv))
    assert result.code == 2
    assert named in result.err and "Traceback" not in result.err


def test_a_real_process_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """A real process, so the exit status is what a shell sees."""
    done = subprocess.run(
        [sys.executable, "-m", "server", "query", "ASK {}", "--store", str(tmp_path / "none")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"citykg: error: no store at {tmp_path / 'none'}: run `citykg build` first"]

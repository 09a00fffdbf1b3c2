"""``citykg query NAME --param k=v`` and ``citykg queries`` over the seed store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from server.sparql.canned import load_queries
from tests.conftest import REPO

QUERIES = load_queries()


def rows_of(result) -> list[dict]:
    assert result.code == 0, result.err
    return json.loads(result.out)["rows"]


def test_canned_query_by_name_with_params(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "cities-by-role", "--param", "role=designer", "--store", seed_store, "--format", "json")
    assert [row["name"] for row in rows_of(result)] == ["Medellin", "Mexico City", "Saltillo"]
    assert json.loads(result.out)["parameters"] == {"role": "https://w3id.org/citykg/vocab/role/designer"}


def test_defaults_apply_without_params(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "cities-by-role", "--store", seed_store, "--format", "json")
    assert [row["name"] for row in rows_of(result)] == ["Lima", "Medellin", "Mexico City"]


def test_several_params_and_csv(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "data-sufficiency", "--param", "city=city:lima", "--param", "level=NoResponse",
                     "--store", seed_store, "--format", "csv")
    assert result.code == 0, result.err
    assert list(csv.reader(io.StringIO(result.out))) == [["name", "area", "areaLabel", "levelLabel"]]


def test_table_output_shows_the_bound_values(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "peer-cities", "--param", "city=medellin", "--store", seed_store)
    assert result.code == 0, result.err
    assert "peer-cities (city=city:medellin)" in result.out
    assert "Saltillo" in result.out and "0.4375" in result.out and "4 rows" in result.out


def test_a_file_with_params_is_read_as_a_canned_query(run_cli, seed_store: Path) -> None:
    path = REPO / "queries" / "cities-by-role.rq"
    result = run_cli("query", path, "--param", "role=sociologist", "--store", seed_store, "--format", "json")
    assert [row["name"] for row in rows_of(result)] == ["Medellin"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["city-profile"], "missing required parameter 'city'"),
        (["cities-by-role", "--param", "role=pilot"], "parameter 'role': 'pilot' is not one of the 7 allowed values"),
        (["cities-by-role", "--param", "role=x> } ; DROP ALL"], "parameter 'role'"),
        (["cities-by-role", "--param", "rol=designer"], "unknown parameter 'rol'"),
        (["cities-by-role", "--param", "role"], "--param 'role': expected NAME=VALUE"),
        (["cities-by-role", "--param", "role=designer", "--param", "role=engineer"], "--param role: given more than once"),
        (["team-size-vs-population", "--param", "min_population=big"], "parameter 'min_population': 'big' is not an integer"),
        (["SELECT * WHERE { ?s ?p ?o }", "--param", "x=1"], "is not a canned query"),
    ],
)
def test_parameter_errors_exit_2_naming_the_parameter(run_cli, seed_store: Path, args: list[str], message: str) -> None:
    result = run_cli("query", *args, "--store", seed_store)
    assert result.code == 2
    assert result.err.startswith("citykg: error: ") and message in result.err
    assert result.err.count("\n") == 1  # one line
    assert result.out == ""


def test_plain_sparql_still_works(run_cli, seed_store: Path) -> None:
    result = run_cli("query", "ASK { ?c cik:employsRole role:designer }", "--store", seed_store)
    assert (result.code, result.out.strip()) == (0, "true")


def test_queries_lists_every_canned_query(run_cli) -> None:
    result = run_cli("queries")
    assert result.code == 0
    for name in QUERIES:
        assert name in result.out


def test_queries_name_shows_parameters_and_example(run_cli) -> None:
    result = run_cli("queries", "compare-cities")
    assert result.code == 0
    assert "--param city_a (iri, required)" in result.out
    assert "citykg query compare-cities --param city_a=medellin --param city_b=lima" in result.out
    missing = run_cli("queries", "nope")
    assert missing.code == 2 and "no canned query 'nope'" in missing.err

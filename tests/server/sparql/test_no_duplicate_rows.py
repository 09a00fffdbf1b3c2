"""No listing shows a row twice (issue 11): every canned query, the home page's cities, and the
resource pages' lookups, over a store where duplicates would show.

Duplicates come from the union default graph (Oxigraph gives a triple once per graph holding
it: a city's label is in each of its snapshot graphs) and from a value with two labels (a
country's skos:prefLabel and rdfs:label). The store holds the seeds, the hand-written pages of
tests/pages, a second survey round of Medellin (two graphs about one city) and the 34 fixture
pages (tests/mapper/fixtures/pages, copied from ../shared/fixtures).

Every canned query runs with its example, and again with every allowed value of each
enumerated parameter; the federated ones (SERVICE) are left to test_federation.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mapper.rdf import DEFAULT_BASE
from server.sparql.canned import CannedQuery, Context, bind, load_context, load_queries, request_for
from server.sparql.execute import execute
from server.sparql.request import QueryRequest
from server.store.build import build_store
from server.store.embedded import open_store
from server.store.prefixes import store_prefixes
from server.web.views import resources, standing
from tests.conftest import REPO, SEEDS
from tests.server.web.test_rounds import medellin_2020

FIXTURE_PAGES = REPO / "tests" / "mapper" / "fixtures" / "pages"
QUERIES = {name: q for name, q in load_queries().items() if "SERVICE" not in q.text.upper()}


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("listing-docs")
    seed = (SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
    (docs / "medellin-2020.txt").write_text(medellin_2020(seed), encoding="utf-8")
    store = tmp_path_factory.mktemp("listing-store") / "store"
    report = build_store([SEEDS, REPO / "tests" / "pages", docs, FIXTURE_PAGES], store)
    assert report.written and report.totals.read >= 40, report.reason_not_written
    return store


@pytest.fixture(scope="module")
def run(store_dir: Path):
    store = open_store(store_dir)
    prefixes = store_prefixes(store)
    return lambda request: execute(store, request, prefixes=prefixes)


@pytest.fixture(scope="module")
def context(run) -> Context:
    return load_context(run, QUERIES.values(), DEFAULT_BASE)


def rows_of(body: bytes) -> list[str]:
    return [json.dumps(binding, sort_keys=True) for binding in json.loads(body)["results"]["bindings"]]


def repeated(rows: list[str]) -> dict[str, int]:
    return {row: count for row, count in Counter(rows).items() if count > 1}


def parameter_sets(query: CannedQuery, context: Context) -> list[dict[str, str]]:
    """The example, then each allowed value of each enumerated parameter in turn."""
    sets = [dict(query.example)]
    for parameter in query.parameters:
        for choice in context.allowed(parameter) or []:
            sets.append({**query.example, parameter.name: choice.value})
    return sets


def test_the_store_has_the_duplicates_to_avoid(run) -> None:
    """The trap is real: without DISTINCT, a city's label comes once per graph holding it."""
    query = "SELECT ?name WHERE { <https://w3id.org/citykg/city/medellin> rdfs:label ?name }"
    assert len(rows_of(run(QueryRequest(query)).body)) == 2  # medellin-2018 and medellin-2020


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_no_canned_query_returns_a_row_twice(name: str, run, context: Context) -> None:
    query = QUERIES[name]
    checked = 0
    for params in parameter_sets(query, context):
        body = run(request_for(query, bind(query, params, context))).body
        rows = rows_of(body)
        assert not repeated(rows), (name, params, repeated(rows))
        checked += len(rows)
    if name not in ("free-text-answers", "unreconciled-cities"):  # may rightly be empty
        assert checked, f"{name} returned no row at all: the check would be empty"


def listing(run, query: str, substitutions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return json.loads(run(QueryRequest(query, substitutions=substitutions or {})).body)["results"]["bindings"]


def test_the_home_page_lists_each_city_once_with_one_country(run) -> None:
    rows = listing(run, standing.CITIES)  # the cities of the home page, its map and the rankings
    cities = [row["city"]["value"] for row in rows]
    assert len(cities) == len(set(cities)) >= 40  # 5 seeds, 3 pages, the fixtures; Medellin in two rounds
    by_city = {row["city"]["value"]: row for row in rows}
    medellin = by_city[DEFAULT_BASE + "city/medellin"]
    assert (medellin["name"]["value"], medellin["countryName"]["value"]) == ("Medellin", "Colombia")


def test_the_resource_lookups_list_each_row_once(run) -> None:
    medellin = f"<{DEFAULT_BASE}city/medellin>"
    for query, substitutions in ((resources.SNAPSHOTS_OF, {"r": medellin}),
                                 (resources.USERS, {"r": f"<{DEFAULT_BASE}vocab/role/data-scientist>"}),
                                 (resources.REPLACED_BY, {"old": f"<{DEFAULT_BASE}person/federico-gutierrez>"})):
        rows = [json.dumps(row, sort_keys=True) for row in listing(run, query, substitutions)]
        assert rows and not repeated(rows), query

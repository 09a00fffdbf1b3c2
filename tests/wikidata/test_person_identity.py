"""Person identity (issue 11): IRIs scoped by city, so namesakes of two cities stay two people,
one person per city across survey rounds, and the pre-issue-11 IRI kept as dct:replaces so the
web layer can redirect it.

The store holds seed 000 (Medellin, 2018 round, lead officer Paula Zapata), the same page as the
2020 round prints it, and a copy of the page for Envigado (another Colombian city) that names
the same officer: three snapshots, two cities, one name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Store

from mapper import read_snapshot
from mapper.rdf import DCT, DEFAULT_BASE, legacy_person_iri, person_iri, snapshot_quads
from server.store.build import build_store
from server.store.embedded import open_store
from tests.conftest import SEEDS

MEDELLIN_TEXT = (SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
SCHEMA_NAME = NamedNode("http://schema.org/name")
REPLACES = NamedNode(DCT + "replaces")
OFFICER = NamedNode("https://w3id.org/citykg/ontology#hasLeadInnovationOfficer")
PAULA_MEDELLIN = NamedNode(DEFAULT_BASE + "person/medellin/paula-zapata")
PAULA_ENVIGADO = NamedNode(DEFAULT_BASE + "person/envigado/paula-zapata")
PAULA_BEFORE = NamedNode(DEFAULT_BASE + "person/paula-zapata")  # the one IRI both had before


def round_2020(text: str) -> str:
    note = next(line for line in text.splitlines() if line.startswith("Note: The City Innovation Snapshot"))
    return text.replace(note, "Medellin took part in the 2020 survey of innovation capacity.")


def envigado(text: str) -> str:
    return text.replace("Medellín", "Envigado").replace("Medellin", "Envigado")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    docs = tmp_path_factory.mktemp("namesake-docs")
    (docs / "medellin-2018.txt").write_text(MEDELLIN_TEXT, encoding="utf-8")
    (docs / "medellin-2020.txt").write_text(round_2020(MEDELLIN_TEXT), encoding="utf-8")
    (docs / "envigado.txt").write_text(envigado(MEDELLIN_TEXT), encoding="utf-8")
    store_dir = tmp_path_factory.mktemp("namesake-store") / "store"
    report = build_store([docs], store_dir)
    assert report.written, report.reason_not_written
    assert sorted(doc.graph_id for doc in report.documents) == ["envigado-2018", "medellin-2018", "medellin-2020"]
    return open_store(store_dir)


def select(store: Store, query: str) -> list[tuple[str, ...]]:
    rows = store.query(query, use_default_graph_as_union=True)
    return sorted(tuple(term.value for term in row) for row in rows)


def test_a_person_iri_is_scoped_by_the_city() -> None:
    assert person_iri("medellin", "Paula Zapata") == PAULA_MEDELLIN.value
    assert person_iri("envigado", "Paula Zapata") == PAULA_ENVIGADO.value
    assert person_iri("medellin", "Federico Gutiérrez", "http://example.org/kg/") == "http://example.org/kg/person/medellin/federico-gutierrez"
    assert legacy_person_iri("Paula Zapata") == PAULA_BEFORE.value


def test_the_mapper_names_the_officer_of_the_city_and_records_the_old_iri() -> None:
    quads = snapshot_quads(read_snapshot(MEDELLIN_TEXT, "000.txt"))
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert (NamedNode(DEFAULT_BASE + "city/medellin"), OFFICER, PAULA_MEDELLIN) in triples
    assert (PAULA_MEDELLIN, REPLACES, PAULA_BEFORE) in triples
    assert not any(PAULA_BEFORE in (q.subject, q.object) and q.predicate != REPLACES for q in quads)


def test_namesakes_of_two_cities_stay_two_people(store: Store) -> None:
    officers = select(store, """
        PREFIX cik: <https://w3id.org/citykg/ontology#>
        PREFIX schema: <http://schema.org/>
        SELECT DISTINCT ?city ?person WHERE { ?city cik:hasLeadInnovationOfficer ?person . ?person schema:name "Paula Zapata" }""")
    assert officers == [
        (DEFAULT_BASE + "city/envigado", PAULA_ENVIGADO.value),
        (DEFAULT_BASE + "city/medellin", PAULA_MEDELLIN.value),
    ]


def test_one_person_per_city_across_rounds(store: Store) -> None:
    graphs = select(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?city <{OFFICER.value}> <{PAULA_MEDELLIN.value}> }} }}")
    assert graphs == [(DEFAULT_BASE + "snapshot/medellin-2018",), (DEFAULT_BASE + "snapshot/medellin-2020",)]
    names = {q.object.value for q in store.quads_for_pattern(PAULA_MEDELLIN, SCHEMA_NAME, None, None)}
    assert names == {"Paula Zapata"}


def test_the_old_iri_maps_to_the_people_it_stood_for(store: Store) -> None:
    """What a redirect of /person/paula-zapata reads: two people now, so a choice, not a redirect;
    a name only one city prints maps to one person."""
    assert select(store, f"SELECT DISTINCT ?person WHERE {{ ?person <{REPLACES.value}> <{PAULA_BEFORE.value}> }}") == [
        (PAULA_ENVIGADO.value,), (PAULA_MEDELLIN.value,)]
    mayor_before = legacy_person_iri("Federico Gutiérrez")
    assert select(store, f"SELECT DISTINCT ?person WHERE {{ ?person <{REPLACES.value}> <{mayor_before}> }}") == [
        (DEFAULT_BASE + "person/envigado/federico-gutierrez",), (DEFAULT_BASE + "person/medellin/federico-gutierrez",)]


def test_the_old_iri_describes_nothing_by_itself(store: Store) -> None:
    """The old IRI is only ever the object of dct:replaces: no type, no name, no city links it."""
    assert not list(store.quads_for_pattern(PAULA_BEFORE, None, None, None))
    assert {q.predicate for q in store.quads_for_pattern(None, None, PAULA_BEFORE, None)} == {REPLACES}


def test_person_iris_follow_the_base_iri(tmp_path: Path) -> None:
    """The scoped IRIs follow a configured base IRI, the old one too."""
    base = "http://example.org/kg/"
    (tmp_path / "medellin.txt").write_text(MEDELLIN_TEXT, encoding="utf-8")
    assert build_store([tmp_path / "medellin.txt"], tmp_path / "store", base).written
    store = open_store(tmp_path / "store")
    assert list(store.quads_for_pattern(NamedNode(base + "person/medellin/paula-zapata"), REPLACES,
                                        NamedNode(base + "person/paula-zapata"), None))

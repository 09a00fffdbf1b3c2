"""Snapshot -> quads: the contract's IRIs and properties, provenance, determinism, base IRI."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper import read_snapshot
from mapper.rdf import snapshot_quads, vocabulary_quads

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
B = "https://w3id.org/citykg/"
CIK = B + "ontology#"


@pytest.fixture(scope="module")
def medellin():
    path = SEEDS / "000_25ed298be2eb3bc2.txt"
    return read_snapshot(path.read_text(encoding="utf-8"), path.name)


def triples(quads):
    return {(q.subject.value, q.predicate.value, q.object.value) for q in quads}


def test_every_quad_is_in_the_snapshot_graph(medellin):
    assert {q.graph_name.value for q in snapshot_quads(medellin)} == {B + "snapshot/medellin-2018"}


def test_contract_triples(medellin):
    t = triples(snapshot_quads(medellin))
    city = B + "city/medellin"
    assert (city, CIK + "hasMayor", B + "person/medellin/federico-gutierrez") in t
    assert (B + "person/medellin/federico-gutierrez", "http://schema.org/name", "Federico Gutiérrez") in t
    assert (city, CIK + "hasLeadInnovationOfficer", B + "person/medellin/paula-zapata") in t
    assert (city, CIK + "population", "2500000") in t
    assert (city, CIK + "populationYear", "2017") in t
    assert (city, CIK + "country", B + "country/colombia") in t
    assert (city, CIK + "employsRole", B + "vocab/role/data-scientist") in t
    assert (city, CIK + "teamSizeMoreThan", "100") in t
    node = city + "/data/transport-mobility"
    assert (city, CIK + "dataSufficiency", node) in t
    assert (node, CIK + "policyArea", B + "vocab/policy-area/transport-mobility") in t
    assert (node, CIK + "sufficiencyLevel", CIK + "Sufficient") in t
    assert (city, CIK + "approach", B + "vocab/approach/both") in t


def test_provenance_of_the_snapshot_graph(medellin):
    t = triples(snapshot_quads(medellin))
    graph = B + "snapshot/medellin-2018"
    assert (graph, "http://purl.org/dc/terms/source", "000_25ed298be2eb3bc2.txt") in t
    assert (graph, CIK + "rendering", B + "vocab/rendering/labelled-web-page") in t
    assert (graph, CIK + "surveyRound", "2018") in t
    assert (graph, CIK + "truncated", "false") in t
    assert (graph, "http://purl.org/dc/terms/subject", B + "city/medellin") in t


def test_same_input_same_quads(medellin):
    again = read_snapshot((SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8"), medellin.source)
    assert snapshot_quads(again) == snapshot_quads(medellin)


def test_another_base_iri_moves_data_and_vocabulary_but_not_the_ontology(medellin):
    base = "http://localhost:8000/"
    t = triples(snapshot_quads(medellin, base=base))
    assert (base + "city/medellin", CIK + "employsRole", base + "vocab/role/data-scientist") in t
    assert not any(B + "city/" in s or B + "vocab/" in o for s, _, o in t)
    vocab = triples(vocabulary_quads(base=base))
    assert (base + "vocab/role/data-scientist", "http://www.w3.org/2004/02/skos/core#inScheme",
            base + "vocab/role") in vocab

"""JSON-LD export nests what belongs to one node and keeps the triples exactly."""

from __future__ import annotations

import json

from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Triple,
    parse,
)

from server.sparql.jsonld import triples_as_context_jsonld

B = "https://w3id.org/citykg/"
CIK = B + "ontology#"
SCHEMA = "http://schema.org/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def person(slug: str, name: str) -> list[Triple]:
    node = NamedNode(f"{B}person/{slug}")
    return [Triple(node, RDF_TYPE, NamedNode(SCHEMA + "Person")), Triple(node, NamedNode(SCHEMA + "name"), Literal(name))]


def city(slug: str) -> NamedNode:
    return NamedNode(f"{B}city/{slug}")


def canonical(quads) -> set:
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def roundtrip(triples: list[Triple]) -> tuple[dict, bool]:
    """The JSON-LD document, and whether it parses back to exactly ``triples``."""
    body = triples_as_context_jsonld(triples, {"city": B + "city/", "person": B + "person/"})
    back = canonical(parse(body, format=RdfFormat.JSON_LD))
    expected = canonical(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    return json.loads(body), back == expected


def test_a_person_two_cities_name_stays_at_the_top_level():
    triples = person("jane-doe", "Jane Doe") + person("john-roe", "John Roe") + [
        Triple(city("a"), NamedNode(CIK + "hasMayor"), NamedNode(B + "person/jane-doe")),
        Triple(city("b"), NamedNode(CIK + "hasLeadInnovationOfficer"), NamedNode(B + "person/jane-doe")),
        Triple(city("b"), NamedNode(CIK + "hasMayor"), NamedNode(B + "person/john-roe")),
    ]
    document, same = roundtrip(triples)
    nodes = {node["id"]: node for node in document["@graph"]}
    assert same
    assert nodes["city:a"]["hasMayor"] == "person:jane-doe" and "person:jane-doe" in nodes
    assert nodes["city:b"]["hasMayor"]["name"] == "John Roe" and "person:john-roe" not in nodes


def test_blank_nodes_referencing_each_other_are_not_lost():
    first, second = BlankNode("x1"), BlankNode("x2")
    link = NamedNode(CIK + "next")
    triples = [Triple(first, link, second), Triple(second, link, first)]
    document, same = roundtrip(triples)
    assert same and len(document["@graph"]) >= 1

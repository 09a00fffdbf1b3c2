"""Snapshot models to RDF quads under the citykg ontology (DESIGN.md, "The ontology contract").

Every snapshot's triples go into its own named graph, which also describes itself (source
file, content hash, rendering, survey round, sections found and missing), so a query can
always say where a fact came from. IRIs are derived from printed names only, and no clock
or counter is read: the same document always gives the same quads.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from mapper.model import Item, Person, Snapshot
from mapper.text import slugify
from mapper.vocab import ONTOLOGY_DIR, VOCAB_BASE, Vocabulary, default_vocabulary

DEFAULT_BASE = VOCAB_BASE
ONTOLOGY_IRI = "https://w3id.org/citykg/ontology"
CIK = ONTOLOGY_IRI + "#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Model list field -> (scheme, property) for the concept-valued facts.
CONCEPT_LISTS: list[tuple[str, str, str]] = [
    ("outcomes", "outcome", "innovationOutcome"),
    ("success_factors", "success-factor", "criticalSuccessFactor"),
    ("policy_areas", "policy-area", "focusesOn"),
    ("roles", "role", "employsRole"),
    ("team_structures", "team-structure", "teamStructure"),
    ("terms", "term", "associatesInnovationWith"),
    ("activities", "activity", "innovationActivity"),
    ("funding_sources", "funding-source", "fundedBy"),
    ("funded_activities", "funded-activity", "fundsActivity"),
    ("partners", "partner", "partnersWith"),
    ("data_partners", "partner", "hasDataPartner"),
]


@lru_cache(maxsize=None)
def cik(name: str) -> NamedNode:
    return NamedNode(CIK + name)


@lru_cache(maxsize=None)
def _term(iri: str) -> NamedNode:
    """A term of a fixed vocabulary (RDFS, SKOS, schema.org...), made once per process."""
    return NamedNode(iri)


def rebase(iri: str, base: str) -> str:
    """The IRI under data base ``base``; ontology terms keep their w3id IRIs."""
    if base == DEFAULT_BASE or iri.startswith(ONTOLOGY_IRI) or not iri.startswith(DEFAULT_BASE):
        return iri
    return base + iri[len(DEFAULT_BASE) :]


def snapshot_id(snapshot: Snapshot) -> str:
    """Readable, stable id of a snapshot: ``medellin-2018`` (``-undated`` when no round)."""
    round_ = snapshot.survey_round.value if snapshot.survey_round else "undated"
    return f"{city_id(snapshot)}-{round_}"


def city_id(snapshot: Snapshot) -> str:
    return slugify(snapshot.city.value)


def person_iri(city: str, name: str, base: str = DEFAULT_BASE) -> str:
    """``{base}person/{city id}/{name slug}``: a person is scoped by the city that names them,
    so namesakes of two cities stay two people, while every round of one city (its snapshots
    share the city id) names the same person."""
    return f"{base}person/{city}/{slugify(name)}"


def legacy_person_iri(name: str, base: str = DEFAULT_BASE) -> str:
    """The IRI persons had before they were scoped by city, ``{base}person/{name slug}``.

    Each person records it as ``dct:replaces``, so the web layer can redirect an old IRI:
    ``SELECT ?person { ?person dct:replaces <old> }`` gives one person (redirect) or, when
    namesakes of several cities shared the old IRI, several (a choice)."""
    return f"{base}person/{slugify(name)}"


class _Graph:
    """Collects the quads of one named graph, in insertion order, without repeats."""

    def __init__(self, graph: NamedNode) -> None:
        self.graph = graph
        self.quads: dict[Quad, None] = {}

    def add(self, subject: NamedNode, predicate: NamedNode, obj) -> None:
        self.quads[Quad(subject, predicate, obj, self.graph)] = None


def snapshot_quads(
    snapshot: Snapshot,
    base: str = DEFAULT_BASE,
    graph_id: str | None = None,
    vocab: Vocabulary | None = None,
    *,
    derived_from: str | None = None,
    modified: str | None = None,
) -> list[Quad]:
    """All quads of one snapshot, in the named graph ``{base}snapshot/{graph_id or snapshot_id}``.

    ``derived_from`` (the page URL a document was downloaded from) and ``modified`` (its
    retrieval time, ISO 8601) are recorded on the graph as ``prov:wasDerivedFrom`` and
    ``dct:modified`` when given; they come from the fetch manifest, never from a clock.
    """
    vocab = vocab or default_vocabulary()
    out = _Graph(NamedNode(f"{base}snapshot/{graph_id or snapshot_id(snapshot)}"))
    city = NamedNode(f"{base}city/{city_id(snapshot)}")
    _provenance(out, snapshot, city, base)
    if derived_from:
        out.add(out.graph, _term(PROV + "wasDerivedFrom"), NamedNode(derived_from))
    if modified:
        out.add(out.graph, _term(DCT + "modified"), Literal(modified, datatype=_term(XSD + "dateTime")))
    _city(out, snapshot, city, base, vocab)
    for field, scheme, prop in CONCEPT_LISTS:
        for item in getattr(snapshot, field):
            out.add(city, cik(prop), _concept(out, scheme, item, base, vocab))
    _policy_notes(out, snapshot, city, base, vocab)
    _data_ratings(out, snapshot, city, base, vocab)
    return list(out.quads)


def _provenance(out: _Graph, snapshot: Snapshot, city: NamedNode, base: str) -> None:
    g = out.graph
    out.add(g, RDF_TYPE, cik("Snapshot"))
    out.add(g, RDF_TYPE, _term(PROV + "Entity"))
    out.add(g, _term(DCT + "subject"), city)
    out.add(g, _term(DCT + "source"), Literal(snapshot.source))
    if snapshot.source_sha256:
        out.add(g, cik("sourceSha256"), Literal(snapshot.source_sha256))
    out.add(g, cik("rendering"), NamedNode(f"{base}vocab/rendering/{snapshot.rendering.value}"))
    if snapshot.survey_round:
        out.add(g, cik("surveyRound"), Literal(str(snapshot.survey_round.value), datatype=_term(XSD + "gYear")))
    out.add(g, cik("truncated"), Literal(snapshot.truncated))
    for section in snapshot.sections_found:
        out.add(g, cik("sectionFound"), Literal(section.value))
    for section in snapshot.sections_missing:
        out.add(g, cik("sectionMissing"), Literal(section.value))
    for warning in snapshot.warnings:
        out.add(g, cik("warning"), Literal(warning))


def _city(out: _Graph, snapshot: Snapshot, city: NamedNode, base: str, vocab: Vocabulary) -> None:
    out.add(city, RDF_TYPE, cik("City"))
    out.add(city, _term(RDFS + "label"), Literal(snapshot.city.value))
    if snapshot.region:
        out.add(city, cik("region"), Literal(snapshot.region.value))
    if snapshot.country:
        out.add(city, cik("country"), _country(out, snapshot.country.value, base, vocab))
    if snapshot.mayor:
        out.add(city, cik("hasMayor"), _person(out, snapshot.mayor, city_id(snapshot), base))
    for officer in snapshot.lead_officers:
        out.add(city, cik("hasLeadInnovationOfficer"), _person(out, officer, city_id(snapshot), base))
    if snapshot.population:
        out.add(city, cik("population"), Literal(snapshot.population.count))
        if snapshot.population.year:
            year = Literal(str(snapshot.population.year), datatype=_term(XSD + "gYear"))
            out.add(city, cik("populationYear"), year)
    for name, value in _city_values(snapshot):
        out.add(city, cik(name), Literal(value))
    if snapshot.approach:
        out.add(city, cik("approach"), NamedNode(f"{base}vocab/approach/{snapshot.approach.value.value}"))
    if snapshot.spotlight:
        out.add(city, cik("spotlight"), Literal(snapshot.spotlight.value, language="en"))


def _city_values(snapshot: Snapshot) -> Iterator[tuple[str, object]]:
    """The literal-valued facts that are stated (None means the page does not say)."""
    size = snapshot.team_size
    pairs = [
        ("hasInnovationStrategy", snapshot.has_strategy),
        ("prioritisesPolicyAreas", snapshot.prioritises_policy_areas),
        ("statedRoleCount", snapshot.stated_role_count),
        ("hasDedicatedFunding", snapshot.has_dedicated_funding),
        ("partnershipsInternalOnly", snapshot.partnerships_internal_only),
    ]
    for name, sourced in pairs:
        if sourced is not None:
            yield name, sourced.value
    if size is not None:
        # a lower bound ("more than 40", the low end of "3-5") is not the exact staff
        yield ("teamSize" if size.exact else "teamSizeMoreThan"), size.count


def _person(out: _Graph, person: Person, city: str, base: str) -> NamedNode:
    node = NamedNode(person_iri(city, person.name, base))
    out.add(node, RDF_TYPE, _term(SCHEMA + "Person"))
    out.add(node, _term(SCHEMA + "name"), Literal(person.name))
    out.add(node, _term(DCT + "replaces"), NamedNode(legacy_person_iri(person.name, base)))
    return node


def _country(out: _Graph, name: str, base: str, vocab: Vocabulary) -> NamedNode:
    concept = vocab.lookup("country", name)
    if concept:
        return NamedNode(rebase(concept.iri, base))
    node = NamedNode(f"{base}country/{slugify(name)}")
    out.add(node, RDF_TYPE, cik("Country"))
    out.add(node, _term(RDFS + "label"), Literal(name))
    out.add(node, cik("freeText"), Literal(True))
    return node


def concept_iri(scheme: str, item: Item, base: str, vocab: Vocabulary) -> tuple[str, bool]:
    """(IRI, is free text) of the concept an answer names."""
    concept = vocab.lookup(scheme, item.text)
    if concept:
        return rebase(concept.iri, base), False
    return f"{base}vocab/{scheme}/{slugify(item.text)}", True


def _concept(out: _Graph, scheme: str, item: Item, base: str, vocab: Vocabulary) -> NamedNode:
    """The concept an answer names; an answer no concept covers becomes a free-text concept."""
    iri, free = concept_iri(scheme, item, base, vocab)
    node = NamedNode(iri) if free else _term(iri)  # the vocabularies' concepts are a fixed set
    if free:
        out.add(node, RDF_TYPE, _term(SKOS + "Concept"))
        out.add(node, _term(SKOS + "prefLabel"), Literal(item.text, language="en"))
        out.add(node, _term(SKOS + "inScheme"), NamedNode(f"{base}vocab/{scheme}"))
        out.add(node, cik("freeText"), Literal(True))
    return node


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _policy_notes(out: _Graph, snapshot: Snapshot, city: NamedNode, base: str, vocab: Vocabulary) -> None:
    for item in snapshot.policy_areas:
        if not item.note:
            continue
        area = _concept(out, "policy-area", item, base, vocab)
        node = NamedNode(f"{city.value}/focus/{_local(area.value)}")
        out.add(city, cik("policyFocus"), node)
        out.add(node, RDF_TYPE, cik("PolicyFocus"))
        out.add(node, cik("policyArea"), area)
        out.add(node, _term(RDFS + "comment"), Literal(item.note, language="en"))


def _data_ratings(out: _Graph, snapshot: Snapshot, city: NamedNode, base: str, vocab: Vocabulary) -> None:
    for rating in snapshot.data_ratings:
        area = _concept(out, "policy-area", rating.area, base, vocab)
        node = NamedNode(f"{city.value}/data/{_local(area.value)}")
        out.add(city, cik("dataSufficiency"), node)
        out.add(node, RDF_TYPE, cik("DataSufficiency"))
        out.add(node, cik("policyArea"), area)
        out.add(node, cik("sufficiencyLevel"), cik(rating.level.value))


def vocabulary_quads(base: str = DEFAULT_BASE, ontology_dir: Path = ONTOLOGY_DIR) -> list[Quad]:
    """The ontology (graph ``<https://w3id.org/citykg/ontology>``) and one graph per vocab file."""
    files = [(ontology_dir / "citykg.ttl", ONTOLOGY_IRI)]
    files += [(path, f"{base}vocab/{path.stem}") for path in sorted((ontology_dir / "vocab").glob("*.ttl"))]
    quads = []
    for path, graph in files:
        with path.open("rb") as handle:
            for triple in parse(handle, format=RdfFormat.TURTLE, base_iri=DEFAULT_BASE):
                quads.append(Quad(_rebased(triple.subject, base), triple.predicate,
                                  _rebased(triple.object, base), NamedNode(graph)))
    return quads


def _rebased(term, base: str):
    return NamedNode(rebase(term.value, base)) if isinstance(term, NamedNode) else term


def free_text_values(snapshot: Snapshot, vocab: Vocabulary | None = None) -> list[tuple[str, str]]:
    """(scheme, printed text) for every answer no vocabulary concept covers."""
    vocab = vocab or default_vocabulary()
    found = []
    items = [(scheme, item) for field, scheme, _ in CONCEPT_LISTS for item in getattr(snapshot, field)]
    items += [("policy-area", rating.area) for rating in snapshot.data_ratings]
    for scheme, item in items:
        if concept_iri(scheme, item, DEFAULT_BASE, vocab)[1] and (scheme, item.text) not in found:
            found.append((scheme, item.text))
    if snapshot.country and not vocab.lookup("country", snapshot.country.value):
        found.append(("country", snapshot.country.value))
    return found

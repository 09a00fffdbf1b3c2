"""Snapshot models to RDF quads under the citykg ontology (DESIGN.md, "The ontology contract").

Every snapshot's triples go into its own named graph, which also describes itself (source
file, content hash, rendering, survey round, sections found and missing), so a query can
always say where a fact came from. IRIs are derived from printed names only, and no clock
or counter is read: the same document always gives the same quads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

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


# --- one snapshot's graph, written as N-Quads ---------------------------------------------
#
# The graph is written as N-Quads text in one pass: that is what the build streams into the
# store's bulk loader, and making a pyoxigraph ``Quad`` per statement only to serialise it
# again cost more than reading the page. ``snapshot_quads`` parses the same text, so the
# two forms never differ. Terms are written in their N-Triples form: IRIs are built from
# a base IRI the caller checked (``NamedNode`` checks the graph's), slugs (``[a-z0-9-]``)
# and vocabulary IRIs; the page's URL is checked by ``NamedNode``; literals are escaped.

_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_ESCAPE_TABLE = str.maketrans({**{chr(c): f"\\u{c:04X}" for c in [*range(0x20), 0x7F]}, **_ESCAPES})
_TRUE, _FALSE = f'"true"^^<{XSD}boolean>', f'"false"^^<{XSD}boolean>'


def _string(value: str) -> str:
    """The N-Triples form of a string literal."""
    return f'"{value.translate(_ESCAPE_TABLE) if _NEEDS_ESCAPE.search(value) else value}"'


def _typed(value: str, datatype: str) -> str:
    return f"{_string(value)}^^<{datatype}>"


def _value(value: object) -> str:
    """A Python value as the literal pyoxigraph's ``Literal(value)`` makes: bool, int or string."""
    if value is True or value is False:
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return f'"{value}"^^<{XSD}integer>'
    return _string(str(value))


@lru_cache(maxsize=None)
def _c(name: str) -> str:
    """``<cik:name>``, written once per process."""
    return f"<{CIK}{name}>"


_TYPE = f"<{RDF_TYPE.value}>"
_LABEL, _COMMENT = f"<{RDFS}label>", f"<{RDFS}comment>"
_SKOS_CONCEPT, _PREF_LABEL, _IN_SCHEME = f"<{SKOS}Concept>", f"<{SKOS}prefLabel>", f"<{SKOS}inScheme>"
_PERSON, _NAME = f"<{SCHEMA}Person>", f"<{SCHEMA}name>"
_PROV_ENTITY, _DERIVED_FROM = f"<{PROV}Entity>", f"<{PROV}wasDerivedFrom>"
_SUBJECT, _SOURCE, _MODIFIED, _REPLACES = f"<{DCT}subject>", f"<{DCT}source>", f"<{DCT}modified>", f"<{DCT}replaces>"


class _Graph:
    """The statements of one named graph as N-Quads lines, in insertion order, without repeats."""

    def __init__(self, graph: str) -> None:
        self.graph = graph  # the graph's IRI in N-Triples form
        self._end = f" {graph} .\n"
        self.lines: dict[str, None] = {}

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.lines[f"{subject} {predicate} {obj}{self._end}"] = None


def snapshot_nquads(
    snapshot: Snapshot,
    base: str = DEFAULT_BASE,
    graph_id: str | None = None,
    vocab: Vocabulary | None = None,
    *,
    derived_from: str | None = None,
    modified: str | None = None,
) -> str:
    """All quads of one snapshot as N-Quads, in the named graph ``{base}snapshot/{graph_id or snapshot_id}``.

    ``derived_from`` (the page URL a document was downloaded from) and ``modified`` (its
    retrieval time, ISO 8601) are recorded on the graph as ``prov:wasDerivedFrom`` and
    ``dct:modified`` when given; they come from the fetch manifest, never from a clock.
    Raises ``ValueError`` when ``base`` or ``derived_from`` is not an IRI.
    """
    vocab = vocab or default_vocabulary()
    graph = f"<{NamedNode(f'{base}snapshot/{graph_id or snapshot_id(snapshot)}').value}>"  # checks the base
    out = _Graph(graph)
    city_slug = city_id(snapshot)
    city = f"<{base}city/{city_slug}>"
    _provenance(out, snapshot, city, base)
    if derived_from:
        out.add(graph, _DERIVED_FROM, f"<{NamedNode(derived_from).value}>")
    if modified:
        out.add(graph, _MODIFIED, _typed(modified, XSD + "dateTime"))
    _city(out, snapshot, city, city_slug, base, vocab)
    for field, scheme, prop in CONCEPT_LISTS:
        predicate = _c(prop)
        for item in getattr(snapshot, field):
            out.add(city, predicate, _concept(out, scheme, item, base, vocab))
    _policy_notes(out, snapshot, city, base, vocab)
    _data_ratings(out, snapshot, city, base, vocab)
    return "".join(out.lines)


def snapshot_quads(
    snapshot: Snapshot,
    base: str = DEFAULT_BASE,
    graph_id: str | None = None,
    vocab: Vocabulary | None = None,
    *,
    derived_from: str | None = None,
    modified: str | None = None,
) -> list[Quad]:
    """The quads of :func:`snapshot_nquads` (same arguments) as pyoxigraph ``Quad`` objects, in order."""
    text = snapshot_nquads(snapshot, base, graph_id, vocab, derived_from=derived_from, modified=modified)
    return list(parse(text, format=RdfFormat.N_QUADS))


def _provenance(out: _Graph, snapshot: Snapshot, city: str, base: str) -> None:
    g = out.graph
    out.add(g, _TYPE, _c("Snapshot"))
    out.add(g, _TYPE, _PROV_ENTITY)
    out.add(g, _SUBJECT, city)
    out.add(g, _SOURCE, _string(snapshot.source))
    if snapshot.source_sha256:
        out.add(g, _c("sourceSha256"), _string(snapshot.source_sha256))
    out.add(g, _c("rendering"), f"<{base}vocab/rendering/{snapshot.rendering.value}>")
    if snapshot.survey_round:
        out.add(g, _c("surveyRound"), _typed(str(snapshot.survey_round.value), XSD + "gYear"))
    out.add(g, _c("truncated"), _value(snapshot.truncated))
    for section in snapshot.sections_found:
        out.add(g, _c("sectionFound"), _string(section.value))
    for section in snapshot.sections_missing:
        out.add(g, _c("sectionMissing"), _string(section.value))
    for warning in snapshot.warnings:
        out.add(g, _c("warning"), _string(warning))


def _city(out: _Graph, snapshot: Snapshot, city: str, city_slug: str, base: str, vocab: Vocabulary) -> None:
    out.add(city, _TYPE, _c("City"))
    out.add(city, _LABEL, _string(snapshot.city.value))
    if snapshot.region:
        out.add(city, _c("region"), _string(snapshot.region.value))
    if snapshot.country:
        out.add(city, _c("country"), _country(out, snapshot.country.value, base, vocab))
    if snapshot.mayor:
        out.add(city, _c("hasMayor"), _person(out, snapshot.mayor, city_slug, base))
    for officer in snapshot.lead_officers:
        out.add(city, _c("hasLeadInnovationOfficer"), _person(out, officer, city_slug, base))
    if snapshot.population:
        out.add(city, _c("population"), _value(snapshot.population.count))
        if snapshot.population.year:
            out.add(city, _c("populationYear"), _typed(str(snapshot.population.year), XSD + "gYear"))
    for name, value in _city_values(snapshot):
        out.add(city, _c(name), _value(value))
    if snapshot.approach:
        out.add(city, _c("approach"), f"<{base}vocab/approach/{snapshot.approach.value.value}>")
    if snapshot.spotlight:
        out.add(city, _c("spotlight"), _string(snapshot.spotlight.value) + "@en")


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


def _person(out: _Graph, person: Person, city: str, base: str) -> str:
    node = f"<{person_iri(city, person.name, base)}>"
    out.add(node, _TYPE, _PERSON)
    out.add(node, _NAME, _string(person.name))
    out.add(node, _REPLACES, f"<{legacy_person_iri(person.name, base)}>")
    return node


def _country(out: _Graph, name: str, base: str, vocab: Vocabulary) -> str:
    concept = vocab.lookup("country", name)
    if concept:
        return f"<{rebase(concept.iri, base)}>"
    node = f"<{base}country/{slugify(name)}>"
    out.add(node, _TYPE, _c("Country"))
    out.add(node, _LABEL, _string(name))
    out.add(node, _c("freeText"), _TRUE)
    return node


def concept_iri(scheme: str, item: Item, base: str, vocab: Vocabulary) -> tuple[str, bool]:
    """(IRI, is free text) of the concept an answer names."""
    concept = vocab.lookup(scheme, item.text)
    if concept:
        return rebase(concept.iri, base), False
    return f"{base}vocab/{scheme}/{slugify(item.text)}", True


def _concept(out: _Graph, scheme: str, item: Item, base: str, vocab: Vocabulary) -> str:
    """The concept an answer names; an answer no concept covers becomes a free-text concept."""
    iri, free = concept_iri(scheme, item, base, vocab)
    node = f"<{iri}>"
    if free:
        out.add(node, _TYPE, _SKOS_CONCEPT)
        out.add(node, _PREF_LABEL, _string(item.text) + "@en")
        out.add(node, _IN_SCHEME, f"<{base}vocab/{scheme}>")
        out.add(node, _c("freeText"), _TRUE)
    return node


def _local(iri: str) -> str:
    return iri.rstrip("/>").rsplit("/", 1)[-1]


def _policy_notes(out: _Graph, snapshot: Snapshot, city: str, base: str, vocab: Vocabulary) -> None:
    for item in snapshot.policy_areas:
        if not item.note:
            continue
        area = _concept(out, "policy-area", item, base, vocab)
        node = f"{city[:-1]}/focus/{_local(area)}>"
        out.add(city, _c("policyFocus"), node)
        out.add(node, _TYPE, _c("PolicyFocus"))
        out.add(node, _c("policyArea"), area)
        out.add(node, _COMMENT, _string(item.note) + "@en")


def _data_ratings(out: _Graph, snapshot: Snapshot, city: str, base: str, vocab: Vocabulary) -> None:
    for rating in snapshot.data_ratings:
        area = _concept(out, "policy-area", rating.area, base, vocab)
        node = f"{city[:-1]}/data/{_local(area)}>"
        out.add(city, _c("dataSufficiency"), node)
        out.add(node, _TYPE, _c("DataSufficiency"))
        out.add(node, _c("policyArea"), area)
        out.add(node, _c("sufficiencyLevel"), _c(rating.level.value))


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

"""SHACL validation of a built store against ontology/shapes.ttl (pyshacl over rdflib).

The shapes are read from the repository, not the store (the store holds data and vocabularies
only), so a store is always checked against the shapes of the code that reads it. As
shapes.ttl says, its cardinalities hold per snapshot (a city surveyed in 2018 and 2020 may print
two populations), so each snapshot graph is validated together with the shared graphs
(ontology, vocabularies), not the union of all snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat
from rdflib import Graph
from rdflib.namespace import RDF, SH

from mapper.vocab import ONTOLOGY_DIR
from server.store.interface import GraphReader

SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
_SNAPSHOTS_QUERY = "SELECT ?g WHERE { GRAPH ?g { ?g a <https://w3id.org/citykg/ontology#Snapshot> } } ORDER BY ?g"


@dataclass(frozen=True)
class Violation:
    severity: str  # Violation, Warning or Info
    focus: str
    path: str
    message: str
    graphs: tuple[str, ...]  # the snapshot graph(s) whose validation reported it


def validate_store(store: GraphReader, shapes_file: Path = SHAPES_FILE) -> list[Violation]:
    """Every SHACL result of every snapshot graph, merged across graphs and sorted."""
    shapes = Graph().parse(shapes_file, format="turtle")
    snapshots = snapshot_graphs(store)
    shared = _graph_of(store, [g for g in store.named_graphs() if g not in snapshots])
    merged: dict[tuple[str, str, str, str], list[str]] = {}
    for graph in snapshots or [None]:
        data = Graph() + shared
        if graph is not None:
            data += _graph_of(store, [graph])
        for severity, focus, path, message in _results(data, shapes):
            merged.setdefault((severity, focus, path, message), []).append(graph.value if graph else "")
    found = [Violation(*key, tuple(graphs)) for key, graphs in merged.items()]
    return sorted(found, key=lambda v: (v.focus, v.path, v.message, v.severity))


def snapshot_graphs(store: GraphReader) -> list[NamedNode]:
    return [row["g"] for row in store.query(_SNAPSHOTS_QUERY)]


def _graph_of(store: GraphReader, graphs: list) -> Graph:
    """The triples of ``graphs`` in rdflib (N-Triples: nothing for rdflib to guess)."""
    out = Graph()
    for graph in graphs:
        out.parse(data=store.dump(format=RdfFormat.N_TRIPLES, from_graph=graph).decode(), format="nt")
    return out


def _results(data: Graph, shapes: Graph) -> list[tuple[str, str, str, str]]:
    from pyshacl import validate  # slow import: only the validate command pays for it

    _conforms, report, _text = validate(data, shacl_graph=shapes, inference="none")
    return [_result(report, node) for node in report.subjects(RDF.type, SH.ValidationResult)]


def _result(report: Graph, node) -> tuple[str, str, str, str]:
    def text(predicate) -> str:
        value = report.value(node, predicate)
        return "" if value is None else str(value)

    severity = text(SH.resultSeverity).rsplit("#", 1)[-1]
    return severity, text(SH.focusNode), text(SH.resultPath), text(SH.resultMessage)

"""The ``resources`` blueprint: dereferenceable IRIs and the ontology.

``/city/<id>``, ``/person/<id>``, ``/country/<id>``, ``/snapshot/<id>``, ``/vocab/<scheme>``,
``/vocab/<scheme>/<id>`` and ``/ontology`` describe the resource whose IRI is the request path
under the configured base IRI (``CITYKG_BASE_IRI``, ``citykg serve --base-iri``): a request to
``http://127.0.0.1:8000/city/medellin`` describes ``<https://w3id.org/citykg/city/medellin>``.
The format is ``?format=`` (a name or a media type), else Accept (q-values): HTML, Turtle,
JSON-LD (compacted with ``ontology/context.jsonld``), N-Triples, RDF/XML; every answer says
``Vary: Accept``. An IRI with no statement is a 404, a format we cannot write a 406.

The description is DESCRIBE-like: the resource's statements from the union of all graphs,
the statements of its data-sufficiency and policy-focus nodes (and of blank nodes it points
to), the statements that point at it, and the labels of every resource linked either way.
It is one CONSTRUCT run in the app's worker pool, so the endpoint's timeout and caps hold.

A city surveyed in several rounds has one snapshot graph per round, all about the same IRI. Its
HTML page shows one snapshot: the latest (highest ``cik:surveyRound``, undated ones oldest, ties
by the highest graph IRI, as the canned queries choose), or the one ``?round=2018`` or
``?snapshot=medellin-2018`` names; it says which, and links the others and ``compare-rounds``.
The city's statements and owned nodes then come from that snapshot graph and the graphs that
are no snapshot (the Wikidata links). The RDF formats keep the whole description, every round
(like DESCRIBE on ``/sparql``), unless ``?round=`` or ``?snapshot=`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from pyoxigraph import NamedNode, Triple
from werkzeug.exceptions import NotFound

from mapper.rdf import ONTOLOGY_IRI
from server.sparql.formats import graph_bytes
from server.sparql.jsonld import triples_as_context_jsonld
from server.store.prefixes import CIK, DCT, RDFS, SCHEMA, SKOS
from server.web import describe
from server.web.context import base_iri, construct, linker, prefixes, select
from server.web.negotiation import RESOURCE_FORMATS, Offer, negotiate, rdf_response, vary_on_accept
from server.web.render import page
from server.web.views import standing

bp = Blueprint("resources", __name__)
bp.after_request(vary_on_accept)  # every answer, errors included, depends on Accept
LABELS = (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name")

_RESOURCE_MEDIA = [o.media_type for o in RESOURCE_FORMATS]
ROUTE_MEDIA: dict[str, list[str]] = {  # for /openapi.json
    **{f"resources.{name}": _RESOURCE_MEDIA
       for name in ("city", "city_node", "person", "country", "snapshot", "scheme", "concept", "ontology")},
}
ROUTE_QUERY_PARAMS: dict[str, list[dict[str, Any]]] = {  # for /openapi.json
    "resources.city": [
        {"name": "round", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
         "description": "the city as its snapshot of this survey round states it (default: the latest round; "
                        "RDF formats without it describe every round)"},
        {"name": "snapshot", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "the city as this snapshot graph states it (`medellin-2018`), e.g. one of two versions of a round"},
    ],
}

# What a resource page shows: its statements, those of the nodes it owns, who points at it,
# and the labels of everything linked. ``?r`` is bound by the engine (substitutions).
DESCRIBE = f"""
CONSTRUCT {{
  ?r ?p ?o . ?o ?p2 ?o2 . ?o ?lp ?ol . ?o2 ?lp2 ?ol2 . ?s ?ip ?r . ?s ?slp ?sl .
}} WHERE {{
  {{ ?r ?p ?o }}
  UNION {{ ?r ?p ?o . FILTER(isBlank(?o) || ?p IN (<{CIK}dataSufficiency>, <{CIK}policyFocus>)) ?o ?p2 ?o2 .
          OPTIONAL {{ ?o2 ?lp2 ?ol2 . FILTER(?lp2 IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>)) }} }}
  UNION {{ ?r ?p ?o . ?o ?lp ?ol . FILTER(?lp IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>)) }}
  UNION {{ ?s ?ip ?r . FILTER(!isBlank(?s)) }}
  UNION {{ ?s ?ip ?r . ?s ?slp ?sl . FILTER(!isBlank(?s) && ?slp IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>)) }}
}}"""
_LABEL_FILTER = f"FILTER(?lp IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>))"
# The city's own statements in one snapshot ``?g`` and in the graphs that are no snapshot.
_STATED = (f"{{ {{ GRAPH ?g {{ ?r ?p ?o }} }} UNION {{ GRAPH ?other {{ ?r ?p ?o }} "
           f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?other a <{CIK}Snapshot> }} }} }} }}")
# DESCRIBE as one snapshot of a city states it: ``?r`` (the city) and ``?g`` (the snapshot
# graph) are bound by the engine; labels and the statements pointing at the city stay the union's.
SNAPSHOT_DESCRIBE = f"""
CONSTRUCT {{
  ?r ?p ?o . ?o ?p2 ?o2 . ?o ?lp ?ol . ?o2 ?lp2 ?ol2 . ?s ?ip ?r . ?s ?slp ?sl .
}} WHERE {{
  {_STATED}
  UNION {{ GRAPH ?g {{ ?r ?p ?o . FILTER(isBlank(?o) || ?p IN (<{CIK}dataSufficiency>, <{CIK}policyFocus>)) ?o ?p2 ?o2 . }}
          OPTIONAL {{ ?o2 ?lp2 ?ol2 . FILTER(?lp2 IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>)) }} }}
  UNION {{ {_STATED} ?o ?lp ?ol . {_LABEL_FILTER} }}
  UNION {{ ?s ?ip ?r . FILTER(!isBlank(?s)) }}
  UNION {{ ?s ?ip ?r . ?s ?slp ?sl . FILTER(!isBlank(?s) && ?slp IN (<{LABELS[0]}>, <{LABELS[1]}>, <{LABELS[2]}>)) }}
}}"""
SNAPSHOTS_OF = f"""
SELECT ?r ?g ?round WHERE {{ GRAPH ?g {{ ?g a <{CIK}Snapshot> ; <{DCT}subject> ?r OPTIONAL {{ ?g <{CIK}surveyRound> ?round }} }} }}"""
ONTOLOGY_GRAPH = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?s ?p ?o }} }}"
USERS = f"""
SELECT DISTINCT ?r ?city ?name ?p WHERE {{
  ?city a <{CIK}City> ; <{RDFS}label> ?name .
  {{ ?city ?p ?r }} UNION {{ ?city ?via ?node . FILTER(isIRI(?node)) ?node ?p ?r }}
}} ORDER BY ?name ?p"""


# --- dereferenceable IRIs -----------------------------------------------------------------------


@bp.get("/city/<id>")
def city(id: str) -> Response:
    """A surveyed city: HTML profile, Turtle, JSON-LD, N-Triples or RDF/XML (Accept or ?format=)."""
    return describe_resource(f"city/{id}", "city")


@bp.get("/city/<id>/<path:rest>")
def city_node(id: str, rest: str) -> Response:
    """A node a city owns: a data-sufficiency rating, a policy focus, its Wikidata match."""
    return describe_resource(f"city/{id}/{rest}", "node")


@bp.get("/person/<id>")
def person(id: str) -> Response:
    """A mayor or lead innovation officer, and the cities that name them."""
    return describe_resource(f"person/{id}", "person")


@bp.get("/country/<id>")
def country(id: str) -> Response:
    """A country: a concept of ontology/vocab/country.ttl, or one printed in a snapshot only."""
    return describe_resource(f"country/{id}", "country")


@bp.get("/snapshot/<id>")
def snapshot(id: str) -> Response:
    """A snapshot's named graph: its source file, rendering, survey round and sections."""
    return describe_resource(f"snapshot/{id}", "snapshot")


@bp.get("/vocab/<scheme>")
def scheme(scheme: str) -> Response:
    """A SKOS concept scheme (one answer list of the survey) and its concepts."""
    return describe_resource(f"vocab/{scheme}", "scheme")


@bp.get("/vocab/<scheme>/<id>")
def concept(scheme: str, id: str) -> Response:
    """A SKOS concept and the cities that use it (through any property)."""
    return describe_resource(f"vocab/{scheme}/{id}", "concept")


@bp.get("/ontology")
def ontology() -> Response:
    """The citykg OWL ontology (the whole ontology graph)."""
    offer = negotiate(RESOURCE_FORMATS)
    triples = construct(ONTOLOGY_GRAPH, {})
    if not triples:
        raise NotFound("the store holds no ontology graph")
    if offer.name != "html":
        return _rdf(triples, offer)
    return page("ontology.html", **describe.ontology_view(triples, linker(), ONTOLOGY_IRI))


def describe_resource(path: str, kind: str) -> Response:
    offer = negotiate(RESOURCE_FORMATS)
    iri = base_iri() + path
    try:
        NamedNode(iri)
    except ValueError:
        raise NotFound(f"{path!r} is not a valid IRI path") from None
    rounds = _rounds(iri) if kind == "city" else None
    if rounds is not None and (offer.name == "html" or "round" in request.args or "snapshot" in request.args):
        triples = construct(SNAPSHOT_DESCRIBE, {"r": f"<{iri}>", "g": f"<{rounds.shown}>"})
    else:
        triples = construct(DESCRIBE, {"r": f"<{iri}>"})
    if not any(t.subject == NamedNode(iri) for t in triples):
        raise NotFound(f"nothing is known about <{iri}>")
    if offer.name != "html":
        return _rdf(triples, offer)
    view = describe.resource_view(iri, triples, linker(), kind)
    if rounds is not None and view["profile"] is not None:
        view["profile"]["rounds"] = _rounds_view(iri, rounds)
    if view["profile"] is not None:  # the city among all cities: charts, peers (issue 12)
        view["profile"].update(standing.city_extras(iri, view["profile"], view["title"]))
    view["sparql_link"] = "/sparql?" + urlencode({"query": f"DESCRIBE <{iri}>", "format": "turtle"})
    view["formats"] = [(o.name, _query_link(o.name)) for o in RESOURCE_FORMATS[1:]]
    if kind in ("concept", "scheme", "country"):
        view["users"] = _users(iri)
    return page("resource.html", **view)


@dataclass(frozen=True)
class Rounds:
    """A city's snapshots as (graph IRI, survey round or None), oldest first, and the one shown."""

    snapshots: tuple[tuple[str, str | None], ...]
    shown: str

    @property
    def latest(self) -> str:
        return self.snapshots[-1][0]

    def round_of(self, graph: str) -> str | None:
        return dict(self.snapshots)[graph]


def snapshot_order(snapshot: tuple[str, str | None]) -> tuple[str, str]:
    """The canned queries' order: the round ("0000" when undated), then the graph IRI."""
    graph, round_ = snapshot
    return (round_ or "0000", graph)


def _snapshot_id(graph: str) -> str:
    return graph[len(base_iri() + "snapshot/"):]


def _rounds(iri: str) -> Rounds | None:
    """The city's snapshots and the one ``?snapshot=`` or ``?round=`` asks for, else the latest;
    None when no snapshot is about ``iri``. An unknown one is a 404 naming those there are."""
    rows = select(SNAPSHOTS_OF, {"r": f"<{iri}>"})
    if not rows:
        return None
    found = {(row["g"]["value"], row["round"]["value"] if "round" in row else None) for row in rows}
    snapshots = tuple(sorted(found, key=snapshot_order))
    asked_snapshot, asked_round = request.args.get("snapshot"), request.args.get("round")
    shown = snapshots[-1][0]
    if asked_snapshot is not None:
        shown = base_iri() + "snapshot/" + asked_snapshot.strip()
        if shown not in dict(snapshots):
            names = ", ".join(_snapshot_id(graph) for graph, _ in snapshots)
            raise NotFound(f"<{iri}> has no snapshot {asked_snapshot!r}; its snapshots: {names}")
    elif asked_round is not None:
        matching = [graph for graph, round_ in snapshots if round_ is not None and round_ == asked_round.strip()]
        if not matching:
            known = ", ".join(sorted({r for _, r in snapshots if r is not None})) or "none (undated snapshots only)"
            raise NotFound(f"<{iri}> has no snapshot of survey round {asked_round!r}; its rounds: {known}")
        shown = matching[-1]
    return Rounds(snapshots, shown)


def _rounds_view(iri: str, rounds: Rounds) -> dict[str, Any]:
    """Which snapshot the page shows, and links to the others (the latest is the plain page; a
    round with one snapshot is ``?round=``, else ``?snapshot=``) and to ``compare-rounds``."""
    links = linker()
    per_round: dict[str | None, int] = {}
    for _, round_ in rounds.snapshots:
        per_round[round_] = per_round.get(round_, 0) + 1

    def href(graph: str) -> str:
        round_ = rounds.round_of(graph)
        if graph == rounds.latest:
            return request.path
        if round_ is not None and per_round[round_] == 1:
            return request.path + "?" + urlencode({"round": round_})
        return request.path + "?" + urlencode({"snapshot": _snapshot_id(graph)})

    def label(graph: str) -> str:
        round_ = rounds.round_of(graph)
        return (round_ or "undated") if per_round[round_] == 1 else f"{round_ or 'undated'} ({_snapshot_id(graph)})"

    return {
        "shown": label(rounds.shown),
        "latest": rounds.shown == rounds.latest,
        "snapshot": {"text": links.short(rounds.shown), "href": links.href(rounds.shown), "note": ""},
        "others": [{"label": label(graph), "href": href(graph), "latest": graph == rounds.latest}
                   for graph, _ in reversed(rounds.snapshots) if graph != rounds.shown],
        "compare": "/queries/compare-rounds?" + urlencode({"city": iri}),
    }


def _users(iri: str) -> list[dict[str, Any]]:
    """Cities using ``iri`` directly or through a node of theirs, with the properties."""
    by_city: dict[str, dict[str, Any]] = {}
    links = linker()
    for row in select(USERS, {"r": f"<{iri}>"}):
        city_iri = row["city"]["value"]
        entry = by_city.setdefault(city_iri, {"name": row["name"]["value"], "href": links.href(city_iri), "via": []})
        via = links.short(row["p"]["value"])
        if via not in entry["via"]:
            entry["via"].append(via)
    return list(by_city.values())


def _rdf(triples: list[Triple], offer: Offer) -> Response:
    """Like a DESCRIBE on /sparql, but JSON-LD ids use the data prefixes (``city:medellin``)."""
    triples = sorted(set(triples), key=str)
    if offer.name == "jsonld":
        body = triples_as_context_jsonld(triples, prefixes())
    else:
        body = graph_bytes(triples, offer.media_type, prefixes())
    return rdf_response(body, offer.media_type)



def _query_link(fmt: str) -> str:
    """This page in another format, keeping the snapshot it was asked for."""
    kept = [(key, request.args[key]) for key in ("round", "snapshot") if key in request.args]
    return request.path + "?" + urlencode([("format", fmt), *kept])


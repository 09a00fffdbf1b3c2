"""The ``resources`` blueprint: dereferenceable IRIs and the ontology.

``/city/<id>``, ``/person/<city>/<id>``, ``/country/<id>``, ``/snapshot/<id>``, ``/vocab/<scheme>``,
``/vocab/<scheme>/<id>`` and ``/ontology`` describe the resource whose IRI is the request path
under the configured base IRI (``CITYKG_BASE_IRI``, ``citykg serve --base-iri``): a request to
``http://127.0.0.1:8000/city/medellin`` describes ``<https://w3id.org/citykg/city/medellin>``.
The format is a file extension (``/city/lima.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.html``…,
as Trifid and Pubby serve them), else ``?format=`` (any name of ``server.sparql.formats`` or a
media type), else Accept (q-values): HTML, Turtle, N3, JSON-LD (compacted with
``ontology/context.jsonld``), N-Triples, RDF/XML, TriG, N-Quads; every answer says
``Vary: Accept``. An IRI with no statement is a 404, an Accept we cannot meet a 406.

Persons are scoped by the city that names them (``person/medellin/paula-zapata``); the IRI
they had before (``person/paula-zapata``) answers 301 to the one person that ``dct:replaces``
it, 300 listing the namesakes when several cities name one, 404 when none.

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

from flask import Blueprint, Response, redirect, request
from pyoxigraph import NamedNode, Triple
from werkzeug.exceptions import NotFound

from mapper.rdf import ONTOLOGY_IRI
from server.sparql.formats import graph_bytes
from server.sparql.jsonld import triples_as_context_jsonld
from server.store.prefixes import CIK, DCT, RDFS, SCHEMA, SKOS
from server.web import describe
from server.web.context import base_iri, construct, linker, prefixes, select
from server.web.negotiation import RESOURCE_FORMATS, Offer, extension_offer, negotiate, rdf_response, vary_on_accept
from server.web.render import page
from server.web.views import standing

bp = Blueprint("resources", __name__)
bp.after_request(vary_on_accept)  # every answer, errors included, depends on Accept
LABELS = (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name")
GRAPH_OFFERS_BY_NAME = {o.name: o for o in RESOURCE_FORMATS}
_LINKED_FORMATS = ("turtle", "jsonld", "ntriples", "rdfxml")  # the page links these (every format is served)

_RESOURCE_MEDIA = [o.media_type for o in RESOURCE_FORMATS]
ROUTE_MEDIA: dict[str, list[str]] = {  # for /openapi.json
    **{f"resources.{name}": _RESOURCE_MEDIA
       for name in ("city", "city_node", "person", "legacy_person", "country", "snapshot", "scheme", "concept", "ontology",
                    "ontology_file")},
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
REPLACED_BY = f"SELECT DISTINCT ?old ?person WHERE {{ ?person <{DCT}replaces> ?old }} ORDER BY ?person"
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


@bp.get("/person/<city>/<id>")
def person(city: str, id: str) -> Response:
    """A mayor or lead innovation officer, named by one city, and the cities that name them."""
    return describe_resource(f"person/{city}/{id}", "person")


@bp.get("/person/<id>")
def legacy_person(id: str) -> Response:
    """A person IRI from before persons were scoped by city: 301 to the one person that
    ``dct:replaces`` it, 300 listing them when namesakes of several cities shared it, else 404."""
    path, offer = extension_offer(f"person/{id}")
    old = base_iri() + path
    persons = [row["person"]["value"] for row in select(REPLACED_BY, {"old": f"<{old}>"})]
    if not persons:
        return describe_resource(f"person/{id}", "person")  # a store built before issue 11, or a 404
    suffix = f"person/{id}"[len(path):]  # the extension as asked (".ttl"), or ""
    query = ("?" + request.query_string.decode("latin-1")) if request.query_string else ""
    links = linker()
    if len(persons) == 1:
        response = redirect(f"{links.href(persons[0])}{suffix}{query}", code=301)
        return vary_on_accept(response)
    response = describe_resource(path, "person", forced=offer, must_be_subject=False)
    response.status_code = 300  # Multiple Choices: one person per city that named this name
    for iri in persons:
        response.headers.add("Link", f'<{links.href(iri)}>; rel="alternate"')
    return response


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


@bp.get("/ontology.<extension>")
def ontology_file(extension: str) -> Response:
    """The ontology in the format its extension names (``/ontology.ttl``, ``.owl`` is RDF/XML)."""
    forced = extension_offer(f"ontology.{extension}")[1] or (GRAPH_OFFERS_BY_NAME["rdfxml"] if extension == "owl" else None)
    if forced is None:
        raise NotFound(f"no format .{extension} here")
    return ontology(forced)


@bp.get("/ontology")
def ontology(forced: Offer | None = None) -> Response:
    """The citykg OWL ontology (the whole ontology graph)."""
    offer = negotiate(RESOURCE_FORMATS, forced.name if forced else None)
    triples = construct(ONTOLOGY_GRAPH, {})
    if not triples:
        raise NotFound("the store holds no ontology graph")
    if offer.name != "html":
        return _rdf(triples, offer)
    return page("ontology.html", **describe.ontology_view(triples, linker(), ONTOLOGY_IRI))


def describe_resource(path: str, kind: str, forced: Offer | None = None, must_be_subject: bool = True) -> Response:
    """The description of ``{base}{path}`` in the negotiated format; ``path`` may end in a file
    extension naming the format (``city/lima.ttl``). 404 when nothing is said about the IRI
    (``must_be_subject``: as the subject of a statement)."""
    if forced is None:
        path, forced = extension_offer(path)
    offer = negotiate(RESOURCE_FORMATS, forced.name if forced else None)
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
    node = NamedNode(iri)
    if not any(t.subject == node or (not must_be_subject and t.object == node) for t in triples):
        raise NotFound(f"nothing is known about <{iri}>")
    if offer.name != "html":
        return _rdf(triples, offer)
    view = describe.resource_view(iri, triples, linker(), kind)
    if rounds is not None and view["profile"] is not None:
        view["profile"]["rounds"] = _rounds_view(iri, rounds)
    if view["profile"] is not None:  # the city among all cities: charts, peers (issue 12)
        view["profile"].update(standing.city_extras(iri, view["profile"], view["title"]))
    view["sparql_link"] = "/sparql?" + urlencode({"query": f"DESCRIBE <{iri}>", "format": "turtle"})
    view["formats"] = [(o.name, _query_link(o.name)) for o in RESOURCE_FORMATS[1:] if o.name in _LINKED_FORMATS]
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


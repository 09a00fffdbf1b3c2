"""The ``linked_data`` blueprint: dereferenceable IRIs, exports, VoID, the context, the home page.

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

``/export`` (the whole store, the bytes of ``citykg export``), ``/.well-known/void`` (VoID,
counted from the store), ``/context.jsonld`` and ``/`` read a read-only handle opened in this
process, re-opened when ``citykg build`` swaps the store, with results cached per version.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template_string,
    request,
)
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, Triple, parse
from werkzeug.exceptions import NotFound

from mapper.rdf import DEFAULT_BASE, ONTOLOGY_IRI
from server import ld_views
from server.endpoint import accepted, rdf_response
from server.formats import (
    CIK,
    DCT,
    EXPORT_FORMATS,
    OWL,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    STANDARD_PREFIXES,
    compact_iri,
    data_base,
    export_dataset,
    ordered_prefixes,
    store_prefixes,
    triples_as_context_jsonld,
)
from server.sparql import QueryRequest, UnsupportedFormat, graph_bytes
from server.store import open_store, store_version

bp = Blueprint("linked_data", __name__)
EXTENSION = "citykg.published"

VOID = "http://rdfs.org/ns/void#"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
LABELS = (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name")


@dataclass(frozen=True)
class Offer:
    name: str
    media_type: str
    aliases: tuple[str, ...] = ()


# The first is the default (no Accept, or */*): a browser or a bare curl gets the page.
RESOURCE_FORMATS: tuple[Offer, ...] = (
    Offer("html", "text/html", ("application/xhtml+xml",)),
    Offer("turtle", "text/turtle", ("application/x-turtle",)),
    Offer("jsonld", "application/ld+json", ("application/json",)),
    Offer("ntriples", "application/n-triples", ("text/plain",)),
    Offer("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
)
VOID_FORMATS = RESOURCE_FORMATS[1:4]  # Turtle (default), JSON-LD, N-Triples
_RESOURCE_MEDIA = [o.media_type for o in RESOURCE_FORMATS]
ROUTE_MEDIA: dict[str, list[str]] = {  # for /openapi.json
    **{f"linked_data.{name}": _RESOURCE_MEDIA
       for name in ("city", "city_node", "person", "country", "snapshot", "scheme", "concept", "ontology")},
    "linked_data.void": [o.media_type for o in VOID_FORMATS],
    "linked_data.export": ["text/turtle", "application/trig", "application/n-quads", "application/ld+json"],
    "linked_data.context": ["application/ld+json"],
    "linked_data.home": ["text/html"],
}
ROUTE_QUERY_PARAMS: dict[str, list[dict[str, Any]]] = {  # for /openapi.json
    "linked_data.city": [
        {"name": "round", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
         "description": "the city as its snapshot of this survey round states it (default: the latest round; "
                        "RDF formats without it describe every round)"},
        {"name": "snapshot", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "the city as this snapshot graph states it (`medellin-2018`), e.g. one of two versions of a round"},
    ],
}
EXPORT_MEDIA = {
    "turtle": ("text/turtle; charset=utf-8", "ttl"),
    "trig": ("application/trig; charset=utf-8", "trig"),
    "nquads": ("application/n-quads; charset=utf-8", "nq"),
    "jsonld": ("application/ld+json", "jsonld"),
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
CITIES = f"""
SELECT ?city ?name ?countryName WHERE {{
  ?city a <{CIK}City> ; <{RDFS}label> ?name .
  OPTIONAL {{ ?city <{CIK}country> ?country . ?country <{SKOS}prefLabel>|<{RDFS}label> ?countryName }}
}} ORDER BY ?name"""


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Published()
    app.register_blueprint(bp)


def executor() -> Any:
    return current_app.extensions["citykg.executor"]


def base_iri() -> str:
    return str(current_app.config.get("CITYKG_BASE_IRI") or DEFAULT_BASE)


# --- the store, in this process, per version --------------------------------------------------


@dataclass
class Published:
    """A read-only handle on the current store version and what is computed from it once."""

    _version: Path | None = None
    _store: Store | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self) -> tuple[Store, dict[str, Any]]:
        version = store_version(Path(current_app.config["CITYKG_STORE"]))
        with self._lock:
            if self._store is None or version != self._version:
                self._store = open_store(version)
                self._version = version
                self.cache = {"prefixes": store_prefixes(self._store)}
            return self._store, self.cache


def published() -> Published:
    return current_app.extensions[EXTENSION]


def prefixes() -> dict[str, str]:
    return published().store()[1]["prefixes"]


# --- negotiation --------------------------------------------------------------------------------


def negotiate(offers: tuple[Offer, ...]) -> Offer:
    """``?format=`` (name or media type) wins, else the best Accept match; else 406."""
    names = ", ".join(f"{o.name} ({o.media_type})" for o in offers)
    asked = request.args.get("format")
    if asked:
        wanted = asked.strip().lower()
        for offer in offers:
            if wanted in (offer.name, offer.media_type, *offer.aliases):
                return offer
        raise UnsupportedFormat(f"format {asked!r} cannot be served here; available: {names}")
    offer = accepted(request.accept_mimetypes, [(m, o) for o in offers for m in (o.media_type, *o.aliases)])
    if offer is None:
        raise UnsupportedFormat(f"none of the media types in Accept can be served here; available: {names}")
    return offer


@bp.after_request
def _vary(response: Response) -> Response:
    response.vary.add("Accept")
    return response


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
    triples = _construct(ONTOLOGY_GRAPH, {})
    if not triples:
        raise NotFound("the store holds no ontology graph")
    if offer.name != "html":
        return _rdf(triples, offer)
    return _html(ld_views.ONTOLOGY, **ld_views.ontology_view(triples, _linker(), ONTOLOGY_IRI))


def describe_resource(path: str, kind: str) -> Response:
    offer = negotiate(RESOURCE_FORMATS)
    iri = base_iri() + path
    try:
        NamedNode(iri)
    except ValueError:
        raise NotFound(f"{path!r} is not a valid IRI path") from None
    rounds = _rounds(iri) if kind == "city" else None
    if rounds is not None and (offer.name == "html" or "round" in request.args or "snapshot" in request.args):
        triples = _construct(SNAPSHOT_DESCRIBE, {"r": f"<{iri}>", "g": f"<{rounds.shown}>"})
    else:
        triples = _construct(DESCRIBE, {"r": f"<{iri}>"})
    if not any(t.subject == NamedNode(iri) for t in triples):
        raise NotFound(f"nothing is known about <{iri}>")
    if offer.name != "html":
        return _rdf(triples, offer)
    view = ld_views.resource_view(iri, triples, _linker(), kind)
    if rounds is not None and view["profile"] is not None:
        view["profile"]["rounds"] = _rounds_view(iri, rounds)
    view["sparql_link"] = "/sparql?" + urlencode({"query": f"DESCRIBE <{iri}>", "format": "turtle"})
    view["formats"] = [(o.name, _query_link(o.name)) for o in RESOURCE_FORMATS[1:]]
    if kind in ("concept", "scheme", "country"):
        view["users"] = _users(iri)
    return _html(ld_views.RESOURCE, **view)


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
    rows = _select(SNAPSHOTS_OF, {"r": f"<{iri}>"})
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
    linker = _linker()
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
        "snapshot": {"text": linker.short(rounds.shown), "href": linker.href(rounds.shown), "note": ""},
        "others": [{"label": label(graph), "href": href(graph), "latest": graph == rounds.latest}
                   for graph, _ in reversed(rounds.snapshots) if graph != rounds.shown],
        "compare": "/queries/compare-rounds?" + urlencode({"city": iri}),
    }


def _construct(query: str, substitutions: dict[str, str]) -> list[Triple]:
    pool = executor()
    answer = pool.run(QueryRequest(query, substitutions=substitutions, media_type="application/n-triples",
                                   max_rows=pool.config.max_rows))
    return [quad.triple for quad in parse(answer.body, format=RdfFormat.N_TRIPLES)]


def _select(query: str, substitutions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    pool = executor()
    answer = pool.run(QueryRequest(query, substitutions=substitutions or {}, max_rows=pool.config.max_rows))
    return json.loads(answer.body)["results"]["bindings"]


def _users(iri: str) -> list[dict[str, Any]]:
    """Cities using ``iri`` directly or through a node of theirs, with the properties."""
    by_city: dict[str, dict[str, Any]] = {}
    linker = _linker()
    for row in _select(USERS, {"r": f"<{iri}>"}):
        city_iri = row["city"]["value"]
        entry = by_city.setdefault(city_iri, {"name": row["name"]["value"], "href": linker.href(city_iri), "via": []})
        via = linker.short(row["p"]["value"])
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


def _html(template: str, **values: Any) -> Response:
    """Jinja from a string: Flask autoescapes every value; nothing is marked safe."""
    return Response(render_template_string(template, **values), content_type="text/html; charset=utf-8")


def _query_link(fmt: str) -> str:
    """This page in another format, keeping the snapshot it was asked for."""
    kept = [(key, request.args[key]) for key in ("round", "snapshot") if key in request.args]
    return request.path + "?" + urlencode([("format", fmt), *kept])


class Linker:
    """IRI → local page (data under the base IRI, ontology terms), else the IRI itself."""

    def __init__(self, base: str, prefixes_: dict[str, str]) -> None:
        self.base = base
        self.ordered = ordered_prefixes(prefixes_)

    def href(self, iri: str) -> str | None:
        if iri.startswith(ONTOLOGY_IRI):
            return "/ontology" + iri[len(ONTOLOGY_IRI) :]
        if iri.startswith(self.base):
            return "/" + iri[len(self.base) :]
        return iri if iri.startswith(("http://", "https://")) else None

    def short(self, iri: str) -> str:
        return compact_iri(iri, self.ordered)


def _linker() -> Linker:
    return Linker(base_iri(), prefixes())


# --- exports, context, VoID ------------------------------------------------------------------


@bp.get("/export")
def export() -> Response:
    """The whole dataset: ?format=turtle|trig|nquads|jsonld (the bytes of `citykg export`)."""
    fmt = (request.args.get("format") or "turtle").lower()
    if fmt not in EXPORT_FORMATS:
        raise UnsupportedFormat(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    store, cache = published().store()
    key = f"export:{fmt}"
    if key not in cache:
        cache[key] = export_dataset(store, fmt)
    media, extension = EXPORT_MEDIA[fmt]
    response = Response(cache[key], content_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="citykg.{extension}"'
    return response


@bp.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context of citykg terms (ontology/context.jsonld)."""
    from mapper.vocab import ONTOLOGY_DIR

    response = Response((ONTOLOGY_DIR / "context.jsonld").read_bytes(), content_type="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/void")
def void() -> Response:
    """A VoID description of the dataset: counts, licence, SPARQL endpoint, dumps, one subset per snapshot."""
    offer = negotiate(VOID_FORMATS)
    store, cache = published().store()
    if "void" not in cache:
        cache["void"] = void_counts(store)
    root = request.url_root
    triples = void_triples(cache["void"], root, base_iri())
    names = {"void": VOID, "dct": DCT, "xsd": STANDARD_PREFIXES["xsd"], "rdf": RDF}
    body = graph_bytes(triples, offer.media_type, names)
    return rdf_response(body, offer.media_type)


def _count(store: Store, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


def void_counts(store: Store) -> dict[str, Any]:
    """The numbers VoID states, from the union of all graphs (what queries see)."""
    base = data_base_of(store)
    snapshots = [
        (row["g"].value, int(row["n"].value))
        for row in store.query(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{CIK}Snapshot> }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g ORDER BY ?g"
        )
    ]
    return {
        "base": base,
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"),
        "quads": len(store),
        "entities": _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), \"{base}\")) }}"),
        "classes": _count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"),
        "properties": _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"),
        "distinctSubjects": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "distinctObjects": _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "snapshots": snapshots,
    }


def data_base_of(store: Store) -> str:
    return data_base(store)


def void_triples(counts: dict[str, Any], root: str, base: str) -> list[Triple]:
    """``root`` is the served URL (endpoint and dumps are links here); ``base`` the data IRIs."""
    dataset = NamedNode(root + ".well-known/void#citykg")
    rdf_type = NamedNode(RDF + "type")
    v = lambda name: NamedNode(VOID + name)
    integer = lambda n: Literal(str(n), datatype=NamedNode(STANDARD_PREFIXES["xsd"] + "integer"))
    out = [
        Triple(dataset, rdf_type, v("Dataset")),
        Triple(dataset, NamedNode(DCT + "title"), Literal("citykg: City Innovation Snapshots", language="en")),
        Triple(dataset, NamedNode(DCT + "description"), Literal(
            "The OECD / Bloomberg Philanthropies City Innovation Snapshots as linked data: one named graph per "
            "snapshot, SKOS vocabularies of the survey's answers, Wikidata links.", language="en")),
        Triple(dataset, NamedNode(DCT + "license"), NamedNode(CC_BY)),
        Triple(dataset, v("sparqlEndpoint"), NamedNode(root + "sparql")),
        Triple(dataset, v("uriSpace"), Literal(base)),
        Triple(dataset, v("triples"), integer(counts["triples"])),
        Triple(dataset, v("entities"), integer(counts["entities"])),
        Triple(dataset, v("classes"), integer(counts["classes"])),
        Triple(dataset, v("properties"), integer(counts["properties"])),
        Triple(dataset, v("distinctSubjects"), integer(counts["distinctSubjects"])),
        Triple(dataset, v("distinctObjects"), integer(counts["distinctObjects"])),
    ]
    out += [Triple(dataset, v("dataDump"), NamedNode(f"{root}export?format={fmt}")) for fmt in EXPORT_FORMATS]
    vocabularies = [ONTOLOGY_IRI, SCHEMA, SKOS, STANDARD_PREFIXES["prov"], DCT, OWL, RDFS]
    out += [Triple(dataset, v("vocabulary"), NamedNode(iri)) for iri in vocabularies]
    for graph, count in counts["snapshots"]:
        node = NamedNode(graph)
        out += [
            Triple(dataset, v("subset"), node),
            Triple(node, rdf_type, v("Dataset")),
            Triple(node, v("triples"), integer(count)),
        ]
    return out


# --- home -------------------------------------------------------------------------------------


@bp.get("/")
def home() -> Response:
    """Home: a SPARQL query editor, the canned-query gallery, the cities, links to exports and VoID."""
    from server.queries_bp import state

    linker = _linker()
    cities = [
        {"name": row["name"]["value"], "href": linker.href(row["city"]["value"]),
         "country": row.get("countryName", {}).get("value", "")}
        for row in _select(CITIES)
    ]
    queries = [
        {"name": q.name, "summary": q.summary, "href": f"/queries/{q.name}"}
        for q in sorted(state().queries.values(), key=lambda q: q.name)
    ]
    example = "SELECT ?city ?name WHERE {\n  ?city cik:employsRole role:data-scientist ; rdfs:label ?name .\n} ORDER BY ?name"
    return _html(ld_views.HOME, cities=cities, queries=queries, example=example,
                 exports=list(EXPORT_FORMATS), base=base_iri())


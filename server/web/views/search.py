"""The ``search`` blueprint: ``/search?q=``, cities, people and topics (SKOS concepts) by name.

Every label of a city (``rdfs:label``), a person (``schema:name``) and a concept
(``skos:prefLabel``, ``skos:altLabel``) is read once per store version and matched here, in
Python, so a search ignores case and accents ("medellín" finds Medellin) and ranks what starts
with the words typed before what merely contains them, then what more cities use. HTML for
browsers (results grouped by kind), JSON ``{"query", "results": [{kind, label, href, iri,
detail, matched}]}`` for scripts and the suggestion box (``static/js/search.js``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from unidecode import unidecode

from server.sparql.canned import CannedQueryError
from server.store.prefixes import CIK, RDFS, SCHEMA, SKOS
from server.web.context import linker, published, select
from server.web.negotiation import HTML, Offer, negotiate, vary_on_accept
from server.web.render import page

bp = Blueprint("search", __name__)
bp.after_request(vary_on_accept)
ROUTE_MEDIA: dict[str, list[str]] = {"search.search": ["text/html", "application/json"]}  # for /openapi.json
ROUTE_QUERY_PARAMS: dict[str, list[dict[str, Any]]] = {
    "search.search": [
        {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200},
         "description": "words to find in the names of cities, people and topics (case and accents aside)"},
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100},
         "description": "at most this many results of each kind (default 25)"},
    ],
}
OFFERS = (HTML, Offer("json", "application/json"))
KINDS = ("city", "person", "concept")
MAX_QUERY = 200
DEFAULT_LIMIT = 25
CACHE_KEY = "web.search-index"

# One row per (thing, label): cities, people with the city and role that name them, and
# concepts with their scheme and the number of cities using them.
INDEX_QUERY = f"""
SELECT ?s ?kind ?label ?detail (COUNT(DISTINCT ?user) AS ?uses) WHERE {{
  {{ ?s a <{CIK}City> ; <{RDFS}label> ?label . BIND("city" AS ?kind)
     OPTIONAL {{ ?s <{CIK}country> ?country . ?country <{SKOS}prefLabel> ?detail FILTER(LANG(?detail) IN ("", "en")) }} }}
  UNION
  {{ ?s a <{SCHEMA}Person> ; <{SCHEMA}name> ?label . BIND("person" AS ?kind)
     ?user ?role ?s ; <{RDFS}label> ?cityName .
     FILTER(?role IN (<{CIK}hasMayor>, <{CIK}hasLeadInnovationOfficer>))
     BIND(CONCAT(IF(?role = <{CIK}hasMayor>, "Mayor", "Lead innovation officer"), ", ", ?cityName) AS ?detail) }}
  UNION
  {{ ?s a <{SKOS}Concept> ; <{SKOS}inScheme> ?scheme .
     {{ ?s <{SKOS}prefLabel> ?label BIND("concept" AS ?kind) }} UNION {{ ?s <{SKOS}altLabel> ?label BIND("concept-alt" AS ?kind) }}
     FILTER(LANG(?label) IN ("", "en"))
     OPTIONAL {{ ?scheme <{SKOS}prefLabel> ?detail FILTER(LANG(?detail) IN ("", "en")) }}
     OPTIONAL {{ ?user a <{CIK}City> . {{ ?user ?p ?s }} UNION {{ ?user ?p ?node . ?node ?q ?s FILTER(isBlank(?node) || ?p IN (<{CIK}dataSufficiency>, <{CIK}policyFocus>)) }} }} }}
}} GROUP BY ?s ?kind ?label ?detail"""


@dataclass
class Entry:
    """One city, person or concept, with every label it can be found by."""

    iri: str
    kind: str
    label: str  # the label shown (a concept's prefLabel when it has one)
    labels: list[str]
    detail: str
    uses: int


@bp.get("/search")
def search() -> Response:
    """Cities, people and topics whose names hold every word of ``q``; HTML or JSON by Accept."""
    offer = negotiate(OFFERS)
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise CannedQueryError(f"q is longer than {MAX_QUERY} characters", "q")
    limit = _limit(request.args.get("limit"))
    results = find(query, limit) if query else []
    if offer.name == "json":
        return jsonify({"query": query, "results": results})
    groups = [(kind, [r for r in results if r["kind"] == kind]) for kind in KINDS]
    return page("search.html", query=query, groups=groups, count=len(results))


def find(query: str, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The best matches of each kind, cities first, each list best first."""
    words = fold(query).split()
    if not words:
        return []
    scored: list[tuple[tuple, Entry, str]] = []
    for entry in index():
        scores = ((score, label) for label in entry.labels if (score := _score(fold(label), words)) is not None)
        best = min(scores, default=(None, ""))  # (None, label) beside (2, label) would not compare
        if best[0] is not None:
            scored.append(((KINDS.index(entry.kind), best[0], -entry.uses, entry.label.casefold()), entry, best[1]))
    scored.sort(key=lambda item: item[0])
    links = linker()
    out: list[dict[str, Any]] = []
    per_kind: dict[str, int] = {}
    for _, entry, matched in scored:
        if per_kind.get(entry.kind, 0) >= limit:
            continue
        per_kind[entry.kind] = per_kind.get(entry.kind, 0) + 1
        detail = entry.detail
        if entry.kind == "concept" and entry.uses:
            detail = f"{detail} · {entry.uses} {'city' if entry.uses == 1 else 'cities'}" if detail else ""
        out.append({"kind": entry.kind, "label": entry.label, "iri": entry.iri, "href": links.href(entry.iri),
                    "detail": detail, "matched": matched, "other_name": fold(matched) != fold(entry.label)})
    return out


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone: how labels and queries are compared."""
    return re.sub(r"[^a-z0-9]+", " ", unidecode(text).lower()).strip()


def _score(label: str, words: list[str]) -> int | None:
    """0 the whole label, 1 it starts with the words, 2 every word starts a word of it,
    3 every word is somewhere in it; None when a word is missing."""
    if not all(word in label for word in words):
        return None
    phrase = " ".join(words)
    if label == phrase:
        return 0
    if label.startswith(phrase):
        return 1
    starts = label.split()
    if all(any(token.startswith(word) for token in starts) for word in words):
        return 2
    return 3


def index() -> list[Entry]:
    """Every searchable thing of the current store version (read once per version)."""
    cache = published()[1]
    if CACHE_KEY not in cache:
        cache[CACHE_KEY] = _read_index()
    return cache[CACHE_KEY]


def _read_index() -> list[Entry]:
    entries: dict[str, Entry] = {}
    for row in sorted(select(INDEX_QUERY), key=lambda row: row["kind"]["value"]):  # a prefLabel before altLabels
        iri, kind, label = row["s"]["value"], row["kind"]["value"], row["label"]["value"]
        detail, uses = row.get("detail", {}).get("value", ""), int(row["uses"]["value"])
        entry = entries.get(iri)
        if entry is None:
            entries[iri] = Entry(iri, kind.removesuffix("-alt"), label, [label], detail, uses)
            continue
        if label not in entry.labels:
            entry.labels.append(label)
        if entry.kind == "person" and detail and detail not in entry.detail.split("; "):
            entry.detail = f"{entry.detail}; {detail}"  # mayor of one city, officer of another
        entry.detail = entry.detail or detail
        entry.uses = max(entry.uses, uses)
    return sorted(entries.values(), key=lambda e: (e.kind, e.label.casefold()))


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise CannedQueryError(f"limit {raw!r} is not a whole number from 1 to 100", "limit")
    return int(raw)

"""The SPARQL editor: ``/sparql`` for a browser (YASGUI), and ``/prefixes.json``.

``GET /sparql`` without a query is the service description for SPARQL clients; a client that
prefers ``text/html`` to every RDF format (a browser) gets this page instead
(``server.web.views.sparql`` asks ``wants_editor``). The page is YASGUI, vendored in
``static/vendor/yasgui``, set up by ``static/js/editor.js`` from a JSON block: our endpoint
only (a ``#endpoint=`` in a permalink cannot aim the page elsewhere), our prefixes declared in
every new tab and offered as completions (from ``/prefixes.json``, not prefix.cc), the canned
queries as example tabs, and table, chart and raw-response views of the results. Permalinks are
YASGUI's own (``/sparql#query=…``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.datastructures import MIMEAccept

from server.sparql.formats import formats_for
from server.web import charts
from server.web.context import prefixes
from server.web.negotiation import accepted
from server.web.render import page
from server.web.views.queries import state

bp = Blueprint("editor", __name__)
ROUTE_MEDIA: dict[str, list[str]] = {"editor.prefix_table": ["application/json"]}  # for /openapi.json
# The prefixes a new tab declares (the ones the examples and the ontology use most); the
# others are completed as you type ``role:`` etc.
DECLARED = ("cik", "city", "rdfs", "skos", "dct", "role", "policy-area")
FEATURED = ("cities-by-role", "data-sufficiency-matrix", "peer-cities")  # open as tabs on a first visit
DEFAULT_QUERY = """SELECT ?city ?name ?teamSize WHERE {
  ?city a cik:City ;
        rdfs:label ?name .
  OPTIONAL { ?city cik:teamSize ?teamSize }
}
ORDER BY ?name"""


def wants_editor(accept: MIMEAccept) -> bool:
    """True when Accept ranks ``text/html`` above every RDF format the service description is
    sent in (a browser's Accept does; a bare client's, or ``*/*``, does not)."""
    candidates = [(media, False) for fmt in formats_for("graph") for media in (fmt.media_type, *fmt.aliases)]
    return bool(accept) and accepted(accept, [*candidates, ("text/html", True)]) is True


def editor_page() -> Response:
    """The YASGUI page, its configuration in a JSON block for static/js/editor.js."""
    table = prefixes()
    declared = "\n".join(f"PREFIX {name}: <{table[name]}>" for name in DECLARED if name in table)
    examples = [
        {"name": q.name, "title": q.summary or q.name, "tags": list(q.tags), "query": q.text,
         "chart": q.name in charts.CHARTS}
        for q in sorted(state().queries.values(), key=lambda q: q.name)
    ]
    config: dict[str, Any] = {
        "endpoint": "/sparql",
        "prefixesUrl": "/prefixes.json",
        "prefixes": table,
        "defaultQuery": f"{declared}\n\n{DEFAULT_QUERY}",
        "examples": examples,
        "featured": list(FEATURED),
    }
    return page("sparql.html", config=config, examples=examples)


@bp.get("/prefixes.json")
def prefix_table() -> Response:
    """The prefixes ``/sparql`` predeclares, as ``{"prefix": "namespace IRI"}`` (prefix.cc's shape)."""
    return jsonify(dict(sorted(prefixes().items())))

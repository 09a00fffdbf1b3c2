"""HTML for the linked-data routes: a resource page (a readable profile for a city), the
ontology, the home page.

Views are plain dicts made from the triples of a description; templates are rendered by
Flask from strings, so Jinja autoescapes every value and nothing is marked safe. Links are
local pages for IRIs under the base (and the ontology), the IRI itself for other http(s)
IRIs, and none otherwise, so a stored ``javascript:`` IRI stays text.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from server.formats import CIK, DCT, OWL, RDF, RDFS, SCHEMA, SKOS, XSD
from server.html_views import _FOOT, _HEAD

RDF_TYPE = RDF + "type"
LABELS = (SKOS + "prefLabel", RDFS + "label", SCHEMA + "name")

# The sections of a snapshot, in the page's order: (title, property).
CITY_SECTIONS: list[tuple[str, str]] = [
    ("Country", "country"),
    ("Region", "region"),
    ("Mayor", "hasMayor"),
    ("Population", "population"),
    ("Lead innovation officer(s)", "hasLeadInnovationOfficer"),
    ("Explicit innovation strategy", "hasInnovationStrategy"),
    ("Approach to innovation", "approach"),
    ("Prioritises specific policy areas", "prioritisesPolicyAreas"),
    ("Priority policy areas", "focusesOn"),
    ("Innovation skills and roles", "employsRole"),
    ("Roles stated", "statedRoleCount"),
    ("Team structure", "teamStructure"),
    ("Innovation team size", "teamSize"),
    ("Innovation team size", "teamSizeMoreThan"),
    ("Terms most associated with innovation", "associatesInnovationWith"),
    ("Most common innovation activities", "innovationActivity"),
    ("Innovation is helping to", "innovationOutcome"),
    ("Critical success factors", "criticalSuccessFactor"),
    ("Dedicated funding for innovation", "hasDedicatedFunding"),
    ("Funding sources", "fundedBy"),
    ("Funding goes to", "fundsActivity"),
    ("Partnerships for innovation capacity", "partnersWith"),
    ("Partnerships are internal only", "partnershipsInternalOnly"),
    ("Data partnerships", "hasDataPartner"),
]
LEVELS = [("Sufficient", "Sufficient"), ("Insufficient", "Insufficient"), ("NoResponse", "No response")]


class LinkerLike(Protocol):
    def href(self, iri: str) -> str | None: ...
    def short(self, iri: str) -> str: ...


class Description:
    """The triples of a description, indexed for the templates."""

    def __init__(self, triples: list[Triple], linker: LinkerLike) -> None:
        self.linker = linker
        self.out: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self.incoming: dict[Any, list[tuple[Any, str]]] = defaultdict(list)
        self.labels: dict[str, str] = {}
        for t in sorted(set(triples), key=str):
            values = self.out[t.subject][t.predicate.value]
            if t.object not in values:
                values.append(t.object)
            self.incoming[t.object].append((t.subject, t.predicate.value))
        for predicate in reversed(LABELS):  # prefLabel wins over label over name
            for subject, props in self.out.items():
                for value in props.get(predicate, []):
                    if not (isinstance(value, Literal) and isinstance(subject, NamedNode)):
                        continue
                    if predicate != SKOS + "prefLabel" or value.language in (None, "en"):
                        self.labels[subject.value] = value.value

    def values(self, subject: Any, prop: str) -> list[Any]:
        return self.out.get(subject, {}).get(prop, [])

    def one(self, subject: Any, prop: str) -> Any:
        found = self.values(subject, prop)
        return found[0] if found else None

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or self.linker.short(iri)

    def value(self, term: Any) -> dict[str, Any]:
        """One value: its text, a link for an IRI, a note (language or datatype)."""
        if isinstance(term, NamedNode):
            return {"text": self.label(term.value), "href": self.linker.href(term.value), "note": ""}
        if isinstance(term, BlankNode):
            return {"text": f"_:{term.value}", "href": None, "note": ""}
        if isinstance(term, Literal):
            return {"text": literal_text(term), "href": None, "note": _note(term, self.linker)}
        return {"text": str(term), "href": None, "note": ""}

    def table(self, subject: Any) -> list[dict[str, Any]]:
        """Every statement about ``subject``, one row per property."""
        rows = []
        for prop, values in sorted(self.out.get(subject, {}).items(), key=lambda kv: self.linker.short(kv[0])):
            rows.append({"property": self.linker.short(prop), "href": self.linker.href(prop),
                         "vals": [self.value(v) for v in values]})
        return rows


def literal_text(term: Literal) -> str:
    datatype = term.datatype.value if term.language is None else ""
    if datatype == XSD + "boolean":
        return "yes" if term.value in ("true", "1") else "no"
    if datatype == XSD + "integer":
        try:
            return f"{int(term.value):,}"
        except ValueError:
            return term.value
    return term.value


def _note(term: Literal, linker: LinkerLike) -> str:
    if term.language:
        return f"@{term.language}"
    datatype = term.datatype.value
    if datatype in (XSD + "string", XSD + "boolean", XSD + "integer"):
        return ""
    return linker.short(datatype)


# --- views ----------------------------------------------------------------------------------


def resource_view(iri: str, triples: list[Triple], linker: LinkerLike, kind: str) -> dict[str, Any]:
    d = Description(triples, linker)
    node = NamedNode(iri)
    referrers: dict[str, dict[str, Any]] = {}
    for subject, prop in d.incoming.get(node, []):
        if isinstance(subject, NamedNode):
            entry = referrers.setdefault(subject.value, {**d.value(subject), "via": []})
            short = linker.short(prop)
            if short not in entry["via"]:
                entry["via"].append(short)
    view: dict[str, Any] = {
        "iri": iri,
        "kind": kind,
        "title": d.label(iri),
        "types": [d.value(t) for t in d.values(node, RDF_TYPE)],
        "statements": d.table(node),
        "incoming": sorted(referrers.values(), key=lambda e: e["text"].lower()),
        "definition": [v.value for v in d.values(node, SKOS + "definition") + d.values(node, RDFS + "comment")
                       if isinstance(v, Literal)],
        "profile": None,
        "users": None,
    }
    if kind == "city":
        view["profile"] = city_profile(node, d)
    return view


def city_profile(city: NamedNode, d: Description) -> dict[str, Any]:
    notes = {}
    for focus in d.values(city, CIK + "policyFocus"):
        area = d.one(focus, CIK + "policyArea")
        comment = d.one(focus, RDFS + "comment")
        if area is not None and comment is not None:
            notes[area] = comment.value
    sections = []
    for title, prop in CITY_SECTIONS:
        values = d.values(city, CIK + prop)
        if not values:
            continue
        shown = []
        for term in values:
            value = d.value(term)
            if prop == "focusesOn" and term in notes:
                value["detail"] = notes[term]
            if prop == "teamSizeMoreThan":
                value["text"] = "more than " + value["text"]
            if prop == "population":
                year = d.one(city, CIK + "populationYear")
                if year is not None:
                    value["text"] += f" ({year.value})"
            shown.append(value)
        sections.append({"title": title, "values": sorted(shown, key=lambda v: v["text"].lower())
                         if len(shown) > 1 else shown})
    matrix = []
    for node in d.values(city, CIK + "dataSufficiency"):
        area = d.one(node, CIK + "policyArea")
        level = d.one(node, CIK + "sufficiencyLevel")
        if area is None:
            continue
        level_name = level.value.rsplit("#", 1)[-1] if isinstance(level, NamedNode) else ""
        matrix.append({"area": d.value(area), "level": level_name})
    matrix.sort(key=lambda row: row["area"]["text"].lower())
    spotlight = [v.value for v in d.values(city, CIK + "spotlight") if isinstance(v, Literal)]
    wikidata = [
        {"iri": v.value, "relation": relation, "qid": v.value.rsplit("/", 1)[-1]}
        for prop, relation in ((OWL + "sameAs", "same as"), (SKOS + "closeMatch", "close match"))
        for v in d.values(city, prop)
        if isinstance(v, NamedNode) and v.value.startswith(("http://www.wikidata.org/", "https://www.wikidata.org/"))
    ]
    snapshots = []
    for subject, prop in d.incoming.get(city, []):
        if prop == DCT + "subject" and isinstance(subject, NamedNode):
            snapshots.append(d.value(subject))
    return {"sections": sections, "matrix": matrix, "levels": LEVELS, "spotlight": spotlight,
            "wikidata": wikidata, "snapshots": snapshots, "rounds": None}


def ontology_view(triples: list[Triple], linker: LinkerLike, ontology_iri: str) -> dict[str, Any]:
    d = Description(triples, linker)
    groups = [("Classes", OWL + "Class"), ("Object properties", OWL + "ObjectProperty"),
              ("Datatype properties", OWL + "DatatypeProperty"), ("Individuals", OWL + "NamedIndividual")]
    sections = []
    for title, cls in groups:
        terms = []
        for subject, props in d.out.items():
            if isinstance(subject, NamedNode) and any(t.value == cls for t in props.get(RDF_TYPE, [])):
                comment = d.one(subject, RDFS + "comment")
                terms.append({
                    "anchor": subject.value.rsplit("#", 1)[-1],
                    "short": linker.short(subject.value),
                    "label": d.label(subject.value),
                    "comment": comment.value if isinstance(comment, Literal) else "",
                    "statements": d.table(subject),
                })
        if terms:
            sections.append({"title": title, "terms": sorted(terms, key=lambda t: t["short"].lower())})
    return {"iri": ontology_iri, "title": d.label(ontology_iri), "statements": d.table(NamedNode(ontology_iri)),
            "sections": sections}


# --- templates ------------------------------------------------------------------------------

_VALUE = """{% macro show(v) %}{% if v.href %}<a href="{{ v.href }}">{{ v.text }}</a>{% else %}{{ v.text }}{% endif %}{% if v.note %} <span class="muted">{{ v.note }}</span>{% endif %}{% endmacro %}
{% macro stmt_table(rows) %}<table><tr><th>property</th><th>value</th></tr>
{% for row in rows %}<tr><td>{% if row.href %}<a href="{{ row.href }}">{{ row.property }}</a>{% else %}{{ row.property }}{% endif %}</td>
<td>{% for v in row.vals %}{{ show(v) }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>{% endmacro %}
"""

RESOURCE = _VALUE + _HEAD.replace("{% block title %}{% endblock %}", "{{ title }}") + """
<h1>{{ title }}</h1>
<p><code>{{ iri }}</code>{% if types %} · {% for t in types %}{{ show(t) }}{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}</p>
<p class="muted">As {% for name, href in formats %}<a href="{{ href }}">{{ name }}</a>{% if not loop.last %} · {% endif %}{% endfor %}
· <a href="{{ sparql_link }}">open in SPARQL</a></p>
{% for text in definition %}<p>{{ text }}</p>{% endfor %}
{% if profile %}
{% if profile.rounds %}<p class="rounds">Survey round <strong>{{ profile.rounds.shown }}</strong>{% if profile.rounds.latest %} (the latest){% endif %}: the facts of snapshot {{ show(profile.rounds.snapshot) }}.{% if profile.rounds.others %}
Other rounds: {% for o in profile.rounds.others %}<a href="{{ o.href }}">{{ o.label }}</a>{% if o.latest %} (latest){% endif %}{% if not loop.last %}, {% endif %}{% endfor %}
· <a href="{{ profile.rounds.compare }}">compare the rounds</a>{% endif %}</p>{% endif %}
{% if profile.wikidata %}<p>Wikidata: {% for w in profile.wikidata %}<a href="{{ w.iri }}">{{ w.qid }}</a> ({{ w.relation }}){% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
<table class="profile">
{% for section in profile.sections %}
<tr><th>{{ section.title }}</th><td>{% if section["values"] | length > 1 %}<ul>{% for v in section["values"] %}<li>{{ show(v) }}{% if v.detail %}: <span class="detail">{{ v.detail }}</span>{% endif %}</li>{% endfor %}</ul>
{% else %}{% for v in section["values"] %}{{ show(v) }}{% if v.detail %}: <span class="detail">{{ v.detail }}</span>{% endif %}{% endfor %}{% endif %}</td></tr>
{% endfor %}
</table>
{% if profile.matrix %}
<h2>Data availability</h2>
<table class="matrix"><tr><th>policy area</th>{% for _, name in profile.levels %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in profile.matrix %}<tr><td>{{ show(row.area) }}</td>{% for level, _ in profile.levels %}<td>{{ '✓' if row.level == level }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endif %}
{% if profile.spotlight %}<h2>Spotlight</h2>{% for text in profile.spotlight %}<p class="spotlight">{{ text }}</p>{% endfor %}{% endif %}
{% if profile.snapshots %}<h2>Source</h2><p>{% for s in profile.snapshots %}{{ show(s) }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
<details><summary>All statements</summary>{{ stmt_table(statements) }}</details>
{% else %}
{{ stmt_table(statements) }}
{% endif %}
{% if users is not none %}
<h2>Cities using it</h2>
{% if users %}<ul>{% for u in users %}<li><a href="{{ u.href }}">{{ u.name }}</a> <span class="muted">({{ u.via | join(', ') }})</span></li>{% endfor %}</ul>
{% else %}<p class="muted">No city uses it.</p>{% endif %}
{% endif %}
{% if incoming and not profile %}
<h2>Referenced by</h2>
<ul>{% for r in incoming %}<li>{{ show(r) }} <span class="muted">({{ r.via | join(', ') }})</span></li>{% endfor %}</ul>
{% endif %}
""" + _FOOT

ONTOLOGY = _VALUE + _HEAD.replace("{% block title %}{% endblock %}", "{{ title }}") + """
<h1>{{ title }}</h1>
<p><code>{{ iri }}</code> · As <a href="?format=turtle">turtle</a> · <a href="?format=jsonld">jsonld</a>
· <a href="?format=ntriples">ntriples</a> · <a href="?format=rdfxml">rdfxml</a></p>
{{ stmt_table(statements) }}
{% for section in sections %}
<h2>{{ section.title }}</h2>
{% for term in section.terms %}
<section id="{{ term.anchor }}"><h3>{{ term.short }} <span class="muted">{{ term.label }}</span></h3>
{% if term.comment %}<p>{{ term.comment }}</p>{% endif %}
<details><summary>statements</summary>{{ stmt_table(term.statements) }}</details></section>
{% endfor %}
{% endfor %}
""" + _FOOT

HOME = _HEAD.replace("{% block title %}{% endblock %}", "Home") + """
<h1>citykg</h1>
<p>The OECD / Bloomberg Philanthropies <strong>City Innovation Snapshots</strong> as linked data.
Data IRIs live under <code>{{ base }}</code>; each resolves here (HTML, Turtle, JSON-LD, N-Triples, RDF/XML).</p>
<h2>Query</h2>
<form method="post" action="/sparql">
<p><textarea name="query" rows="8" cols="90" aria-label="SPARQL query">{{ example }}</textarea></p>
<p><label for="format">result format</label> <select id="format" name="format">
<option value="json">SPARQL JSON</option><option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="xml">SPARQL XML</option><option value="turtle">Turtle (CONSTRUCT/DESCRIBE)</option>
<option value="jsonld">JSON-LD (CONSTRUCT/DESCRIBE)</option></select>
<button type="submit">Run</button></p>
<p class="muted">Prefixes <code>cik:</code>, <code>city:</code>, <code>role:</code>, <code>rdfs:</code>… are predeclared. The default graph is the union of all graphs.</p>
</form>
<h2>Cities</h2>
<ul>{% for c in cities %}<li><a href="{{ c.href }}">{{ c.name }}</a>{% if c.country %} <span class="muted">{{ c.country }}</span>{% endif %}</li>{% endfor %}</ul>
<h2>Canned queries</h2>
<ul>{% for q in queries %}<li><a href="{{ q.href }}">{{ q.name }}</a>: {{ q.summary }}</li>{% endfor %}</ul>
<h2>Data</h2>
<ul>
<li>Download: {% for f in exports %}<a href="/export?format={{ f }}">{{ f }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</li>
<li><a href="/.well-known/void">VoID description</a> · <a href="/context.jsonld">JSON-LD context</a> · <a href="/ontology">ontology</a></li>
<li><a href="/sparql">SPARQL endpoint</a> (service description) · <a href="/queries">canned queries</a> · <a href="/openapi.json">OpenAPI</a></li>
</ul>
""" + _FOOT

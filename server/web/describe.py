"""Resource descriptions as the values pages show: a resource page (a readable profile for a
city) and the ontology page (templates ``resource.html`` and ``ontology.html``).

Views are plain dicts made from the triples of a description; the templates escape every value
(Jinja autoescaping) and nothing is marked safe. Links are local pages for IRIs under the base
(and the ontology), the IRI itself for other http(s) IRIs, and none otherwise, so a stored
``javascript:`` IRI stays text.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from mapper.rdf import ONTOLOGY_IRI
from server.store.prefixes import CIK, DCT, OWL, RDF, RDFS, SCHEMA, SKOS, XSD, compact_iri, ordered_prefixes

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
# The sections a city page shows first, as key facts (the profile table has the others).
KEY_FACTS = ("Population", "Mayor", "Lead innovation officer(s)", "Innovation team size",
             "Explicit innovation strategy", "Dedicated funding for innovation")


class LinkerLike(Protocol):
    def href(self, iri: str) -> str | None: ...
    def short(self, iri: str) -> str: ...


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
            "wikidata": wikidata, "snapshots": snapshots, "rounds": None,
            "facts": [s for s in sections if s["title"] in KEY_FACTS],
            "details": [s for s in sections if s["title"] not in KEY_FACTS and s["title"] != "Country"],
            "country": next((s["values"] for s in sections if s["title"] == "Country"), [])}


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

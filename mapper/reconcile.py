"""Offline Wikidata reconciliation of the surveyed cities and their countries.

Pure logic: names and gazetteer rows in, matches and quads out. The one function that reads
files is :func:`load_gazetteer`, which the server calls with ``seeds/wikidata``; everything
else works on text (:func:`parse_gazetteer`) so tests can feed it rows directly.

Two sources, in order of authority:

``verified-qids.csv`` (curated)
    QIDs of the seed cities and countries with a status: ``verified`` (two independent
    sources agree) gives ``owl:sameAs``; ``provisional`` / ``single-source`` give
    ``skos:closeMatch``. It wins over the gazetteer, also when the gazetteer found the place
    (same QID or same GeoNames id).
``natural-earth-50m-populated-places.csv`` (gazetteer)
    1,244 places with Natural Earth's own ``wikidataid``. A city found there by its name (as
    printed, or without accents) as the only place of that name in the printed country is
    ``owl:sameAs`` it; a match by a variant of the name ("City of X"), or without a country
    to restrict it, is ``skos:closeMatch``.
``reconciled-qids.csv`` (online, reviewable)
    Written by ``citykg reconcile`` from Wikidata itself (restricted to the city's country and
    to human settlements), one row per city with its evidence (the names searched, the
    candidate's label, country and score). A city the two files above leave unlinked takes
    the row's QID: ``skos:closeMatch`` as written (one source), ``owl:sameAs`` once a reviewer
    sets the row's status to ``verified``; ``ambiguous``, ``unmatched`` and ``rejected`` rows
    link nothing.
``countries.csv`` (countries)
    Natural Earth Admin-0 countries and @rapideditor/country-coder side by side
    (``refresh.py``): a QID both give is ``owl:sameAs``, one only ``skos:closeMatch``. The
    row of a country concept is chosen by :func:`pick_country_row`, which also writes the
    links into ``ontology/vocab/country.ttl`` (``ontology/tools/make_countries.py``).

A city is looked up by its printed name (columns ``name``, ``name_en``, ``name_es``, then
``nameascii`` folded), restricted to its country (the country vocabulary's concept, whose
``skos:notation`` is the ISO code in ``iso_a2``) and, when printed, its region ("CO" in
"Denver, CO", matched against ``adm1name``). Several distinct QIDs left after those filters
make the city *ambiguous*; none make it *unmatched*. Neither is ever guessed: both are
recorded (with the candidates and the reason) and reported. Countries come from the curated
list, then from ``countries.csv``.

The matches are triples of the named graph ``{base}reconciliation``: per city or country a node
``{iri}/wikidata-match`` (``cik:Reconciliation``) with the status, entity, method, confidence
and source, the evidence (the source row, the name it matched and the country code that
restricted the search), plus the ``owl:sameAs`` / ``skos:closeMatch`` triple itself. Same
input, same quads.

A matched city whose QID is a gazetteer place's also gets that place's coordinates on its node
(``geo:lat`` / ``geo:long`` of the W3C WGS84 vocabulary, as Natural Earth gives them, whichever
source gave the QID), with the row they come from in ``cik:coordinatesRecord``: what the web
front end's map draws, offline.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from functools import lru_cache
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad
from unidecode import unidecode

from mapper.model import Snapshot
from mapper.rdf import CIK, DEFAULT_BASE, PROV, RDF_TYPE, RDFS, SKOS, XSD, city_id, rebase
from mapper.text import slugify
from mapper.vocab import Concept, Vocabulary, default_vocabulary

WD = "http://www.wikidata.org/entity/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS_CLOSE_MATCH = SKOS + "closeMatch"
CURATED_FILE = "verified-qids.csv"
GAZETTEER_FILE = "natural-earth-50m-populated-places.csv"
COUNTRIES_FILE = "countries.csv"
RECONCILED_FILE = "reconciled-qids.csv"
# The links file ``citykg reconcile`` writes: the columns of verified-qids.csv, then the evidence.
RECONCILED_COLUMNS = ("kind", "label", "country_iso2", "qid", "status", "geonames_id", "method", "score",
                      "candidate_label", "candidate_country", "query", "candidates", "endpoint", "retrieved", "note")
LINKING_STATUSES = ("reconciled", "verified", "provisional")  # rows with these statuses (and a QID) link
GRAPH_NAME = "reconciliation"  # the graph is {base}reconciliation
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"

MATCHED, UNMATCHED, AMBIGUOUS = "matched", "unmatched", "ambiguous"
SAME_AS, CLOSE_MATCH = "sameAs", "closeMatch"
CURATED, EXACT, FOLDED, VARIANT = "curated-list", "gazetteer-exact", "gazetteer-folded", "gazetteer-variant"
COUNTRY_TABLE = "country-table"
ONLINE = "wikidata-online"

# Confidence is a rank for readers and queries, not a probability: curated verified > curated
# one-source > gazetteer by exact name > by folded name > by a variant of the name; a city
# matched without a country to narrow it (its name is unique in the gazetteer) ranks lower.
CONFIDENCE = {
    ("curated", "verified"): Decimal("1.0"),
    ("curated", "other"): Decimal("0.7"),
    (COUNTRY_TABLE, "verified"): Decimal("1.0"),
    (COUNTRY_TABLE, "other"): Decimal("0.7"),
    (ONLINE, "verified"): Decimal("0.95"),  # found online, then checked by a reviewer
    (ONLINE, "other"): Decimal("0.75"),  # found online, one candidate in the country, not yet reviewed
    EXACT: Decimal("0.9"),
    FOLDED: Decimal("0.85"),
    VARIANT: Decimal("0.7"),
}
NO_COUNTRY_PENALTY = Decimal("0.2")

_QID = re.compile(r"^Q[1-9][0-9]*$")
_DROPPED = re.compile(r"[.'`´’‘]")
_SEPARATORS = re.compile(r"[\W_]+")
_TOKENS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_CITY_AFFIXES = (re.compile(r"^(?:the\s+)?(?:city|town|municipality|municipio|municipalidad|ciudad|cidade|alcald[ií]a|"
                            r"ayuntamiento|prefeitura(?:\s+municipal)?|comune|ville)\s+(?:of|de|do|da|di)\s+", re.IGNORECASE),
                 re.compile(r"\s+(?:city|municipality)$", re.IGNORECASE))

# Printed region abbreviations -> admin-1 names as Natural Earth spells them, per ISO country.
REGION_ABBREVIATIONS: dict[str, dict[str, str]] = {
    "US": {
        "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
        "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
        "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
        "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
        "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
        "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
        "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
        "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
        "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
        "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
        "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    },
    "CA": {
        "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
        "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Québec",
        "SK": "Saskatchewan", "YT": "Yukon",
    },
    "AU": {
        "ACT": "Australian Capital Territory", "NSW": "New South Wales", "NT": "Northern Territory",
        "QLD": "Queensland", "SA": "South Australia", "TAS": "Tasmania", "VIC": "Victoria",
        "WA": "Western Australia",
    },
    "BR": {
        "AC": "Acre", "AL": "Alagoas", "AP": "Amapá", "AM": "Amazonas", "BA": "Bahia", "CE": "Ceará",
        "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás", "MA": "Maranhão",
        "MT": "Mato Grosso", "MS": "Mato Grosso do Sul", "MG": "Minas Gerais", "PA": "Pará",
        "PB": "Paraíba", "PR": "Paraná", "PE": "Pernambuco", "PI": "Piauí", "RJ": "Rio de Janeiro",
        "RN": "Rio Grande do Norte", "RS": "Rio Grande do Sul", "RO": "Rondônia", "RR": "Roraima",
        "SC": "Santa Catarina", "SP": "São Paulo", "SE": "Sergipe", "TO": "Tocantins",
    },
}


# --- names ----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 15)  # every city is compared with every curated entry's names
def name_key(text: str, fold: bool = False) -> str:
    """The key under which a place name is compared.

    Case, punctuation (``St. John's`` = ``st johns``), hyphens and spacing never matter, and
    ``St``/``Ste``/``Ft``/``Mt`` read as ``Saint``/``Sainte``/``Fort``/``Mount``; with ``fold``
    accents and other marks go too (``Medellín`` = ``Medellin``, ``São Paulo`` = ``Sao Paulo``).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if fold:
        text = unidecode(text).casefold()
    text = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).strip()
    return " ".join(_TOKENS.get(token, token) for token in text.split())


def split_city_region(name: str, region: str | None) -> tuple[str, str | None]:
    """ "Denver, CO" -> ("Denver", "CO") when no region was printed apart; else unchanged."""
    head, sep, tail = name.rpartition(",")
    if region is None and sep and head.strip() and tail.strip():
        return head.strip(), tail.strip()
    return name.strip(), region.strip() if region else None


def name_variants(name: str) -> list[str]:
    """Other forms of a printed city name: without "City of" / a trailing "City"."""
    variants = []
    for affix in _CITY_AFFIXES:
        shorter = affix.sub("", name).strip()
        if shorter and shorter != name and shorter not in variants:
            variants.append(shorter)
    return variants


def _abbreviation(text: str) -> str:
    return re.sub(r"[^A-Za-z]", "", text).upper()


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One gazetteer row (Natural Earth populated place)."""

    line: int  # 1-based line of the CSV file (the header is line 1), to check a match by hand
    qid: str
    names: tuple[str, ...]  # name, name_en, name_es (as printed by Natural Earth)
    ascii_name: str  # nameascii
    country: str | None  # IRI of the country concept (by iso_a2 notation, else by adm0name)
    country_name: str  # adm0name
    admin1: str  # adm1name
    geonames_id: str
    ne_id: str = ""  # Natural Earth's own id of the row
    latitude: str = ""  # decimal degrees as the row prints them
    longitude: str = ""

    def record(self) -> str:
        """``natural-earth-50m-populated-places.csv line 1115 (ne_id 1159151245, geonamesid 5419384)``"""
        ids = ", ".join(f"{name} {value}" for name, value in (("ne_id", self.ne_id), ("geonamesid", self.geonames_id)) if value)
        return f"{GAZETTEER_FILE} line {self.line}" + (f" ({ids})" if ids else "")


@dataclass(frozen=True)
class CuratedEntry:
    """One row of verified-qids.csv."""

    kind: str  # city | country | admin1
    label: str
    names: tuple[str, ...]  # the label, and its capitalised parenthesis as another name
    iso2: str
    country: str | None  # IRI of the country concept with that notation
    qid: str
    status: str  # verified | provisional | single-source
    geonames_id: str
    line: int = 0  # 1-based line of verified-qids.csv

    @property
    def verified(self) -> bool:
        return self.status == "verified"


@dataclass(frozen=True)
class CountryRow:
    """One row of countries.csv: a country's QID from Natural Earth and/or country-coder."""

    line: int  # 1-based line of the CSV file (the header is line 1)
    iso2: str
    qid: str
    status: str  # verified (both sources give this QID) | single-source
    ne_admin: str
    ne_name: str
    ne_id: str
    cc_feature: str  # index of the feature in country-coder's borders.json
    cc_name: str

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def record(self) -> str:
        """``countries.csv line 5 (Natural Earth ne_id 1159320329; country-coder feature 134)``"""
        parts = [f"Natural Earth ne_id {self.ne_id}" if self.ne_id else "",
                 f"country-coder feature {self.cc_feature}" if self.cc_feature else ""]
        return f"{COUNTRIES_FILE} line {self.line} ({'; '.join(p for p in parts if p)})"


@dataclass(frozen=True)
class ReconciledEntry:
    """One row of reconciled-qids.csv (written by ``citykg reconcile``, reviewable by hand)."""

    line: int
    label: str
    iso2: str
    country: str | None  # IRI of the country concept with that notation
    qid: str  # "" when the row links nothing (ambiguous, unmatched)
    status: str  # reconciled | verified | provisional | ambiguous | unmatched | rejected
    fields: dict[str, str]  # every column as written (the evidence)

    @property
    def links(self) -> bool:
        return bool(self.qid) and self.status in LINKING_STATUSES

    def record(self) -> str:
        """``reconciled-qids.csv line 3 (https://query.wikidata.org/sparql, 2026-11-29)``"""
        where = ", ".join(v for v in (self.fields.get("endpoint", ""), self.fields.get("retrieved", "")[:10]) if v)
        return f"{RECONCILED_FILE} line {self.line}" + (f" ({where})" if where else "")


def parse_reconciled(text: str, vocab: Vocabulary | None = None) -> list[ReconciledEntry]:
    """The city rows of reconciled-qids.csv; a malformed QID is read as none."""
    by_notation = _countries_by_notation(vocab or default_vocabulary())
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader if text.strip() else []:
        fields = {key: (value or "").strip() for key, value in row.items() if key}
        if fields.get("kind", "city") != "city" or not fields.get("label"):
            continue
        qid = fields.get("qid", "")
        iso2 = fields.get("country_iso2", "").upper()
        rows.append(ReconciledEntry(reader.line_num, fields["label"], iso2, by_notation.get(iso2),
                                    qid if _QID.match(qid) else "", fields.get("status", ""), fields))
    return rows


def pick_country_row(iso2: str | None, labels: Iterable[str], rows: list[CountryRow]) -> CountryRow | None:
    """The countries.csv row of a country concept (ISO code ``iso2``, names ``labels``).

    A code shared by several rows (France and Clipperton Island, the Kingdom of Denmark and
    Denmark) is narrowed by a label equal to a row's name, then to the one verified row; a
    concept without a code is found by name. None when that leaves no row or several (the
    two sources disagree on Palestine): never a guess.
    """
    keys = {name_key(label, fold=True) for label in labels}
    named = [r for r in rows if keys & {name_key(n, fold=True) for n in (r.ne_admin, r.ne_name, r.cc_name) if n}]
    same_code = [r for r in rows if iso2 and r.iso2 == iso2.upper()]
    if same_code:
        for candidates in ([r for r in same_code if r in named], [r for r in same_code if r.verified], same_code):
            if len(candidates) == 1:
                return candidates[0]
        return None
    return named[0] if len({r.qid for r in named}) == 1 else None


@dataclass
class Gazetteer:
    """The sources, places indexed by name key. Build with :func:`parse_gazetteer`."""

    places: list[Place]
    curated: list[CuratedEntry]
    vocab: Vocabulary
    countries: list[CountryRow] = field(default_factory=list)
    reconciled: list[ReconciledEntry] = field(default_factory=list)  # reconciled-qids.csv
    exact: dict[str, list[Place]] = field(default_factory=dict)
    folded: dict[str, list[Place]] = field(default_factory=dict)
    admin1: dict[str, set[str | None]] = field(default_factory=dict)  # admin-1 key -> its countries
    by_notation: dict[str, str] = field(default_factory=dict)  # ISO code -> country concept IRI
    by_qid: dict[str, Place] = field(default_factory=dict)  # QID -> its first row

    def __post_init__(self) -> None:
        self.by_notation = _countries_by_notation(self.vocab)
        for place in self.places:
            self.by_qid.setdefault(place.qid, place)
            for key in {name_key(n) for n in place.names if n}:
                self.exact.setdefault(key, []).append(place)
            for key in {name_key(n, fold=True) for n in (*place.names, place.ascii_name) if n}:
                self.folded.setdefault(key, []).append(place)
            if place.admin1:
                self.admin1.setdefault(name_key(place.admin1, fold=True), set()).add(place.country)

    def curated_for(self, kind: str) -> list[CuratedEntry]:
        return [entry for entry in self.curated if entry.kind == kind]


def load_gazetteer(directory: Path, vocab: Vocabulary | None = None) -> Gazetteer:
    """Read ``verified-qids.csv``, the Natural Earth CSV and (when present) ``countries.csv``
    and ``reconciled-qids.csv`` from ``directory`` (UTF-8)."""
    directory = Path(directory)
    curated = (directory / CURATED_FILE).read_text(encoding="utf-8-sig")
    places = (directory / GAZETTEER_FILE).read_text(encoding="utf-8-sig")
    countries_path = directory / COUNTRIES_FILE
    countries = countries_path.read_text(encoding="utf-8-sig") if countries_path.exists() else ""
    gazetteer = parse_gazetteer(places, curated, vocab, countries)
    reconciled_path = directory / RECONCILED_FILE
    if reconciled_path.exists():
        gazetteer.reconciled = parse_reconciled(reconciled_path.read_text(encoding="utf-8-sig"), gazetteer.vocab)
    return gazetteer


def parse_country_rows(countries_csv: str) -> list[CountryRow]:
    """The rows of countries.csv with a well-formed QID."""
    reader = csv.DictReader(io.StringIO(countries_csv))
    rows = []
    for row in reader:
        qid = (row.get("qid") or "").strip()
        if _QID.match(qid):
            rows.append(CountryRow(reader.line_num, (row.get("iso_a2") or "").strip().upper(), qid,
                                   (row.get("status") or "").strip(), *((row.get(c) or "").strip() for c in
                                   ("ne_admin", "ne_name", "ne_id", "cc_feature", "cc_name"))))
    return rows


def parse_gazetteer(places_csv: str, curated_csv: str = "", vocab: Vocabulary | None = None,
                    countries_csv: str = "") -> Gazetteer:
    """The sources from their CSV text; rows without a well-formed QID are skipped."""
    vocab = vocab or default_vocabulary()
    by_notation = _countries_by_notation(vocab)
    places = []
    reader = csv.DictReader(io.StringIO(places_csv))
    for row in reader:
        qid = (row.get("wikidataid") or "").strip()
        if not _QID.match(qid):
            continue
        names = tuple(dict.fromkeys(n.strip() for n in (row.get(c) or "" for c in ("name", "name_en", "name_es")) if n.strip()))
        country = by_notation.get((row.get("iso_a2") or "").strip().upper())
        if country is None and (concept := vocab.lookup("country", row.get("adm0name") or "")):
            country = concept.iri
        places.append(Place(reader.line_num, qid, names, (row.get("nameascii") or "").strip(), country,
                            (row.get("adm0name") or "").strip(), (row.get("adm1name") or "").strip(),
                            (row.get("geonamesid") or "").strip(), (row.get("ne_id") or "").strip(),
                            _degrees(row.get("latitude"), 90), _degrees(row.get("longitude"), 180)))
    curated = []
    curated_reader = csv.DictReader(io.StringIO(curated_csv))
    for row in curated_reader if curated_csv.strip() else []:
        qid, iso2 = (row.get("qid") or "").strip(), (row.get("country_iso2") or "").strip().upper()
        if not _QID.match(qid):
            continue
        label = (row.get("label") or "").strip()
        curated.append(CuratedEntry((row.get("kind") or "").strip(), label, _curated_names(label), iso2,
                                    by_notation.get(iso2), qid, (row.get("status") or "").strip(),
                                    (row.get("geonames_id") or "").strip(), curated_reader.line_num))
    return Gazetteer(places, curated, vocab, parse_country_rows(countries_csv))


def _countries_by_notation(vocab: Vocabulary) -> dict[str, str]:
    return {c.notation.upper(): c.iri for c in vocab.concepts.values() if c.scheme == "country" and c.notation}


def _curated_names(label: str) -> tuple[str, ...]:
    """ "Mexico City (Ciudad de México)" -> both names; "Lima (region)" -> "Lima" only."""
    match = re.fullmatch(r"(?P<name>.*?)\s*\((?P<inner>[^()]*)\)", label)
    if not match:
        return (label,)
    inner = match["inner"].strip()
    return (match["name"], inner) if inner[:1].isupper() else (match["name"],)


# --- matches ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """The outcome of reconciling one name: a QID and how it was found, or why there is none."""

    status: str  # matched | unmatched | ambiguous
    qid: str | None = None
    link: str | None = None  # sameAs | closeMatch
    method: str | None = None
    confidence: Decimal | None = None
    source: str | None = None  # the file the QID comes from
    candidates: tuple[str, ...] = ()  # the QIDs an ambiguous name could be
    note: str = ""
    # evidence of a match: the source row, the name there that matched, the ISO code of the
    # country that restricted the search (None: no country restricted it)
    record: str = ""
    matched_name: str = ""
    country_code: str | None = None
    # where the matched place is (latitude, longitude in decimal degrees) and the row saying so
    coordinates: tuple[str, str] | None = None
    coordinates_record: str = ""

    @property
    def matched(self) -> bool:
        return self.status == MATCHED

    @property
    def entity(self) -> str | None:
        return WD + self.qid if self.qid else None

    @property
    def link_property(self) -> str | None:
        return {SAME_AS: OWL_SAME_AS, CLOSE_MATCH: SKOS_CLOSE_MATCH}.get(self.link or "")

    def rank(self) -> tuple[int, Decimal]:
        """Higher is better: a sameAs beats a closeMatch beats ambiguous beats unmatched."""
        order = {SAME_AS: 3, CLOSE_MATCH: 2}.get(self.link or "", 1 if self.status == AMBIGUOUS else 0)
        return order, self.confidence or Decimal(0)

    def summary(self) -> str:
        """``Q48278 sameAs``, ``Q53077 closeMatch``, ``unmatched`` or ``ambiguous (Q1, Q2)``."""
        if self.matched:
            return f"{self.qid} {self.link}"
        if self.candidates:
            return f"{self.status} ({', '.join(self.candidates)})"
        return self.status

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "qid": self.qid,
            "link": self.link,
            "method": self.method,
            "confidence": float(self.confidence) if self.confidence is not None else None,
            "source": self.source,
            "candidates": list(self.candidates),
            "note": self.note,
            "record": self.record,
            "matched_name": self.matched_name,
            "country_code": self.country_code,
        }


@dataclass(frozen=True)
class SnapshotMatches:
    city: Match
    country: Match | None  # None when the snapshot prints no country


class Reconciler:
    """Matches city and country names against a :class:`Gazetteer`."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.vocab = gazetteer.vocab
        self._countries: dict[str, Match] = {}  # a build names a few dozen countries thousands of times

    # countries

    def country(self, name: str) -> Match:
        if name not in self._countries:
            self._countries[name] = self._country(name)
        return self._countries[name]

    def _country(self, name: str) -> Match:
        concept = self.vocab.lookup("country", name)
        if concept is None:
            return Match(UNMATCHED, note=f"country {name!r} is not in the country vocabulary")
        entries = [e for e in self.gazetteer.curated_for("country") if e.country == concept.iri]
        qids = _distinct(e.qid for e in entries)
        if len(qids) > 1:
            return Match(AMBIGUOUS, candidates=qids, note=f"{CURATED_FILE} gives {len(qids)} QIDs for {concept.pref_label}")
        row = pick_country_row(concept.notation, [concept.pref_label], self.gazetteer.countries)
        if entries:
            agrees = "" if row is None else f"; {row.record()} gives {row.qid}" + (" too" if row.qid == qids[0] else "")
            return _curated_match(entries[0], f"ISO 3166-1 code {entries[0].iso2} of {concept.pref_label}{agrees}",
                                  country_code=concept.notation)
        if row is None:
            return Match(UNMATCHED, note=f"neither {CURATED_FILE} nor {COUNTRIES_FILE} identifies one QID for "
                                         f"{concept.pref_label} ({concept.notation or 'no ISO code'})")
        kind = "verified" if row.verified else "other"
        sources = "Natural Earth and country-coder agree" if row.verified else "one source only"
        return Match(MATCHED, row.qid, SAME_AS if row.verified else CLOSE_MATCH, COUNTRY_TABLE,
                     CONFIDENCE[(COUNTRY_TABLE, kind)], COUNTRIES_FILE,
                     note=f"{concept.pref_label} ({concept.notation or 'no ISO code'}) is {row.qid} in {row.record()}: {sources}",
                     record=row.record(), matched_name=row.ne_admin or row.cc_name, country_code=row.iso2 or None)

    # cities

    def city(self, name: str, region: str | None = None, country: str | None = None) -> Match:
        """Reconcile a printed city name; ``region`` and ``country`` as printed, if at all. The
        offline sources first; a city they leave unlinked takes its reconciled-qids.csv row. A
        match whose QID is a gazetteer place's carries that place's coordinates."""
        match = self.offline_city(name, region, country)
        if not match.matched and self.gazetteer.reconciled:
            match = self._reconciled_city(name, region, country, match) or match
        place = self.gazetteer.by_qid.get(match.qid or "") if match.matched else None
        if place is None or not (place.latitude and place.longitude):
            return match
        return replace(match, coordinates=(place.latitude, place.longitude), coordinates_record=place.record())

    def offline_city(self, name: str, region: str | None = None, country: str | None = None) -> Match:
        """The match of the curated list and the gazetteer alone (``citykg reconcile`` asks
        Wikidata about the cities these leave unlinked)."""
        name, region = split_city_region(name, region)
        country_concept = self.vocab.lookup("country", country) if country else None
        notes = []
        if country and country_concept is None:
            notes.append(f"country {country!r} is not in the country vocabulary, so it does not narrow the search")
        where = f" in {country_concept.pref_label}" if country_concept else ""
        if region:
            where += f" ({region})"
        names = [name, *name_variants(name)]
        regions = self._regions(region, country_concept)
        if region and regions is None:
            notes.append(f"region {region!r} is not a known admin-1 name or abbreviation, so it does not narrow the search")

        curated = self._curated_city(names, country_concept, regions, notes)
        if curated is not None:
            return curated

        region_filter = None if regions is None else (lambda p: (p.country, name_key(p.admin1, fold=True)) in regions)
        elsewhere: list[Place] = []
        for method, keys, index in (
            (EXACT, {name_key(name)}, self.gazetteer.exact),
            (FOLDED, {name_key(name, fold=True)}, self.gazetteer.folded),
            (VARIANT, {name_key(v, fold=True) for v in names[1:]}, self.gazetteer.folded),
        ):
            found = sorted({p for key in keys for p in index.get(key, [])}, key=lambda p: p.line)
            kept = [p for p in found if country_concept is None or p.country == country_concept.iri]
            if region_filter is not None:
                kept = [p for p in kept if region_filter(p)]
            elsewhere += [p for p in found if p not in kept and p not in elsewhere]
            if not kept:
                continue
            qids = _distinct(p.qid for p in kept)
            if len(qids) > 1:
                places = "; ".join(_place_text(p) for p in kept)
                reason = "the country and region do not separate them" if country_concept else "no country to separate them"
                return Match(AMBIGUOUS, candidates=qids, note=_join(notes, f"{len(qids)} gazetteer places named {name!r}: {places}; {reason}"))
            return self._gazetteer_match(kept[0], method, name, country_concept, notes)
        if elsewhere:
            notes.append(f"the gazetteer has {name!r} only elsewhere: " + "; ".join(_place_text(p) for p in elsewhere[:5]))
        return Match(UNMATCHED, note=_join(notes, f"no place named {name!r}{where} in {CURATED_FILE} or {GAZETTEER_FILE}"))

    def snapshot(self, snapshot: Snapshot) -> SnapshotMatches:
        country = snapshot.country.value if snapshot.country else None
        region = snapshot.region.value if snapshot.region else None
        return SnapshotMatches(self.city(snapshot.city.value, region, country),
                               self.country(country) if country else None)

    def _reconciled_city(self, name: str, region: str | None, country: str | None, offline: Match) -> Match | None:
        """The linking reconciled-qids.csv row of this city (its name or a variant, and its
        country); None when there is none. Two rows with different QIDs link nothing."""
        name, region = split_city_region(name, region)
        concept = self.vocab.lookup("country", country) if country else None
        keys = {name_key(n, fold=True) for n in (name, *name_variants(name))}
        rows = [r for r in self.gazetteer.reconciled
                if name_key(r.label, fold=True) in keys and (concept is None or r.country == concept.iri)]
        linking = [r for r in rows if r.links]
        qids = _distinct(r.qid for r in linking)
        if len(qids) > 1:
            return Match(AMBIGUOUS, candidates=qids, note=_join([offline.note], f"{RECONCILED_FILE} gives {len(qids)} QIDs for {name!r}"))
        if not linking:
            return None
        row = linking[0]
        verified = row.status == "verified"
        evidence = row.fields
        why = (f"{name!r} reconciled online: {evidence.get('query') or 'no query recorded'}; candidate "
               f"{evidence.get('candidate_label') or '?'} ({row.qid}) in {evidence.get('candidate_country') or row.iso2}, "
               f"score {evidence.get('score') or '?'}; status {row.status}"
               + (" (checked by a reviewer)" if verified else " (one source, not reviewed)"))
        return Match(MATCHED, row.qid, SAME_AS if verified else CLOSE_MATCH, ONLINE,
                     CONFIDENCE[(ONLINE, "verified" if verified else "other")], RECONCILED_FILE,
                     note=_join([offline.note] if offline.note else [], why), record=row.record(),
                     matched_name=evidence.get("candidate_label") or row.label, country_code=row.iso2 or None)

    def _curated_city(self, names: list[str], country: Concept | None, regions: set | None, notes: list[str]) -> Match | None:
        """The curated city of that name (and country, and the region's country, when printed)."""
        keys = {name_key(n, fold=True) for n in names}
        entries = [
            e for e in self.gazetteer.curated_for("city")
            if keys & {name_key(n, fold=True) for n in e.names}
            and (country is None or e.country == country.iri)
            and (regions is None or e.country in {c for c, _ in regions})
        ]
        qids = _distinct(e.qid for e in entries)
        if len(qids) > 1:
            return Match(AMBIGUOUS, candidates=qids, note=_join(notes, f"{CURATED_FILE} has {len(qids)} cities named {names[0]!r}; no country to separate them"))
        if not entries:
            return None
        return _curated_match(entries[0], f"name {names[0]!r}" + (f" in {country.pref_label}" if country else ""), notes)

    def _regions(self, region: str | None, country: Concept | None) -> set[tuple[str | None, str]] | None:
        """The (country IRI, admin-1 key) pairs a printed region can mean: an admin-1 name of
        the gazetteer ("Colorado") or a state abbreviation ("CO"), within the country when one
        is printed. None when there is no region or it is not recognised (then it is ignored)."""
        if not region:
            return None
        key = name_key(region, fold=True)
        allowed = {(c, key) for c in self.gazetteer.admin1.get(key, set())}
        abbreviation = _abbreviation(region)
        for iso, table in REGION_ABBREVIATIONS.items():
            if abbreviation in table and iso in self.gazetteer.by_notation:
                allowed.add((self.gazetteer.by_notation[iso], name_key(table[abbreviation], fold=True)))
        if country is not None:
            allowed = {(c, k) for c, k in allowed if c == country.iri}
        return allowed or None

    def _gazetteer_match(self, place: Place, method: str, name: str, country: Concept | None, notes: list[str]) -> Match:
        """A gazetteer place; the curated list wins when it knows the place (QID or GeoNames id).

        ``owl:sameAs`` needs a printed country and the name itself (case, punctuation and
        accents aside) as the only place of that name in the country; otherwise (a variant of
        the name, no country) the link is ``skos:closeMatch``."""
        where = f"{GAZETTEER_FILE} line {place.line} ({_place_text(place)})"
        evidence = {"record": place.record(), "matched_name": place.names[0] if place.names else place.ascii_name,
                    "country_code": country.notation if country else None}
        for entry in self.gazetteer.curated_for("city"):
            if entry.qid == place.qid or (entry.geonames_id and entry.geonames_id == place.geonames_id):
                disagree = f"; Natural Earth gives {place.qid}" if entry.qid != place.qid else ""
                return _curated_match(entry, f"{where}{disagree}", notes, country_code=evidence["country_code"])
        confidence = CONFIDENCE[method] - (NO_COUNTRY_PENALTY if country is None else 0)
        same_as = country is not None and method in (EXACT, FOLDED) and self._only_place_of_name(name, country) == place.qid
        if same_as:
            why = f"the only place named {name!r} in {country.pref_label}"
        elif country is None:
            why = "no country printed to restrict it, the name is unique in the gazetteer"
        else:
            why = "a variant of the printed name" if method == VARIANT else "not the only place of that name in the country"
        return Match(MATCHED, place.qid, SAME_AS if same_as else CLOSE_MATCH, method, confidence, GAZETTEER_FILE,
                     note=_join(notes, f"{name!r} matched {where}: {why}"), **evidence)

    def _only_place_of_name(self, name: str, country: Concept) -> str | None:
        """The QID of the one gazetteer place of ``country`` whose name (accents aside) is
        ``name``; None when there are none or several."""
        places = {p.qid for p in self.gazetteer.folded.get(name_key(name, fold=True), []) if p.country == country.iri}
        return next(iter(places)) if len(places) == 1 else None


def _curated_match(entry: CuratedEntry, how: str, notes: list[str] = (), country_code: str | None = None) -> Match:
    confidence = CONFIDENCE[("curated", "verified" if entry.verified else "other")]
    return Match(MATCHED, entry.qid, SAME_AS if entry.verified else CLOSE_MATCH, CURATED, confidence, CURATED_FILE,
                 note=_join(list(notes), f"{entry.label!r} ({entry.status}) in {CURATED_FILE}, found by {how}"),
                 record=f"{CURATED_FILE} line {entry.line}", matched_name=entry.label,
                 country_code=country_code or entry.iso2 or None)


def _degrees(text: str | None, limit: int) -> str:
    """A latitude (``limit`` 90) or longitude (180) as a decimal literal; "" unless well-formed."""
    try:
        value = Decimal((text or "").strip())
    except ArithmeticError:
        return ""
    return str(value) if value.is_finite() and abs(value) <= limit else ""


def _distinct(qids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(qids))


def _place_text(place: Place) -> str:
    parts = [place.names[0] if place.names else place.ascii_name, place.admin1, place.country_name]
    return f"{', '.join(p for p in parts if p)} = {place.qid}"


def _join(notes: list[str], last: str) -> str:
    return "; ".join([*notes, last])


# --- triples ----------------------------------------------------------------------------------


def reconciliation_graph(base: str = DEFAULT_BASE) -> NamedNode:
    return NamedNode(base + GRAPH_NAME)


def city_iri(snapshot: Snapshot, base: str = DEFAULT_BASE) -> NamedNode:
    """The city's IRI, as mapper.rdf makes it."""
    return NamedNode(f"{base}city/{city_id(snapshot)}")


def country_iri(name: str, base: str = DEFAULT_BASE, vocab: Vocabulary | None = None) -> NamedNode:
    """The country's IRI, as mapper.rdf makes it (the vocabulary concept, or a free-text node)."""
    concept = (vocab or default_vocabulary()).lookup("country", name)
    return NamedNode(rebase(concept.iri, base) if concept else f"{base}country/{slugify(name)}")


class Links:
    """The matches of a build: one per city or country IRI, the best one when several
    snapshots describe the same city (first seen wins a tie, so document order decides)."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = base
        self.best: dict[str, tuple[NamedNode, Match, NamedNode | None]] = {}

    def add(self, subject: NamedNode, match: Match, derived_from: NamedNode | None = None) -> None:
        current = self.best.get(subject.value)
        if current is None or match.rank() > current[1].rank():
            self.best[subject.value] = (subject, match, derived_from)

    def add_snapshot(self, snapshot: Snapshot, matches: SnapshotMatches, graph: NamedNode | None, vocab: Vocabulary | None = None) -> None:
        country = snapshot.country.value if snapshot.country else None
        self.add_matches(city_iri(snapshot, self.base), country, matches, graph, vocab)

    def add_matches(self, city: NamedNode, country: str | None, matches: SnapshotMatches, graph: NamedNode | None,
                    vocab: Vocabulary | None = None) -> None:
        """The matches of one snapshot, given its city's IRI and its country as printed."""
        self.add(city, matches.city, graph)
        if country and matches.country is not None:
            self.add(country_iri(country, self.base, vocab), matches.country, graph)

    def matches(self) -> dict[str, Match]:
        return {iri: match for iri, (_, match, _) in sorted(self.best.items())}

    def city_matches(self) -> dict[str, Match]:
        """The matches of cities only (IRIs under ``{base}city/``)."""
        return {iri: match for iri, match in self.matches().items() if iri.startswith(f"{self.base}city/")}

    def quads(self) -> list[Quad]:
        """The reconciliation nodes, and the links of the cities. A country's link is left to
        the country vocabulary (ontology/vocab/country.ttl states it, from the same row): a
        triple stored in two graphs shows twice in a query over their union."""
        graph = reconciliation_graph(self.base)
        out: dict[Quad, None] = {}
        for iri in sorted(self.best):
            subject, match, derived_from = self.best[iri]
            in_vocabulary = iri.startswith(f"{self.base}country/")
            for quad in match_quads(subject, match, graph, derived_from, link=not in_vocabulary):
                out[quad] = None
        return list(out)


def match_quads(subject: NamedNode, match: Match, graph: NamedNode, derived_from: NamedNode | None = None,
                link: bool = True) -> list[Quad]:
    """The reconciliation node ``{subject}/wikidata-match`` and, when matched (and ``link``),
    the link itself."""
    node = NamedNode(f"{subject.value}/wikidata-match")

    def cik(name: str) -> NamedNode:
        return NamedNode(CIK + name)

    triples = [
        (node, RDF_TYPE, cik("Reconciliation")),
        (node, cik("reconciles"), subject),
        (node, cik("matchStatus"), Literal(match.status)),
    ]
    if match.matched and match.entity and match.link_property:
        entity = NamedNode(match.entity)
        triples += [(subject, NamedNode(match.link_property), entity)] if link else []
        triples += [
            (node, cik("matchedEntity"), entity),
            (node, cik("matchMethod"), Literal(match.method or "")),
            (node, cik("matchConfidence"), Literal(str(match.confidence), datatype=NamedNode(XSD + "decimal"))),
            (node, cik("matchSource"), Literal(match.source or "")),
        ]
        evidence = (("matchRecord", match.record), ("matchedName", match.matched_name), ("matchCountryCode", match.country_code))
        triples += [(node, cik(name), Literal(value)) for name, value in evidence if value]
        if match.coordinates:
            decimal = NamedNode(XSD + "decimal")
            triples += [
                (node, NamedNode(GEO + "lat"), Literal(match.coordinates[0], datatype=decimal)),
                (node, NamedNode(GEO + "long"), Literal(match.coordinates[1], datatype=decimal)),
                (node, cik("coordinatesRecord"), Literal(match.coordinates_record)),
            ]
    triples += [(node, cik("candidateEntity"), NamedNode(WD + qid)) for qid in match.candidates]
    if match.note:
        triples.append((node, NamedNode(RDFS + "comment"), Literal(match.note, language="en")))
    if derived_from is not None:
        triples.append((node, NamedNode(PROV + "wasDerivedFrom"), derived_from))
    return [Quad(s, p, o, graph) for s, p, o in triples]

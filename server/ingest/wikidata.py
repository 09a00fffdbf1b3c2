"""Reconciling surveyed cities with Wikidata online: the client behind ``citykg reconcile``.

The offline sources (``seeds/wikidata``: the curated list and Natural Earth's 1:50m places) lack
many mid-sized cities. For each city they leave unlinked, this asks the Wikidata Query Service
(SPARQL 1.1 Protocol) for items

- whose label or alias (English, Spanish, Portuguese, French, German, Italian, Hebrew or the
  language-neutral ``mul``) is the printed name, its accent-free form or a variant ("City of X"),
- in the city's country (``wdt:P17``, the country's QID from ``seeds/wikidata/countries.csv``),
- that are human settlements (``wdt:P31/wdt:P279*`` ``wd:Q486972``),
- and, when a region is printed ("Denver, CO"), located in it (``wdt:P131+`` an item of that
  English label),

and writes one row per city to a reviewable links file (``reconciled-qids.csv``: the columns of
``verified-qids.csv`` and the evidence, see ``mapper.reconcile.RECONCILED_COLUMNS``) that every
offline build reads. One candidate is accepted (``reconciled``: ``skos:closeMatch`` until a
reviewer sets ``verified``); several are *ambiguous* and accepted only when the printed
population picks exactly one (Wikidata's within a factor of 1.5 of the snapshot's), else listed
for review; none is *unmatched*. Nothing is guessed.

Politeness (the Wikimedia User-Agent policy and the query service's limits): a descriptive
User-Agent with a contact, one request at a time at least ``delay`` seconds apart, a timeout,
and on 429/503 a wait of ``Retry-After`` (bounded) before a retry.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
from unidecode import unidecode

from mapper.reconcile import RECONCILED_COLUMNS, WD, name_key, name_variants, split_city_region
from server.errors import CitykgError
from server.ingest.fetch import _retry_after as retry_after

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
PROJECT_URL = "https://w3id.org/citykg"
HUMAN_SETTLEMENT = "Q486972"
LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "he", "mul")
DEFAULT_DELAY = 1.0  # seconds between two requests
DEFAULT_TIMEOUT = 60.0  # the query service's own limit
MAX_RETRY_WAIT = 120.0
POPULATION_FACTOR = Decimal("1.5")  # Wikidata's population within this factor of the snapshot's
RETRY_STATUSES = (429, 500, 502, 503, 504)
REVIEWED = ("verified", "rejected", "provisional")  # statuses a person set: never overwritten


class ReconcileError(CitykgError):
    """Wikidata could not be asked (network, HTTP status, bad answer): the message says which."""


def user_agent(contact: str | None = None) -> str:
    """``citykg-reconcile/<version> (https://w3id.org/citykg; <contact>) httpx/<version>``."""
    try:
        from importlib.metadata import version

        release = version("citykg")
    except Exception:  # noqa: BLE001 - a source checkout that is not installed
        release = "0"
    details = "; ".join((PROJECT_URL, contact or "reconciling surveyed cities with Wikidata"))
    return f"citykg-reconcile/{release} ({details}) httpx/{httpx.__version__}"


# --- what is asked ------------------------------------------------------------------------


@dataclass(frozen=True)
class CityToReconcile:
    """A surveyed city as printed: its name, region, country (with the QID and ISO code the
    offline sources give the country) and population, when known."""

    name: str
    country: str
    country_qid: str
    iso2: str
    region: str | None = None
    population: int | None = None

    def searched_names(self) -> list[str]:
        """The printed name ("City, ST" split off), its accent-free form and its variants."""
        name, _ = split_city_region(self.name, self.region)
        names = [name, unidecode(name), *name_variants(name)]
        return list(dict.fromkeys(n for n in names if n.strip()))

    def region_name(self) -> str | None:
        return split_city_region(self.name, self.region)[1]


def candidates_query(city: CityToReconcile, region_label: str | None = None) -> str:
    """The SPARQL text for ``city``: labels and aliases equal to a searched name, in the
    country, human settlements, in the region when one is given."""
    literals = " ".join(f'"{_escape(n)}"@{lang}' for n in city.searched_names() for lang in LANGUAGES)
    region = ""
    if region_label:
        region = f'  ?item wdt:P131+ ?region . ?region rdfs:label "{_escape(region_label)}"@en .\n'
    return (
        "PREFIX wd: <http://www.wikidata.org/entity/>\n"
        "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT DISTINCT ?item ?name ?via ?label ?population WHERE {\n"
        f"  VALUES ?name {{ {literals} }}\n"
        '  { ?item rdfs:label ?name BIND("label" AS ?via) } UNION { ?item skos:altLabel ?name BIND("alias" AS ?via) }\n'
        f"  ?item wdt:P17 wd:{city.country_qid} ; wdt:P31/wdt:P279* wd:{HUMAN_SETTLEMENT} .\n"
        f"{region}"
        '  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "en") }\n'
        "  OPTIONAL { ?item wdt:P1082 ?population }\n"
        "}"
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# --- the client ---------------------------------------------------------------------------


@dataclass
class WikidataClient:
    """SPARQL over HTTP with a descriptive User-Agent, pacing, a timeout and bounded retries.
    ``sleep`` and ``clock`` are injectable, so tests check the waits without waiting."""

    endpoint: str = DEFAULT_ENDPOINT
    contact: str | None = None
    delay: float = DEFAULT_DELAY
    timeout: float = DEFAULT_TIMEOUT
    retries: int = 3
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str], None] | None = None
    requests: int = 0
    _last: float | None = None
    _http: httpx.Client | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout, headers={"User-Agent": user_agent(self.contact)})

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> WikidataClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, query: str) -> list[dict[str, dict[str, str]]]:
        """The bindings of a SELECT; ``ReconcileError`` naming the endpoint when it fails."""
        response = None
        for attempt in range(self.retries + 1):
            self._pace()
            self.requests += 1
            try:
                response = self._http.post(self.endpoint, data={"query": query},
                                           headers={"Accept": "application/sparql-results+json"})
            except httpx.TimeoutException:
                raise ReconcileError(f"the Wikidata endpoint {self.endpoint} did not answer within {self.timeout:g} s") from None
            except httpx.TransportError as exc:
                raise ReconcileError(f"the Wikidata endpoint {self.endpoint} cannot be reached "
                                     f"({type(exc).__name__}: {exc})") from None
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            wait = min(MAX_RETRY_WAIT, retry_after(response) or 2.0 * 2**attempt)
            if self.on_event:
                self.on_event(f"{self.endpoint} answered {response.status_code}; waiting {wait:g} s before retrying")
            self.sleep(wait)
            self._last = self.clock()
        assert response is not None
        if response.status_code != 200:
            raise ReconcileError(f"the Wikidata endpoint {self.endpoint} answered {response.status_code}: "
                                 f"{response.text[:300].strip()}")
        try:
            return response.json()["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise ReconcileError(f"the Wikidata endpoint {self.endpoint} did not answer SPARQL JSON results") from None

    def _pace(self) -> None:
        """At least ``delay`` seconds between the starts of two requests."""
        if self._last is not None:
            wait = self.delay - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()


# --- one city -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    qid: str
    label: str  # English label, else the name that matched
    matched: str  # the label or alias that equals a searched name
    via: str  # "label" | "alias"
    population: int | None

    def text(self) -> str:
        people = f", population {self.population}" if self.population is not None else ""
        return f"{self.qid} {self.label} ({self.via} {self.matched!r}{people})"


def reconcile_city(client: WikidataClient, city: CityToReconcile, region_label: str | None = None) -> dict[str, str]:
    """Ask Wikidata about ``city``; the links-file row (every column of RECONCILED_COLUMNS)."""
    query = candidates_query(city, region_label)
    candidates = _candidates(client.select(query))
    searched = " | ".join(city.searched_names())
    restrictions = f"country wd:{city.country_qid} ({city.iso2}), P31/P279* wd:{HUMAN_SETTLEMENT}"
    if region_label:
        restrictions += f", P131+ {region_label!r}"
    row = {column: "" for column in RECONCILED_COLUMNS}
    row.update(kind="city", label=city.name, country_iso2=city.iso2, method="wikidata-sparql",
               query=f"label or alias in {searched}; {restrictions}", endpoint=client.endpoint,
               retrieved=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
               candidates="; ".join(c.text() for c in candidates))
    chosen, why = _choose(candidates, city.population)
    if chosen is None:
        row.update(status="ambiguous" if candidates else "unmatched", note=why)
        return row
    score = Decimal("1.0") if chosen.via == "label" else Decimal("0.9")
    if len(candidates) > 1:
        score -= Decimal("0.2")
    row.update(status="reconciled", qid=chosen.qid, candidate_label=chosen.label,
               candidate_country=f"{city.country} (wd:{city.country_qid})", score=str(score), note=why)
    return row


def _candidates(bindings: Iterable[dict[str, dict[str, str]]]) -> list[Candidate]:
    """One candidate per item (a label match beats an alias match), in QID order."""
    found: dict[str, Candidate] = {}
    for binding in bindings:
        iri = binding.get("item", {}).get("value", "")
        if not iri.startswith(WD + "Q"):
            continue
        qid = iri[len(WD):]
        matched = binding.get("name", {}).get("value", "")
        label = binding.get("label", {}).get("value", "") or matched
        via = binding.get("via", {}).get("value", "alias")
        population = _integer(binding.get("population", {}).get("value"))
        previous = found.get(qid)
        if previous is not None:
            via = "label" if "label" in (via, previous.via) else via
            matched = previous.matched if previous.via == "label" else matched
            population = max((p for p in (population, previous.population) if p is not None), default=None)
        found[qid] = Candidate(qid, label, matched, via, population)
    return sorted(found.values(), key=lambda c: int(c.qid[1:]))


def _choose(candidates: list[Candidate], population: int | None) -> tuple[Candidate | None, str]:
    if not candidates:
        return None, "no human settlement of that name in the country"
    if len(candidates) == 1:
        return candidates[0], "the only human settlement of that name in the country"
    if population:
        near = [c for c in candidates if c.population and _within(c.population, population)]
        if len(near) == 1:
            return near[0], (f"{len(candidates)} settlements of that name; only {near[0].qid} has a population "
                             f"({near[0].population}) within a factor of {POPULATION_FACTOR} of the snapshot's ({population})")
    return None, f"{len(candidates)} settlements of that name in the country: left for review"


def _within(value: int, reference: int) -> bool:
    return reference / POPULATION_FACTOR <= value <= reference * POPULATION_FACTOR


def _integer(text: str | None) -> int | None:
    try:
        return int(Decimal(text)) if text else None
    except (InvalidOperation, ValueError):
        return None


# --- the links file -----------------------------------------------------------------------


def row_key(label: str, iso2: str) -> tuple[str, str]:
    return name_key(label, fold=True), iso2.upper()


def read_links(path: Path) -> list[dict[str, str]]:
    """The rows of a links file (none when it does not exist yet)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ReconcileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return [{column: (row.get(column) or "") for column in RECONCILED_COLUMNS} for row in csv.DictReader(io.StringIO(text))]


def write_links(path: Path, rows: Iterable[dict[str, str]]) -> None:
    """All rows, sorted by country and name, written whole (a temporary file renamed over it)."""
    ordered = sorted(rows, key=lambda r: (r["country_iso2"], name_key(r["label"], fold=True)))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RECONCILED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ReconcileError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def needs_asking(row: dict[str, str] | None, refresh: bool) -> bool:
    """A city without a row is asked; a reviewed row never; another only with ``refresh``."""
    if row is None:
        return True
    return refresh and row.get("status") not in REVIEWED

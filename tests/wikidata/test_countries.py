"""Country QIDs (issue 11): every country of the seeds and of the shared fixtures' labels, and
every concept of ontology/vocab/country.ttl, linked from seeds/wikidata/countries.csv.

The expected QIDs were read by hand from countries.csv (the row of the ISO code, where Natural
Earth's WIKIDATAID and country-coder's wikidata agree: status "verified").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, parse

from mapper.reconcile import COUNTRY_TABLE, CURATED, MATCHED, SAME_AS, UNMATCHED, Reconciler, load_gazetteer
from mapper.vocab import ONTOLOGY_DIR
from server.store.build import WIKIDATA_DIR
from tests.conftest import REPO

WD = "http://www.wikidata.org/entity/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS_CLOSE_MATCH = "http://www.w3.org/2004/02/skos/core#closeMatch"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
COUNTRY_CLASS = "https://w3id.org/citykg/ontology#Country"
FIXTURE_LABELS = REPO / "tests" / "mapper" / "fixtures" / "labels"  # copied from ../shared/fixtures

# printed country -> QID (countries.csv line in the comment)
SEED_COUNTRIES = {
    "Colombia": "Q739",  # line 55
    "Mexico": "Q96",  # line 171
    "Peru": "Q419",  # line 189
    "United States": "Q30",  # line 252
}
FIXTURE_COUNTRIES = {
    "United States": "Q30",
    "New Zealand": "Q664",  # line 186
    "Portugal": "Q45",  # line 200
    "Chile": "Q298",  # line 52
    "Australia": "Q408",  # line 15 (by name among the four AU rows, lines 15-18)
    "Israel": "Q801",  # line 117
    "Argentina": "Q414",  # line 12
    "Colombia": "Q739",
    "Korea": "Q884",  # line 136, KR
    "Denmark": "Q35",  # line 68 (Denmark, not the Kingdom of Denmark Q756617, line 67)
    "Brazil": "Q155",  # line 36
    "Mexico": "Q96",
    "South Africa": "Q258",  # line 267
    "Costa Rica": "Q800",  # line 57
}
UNLINKED = {"Palestine", "Somaliland"}  # the sources disagree (Q23792 / Q219060); neither lists Somaliland


@pytest.fixture(scope="module")
def reconciler() -> Reconciler:
    return Reconciler(load_gazetteer(WIKIDATA_DIR))


@pytest.fixture(scope="module")
def vocabulary_links() -> dict[str, tuple[str, str | None]]:
    """prefLabel -> (link property, Wikidata entity) of every concept in country.ttl."""
    with (ONTOLOGY_DIR / "vocab" / "country.ttl").open("rb") as handle:
        triples = list(parse(handle, format=RdfFormat.TURTLE))
    concepts = {t.subject.value for t in triples if t.object == NamedNode(COUNTRY_CLASS)}
    labels = {t.subject.value: t.object.value for t in triples if t.predicate.value == SKOS_PREF_LABEL}
    links = {t.subject.value: (t.predicate.value, t.object.value) for t in triples
             if t.predicate.value in (OWL_SAME_AS, SKOS_CLOSE_MATCH)}
    return {labels[c]: links.get(c, (None, None)) for c in concepts}


def test_the_fixture_countries_are_the_ones_listed_here() -> None:
    printed = {country for path in FIXTURE_LABELS.glob("*.json")
               for country in (json.loads(path.read_text(encoding="utf-8")).get("country") or [])}
    assert printed == set(FIXTURE_COUNTRIES)


@pytest.mark.parametrize(("country", "qid"), sorted({**SEED_COUNTRIES, **FIXTURE_COUNTRIES}.items()))
def test_every_seed_and_fixture_country_is_same_as_its_qid(reconciler: Reconciler, vocabulary_links, country, qid) -> None:
    match = reconciler.country(country)
    assert (match.status, match.qid, match.link) == (MATCHED, qid, SAME_AS), match.note
    assert match.method in (CURATED, COUNTRY_TABLE) and match.record
    assert vocabulary_links[country] == (OWL_SAME_AS, WD + qid)


def test_every_country_concept_is_linked_but_the_two_no_source_identifies(vocabulary_links) -> None:
    assert len(vocabulary_links) == 217
    assert {label for label, (link, _) in vocabulary_links.items() if link is None} == UNLINKED
    close = {label: entity for label, (link, entity) in vocabulary_links.items() if link == SKOS_CLOSE_MATCH}
    assert close == {"Svalbard and Jan Mayen Islands": WD + "Q842829"}  # country-coder only: Natural Earth counts it in Norway


def test_the_reconciler_reads_the_same_qid_as_the_vocabulary(reconciler: Reconciler, vocabulary_links) -> None:
    """make_countries.py and the build's reconciler pick the countries.csv row the same way."""
    for label, (link, entity) in vocabulary_links.items():
        match = reconciler.country(label)
        if link is None:
            assert match.status == UNMATCHED, label
        else:
            assert (match.entity, match.link) == (entity, SAME_AS if link == OWL_SAME_AS else "closeMatch"), label


def test_the_country_table_names_its_two_sources_per_row() -> None:
    lines = (WIKIDATA_DIR / "countries.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "iso_a2,ne_admin,ne_name,ne_type,ne_id,qid,status,cc_feature,cc_name,cc_code"
    # line 87, France: Natural Earth ne_id 1159320637 and country-coder feature 212 both give Q142
    assert lines[86] == "FR,France,France,Country,1159320637,Q142,verified,212,France,FR"
    assert all(line.count(",verified,") == 1 or ",single-source," in line for line in lines[1:])


def test_the_vendored_files_stay_small() -> None:
    sizes = {path.name: path.stat().st_size for path in Path(WIKIDATA_DIR).iterdir()}
    assert sum(sizes.values()) < 2_000_000, sizes

"""City matching (issue 11): name + country, tolerant of accents, "City, ST" suffixes, hyphens,
apostrophes and the dataset's other names; namesakes the country cannot separate are left
unlinked and reported; each link carries its evidence.

Expected values were read by hand from seeds/wikidata/natural-earth-50m-populated-places.csv
(line numbers given; columns name, name_en, name_es, nameascii, iso_a2, ..., wikidataid,
geonamesid, wof_id, ne_id) and seeds/wikidata/verified-qids.csv.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from mapper.reconcile import AMBIGUOUS, CLOSE_MATCH, MATCHED, SAME_AS, UNMATCHED, Reconciler, load_gazetteer
from server.store.build import WIKIDATA_DIR, build_store
from server.store.embedded import open_store
from tests.conftest import REPO, SEEDS

CIK = "https://w3id.org/citykg/ontology#"
BASE = "https://w3id.org/citykg/"
GAZETTEER = "natural-earth-50m-populated-places.csv"


@pytest.fixture(scope="module")
def reconciler() -> Reconciler:
    return Reconciler(load_gazetteer(WIKIDATA_DIR))


@pytest.mark.parametrize(
    ("name", "country", "qid"),
    [
        # line 165: Maceió,Maceió,Maceió,Maceio,BR,Brazil,Alagoas,...,Q168888
        ("Maceió", "Brazil", "Q168888"),
        ("Maceio", "Brazil", "Q168888"),
        ("MACEIÓ", "Brasil", "Q168888"),  # the country's altLabel
        # line 1161: Pittsburgh,...,US,United States of America,Pennsylvania,...,Q1342
        ("Pittsburgh, PA", "United States", "Q1342"),
        ("Pittsburgh, Pennsylvania", "USA", "Q1342"),
        # line 544: Tel Aviv-Yafo,Tel Aviv,Tel Aviv,Tel Aviv-Yafo,IL,Israel,...,Q33935
        ("Tel Aviv-Yafo", "Israel", "Q33935"),
        ("Tel Aviv Yafo", "Israel", "Q33935"),
        ("Tel-Aviv-Yafo", "Israel", "Q33935"),
        # line 232: St. John's,St. John's,San Juan de Terranova,St. John's,CA,Canada,...,Q2082
        ("St. John's", "Canada", "Q2082"),
        ("Saint Johns", "Canada", "Q2082"),
        ("St John’s", "Canada", "Q2082"),  # typographic apostrophe
        # line 1151: New York,New York City,Nueva York,New York,US,...,Q60 (name_en, name_es)
        ("New York City", "United States", "Q60"),
        ("Nueva York", "United States", "Q60"),
    ],
)
def test_accents_suffixes_hyphens_apostrophes_and_other_names(reconciler: Reconciler, name, country, qid) -> None:
    match = reconciler.city(name, None, country)
    assert (match.status, match.qid, match.link) == (MATCHED, qid, SAME_AS), match.note


def test_the_search_is_restricted_to_the_printed_country(reconciler: Reconciler) -> None:
    # line 12: Saint John's,...,AG,Antigua and Barbuda,...,Q36262; and St. John's, Canada (line 232)
    assert reconciler.city("St. John's", None, "Antigua and Barbuda").qid == "Q36262"
    unknown = reconciler.city("St. John's", None, "Ireland")
    assert (unknown.status, unknown.qid) == (UNMATCHED, None)
    assert "only elsewhere" in unknown.note


def test_namesakes_without_a_country_are_left_unlinked_and_named(reconciler: Reconciler) -> None:
    match = reconciler.city("St. John's")
    assert (match.status, match.qid, match.link, match.candidates) == (AMBIGUOUS, None, None, ("Q36262", "Q2082"))
    assert "Antigua and Barbuda" in match.note and "Canada" in match.note


def test_namesakes_within_one_country_are_left_unlinked(reconciler: Reconciler) -> None:
    # lines 357-358: two Suzhous in China (Jiangsu Q42622, Anhui Q360643)
    match = reconciler.city("Suzhou", None, "China")
    assert (match.status, match.qid, match.candidates) == (AMBIGUOUS, None, ("Q42622", "Q360643"))
    assert match.to_dict()["candidates"] == ["Q42622", "Q360643"]  # what the build report shows


@pytest.mark.parametrize(
    ("name", "region", "country", "qid", "link", "why"),
    [
        ("Pittsburgh", None, "United States", "Q1342", SAME_AS, "the only place named 'Pittsburgh' in United States"),
        ("Pittsburgh, PA", None, None, "Q1342", CLOSE_MATCH, "no country printed"),  # the state is no printed country
        ("City of Curitiba", None, "Brazil", "Q4361", CLOSE_MATCH, "a variant of the printed name"),  # line 158
        # the region separates the two Suzhous, but the country holds a namesake
        ("Suzhou", "Jiangsu", "China", "Q42622", CLOSE_MATCH, "not the only place of that name in the country"),
    ],
)
def test_same_as_needs_the_printed_name_alone_in_the_printed_country(reconciler: Reconciler, name, region, country, qid, link, why) -> None:
    match = reconciler.city(name, region, country)
    assert (match.qid, match.link) == (qid, link)
    assert why in match.note


def test_a_gazetteer_match_names_its_source_row(reconciler: Reconciler) -> None:
    match = reconciler.city("Denver, CO", None, "United States")
    # line 1115: Denver,...,Q16554,5419384,...,ne_id 1159151483
    assert match.record == f"{GAZETTEER} line 1115 (ne_id 1159151483, geonamesid 5419384)"
    assert (match.matched_name, match.country_code, match.source) == ("Denver", "US", GAZETTEER)
    assert match.to_dict()["record"] == match.record


def test_a_curated_match_names_its_source_row(reconciler: Reconciler) -> None:
    match = reconciler.city("Medellín", None, "Colombia")
    assert (match.record, match.matched_name, match.country_code) == ("verified-qids.csv line 2", "Medellín", "CO")


def test_the_build_records_the_evidence_in_the_graph(tmp_path: Path) -> None:
    report = build_store([REPO / "tests" / "pages" / "flat-denver.txt", SEEDS / "000_25ed298be2eb3bc2.txt"], tmp_path / "store")
    assert report.written
    store = open_store(tmp_path / "store")
    graph = NamedNode(BASE + "reconciliation")

    def values(subject: str, prop: str) -> set[str]:
        return {q.object.value for q in store.quads_for_pattern(NamedNode(BASE + subject), NamedNode(CIK + prop), None, graph)}

    denver = "city/denver/wikidata-match"
    assert values(denver, "matchedEntity") == {"http://www.wikidata.org/entity/Q16554"}
    assert values(denver, "matchRecord") == {f"{GAZETTEER} line 1115 (ne_id 1159151483, geonamesid 5419384)"}
    assert values(denver, "matchedName") == {"Denver"}
    assert values(denver, "matchCountryCode") == {"US"}
    assert list(store.quads_for_pattern(NamedNode(BASE + "city/denver"), NamedNode("http://www.w3.org/2002/07/owl#sameAs"),
                                        NamedNode("http://www.wikidata.org/entity/Q16554"), graph))
    colombia = "country/colombia/wikidata-match"
    assert values(colombia, "matchRecord") == {"verified-qids.csv line 7"}
    assert values(colombia, "matchCountryCode") == {"CO"}
    assert Literal("curated-list") in {q.object for q in store.quads_for_pattern(
        NamedNode(BASE + colombia), NamedNode(CIK + "matchMethod"), None, graph)}

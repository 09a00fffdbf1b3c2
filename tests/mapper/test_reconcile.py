"""Offline Wikidata reconciliation: the seeds, name variants, ambiguity, the build and the queries.

Every expected QID was read by hand from seeds/wikidata/ (verified-qids.csv for the seeds and
their countries; natural-earth-50m-populated-places.csv, at the line given, for the others;
countries.csv for the other countries).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from mapper.reconcile import (
    AMBIGUOUS,
    CLOSE_MATCH,
    CURATED,
    EXACT,
    FOLDED,
    MATCHED,
    SAME_AS,
    UNMATCHED,
    VARIANT,
    Links,
    Match,
    Reconciler,
    load_gazetteer,
    match_quads,
    name_key,
    parse_gazetteer,
    reconciliation_graph,
)
from server.store.build import WIKIDATA_DIR, build_store
from server.store.embedded import open_store
from server.store.validate import validate_store
from tests.conftest import REPO, SEEDS

WD = "http://www.wikidata.org/entity/"
OWL_SAME_AS = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
SKOS_CLOSE_MATCH = NamedNode("http://www.w3.org/2004/02/skos/core#closeMatch")
CIK = "https://w3id.org/citykg/ontology#"
BASE = "https://w3id.org/citykg/"
MEDELLIN = SEEDS / "000_25ed298be2eb3bc2.txt"
MEXICO_CITY = SEEDS / "001_f03e1c1ef73cc7b8.txt"

SEED_CITIES = {  # city IRI id -> (QID, link)
    "medellin": ("Q48278", SAME_AS),
    "mexico-city": ("Q1489", SAME_AS),
    "lima": ("Q2868", SAME_AS),
    "baltimore": ("Q5092", SAME_AS),
    "saltillo": ("Q53077", CLOSE_MATCH),  # provisional in verified-qids.csv
}
SEED_COUNTRIES = {"colombia": "Q739", "mexico": "Q96", "peru": "Q419", "united-states": "Q30"}


@pytest.fixture(scope="module")
def reconciler() -> Reconciler:
    return Reconciler(load_gazetteer(WIKIDATA_DIR))


@pytest.fixture(scope="module")
def gazetteer_only() -> Reconciler:
    """The Natural Earth gazetteer without the curated list."""
    places = (WIKIDATA_DIR / "natural-earth-50m-populated-places.csv").read_text(encoding="utf-8")
    return Reconciler(parse_gazetteer(places, ""))


def query(store_dir: Path, path: Path) -> list[dict[str, str]]:
    store = open_store(store_dir)
    text = path.read_text(encoding="utf-8")
    rows = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in rows.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in rows]


# --- the seeds directory --------------------------------------------------------------------


def test_the_wikidata_sources_are_copies_of_the_shared_files() -> None:
    shared = REPO.parent / "shared" / "wikidata"
    if not shared.is_dir():
        pytest.skip("../shared/wikidata is not beside this checkout")
    for name in ("verified-qids.csv", "natural-earth-50m-populated-places.csv"):
        assert (WIKIDATA_DIR / name).read_bytes() == (shared / name).read_bytes()


def test_the_gazetteer_loads_every_place_with_its_country(reconciler: Reconciler) -> None:
    gazetteer = reconciler.gazetteer
    assert len(gazetteer.places) == 1244
    assert all(place.country for place in gazetteer.places)  # iso_a2 notation, else adm0name
    assert {entry.kind for entry in gazetteer.curated} == {"city", "country", "admin1"}


def test_a_capitalised_parenthesis_of_a_curated_label_is_another_name(reconciler: Reconciler) -> None:
    names = {entry.label: entry.names for entry in reconciler.gazetteer.curated}
    assert names["Mexico City (Ciudad de México)"] == ("Mexico City", "Ciudad de México")
    assert names["Lima (region)"] == ("Lima",)


# --- the five seeds and their countries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "country", "qid", "link"),
    [
        ("Medellin", "Colombia", "Q48278", SAME_AS),
        ("Mexico City", "Mexico", "Q1489", SAME_AS),
        ("Lima", "Peru", "Q2868", SAME_AS),
        ("Baltimore", "United States", "Q5092", SAME_AS),
        ("Saltillo", "Mexico", "Q53077", CLOSE_MATCH),
    ],
)
def test_the_seed_cities_come_from_the_curated_list(reconciler: Reconciler, name, country, qid, link) -> None:
    match = reconciler.city(name, None, country)
    assert (match.status, match.qid, match.link, match.method, match.source) == (
        MATCHED, qid, link, CURATED, "verified-qids.csv")
    assert match.confidence == (Decimal("1.0") if link == SAME_AS else Decimal("0.7"))


@pytest.mark.parametrize(
    ("country", "qid"),
    [("Colombia", "Q739"), ("Mexico", "Q96"), ("México", "Q96"), ("Peru", "Q419"),
     ("United States", "Q30"), ("USA", "Q30"), ("United States of America", "Q30")],
)
def test_the_seed_countries_are_same_as_their_verified_qid(reconciler: Reconciler, country, qid) -> None:
    match = reconciler.country(country)
    assert (match.status, match.qid, match.link, match.method) == (MATCHED, qid, SAME_AS, CURATED)


def test_a_country_the_curated_list_lacks_comes_from_the_country_table(reconciler: Reconciler) -> None:
    # countries.csv line 87: FR,France,France,Sovereign country,1159320637,Q142,verified,212,France,FR
    match = reconciler.country("France")
    assert (match.status, match.qid, match.link, match.method, match.source) == (
        MATCHED, "Q142", SAME_AS, "country-table", "countries.csv")
    assert match.record == "countries.csv line 87 (Natural Earth ne_id 1159320637; country-coder feature 212)"


@pytest.mark.parametrize("country", ["Narnia", "Palestine"])  # Palestine: the two sources disagree
def test_a_country_no_source_identifies_is_unmatched(reconciler: Reconciler, country) -> None:
    match = reconciler.country(country)
    assert (match.status, match.qid, match.link) == (UNMATCHED, None, None)
    assert match.note


# --- name variants ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "region", "country", "qid", "link", "method"),
    [
        ("MEDELLÍN", None, None, "Q48278", SAME_AS, CURATED),
        ("medellin", None, None, "Q48278", SAME_AS, CURATED),
        ("Medellín", "Antioquia", "Colombia", "Q48278", SAME_AS, CURATED),
        ("Ciudad de México", None, None, "Q1489", SAME_AS, CURATED),
        ("ciudad de mexico", None, "México", "Q1489", SAME_AS, CURATED),
        ("Mexico City, CDMX", None, "Mexico", "Q1489", SAME_AS, CURATED),  # unknown region: ignored
        # Natural Earth line 1115: Denver,...,US,United States of America,Colorado,...,Q16554,5419384
        ("Denver, CO", None, None, "Q16554", CLOSE_MATCH, EXACT),
        ("Denver", "CO", "United States", "Q16554", SAME_AS, EXACT),
        ("DENVER", "Colorado", "USA", "Q16554", SAME_AS, EXACT),
        # line 183: São Paulo,São Paulo,São Paulo,Sao Paulo,BR,Brazil,São Paulo,...,Q174
        ("Sao Paulo", None, "Brazil", "Q174", SAME_AS, FOLDED),
        ("São Paulo, SP", None, None, "Q174", CLOSE_MATCH, EXACT),  # no country printed
        # line 1197: "Washington, D.C.",Washington,...,District of Columbia,...,Q61
        ("Washington, D.C.", None, "United States", "Q61", SAME_AS, EXACT),
        # line 158: Curitiba,...,BR,Brazil,Paraná = Q4361 ("City of" dropped)
        ("City of Curitiba", None, "Brazil", "Q4361", CLOSE_MATCH, VARIANT),
    ],
)
def test_name_variants_reach_the_same_entity(reconciler: Reconciler, name, region, country, qid, link, method) -> None:
    match = reconciler.city(name, region, country)
    assert (match.status, match.qid, match.link, match.method) == (MATCHED, qid, link, method), match.note


@pytest.mark.parametrize(
    ("name", "country", "qid", "link", "method"),
    [
        ("MEDELLÍN", "Colombia", "Q48278", SAME_AS, EXACT),  # case only
        ("Medellin", "Colombia", "Q48278", SAME_AS, EXACT),  # name_en is "Medellin"
        ("Ciudad de México", "Mexico", "Q1489", SAME_AS, EXACT),  # name_es
        ("Ciudad de Mexico", "Mexico", "Q1489", SAME_AS, FOLDED),  # name_es without its accent
        ("Mexico City", None, "Q1489", CLOSE_MATCH, EXACT),  # no country to restrict the search
        ("Baltimore", "United States", "Q5092", SAME_AS, EXACT),
        ("Lima", "Peru", "Q2868", SAME_AS, EXACT),
    ],
)
def test_the_gazetteer_alone_finds_the_seeds(gazetteer_only: Reconciler, name, country, qid, link, method) -> None:
    """A unique name in the printed country is owl:sameAs its place; without a country, closeMatch."""
    match = gazetteer_only.city(name, None, country)
    assert (match.status, match.qid, match.link, match.method, match.source) == (
        MATCHED, qid, link, method, "natural-earth-50m-populated-places.csv")


def test_saltillo_is_not_in_the_gazetteer_so_only_the_curated_list_links_it(gazetteer_only: Reconciler) -> None:
    assert gazetteer_only.city("Saltillo", None, "Mexico").status == UNMATCHED


def test_no_country_lowers_the_confidence_of_a_gazetteer_match(reconciler: Reconciler) -> None:
    with_country = reconciler.city("Denver", None, "United States")
    without = reconciler.city("Denver")
    assert with_country.confidence == Decimal("0.9")
    assert without.confidence == Decimal("0.7")


def test_name_keys_ignore_case_punctuation_and_abbreviations() -> None:
    assert name_key("St. John's") == name_key("saint johns") == "saint johns"
    assert name_key("Tel Aviv-Yafo") == "tel aviv yafo"
    assert name_key("Medellín") != name_key("Medellin")
    assert name_key("Medellín", fold=True) == name_key("MEDELLIN", fold=True) == "medellin"


# --- ambiguity: never guessed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "region", "country", "candidates"),
    [
        # lines 61 and 437: Córdoba, Argentina (Q44210) and Córdoba, Spain (Q5818)
        ("Córdoba", None, None, ("Q44210", "Q5818")),
        ("Cordoba", None, None, ("Q44210", "Q5818")),
        # lines 109 and 1163: Portland, Victoria, Australia (Q1663450); Portland, Oregon (Q6106)
        ("Portland", None, None, ("Q1663450", "Q6106")),
        # lines 357 and 358: two Suzhous in China (Jiangsu Q42622, Anhui Q360643)
        ("Suzhou", None, "China", ("Q42622", "Q360643")),
    ],
)
def test_a_name_the_country_cannot_separate_is_ambiguous(reconciler: Reconciler, name, region, country, candidates) -> None:
    match = reconciler.city(name, region, country)
    assert (match.status, match.qid, match.link, match.candidates) == (AMBIGUOUS, None, None, candidates)
    assert "Q" in match.note


@pytest.mark.parametrize(
    ("name", "region", "country", "qid", "link"),
    [
        ("Córdoba", None, "Argentina", "Q44210", SAME_AS),
        ("Cordoba", None, "Spain", "Q5818", SAME_AS),
        ("Córdoba", "Andalucía", None, "Q5818", CLOSE_MATCH),  # a region, but no country printed
        ("Portland", None, "United States", "Q6106", SAME_AS),
        ("Portland, OR", None, None, "Q6106", CLOSE_MATCH),
        ("Portland", None, "Australia", "Q1663450", SAME_AS),
        # two Suzhous in China: the region separates them, but a namesake in the country stays
        ("Suzhou", "Jiangsu", "China", "Q42622", CLOSE_MATCH),
        ("Suzhou", "Anhui", "China", "Q360643", CLOSE_MATCH),
    ],
)
def test_the_right_country_or_region_separates_them(reconciler: Reconciler, name, region, country, qid, link) -> None:
    match = reconciler.city(name, region, country)
    assert (match.status, match.qid, match.link) == (MATCHED, qid, link), match.note


@pytest.mark.parametrize(
    ("name", "region", "country"),
    [
        ("Envigado", None, "Colombia"),  # absent from both sources
        ("Be'er Sheva", None, "Israel"),
        ("Córdoba", None, "Mexico"),  # in the gazetteer, but not in Mexico
        ("Lima, OH", None, None),  # Lima, Ohio: the curated Lima is in Peru
        ("Denver", "Oregon", "United States"),  # not in that state
    ],
)
def test_a_city_absent_from_the_sources_is_unmatched(reconciler: Reconciler, name, region, country) -> None:
    match = reconciler.city(name, region, country)
    assert (match.status, match.qid, match.link, match.candidates) == (UNMATCHED, None, None, ())
    assert match.note


# --- the curated list wins --------------------------------------------------------------------

_HEADER = "name,name_en,name_es,nameascii,iso_a2,adm0name,adm1name,wikidataid,geonamesid\n"
_CURATED = (WIKIDATA_DIR / "verified-qids.csv").read_text(encoding="utf-8")


def test_the_curated_qid_wins_over_the_gazetteer_for_the_same_place() -> None:
    """A gazetteer row with the curated GeoNames id but another QID gives the curated QID."""
    places = _HEADER + "Medallo,Medallo,Medallo,Medallo,CO,Colombia,Antioquia,Q1,3674962\n"
    match = Reconciler(parse_gazetteer(places, _CURATED)).city("Medallo", None, "Colombia")
    assert (match.qid, match.link, match.method) == ("Q48278", SAME_AS, CURATED)
    assert "Q1" in match.note


def test_a_provisional_curated_qid_stays_a_close_match_even_when_the_gazetteer_agrees() -> None:
    places = _HEADER + "Saltillo,Saltillo,Saltillo,Saltillo,MX,Mexico,Coahuila,Q53077,3988086\n"
    match = Reconciler(parse_gazetteer(places, _CURATED)).city("Saltillo", None, "Mexico")
    assert (match.qid, match.link, match.method) == ("Q53077", CLOSE_MATCH, CURATED)


def test_rows_without_a_well_formed_qid_are_skipped() -> None:
    places = _HEADER + "Nowhere,,,Nowhere,CO,Colombia,,,1\nSomewhere,,,Somewhere,CO,Colombia,,wd:Q5,2\n"
    assert parse_gazetteer(places, "").places == []


# --- triples ----------------------------------------------------------------------------------


def test_a_match_is_a_node_in_the_reconciliation_graph_with_the_link() -> None:
    city = NamedNode(BASE + "city/medellin")
    graph = reconciliation_graph()
    match = Match(MATCHED, "Q48278", SAME_AS, CURATED, Decimal("1.0"), "verified-qids.csv", note="n")
    quads = match_quads(city, match, graph)
    node = NamedNode(BASE + "city/medellin/wikidata-match")
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert {q.graph_name for q in quads} == {NamedNode(BASE + "reconciliation")}
    assert (city, OWL_SAME_AS, NamedNode(WD + "Q48278")) in triples
    assert (node, NamedNode(CIK + "reconciles"), city) in triples
    assert (node, NamedNode(CIK + "matchedEntity"), NamedNode(WD + "Q48278")) in triples
    assert (node, NamedNode(CIK + "matchMethod"), Literal("curated-list")) in triples
    assert (node, NamedNode(CIK + "matchSource"), Literal("verified-qids.csv")) in triples
    decimal = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    assert (node, NamedNode(CIK + "matchConfidence"), Literal("1.0", datatype=decimal)) in triples


def test_an_ambiguous_city_gets_candidates_and_no_link() -> None:
    city = NamedNode(BASE + "city/cordoba")
    match = Match(AMBIGUOUS, candidates=("Q44210", "Q5818"), note="two")
    quads = match_quads(city, match, reconciliation_graph())
    predicates = {q.predicate for q in quads}
    assert OWL_SAME_AS not in predicates and SKOS_CLOSE_MATCH not in predicates
    assert NamedNode(CIK + "matchedEntity") not in predicates
    assert {q.object for q in quads if q.predicate == NamedNode(CIK + "candidateEntity")} == {
        NamedNode(WD + "Q44210"), NamedNode(WD + "Q5818")}


def test_the_best_match_of_a_city_wins_whatever_the_order() -> None:
    city = NamedNode(BASE + "city/x")
    good = Match(MATCHED, "Q5", CLOSE_MATCH, EXACT, Decimal("0.9"), "g")
    better = Match(MATCHED, "Q5", SAME_AS, CURATED, Decimal("1.0"), "c")
    none = Match(UNMATCHED, note="none")
    quads = []
    for order in ([none, good, better], [better, none, good]):
        links = Links()
        for match in order:
            links.add(city, match)
        assert links.matches()[city.value] == better
        quads.append(links.quads())
    assert quads[0] == quads[1]


# --- the build --------------------------------------------------------------------------------


def test_the_seed_build_links_every_city_and_country(seed_build) -> None:
    by_city = {doc.graph_id.rsplit("-", 1)[0]: doc for doc in seed_build.report.documents}
    for city, (qid, link) in SEED_CITIES.items():
        wikidata = by_city[city].wikidata
        assert (wikidata["status"], wikidata["qid"], wikidata["link"]) == (MATCHED, qid, link)
        assert by_city[city].country_wikidata["link"] == SAME_AS
    totals = seed_build.report.totals
    assert (totals.cities_linked, totals.cities_unmatched) == (5, 0)
    store = open_store(seed_build.store)
    graph = NamedNode(BASE + "reconciliation")
    for city, (qid, link) in SEED_CITIES.items():
        predicate = OWL_SAME_AS if link == SAME_AS else SKOS_CLOSE_MATCH
        assert list(store.quads_for_pattern(NamedNode(BASE + "city/" + city), predicate, NamedNode(WD + qid), graph))
    for country, qid in SEED_COUNTRIES.items():  # the country's link is the vocabulary's, stated once
        links = store.quads_for_pattern(NamedNode(BASE + "country/" + country), OWL_SAME_AS, None, None)
        assert [(q.object, q.graph_name) for q in links] == [(NamedNode(WD + qid), NamedNode(BASE + "vocab/country"))]
        match = NamedNode(BASE + "country/" + country + "/wikidata-match")
        assert list(store.quads_for_pattern(match, NamedNode(CIK + "matchedEntity"), NamedNode(WD + qid), graph))
    # Saltillo is provisional: closeMatch only, never sameAs
    assert not list(store.quads_for_pattern(NamedNode(BASE + "city/saltillo"), OWL_SAME_AS, None, None))


def test_the_wikidata_links_query_lists_each_seed_city(seed_store: Path) -> None:
    rows = query(seed_store, REPO / "queries" / "wikidata-links.rq")
    got = {row["city"].rsplit("/", 1)[-1]: row for row in rows}
    assert set(got) == set(SEED_CITIES)
    for city, (qid, link) in SEED_CITIES.items():
        row = got[city]
        assert row["entity"] == WD + qid
        assert row["link"].endswith("#sameAs" if link == SAME_AS else "#closeMatch")
        assert row["method"] == CURATED
        assert Decimal(row["confidence"]) == (Decimal(1) if link == SAME_AS else Decimal("0.7"))
    assert got["medellin"]["countryEntity"] == WD + "Q739"
    assert query(seed_store, REPO / "queries" / "unreconciled-cities.rq") == []


@pytest.fixture(scope="module")
def unmatched_build(tmp_path_factory: pytest.TempPathFactory):
    """Envigado (absent from both sources, in Colombia), Portland with no country (ambiguous)
    and Mexico City (linked), built into a store."""
    docs = tmp_path_factory.mktemp("unmatched-docs")
    text = MEDELLIN.read_text(encoding="utf-8")
    (docs / "envigado.txt").write_text(text.replace("Medellín", "Envigado").replace("Medellin", "Envigado"), encoding="utf-8")
    lines = text.replace("Medellín", "Portland").replace("Medellin", "Portland").split("\n")
    assert lines[2] == "Colombia"
    (docs / "portland.txt").write_text("\n".join(lines[:2] + lines[3:]), encoding="utf-8")
    shutil.copy(MEXICO_CITY, docs / "mexico-city.txt")
    store_dir = tmp_path_factory.mktemp("unmatched-store") / "store"
    report = build_store([docs], store_dir)
    assert report.written
    return store_dir, report


def test_unmatched_and_ambiguous_cities_are_reported(unmatched_build) -> None:
    _, report = unmatched_build
    by_source = {doc.source: doc for doc in report.documents}
    assert by_source["envigado.txt"].wikidata["status"] == UNMATCHED
    assert by_source["envigado.txt"].country_wikidata["qid"] == "Q739"
    assert by_source["portland.txt"].wikidata["status"] == AMBIGUOUS
    assert by_source["portland.txt"].wikidata["candidates"] == ["Q1663450", "Q6106"]
    assert by_source["portland.txt"].country_wikidata is None
    assert by_source["mexico-city.txt"].wikidata["qid"] == "Q1489"
    assert (report.totals.cities, report.totals.cities_linked, report.totals.cities_unmatched) == (3, 1, 2)


def test_the_canned_query_lists_the_unmatched_cities(unmatched_build) -> None:
    store_dir, _ = unmatched_build
    rows = query(store_dir, REPO / "queries" / "unreconciled-cities.rq")
    assert [(row["name"], row["status"]) for row in rows] == [("Envigado", UNMATCHED), ("Portland", AMBIGUOUS)]
    assert rows[0]["country"] == "Colombia"
    assert rows[1]["candidates"] == f"{WD}Q1663450 {WD}Q6106"
    assert "Envigado" in rows[0]["reason"]


def test_a_store_with_unmatched_cities_still_validates(unmatched_build) -> None:
    store_dir, _ = unmatched_build
    violations = [r for r in validate_store(open_store(store_dir)) if r.severity == "Violation"]
    assert violations == []


def test_the_summary_shows_the_links_and_counts_the_unmatched(run_cli, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(MEDELLIN, docs / "medellin.txt")
    text = MEDELLIN.read_text(encoding="utf-8")
    (docs / "envigado.txt").write_text(text.replace("Medellín", "Envigado").replace("Medellin", "Envigado"), encoding="utf-8")
    result = run_cli("build", docs, "--store", tmp_path / "store", "--report", tmp_path / "report.json")
    assert result.code == 0, result.err
    assert "Q48278 sameAs" in result.out and "country Q739 sameAs" in result.out
    assert "unmatched" in result.out
    assert "2 cities (1 linked to Wikidata, 1 unmatched)" in result.out
    listed = run_cli("query", REPO / "queries" / "unreconciled-cities.rq", "--store", tmp_path / "store", "--format", "csv")
    assert listed.code == 0
    assert "Envigado" in listed.out and "Medellin" not in listed.out


def test_builds_are_deterministic(tmp_path: Path, seed_store: Path) -> None:
    again = tmp_path / "store"
    assert build_store([SEEDS], again).written
    graph = NamedNode(BASE + "reconciliation")

    def reconciliation(store_dir: Path) -> set[str]:
        return {str(q) for q in open_store(store_dir).quads_for_pattern(None, None, None, graph)}

    first = reconciliation(seed_store)
    assert first and first == reconciliation(again)


def test_the_links_follow_the_base_iri(tmp_path: Path) -> None:
    base = "http://example.org/kg/"
    assert build_store([MEDELLIN], tmp_path / "store", base).written
    store = open_store(tmp_path / "store")
    graph = NamedNode(base + "reconciliation")
    assert list(store.quads_for_pattern(NamedNode(base + "city/medellin"), OWL_SAME_AS, NamedNode(WD + "Q48278"), graph))
    assert list(store.quads_for_pattern(NamedNode(base + "country/colombia"), OWL_SAME_AS, NamedNode(WD + "Q739"),
                                        NamedNode(base + "vocab/country")))
    assert list(store.quads_for_pattern(NamedNode(base + "country/colombia/wikidata-match"), None, None, graph))


def test_without_the_sources_the_build_has_no_links(tmp_path: Path) -> None:
    """Only the country vocabulary's own links remain (ontology/vocab/country.ttl)."""
    report = build_store([MEDELLIN], tmp_path / "store", wikidata_dir=None)
    assert report.written and report.wikidata_sources is None
    assert report.documents[0].wikidata is None
    store = open_store(tmp_path / "store")
    assert not list(store.quads_for_pattern(NamedNode(BASE + "city/medellin"), OWL_SAME_AS, None, None))
    assert not list(store.quads_for_pattern(None, None, None, NamedNode(BASE + "reconciliation")))
    vocab_links = list(store.quads_for_pattern(NamedNode(BASE + "country/colombia"), OWL_SAME_AS, None, None))
    assert [(q.object, q.graph_name) for q in vocab_links] == [(NamedNode(WD + "Q739"), NamedNode(BASE + "vocab/country"))]


def test_a_city_whose_qid_is_a_gazetteer_place_gets_its_coordinates(reconciler: Reconciler) -> None:
    """Read by hand: natural-earth-50m-populated-places.csv line 393 is Medellín, 6.276949 -75.576956;
    Saltillo (Q53077, from the curated list) is no place of the gazetteer, so it has none."""
    medellin = reconciler.city("Medellin", None, "Colombia")
    assert medellin.method == CURATED  # the QID comes from the curated list, the coordinates from its gazetteer row
    assert medellin.coordinates == ("6.276949", "-75.576956")
    assert medellin.coordinates_record.startswith("natural-earth-50m-populated-places.csv line 393 ")
    assert reconciler.city("Saltillo", None, "Mexico").coordinates is None
    quads = match_quads(NamedNode(BASE + "city/medellin"), medellin, reconciliation_graph())
    geo = "http://www.w3.org/2003/01/geo/wgs84_pos#"
    decimal = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    node = NamedNode(BASE + "city/medellin/wikidata-match")
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert (node, NamedNode(geo + "lat"), Literal("6.276949", datatype=decimal)) in triples
    assert (node, NamedNode(geo + "long"), Literal("-75.576956", datatype=decimal)) in triples

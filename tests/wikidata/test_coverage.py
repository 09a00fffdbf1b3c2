"""Wikidata coverage of surveyed cities (issue 11), measured on a committed list.

surveyed-cities.csv (beside this file) names 42 real surveyed cities with their countries, each
with the public page that names it: the 2018 respondents the OECD Champion Mayors page lists
(its first 25, alphabetically), cities-innovation-oecd.com city pages, the seeds, SNAPSHOTS.md
and an OECD LEED slide deck quoting respondents. It is not all ~147 cities, and it leans to
the US mid-sized cities the offline gazetteer lacks.

Run it as a script for the table and the numbers:

    .venv/bin/python tests/wikidata/test_coverage.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from mapper.reconcile import Match, Reconciler, load_gazetteer  # noqa: E402
from server.store.build import WIKIDATA_DIR  # noqa: E402

LIST = Path(__file__).resolve().parent / "surveyed-cities.csv"

# Hand-checked: none of these names is in natural-earth-50m-populated-places.csv or
# verified-qids.csv for its country (grep of the name and its accent-free form).
ABSENT_FROM_THE_SOURCES = {
    "Akron", "Alexandria", "Aurora", "Beer Sheva", "Boulder", "Braga", "Charlotte", "Chattanooga",
    "Chelsea", "Curridabat", "Durham", "Fort Collins", "Fort Lauderdale", "San Pedro Garza García",
    "Quillota", "Granada",
}


def surveyed_cities() -> list[dict[str, str]]:
    with LIST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reconcile_all(reconciler: Reconciler) -> list[tuple[dict[str, str], Match, Match]]:
    return [(row, reconciler.city(row["city"], None, row["country"]), reconciler.country(row["country"]))
            for row in surveyed_cities()]


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[dict[str, str], Match, Match]]:
    return reconcile_all(Reconciler(load_gazetteer(WIKIDATA_DIR)))


def test_every_listed_city_cites_its_source() -> None:
    rows = surveyed_cities()
    assert len(rows) == 42 and len({(r["city"], r["country"]) for r in rows}) == 42
    assert all(r["source"].startswith(("http://", "https://", "seeds/", "../shared/")) for r in rows)


def test_every_country_of_the_surveyed_cities_is_linked(outcomes) -> None:
    assert [row["country"] for row, _, country in outcomes if not country.matched] == []


def test_the_cities_left_unlinked_are_exactly_those_the_sources_lack(outcomes) -> None:
    unlinked = {row["city"] for row, city, _ in outcomes if not city.matched}
    assert unlinked == ABSENT_FROM_THE_SOURCES
    assert all(city.status == "unmatched" for row, city, _ in outcomes if row["city"] in unlinked)  # none ambiguous


def test_every_link_carries_its_evidence(outcomes) -> None:
    for row, city, _ in outcomes:
        if city.matched:
            assert city.record and city.matched_name and city.country_code, row


def main() -> int:
    outcomes = reconcile_all(Reconciler(load_gazetteer(WIKIDATA_DIR)))
    for row, city, country in outcomes:
        print(f"{row['city']:<24} {row['country']:<15} {city.summary():<22} {city.method or '-':<17} country {country.summary()}")
    linked = sum(city.matched for _, city, _ in outcomes)
    same_as = sum(city.link == "sameAs" for _, city, _ in outcomes)
    countries = sum(country.matched for _, _, country in outcomes)
    print(f"cities linked: {linked}/{len(outcomes)} ({linked / len(outcomes):.0%}), {same_as} owl:sameAs; "
          f"countries linked: {countries}/{len(outcomes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The header block is read by evidence, never by position alone (issue 8, deliverable 1).

Each page here is written by hand; the expected values are what the page states, checked by
reading it, and nothing else: a value without evidence is absent, with a warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper import UnreadableDocument, read_snapshot
from tests.mapper.pagetext import LISTS, page, story, strategy


def header_of(text: str) -> dict:
    snapshot = read_snapshot(text, "page.txt")
    return {
        "city": snapshot.city.value,
        "region": snapshot.region.value if snapshot.region else None,
        "country": snapshot.country.value if snapshot.country else None,
        "mayor": snapshot.mayor.name if snapshot.mayor else None,
        "population": (snapshot.population.count, snapshot.population.year) if snapshot.population else None,
        "officers": [person.name for person in snapshot.lead_officers],
        "warnings": snapshot.warnings,
    }


def test_page_starting_at_the_mayor_takes_the_city_from_its_sentences():
    """The first line is a person (here one whose first name is a city's), not the city."""
    text = page("Florence Adair", "88,412 (2017)", "Lead Innovation Officer", "Quentin Marsh", LISTS,
                story("Lake Orvin"), strategy("Lake Orvin"))
    header = header_of(text)
    assert (header["city"], header["country"], header["mayor"]) == ("Lake Orvin", None, "Florence Adair")
    assert (header["population"], header["officers"]) == ((88412, 2017), ["Quentin Marsh"])
    assert header["warnings"] == []


def test_page_starting_at_the_country_line():
    text = page("Brazil", "Helena Prado", "214,377 (2016)", "Lead Innovation Officer", "Rodrigo Lins", LISTS,
                story("Alto Verde"), strategy("Alto Verde"))
    header = header_of(text)
    assert (header["city"], header["country"], header["mayor"], header["population"]) == (
        "Alto Verde", "Brazil", "Helena Prado", (214377, 2016))


def test_city_line_only_is_confirmed_by_the_sentences():
    text = page("Givat Shaked", "Eitan Bar", "311,640 (2015)", "Lead Innovation Officer", "Maya Ron", LISTS,
                story("Givat Shaked"), strategy("Givat Shaked"))
    header = header_of(text)
    assert (header["city"], header["country"], header["mayor"]) == ("Givat Shaked", None, "Eitan Bar")


def test_city_and_country_lines_without_mayor_and_population_labels():
    text = page("Kessler Falls, PA", "United States", "Anthony DiMarco", "96,874 (2018)", "Lead Innovation Officer",
                "Priya Ramaswamy", LISTS, story("Kessler Falls, PA"), strategy("Kessler Falls, PA"))
    header = header_of(text)
    assert (header["city"], header["region"], header["country"], header["mayor"]) == (
        "Kessler Falls", "PA", "United States", "Anthony DiMarco")


def test_without_population_the_person_just_above_the_officers_label_is_the_mayor():
    text = page("Renato Falcão", "Innovation Website\nLead Innovation Officer", "Lívia Maranhão", LISTS,
                story("Sao Tome do Sul"), strategy("Sao Tome do Sul"))
    header = header_of(text)
    assert (header["mayor"], header["population"], header["officers"]) == ("Renato Falcão", None, ["Lívia Maranhão"])


def test_header_line_the_sentences_contradict_is_not_the_city():
    text = page("Saint Brennock", "Ireland", "Mayor", "Aoife Kennelly", "Population", "61,300 (2016)", LISTS,
                story("St. Brennock"), strategy("St. Brennock"))
    header = header_of(text)
    assert (header["city"], header["country"], header["mayor"]) == ("St. Brennock", "Ireland", "Aoife Kennelly")
    assert header["warnings"] == [
        "line 1: 'Saint Brennock' stands in the header, but it is not the city the page's sentences name "
        "('St. Brennock') and no label or population line says whose name it is; left out"]


@pytest.mark.parametrize(
    "header_line, sentences_name, city",
    [
        ("Medellín", "Medellin", "Medellín"),  # accents
        ("Be’er Dalia", "Be'er Dalia", "Be'er Dalia"),  # curly and straight apostrophes (read straightened)
        ("Tel Aviv-Yafo", "Tel Aviv", "Tel Aviv-Yafo"),  # the sentences print a shorter form
        ("Villa Corrazal", "Villa Corazal", "Villa Corrazal"),  # one misspelling apart
        ("Reggio nell'Emilia", "Reggio nell'Emilia", "Reggio nell'Emilia"),  # a lower-case particle
    ],
)
def test_header_line_confirmed_by_another_printing_of_the_name(header_line, sentences_name, city):
    text = page(header_line, "Italy", "Mayor", "Luca Vecchi", LISTS, story(sentences_name), strategy(sentences_name))
    assert header_of(text)["city"] == city


def test_state_suffix_of_the_templates_becomes_the_region():
    text = page("Jane Doe", "64,210 (2016)", LISTS, story("Port Avalon, OR"), strategy("Port Avalon, OR"))
    header = header_of(text)
    assert (header["city"], header["region"], header["mayor"]) == ("Port Avalon", "OR", "Jane Doe")


def test_pdf_title_names_city_and_country():
    text = page("# City Innovation Snapshot | São Bento do Rio, Brazil", "## Overview",
                "- ▶ Mayor: Marta Lins\n- ▶ Population of municipality: 143,280 (2010)",
                "## Vision and approach to innovation capacity", strategy("São Bento do Rio"))
    header = header_of(text)
    assert (header["city"], header["country"], header["mayor"], header["population"]) == (
        "São Bento do Rio", "Brazil", "Marta Lins", (143280, 2010))


def test_a_country_is_only_a_line_the_country_vocabulary_knows():
    text = page("Lake Orvin", "Country", "Narnia", "Mayor", "Jane Doe", LISTS, story("Lake Orvin"), strategy("Lake Orvin"))
    header = header_of(text)
    assert header["country"] is None
    assert "line 5: country 'Narnia' is not in the country vocabulary; left out" in header["warnings"]


def test_a_population_line_is_never_a_name_or_a_country():
    text = page("665,000 (2016)", "Jane Doe", LISTS, story("Lake Orvin"), strategy("Lake Orvin"))
    header = header_of(text)
    assert (header["city"], header["country"], header["population"]) == ("Lake Orvin", None, (665000, 2016))
    assert header["mayor"] is None  # the name stands below the population, not above it: not placed


def test_two_populations_are_left_out_with_a_warning():
    text = page("Jane Doe", "64,210 (2016)", "71,000 (2019)", LISTS, story("Lake Orvin"), strategy("Lake Orvin"))
    header = header_of(text)
    assert header["population"] is None
    assert "header: several population lines (line 3 '64,210 (2016)', line 5 '71,000 (2019)'); population left out" \
        in header["warnings"]


def test_flat_header_places_annotated_officers_after_the_population():
    lists = "Improve service delivery\nDedicated funding"
    text = page(lists + "\nPortugal\nRui Matos\n158,230 (2015)\nInês Carvalho (current), Tiago Moreira (at time of "
                "2018 survey)\n" + lists, strategy("Porto Serrano"),
                "Porto Serrano has developed partnerships to promote its innovation capacity with other public agencies.")
    snapshot = read_snapshot(text, "flat.txt")
    assert (snapshot.country.value, snapshot.mayor.name) == ("Portugal", "Rui Matos")
    assert [(p.name, p.annotation) for p in snapshot.lead_officers] == [
        ("Inês Carvalho", "current"), ("Tiago Moreira", "at time of 2018 survey")]


def test_sentences_naming_two_cities_as_often_make_the_document_unreadable():
    text = page(LISTS, story("Lake Orvin"), strategy("Lake Orvin"), story("Port Avalon"), strategy("Port Avalon"))
    with pytest.raises(UnreadableDocument, match="name two cities, 'Lake Orvin' .* and 'Port Avalon'"):
        read_snapshot(text, "two.txt")


def test_a_pronoun_in_a_template_sentence_is_not_a_city():
    text = page(LISTS, story("Lake Orvin"), strategy("It"), strategy("Lake Orvin"))
    header = header_of(text)
    assert header["city"] == "Lake Orvin" and not any("'It'" in warning for warning in header["warnings"])


def test_mayor_line_without_its_label_above_a_labelled_population():
    text = page("Lake Orvin", "Jane Doe", "Population", "61,300 (2016)", "Lead Innovation Officer", "John Roe", LISTS,
                story("Lake Orvin"), strategy("Lake Orvin"))
    header = header_of(text)
    assert (header["mayor"], header["population"], header["officers"]) == ("Jane Doe", (61300, 2016), ["John Roe"])


def test_an_unlabelled_name_next_to_the_population_does_not_override_the_mayor_label():
    text = page("Lake Orvin", "Mayor", "Jane Doe", "Richard Roe", "61,300 (2016)", LISTS, story("Lake Orvin"),
                strategy("Lake Orvin"))
    header = header_of(text)
    assert header["mayor"] == "Jane Doe"
    assert any(warning.startswith("line 7: 'Richard Roe' stands in the header") for warning in header["warnings"])


def test_an_office_name_after_the_population_is_not_an_officer():
    """A flat page that kept the Innovation Website's link text: an office, not a person."""
    lists = "Improve service delivery\nDedicated funding"
    text = page(lists + "\nChile\nJaviera Sotomayor\n241,905 (2019)\nOffice of Innovation\nMatías Ferrada\n" + lists,
                strategy("Nueva Calera"),
                "Nueva Calera has developed partnerships to promote its innovation capacity with other public agencies.")
    snapshot = read_snapshot(text, "flat.txt")
    assert snapshot.mayor.name == "Javiera Sotomayor" and snapshot.lead_officers == []


def test_another_printing_of_the_city_is_reported_once_with_its_lines():
    text = page("Pittsburgh, PA", "United States", "Mayor", "Bill Peduto", LISTS, story("Pittsburg"), strategy("Pittsburg"))
    header = header_of(text)
    assert (header["city"], header["region"]) == ("Pittsburgh", "PA")
    assert [w for w in header["warnings"] if "city printed as" in w] == [
        "lines 15, 21: city printed as 'Pittsburg', read as 'Pittsburgh'"]


def test_flat_page_whose_sentences_print_a_state_suffix() -> None:
    """A generated flat page (bench/gen_corpus.py, seed 13, document 50) with no city line: the
    sentences print "Merdor, MI". The bench baseline read such pages as city "MI"; read by hand:
    city Merdor, region MI, country United States, mayor Helena O'Driscoll (the person line above
    the population), population 1,936,984 (2007), officer Chen Boateng (the line below it)."""
    page = (Path(__file__).resolve().parent / "generated" / "flat-state-suffix.txt").read_text(encoding="utf-8")
    snapshot = read_snapshot(page, "flat-state-suffix.txt")
    assert (snapshot.city.value, snapshot.region.value) == ("Merdor", "MI")
    assert snapshot.country.value == "United States"
    assert snapshot.mayor.name == "Helena O'Driscoll"
    assert (snapshot.population.count, snapshot.population.year) == (1_936_984, 2007)
    assert [officer.name for officer in snapshot.lead_officers] == ["Chen Boateng"]

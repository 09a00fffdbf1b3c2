"""The variations of real snapshot pages listed in SNAPSHOTS.md, one small page each.

The pages are written here by hand in the wording of the survey's site; expected values are
what each page states, nothing more.
"""

from __future__ import annotations

import pytest

from mapper import UnreadableDocument, read_snapshot
from mapper.model import Rendering
from mapper.rdf import free_text_values, snapshot_id, snapshot_quads
from tests.facts import snapshot_facts


def page(*blocks: str) -> str:
    """A web page: blocks separated by blank lines, as the site's text copies print them."""
    return "\n\n".join(block.strip("\n") for block in blocks) + "\n"


HEADER = """Denver, CO

United States

Mayor

Michael B. Hancock

Population

716,492 (2018)
"""

# The spotlight heading names the city (a header line counts as the city only when the page's
# own headings or sentences confirm it); the vision heading ends the story.
STORY = """Spotlight on innovation in Denver, CO

Denver runs a data academy that trains its staff to use the city's open data.

Vision and approach to innovation capacity
"""


def facts_of(text: str, source: str = "page.txt") -> dict:
    return snapshot_facts(read_snapshot(text, source))


def test_city_with_state_keeps_the_state_apart():
    snapshot = read_snapshot(page(HEADER, "Lead Innovation Officer\n\nJane Doe", STORY), "denver.txt")
    assert snapshot.city.value == "Denver"
    assert snapshot.region.value == "CO"
    assert snapshot.country.value == "United States"
    assert snapshot_id(snapshot) == "denver-undated"


@pytest.mark.parametrize(
    "officers, expected",
    [
        ("Jane Doe", ["Jane Doe"]),
        ("Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe (current), John Roe (at time of 2018 survey)", ["Jane Doe", "John Roe"]),
        ("Jane Doe (current)\n\nJohn Roe (at time of 2018 survey)", ["Jane Doe", "John Roe"]),
    ],
)
def test_lead_officers_are_names_without_annotations(officers, expected):
    label = "Lead Innovation Officers" if len(expected) > 1 else "Lead Innovation Officer"
    text = page(HEADER, label, officers, "Innovation is helping to:\n  • Improve service delivery", STORY)
    snapshot = read_snapshot(text, "p.txt")
    assert [person.name for person in snapshot.lead_officers] == expected
    if "current" in officers:
        assert snapshot.lead_officers[0].annotation == "current"


def test_innovation_website_label_with_lost_link_is_not_a_value():
    text = page(HEADER, "Innovation Website\nLead Innovation Officer", "Jane Doe", "Innovation is helping to:", STORY)
    assert facts_of(text)["lead_officers"] == ["Jane Doe"]


def test_accents_hyphens_and_apostrophes_give_readable_ids():
    text = page(
        "Tel Aviv-Yafo", "Israel", "Mayor", "Ron Huldai", "Population", "451,523 (2018)",
        "Along with 50% of cities surveyed, Tel Aviv-Yafo has an explicit innovation strategy.",
    )
    assert snapshot_id(read_snapshot(text, "t.txt")) == "tel-aviv-yafo-undated"
    text = text.replace("Tel Aviv-Yafo", "Be’er Sheva")
    assert snapshot_id(read_snapshot(text, "b.txt")) == "beer-sheva-undated"
    text = text.replace("Be’er Sheva", "Maceió").replace("Israel", "Brazil")
    snapshot = read_snapshot(text, "m.txt")
    assert snapshot.city.value == "Maceió" and snapshot_id(snapshot) == "maceio-undated"


def test_country_only_header_takes_the_city_from_sentences():
    text = page(
        "Israel", "Mayor", "Ruvik Danilovich", "Population", "209,000 (2018)",
        "Spotlight on innovation in Be'er Sheva",
        "Be'er Sheva runs an innovation lab with the university and the army's technology units.",
        "Along with 50% of cities surveyed, Be'er Sheva has an explicit innovation strategy.",
    )
    facts = facts_of(text)
    assert (facts["city"], facts["country"], facts["mayor"]) == ("Be'er Sheva", "Israel", "Ruvik Danilovich")
    assert facts["has_strategy"] is True


def test_page_starting_at_the_mayors_name():
    text = page(
        "Jane Doe", "123,456 (2017)", "John Roe",
        "Innovation is helping to:\n  • Improve service delivery",
        "Spotlight on innovation in Springfield",
        "Along with 50% of cities surveyed, Springfield does not have an explicit innovation strategy.",
    )
    snapshot = read_snapshot(text, "s.txt")
    facts = snapshot_facts(snapshot)
    assert snapshot.rendering == Rendering.UNLABELLED
    assert (facts["city"], facts["country"], facts["mayor"]) == ("Springfield", None, "Jane Doe")
    assert (facts["population"], facts["population_year"], facts["lead_officers"]) == (123456, 2017, ["John Roe"])
    assert facts["has_strategy"] is False


def test_names_without_a_population_anchor_are_not_placed():
    text = page(
        "Jane Doe", "John Roe",
        "Innovation is helping to:\n  • Improve service delivery",
        "Spotlight on innovation in Springfield",
        "Along with 50% of cities surveyed, Springfield does not have an explicit innovation strategy.",
    )
    snapshot = read_snapshot(text, "s.txt")
    assert snapshot.mayor is None and snapshot.lead_officers == []
    assert [w for w in snapshot.warnings if "no label or population line says whose name it is" in w] == [
        f"line {no}: {name!r} stands in the header, but it is not the city the page's sentences name ('Springfield') "
        "and no label or population line says whose name it is; left out"
        for no, name in ((1, "Jane Doe"), (3, "John Roe"))
    ]


def test_empty_lists_and_lists_replaced_by_sentences():
    text = page(
        HEADER,
        "Policy areas that Denver is focused on",
        "Denver does not prioritise policy sectors for its innovation work.",
        "Policy areas by number of cities",
        "Denver utilizes 0 different innovation skills or roles",
        "Denver does not have a dedicated team for innovation and innovation work is led by each department.",
        "Innovation roles by number of cities",
        "Terms Denver most associates with innovation",
        "Denver's most common innovation activities",
        "How is innovation measured?",
        "Denver's innovation work is internal to the city administration.",
    )
    facts = facts_of(text)
    assert facts["policy_areas"] == [] and facts["prioritises_policy_areas"] is False
    assert facts["roles"] == [] and facts["stated_role_count"] == 0
    assert facts["team_structures"] == ["No dedicated team"]
    assert facts["terms"] == [] and facts["activities"] == []
    assert facts["partners"] == [] and facts["partnerships_internal_only"] is True


def test_stated_role_count_is_kept_apart_from_the_list():
    roles = "Project manager\nData scientist\nDesigner\nEngineer\nSociologist\nCommunication officer"
    text = page(HEADER, "Denver utilizes 9 different innovation skills or roles", roles,
                "Innovation roles by number of cities")
    facts = facts_of(text)
    assert facts["stated_role_count"] == 9
    assert len(facts["roles"]) == 6


def test_policy_areas_given_only_as_area_explanation_paragraphs():
    text = page(
        HEADER,
        "Policy areas that Denver is focused on",
        "Housing: Denver is piloting a program that uses data to prevent evictions across the city.",
        "Resilience: The city trains residents as volunteers who respond to floods and heat waves.",
        "Policy areas by number of cities",
    )
    snapshot = read_snapshot(text, "d.txt")
    facts = snapshot_facts(snapshot)
    assert facts["policy_areas"] == ["Housing", "Resilience"]
    assert facts["policy_area_notes"]["Housing"].startswith("Denver is piloting")
    assert ("policy-area", "Resilience") in free_text_values(snapshot)


def test_free_text_answers_are_kept_as_printed_and_become_free_text_concepts():
    text = page(
        HEADER,
        "Denver utilizes 3 different innovation skills or roles",
        "Project manager\nUrban planner\nData scientist",
        "Innovation roles by number of cities",
    )
    snapshot = read_snapshot(text, "d.txt")
    assert [item.text for item in snapshot.roles] == ["Project manager", "Urban planner", "Data scientist"]
    assert free_text_values(snapshot) == [("role", "Urban planner")]
    quads = {(q.subject.value, q.predicate.value, q.object.value) for q in snapshot_quads(snapshot)}
    free = "https://w3id.org/citykg/vocab/role/urban-planner"
    assert ("https://w3id.org/citykg/city/denver", "https://w3id.org/citykg/ontology#employsRole", free) in quads
    assert (free, "http://www.w3.org/2004/02/skos/core#prefLabel", "Urban planner") in quads
    assert (free, "https://w3id.org/citykg/ontology#freeText", "true") in quads


def test_misspelled_city_in_one_sentence_goes_to_the_majority_with_a_warning():
    text = page(
        "Pittsburgh, PA", "United States", "Mayor", "Bill Peduto",
        "Spotlight on innovation in Pittsburg",
        "Along with 50% of cities surveyed, Pittsburgh has an explicit innovation strategy.",
        "Like 81% of cities surveyed, Pittsburgh has dedicated funding to support innovation capacity.",
    )
    snapshot = read_snapshot(text, "p.txt")
    assert snapshot.city.value == "Pittsburgh" and snapshot.region.value == "PA"
    assert any("Pittsburg'" in warning for warning in snapshot.warnings)


def test_holistic_only_approach_and_other_site_percentages():
    text = page(
        HEADER,
        "Along with 44% of cities surveyed, Denver does not have an explicit innovation strategy. "
        "Similar to 20% of cities surveyed, Denver approaches innovation capacity from a holistic/macro level.",
        "Like 19% of cities surveyed, Denver does not have dedicated funding to support innovation capacity.",
    )
    facts = facts_of(text)
    assert (facts["has_strategy"], facts["approach"], facts["has_dedicated_funding"]) == (
        False, "holistic", False)


def test_population_absent_is_absent():
    text = page("Denver, CO", "United States", "Mayor", "Michael B. Hancock", "Lead Innovation Officer",
                "Jane Doe", "Innovation is helping to:\n  • Improve service delivery", STORY)
    facts = facts_of(text)
    assert facts["population"] is None and facts["mayor"] == "Michael B. Hancock"


@pytest.mark.parametrize("year", ["2019", "2018"])
def test_round_note_marks_the_2018_round(year):
    note = f"Note: The City Innovation Snapshot (PDF version) was produced in {year} and some aggregate findings have been updated with the latest survey results below."
    assert facts_of(page(HEADER, STORY, note))["survey_round"] == 2018


def test_flat_page_places_bare_lists_by_vocabulary():
    """Labels kept, every heading dropped, lists printed twice, later sections as sentences."""
    lists = "Improve service delivery\nEngage residents and other stakeholders\nDedicated funding\nLeadership from Mayor"
    text = page(
        HEADER, "Lead Innovation Officer", "Jane Doe", lists, lists,
        "Along with 50% of cities surveyed, Denver has an explicit innovation strategy.",
        "Economic development\nResilience\nTransport / mobility",
        "Project manager\nData scientist",
        "Experimentation\nCollaboration",
        "Taking risks or testing new ideas\nData-driven analytics/public data management\nEngaging residents in new ways",
        "Denver has developed partnerships to promote its innovation capacity with other public agencies, and academia.",
    )
    snapshot = read_snapshot(text, "flat.txt")
    facts = snapshot_facts(snapshot)
    assert snapshot.rendering == Rendering.FLAT
    assert facts["outcomes"] == ["Improve service delivery", "Engage residents and other stakeholders"]
    assert facts["success_factors"] == ["Dedicated funding", "Leadership from Mayor"]
    assert facts["policy_areas"] == ["Economic development", "Resilience", "Transport/Mobility"]
    assert facts["roles"] == ["Project manager", "Data scientist"]
    assert facts["terms"] == ["Experimentation", "Collaboration"]
    assert facts["activities"] == []  # the legend's short forms are not the city's activities
    assert facts["partners"] == ["Other public agencies", "Academia"]


def test_own_activity_in_legend_wording_counts_when_described():
    text = page(HEADER, STORY, "Human-centered design\ne.g. prioritizing the end-user at each stage of the design process")
    assert facts_of(text)["activities"] == ["Human-centered design"]


def test_funded_activities_are_the_lines_before_the_first_city_count():
    text = page(
        HEADER, STORY, "Activities being funded",
        "Paying for services\nTraining staff and building capacity\n47 cities\nLaunching or sustaining a project\n79 cities\nIdea generation & brainstorming",
    )
    assert facts_of(text)["funded_activities"] == ["Paying for services", "Training staff and building capacity"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("Minutes of the council meeting\n\nThe council approved the budget.\n", "not a City Innovation Snapshot"),
        ("Innovation is helping to:\n  • Improve service delivery\n", "not a City Innovation Snapshot"),
        ("Innovation is helping to:\n  • Improve service delivery\n\nCritical success factors:\n  • Dedicated funding\n\n"
         "Vision and approach to innovation capacity\n\nThe city has a plan.\n", "no city name"),
    ],
)
def test_unreadable_documents_raise_a_typed_error_naming_the_file(text, reason):
    with pytest.raises(UnreadableDocument) as error:
        read_snapshot(text, "folder/bad.txt")
    assert error.value.source == "folder/bad.txt"
    assert reason in str(error.value) and str(error.value).startswith("folder/bad.txt")


def test_flat_page_with_surviving_chart_labels_still_places_its_lists():
    text = page(
        HEADER, "Lead Innovation Officer", "Jane Doe",
        "Improve service delivery\nDedicated funding",
        "Along with 50% of cities surveyed, Denver has an explicit innovation strategy.",
        "Economic development\nHealth",
        "Denver has developed partnerships to promote its innovation capacity with other public agencies.",
        "Water\nTourism",  # the data chart, its level labels lost: not priorities, not ratings
        "Sufficient data", "Education",
    )
    facts = facts_of(text)
    assert facts["outcomes"] == ["Improve service delivery"]
    assert facts["success_factors"] == ["Dedicated funding"]
    assert facts["policy_areas"] == ["Economic development", "Health"]
    assert facts["data_sufficiency"]["Sufficient"] == ["Education"]


@pytest.mark.parametrize(
    "printed, count, year",
    [("2,500,000 (2017)", 2500000, 2017), ("9.2 million (2020)", 9200000, 2020), ("709671", 709671, None),
     ("1.234.567 (2019)", 1234567, 2019)],
)
def test_population_forms(printed, count, year):
    text = page("Denver, CO", "United States", "Mayor", "Jane Doe", "Population", printed,
                "Innovation is helping to:", STORY)
    facts = facts_of(text)
    assert (facts["population"], facts["population_year"]) == (count, year)


@pytest.mark.parametrize(
    "sentence, structures, size",
    [
        ("Denver has a dedicated team for innovation in the Mayor's Office, which consists of 12 people.",
         ["Team in the Mayor's office"], {"count": 12, "more_than": False}),
        ("Denver's innovation work is sprinkled throughout the municipality, led by a team of 5.",
         ["Work sprinkled throughout the municipality"], {"count": 5, "more_than": False}),
        ("As an independent department, Denver's dedicated team for innovation consists of more than 40 staff.",
         ["Independent body or department"], {"count": 40, "more_than": True}),
    ],
)
def test_team_sentences(sentence, structures, size):
    facts = facts_of(page(HEADER, STORY, sentence))
    assert facts["team_structures"] == structures and facts["team_size"] == size


def test_officer_placeholder_is_not_a_person():
    text = page(HEADER, "Lead Innovation Officer", "N/A", "Innovation is helping to:", STORY)
    assert facts_of(text)["lead_officers"] == []

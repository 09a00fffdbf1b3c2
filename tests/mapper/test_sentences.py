"""Every shape of the template sentences, team sizes included (issue 8, deliverable 3).

The sentences are one table (mapper.sentences.SENTENCES; staff figures STAFF_FIGURES); each
example here is a sentence shape seen in real pages or the fixtures, with the value it states
read by hand.
"""

from __future__ import annotations

import pytest

from mapper import read_snapshot
from mapper.sentences import SENTENCES
from tests.mapper.pagetext import LISTS, page, story, strategy

CITY = "Lake Orvin"
HEADER = page(CITY, "United States", "Mayor", "Jane Doe", "Population", "88,412 (2017)")


def labelled(*blocks: str, newline: bool = True) -> str:
    """A labelled page up to the roles list (without the vision sentences, which the examples
    supply); ``blocks`` stand where the team paragraph stands."""
    return page(HEADER, LISTS, story(CITY), "Vision and approach to innovation capacity",
                f"{CITY} utilizes 2 different innovation skills or roles", "Project manager\nDesigner",
                "Innovation roles by number of cities", *blocks, newline=newline)


@pytest.mark.parametrize(
    "sentence, count, more_than, up_to, structures",
    [
        ("As an independent department, Lake Orvin’s dedicated innovation team consists of 80 staff.",
         80, False, None, ["Independent body or department"]),
        ("Situated in the Mayor’s office, Lake Orvin’s dedicated team for innovation (i-team) consists of 4 staff.",
         4, False, None, ["Team in the Mayor's office"]),
        ("Lake Orvin’s innovation work is sprinkled throughout the municipality and led by 10 staff.",
         10, False, None, ["Work sprinkled throughout the municipality"]),
        ("Lake Orvin’s innovation work is carried out by the Innovation Agency, an independent body whose team "
         "consists of more than 60 people.", 60, True, None, ["Independent body or department"]),
        ("As an independent body, Lake Orvin’s Office of Civic Design leads the city’s innovation work with more than "
         "40 staff members spread across about 6 teams.", 40, True, None, ["Independent body or department"]),
        ("As an independent department, the Agency for Digital Government, made up of 120 staff, is in charge of "
         "Lake Orvin’s innovation work.", 120, False, None, ["Independent body or department"]),
        ("Lake Orvin’s innovation work is sprinkled throughout the municipality and mainly led by the Chief Innovation "
         "Officer and 6 staff members.", 6, False, None, ["Work sprinkled throughout the municipality"]),
        ("Lake Orvin’s innovation work is sprinkled throughout the municipality. The city also has an i-team which "
         "consists of 3-5 staff, and each year adds 1-2 innovation project managers.",
         3, False, 5, ["Work sprinkled throughout the municipality"]),
        ("Lake Orvin’s dedicated team for innovation is made up of between 8 and 10 people.", 8, False, 10, []),
        ("Lake Orvin’s innovation work is led by a team of 5.", 5, False, None, []),
        ("Lake Orvin’s dedicated team for innovation consists of four staff.", 4, False, None, []),
        ("Situated in the Mayor’s office, Lake Orvin’s dedicated team for innovation consists of 6 staff reporting to "
         "a Chief Innovation Officer.", 6, False, None, ["Team in the Mayor's office"]),
        ("Lake Orvin has an innovation-related task group made up of delegates from several municipal departments.",
         None, None, None, ["Task group of delegates"]),
        ("Lake Orvin does not have a dedicated team for innovation. Each department runs its own projects.",
         None, None, None, ["No dedicated team"]),
        ("Lake Orvin’s dedicated team for innovation will grow to up to 30 staff.", None, None, None, []),
    ],
)
def test_team_sentence_shapes(sentence, count, more_than, up_to, structures):
    snapshot = read_snapshot(labelled(sentence, f"Terms {CITY} most associates with innovation", "Collaboration"), "p.txt")
    size = snapshot.team_size
    assert ((size.count, size.more_than, size.up_to) if size else (None, None, None)) == (count, more_than, up_to)
    assert [item.text for item in snapshot.team_structures] == structures


@pytest.mark.parametrize(
    "sentence, count, warning",
    [
        ("Lake Orvin has the innovation lab (6 staff) at the Mayor’s office and a performance unit (3 staff) within "
         "the City Manager’s office.", 6, "states several staff figures (6, 3); read the innovation team's, 6"),
        ("Situated in the Technology Office, Lake Orvin’s Chief Information Officer leads an academy staff of 11 and a "
         "technology services staff of 280.", 11, "states several staff figures (11, 280); read the smallest, 11"),
        ("Lake Orvin’s dedicated team for innovation consists of about 20 staff.", 20,
         "the team size is approximate; read as 20"),
    ],
)
def test_team_size_read_with_a_warning(sentence, count, warning):
    snapshot = read_snapshot(labelled(sentence, f"Terms {CITY} most associates with innovation"), "p.txt")
    assert snapshot.team_size.count == count
    assert any(warning in text for text in snapshot.warnings), snapshot.warnings


def test_a_story_or_a_policy_note_that_speaks_of_a_team_states_no_team_size():
    text = page(HEADER, LISTS, f"Spotlight on innovation in {CITY}",
                f"{CITY}’s dedicated innovation team of 12 staff redesigned the permit desk in 2019.",
                "Vision and approach to innovation capacity", strategy(CITY),
                f"Policy areas that {CITY} is focused on", "Housing",
                "Housing: The city’s innovation lab, with 7 staff, maps every vacant lot for the land trust.",
                "Policy areas by number of cities", f"Terms {CITY} most associates with innovation", "Collaboration")
    snapshot = read_snapshot(text, "p.txt")
    assert snapshot.team_size is None
    assert [item.text for item in snapshot.policy_areas] == ["Housing"]


def test_team_paragraph_without_the_usual_wording_is_read_where_the_template_prints_it():
    """Flat page: the paragraph right after the vision sentences is the team paragraph."""
    lists = "Improve service delivery\nDedicated funding"
    text = page(lists + "\nPortugal\nRui Matos\n96,300 (2018)\nClara Maia\n" + lists, strategy("Vila Serena"),
                "Vila Serena has a modernisation office (12 staff) reporting to the Mayor’s cabinet.",
                "Like 81% of cities surveyed, Vila Serena has dedicated funding to support innovation capacity.")
    assert read_snapshot(text, "flat.txt").team_size.count == 12


# One example of every row of the table, with what it states; a new row needs a new example.
EXAMPLES = {
    "strategy": ("Along with 44% of cities surveyed, Lake Orvin does not have an explicit innovation strategy.",
                 "has_strategy", False),
    "approach": ("Similar to over one-third of cities surveyed, Lake Orvin approaches innovation capacity both from a "
                 "holistic/macro level, as well as in specific policy areas.", "approach", "both"),
    "no-priority": ("Lake Orvin does not prioritise policy sectors for its innovation work.",
                    "prioritises_policy_areas", False),
    "funding": ("Like 19% of cities surveyed, Lake Orvin does not have dedicated funding to support innovation "
                "capacity.", "has_dedicated_funding", False),
    "activities": ("Lake Orvin's most common innovation activities are engaging residents in new ways; and promoting "
                   "human-centred design.", "activities", ["engaging residents in new ways", "promoting human-centred design"]),
    "activities-also": ("Its innovation activities also often include human-centered design.", "activities",
                        ["human-centered design"]),
    "funded-directed": ("Similar to 61% of participating cities in the 2020 survey, Lake Orvin's funding for innovation "
                        "capacity is also directed towards training staff and building capacity*.", "funded_activities",
                        ["training staff and building capacity"]),
    "funded-invests": ("Lake Orvin also invests in digital systems and physical infrastructure.", "funded_activities",
                       ["digital systems", "physical infrastructure"]),
    "partners": ("Lake Orvin has developed partnerships to promote innovation capacity with other public agencies, "
                 "private firms and city residents / resident associations.", "partners",
                 ["other public agencies", "private firms", "city residents / resident associations"]),
    "internal": ("Lake Orvin’s innovation work is internal to the city administration.", "partnerships_internal_only", True),
    "data-partners": ("To improve data use, the city has also developed data partnerships with the private sector, "
                      "academia, and think tanks to collect and analyze data.", "data_partners",
                      ["private sector", "academia", "think tanks"]),
    "data-partners-also": ("To improve data use, the city has also developed data partnerships with academia to collect "
                           "and analyze data, as well as with other cities.", "data_partners", ["academia", "other cities"]),
    "team": ("Lake Orvin’s innovation work is sprinkled throughout the municipality and led by 8 staff.", "team_size", 8),
    "round-note": ("Note: The City Innovation Snapshot (PDF version) was produced in 2018 and some aggregate findings "
                   "have been updated with the latest survey results below.", "survey_round", 2018),
}


def _stated(snapshot, field):
    value = getattr(snapshot, field)
    if isinstance(value, list):
        return [item.text for item in value]
    if field == "team_size":
        return value.count
    return value.value.value if field == "approach" else value.value


def test_every_row_of_the_sentence_table_has_an_example():
    assert set(EXAMPLES) == {row.name for row in SENTENCES}


@pytest.mark.parametrize("row", EXAMPLES)
def test_sentence_row_states_its_fact(row):
    sentence, field, expected = EXAMPLES[row]
    snapshot = read_snapshot(labelled(sentence, "Terms Lake Orvin most associates with innovation", "Collaboration"), "p.txt")
    assert _stated(snapshot, field) == expected


def test_two_sentences_that_disagree_leave_the_fact_out_with_a_warning():
    text = labelled("Like 81% of cities surveyed, Lake Orvin has dedicated funding to support innovation capacity.",
                    "Like 19% of cities surveyed, Lake Orvin does not have dedicated funding to support innovation capacity.",
                    "Terms Lake Orvin most associates with innovation", "Collaboration")
    snapshot = read_snapshot(text, "p.txt")
    assert snapshot.has_dedicated_funding is None
    assert [w for w in snapshot.warnings if "dedicated funding" in w] == [
        "line 36: has dedicated funding stated as False, but line 34 states True; left out"]

"""A document becomes a snapshot only with the survey's structure (issue 8, deliverable 2).

Word soups of survey words, a news article, a CSV, a bare list of policy areas and notes are
reported unread with a reason that names what they lack; no city is ever made from one stray
line; and a batch build reads the snapshots beside them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper import MapperError, UnreadableDocument, read_snapshot

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_25ed298be2eb3bc2.txt"

WORD_SOUP = """innovation •
data mayor data data
Project manager
• data
Mayor
innovation data Project manager
Population
data
"""
NEWS_ARTICLE = """City hall bets on data

By a staff reporter

Denver's mayor said on Tuesday that the city has an explicit innovation strategy and will hire a team of 12 people.
"We want every department to test ideas quickly," the mayor told reporters at the launch of the new office.
The city, which has dedicated funding for the effort, will publish its first results next spring. Its OECD profile reads:

> Along with 50% of cities surveyed, Denver has an explicit innovation strategy.
"""
CSV = """city,country,mayor,population,lead_innovation_officer
Medellin,Colombia,Federico Gutiérrez,"2,500,000 (2017)",Paula Zapata
Lima,Peru,Jorge Muñoz Wells,"9,670,000 (2017)",Rubén Parra Williams
"""
POLICY_AREAS = """Transport/Mobility
Economic development
Social inclusion and equity
Digital governance
Housing and built environment
"""
NOTES = """Notes from the call with Medellin

Mayor

Federico Gutiérrez

Population

2,500,000 (2017)

TODO: ask about the size of the innovation team and the funding sources.
"""
NON_SNAPSHOTS = {
    "word-soup.txt": (WORD_SOUP, "it shows 0 of the survey's markers (found: none)"),
    "news.txt": (NEWS_ARTICLE, "it shows 1 of the survey's markers (found: template sentence 'strategy')"),
    "cities.txt": (CSV, "it shows 0 of the survey's markers (found: none)"),
    "policy-areas.txt": (POLICY_AREAS, "it shows 0 of the survey's markers (found: none)"),
    "notes.txt": (NOTES, "it shows 2 of the survey's markers (found: header label 'mayor', header label 'population')"),
}


@pytest.mark.parametrize("name", NON_SNAPSHOTS)
def test_non_snapshot_is_unreadable_and_the_reason_names_what_it_lacks(name):
    text, found = NON_SNAPSHOTS[name]
    with pytest.raises(UnreadableDocument) as error:
        read_snapshot(text, name)
    assert isinstance(error.value, MapperError) and error.value.source == name
    message = str(error.value)
    assert message.startswith(f"{name}: not a City Innovation Snapshot: {found}; a snapshot shows at least 3 of its "
                              "section headings")


def test_survey_structure_without_a_city_name_is_unreadable():
    text = "Innovation is helping to:\n  • Improve service delivery\n\nCritical success factors:\n  • Dedicated funding\n\n" \
           "Vision and approach to innovation capacity\n\nThe city has a plan.\n"
    with pytest.raises(UnreadableDocument, match="no city name: no City label, no PDF title and no template sentence"):
        read_snapshot(text, "nameless.txt")


_SURVEY_WORDS = ["innovation", "data", "mayor", "Mayor", "Population", "Project manager", "•", "Dedicated funding",
                 "Lead Innovation Officer", "Transport/Mobility", "cities", "2,500,000 (2017)", "strategy", "Designer",
                 "Innovation is helping to:", "Critical success factors:", "Data scientist", "Colombia", "team"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_SURVEY_WORDS), min_size=1, max_size=4).map(" ".join), max_size=30))
def test_no_word_soup_of_survey_words_becomes_a_snapshot(lines):
    """Survey words in any order and number name no city: the document is unreadable, never a city."""
    with pytest.raises(UnreadableDocument):
        read_snapshot("\n".join(lines), "soup.txt")


_PAGE_LINES = [line for path in sorted((ROOT / "tests" / "mapper" / "fixtures" / "pages").glob("*.txt"))
               for line in path.read_text(encoding="utf-8").split("\n")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PAGE_LINES), max_size=60), st.integers(min_value=0, max_value=4000))
def test_any_mixture_of_page_lines_is_a_snapshot_or_unreadable_never_a_crash(lines, cut):
    try:
        read_snapshot("\n".join(lines)[:cut], "mixture.txt")
    except UnreadableDocument:
        pass


def _citykg() -> str:
    beside = Path(sys.executable).with_name("citykg")
    return str(beside) if beside.exists() else shutil.which("citykg") or "citykg"


def test_batch_build_reports_the_non_snapshots_and_builds_the_snapshot(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / SEED.name)
    for name, (text, _) in NON_SNAPSHOTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    report_path = tmp_path / "report.json"
    result = subprocess.run([_citykg(), "build", str(docs), "--store", str(tmp_path / "store"), "--report",
                             str(report_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["written"] is True
    assert (report["totals"]["documents"], report["totals"]["read"], report["totals"]["cities"]) == (6, 1, 1)
    by_source = {doc["source"]: doc for doc in report["documents"]}
    assert by_source[SEED.name]["city"] == "Medellin" and by_source[SEED.name]["error"] is None
    for name in NON_SNAPSHOTS:
        assert by_source[name]["error"].startswith(f"{name}: not a City Innovation Snapshot: ")
        assert by_source[name]["graph_id"] is None
    assert "5 unread" in result.stdout

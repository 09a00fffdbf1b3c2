"""Each document parses to exactly the facts its hand-checked golden file lists.

tests/golden/ holds the goldens of the seeds (seeds/); tests/pages/ holds hand-written pages
of the renderings and variations the seeds lack, each beside its golden.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapper import read_snapshot
from tests.facts import snapshot_facts

ROOT = Path(__file__).resolve().parent.parent
GOLDENS = sorted((ROOT / "tests" / "golden").glob("*.json"))
PAGES = sorted((ROOT / "tests" / "pages").glob("*.json"))


def document_of(golden_path):
    """The document a golden describes: a seed, or the page beside it."""
    source = json.loads(golden_path.read_text(encoding="utf-8"))["source"]
    return (ROOT / "seeds" / source) if golden_path.parent.name == "golden" else golden_path.parent / source


@pytest.fixture(scope="module", params=GOLDENS + PAGES, ids=lambda path: path.stem)
def pair(request):
    golden = json.loads(request.param.read_text(encoding="utf-8"))
    text = document_of(request.param).read_text(encoding="utf-8")
    return golden, snapshot_facts(read_snapshot(text, golden["source"]))


def test_there_is_a_golden_per_seed():
    assert {path.stem for path in GOLDENS} == {path.stem for path in (ROOT / "seeds").glob("*.txt")}


@pytest.mark.parametrize(
    "key",
    [
        "rendering", "survey_round", "city", "region", "country", "mayor", "population", "population_year",
        "lead_officers", "outcomes", "success_factors", "has_strategy", "approach", "prioritises_policy_areas",
        "policy_areas", "stated_role_count", "roles", "team_structures", "team_size", "terms", "activities",
        "has_dedicated_funding", "funding_sources", "funded_activities", "partnerships_internal_only",
        "partners", "data_partners", "data_counts", "data_sufficiency",
    ],
)
def test_fact_matches_golden(pair, key):
    golden, facts = pair
    assert facts[key] == golden[key]


def test_spotlight_matches_golden(pair):
    golden, facts = pair
    expected = golden["spotlight_starts_with"]
    if expected is None:
        assert facts["spotlight"] is None
    else:
        assert facts["spotlight"] is not None and facts["spotlight"].startswith(expected)


def test_policy_area_notes_match_golden(pair):
    golden, facts = pair
    notes = facts["policy_area_notes"]
    assert set(notes) == set(golden["policy_area_notes"])
    for area, start in golden["policy_area_notes"].items():
        assert notes[area].startswith(start)

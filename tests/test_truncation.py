"""A document cut anywhere yields only facts its full version states, or the typed error.

Real copies of snapshot pages stop part-way, often mid-word. Whatever precedes the cut may
be read; nothing may be invented (a half name, "Housing" from "Housing and built
environment", "holistic" from a cut "holistic ... as well as specific" sentence), and no
exception other than UnreadableDocument may escape.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper import UnreadableDocument, read_snapshot
from tests.facts import snapshot_facts

HERE = Path(__file__).resolve().parent
SEEDS = sorted((HERE.parent / "seeds").glob("*.txt"))
PAGES = sorted(path for path in (HERE / "pages").iterdir() if path.suffix in {".txt", ".md"})
FLAGS = {"source", "rendering"}  # what a cut may legitimately change


def assert_no_invented_facts(cut: dict, full: dict) -> None:
    for key, value in cut.items():
        if key in FLAGS or value is None:
            continue
        expected = full[key]
        if key == "spotlight":
            assert expected.startswith(value), key
        elif key == "data_counts":
            assert value == expected[: len(value)], key
        elif key == "data_sufficiency":
            for level, areas in value.items():
                assert set(areas) <= set(expected[level]), (key, level)
        elif key == "policy_area_notes":
            assert all(expected.get(area) == note for area, note in value.items()), key
        elif isinstance(value, list):
            assert set(value) <= set(expected), (key, set(value) - set(expected))
        else:
            assert value == expected, key


def check_cut(text: str, source: str, full: dict, at: int) -> None:
    try:
        snapshot = read_snapshot(text[:at], source)
    except UnreadableDocument:
        return
    assert_no_invented_facts(snapshot_facts(snapshot), full)


@pytest.fixture(scope="module", params=SEEDS + PAGES, ids=lambda path: path.stem)
def seed(request):
    text = request.param.read_text(encoding="utf-8")
    return text, request.param.name, snapshot_facts(read_snapshot(text, request.param.name))


def test_cut_at_every_line_end_and_mid_line(seed):
    """Deterministic sweep: just before and after every newline, and mid-way through each line."""
    text, source, full = seed
    points = {0, len(text)}
    start = 0
    for index, char in enumerate(text):
        if char == "\n":
            points.update({index, index + 1, (start + index) // 2})
            start = index + 1
    for at in sorted(points):
        check_cut(text, source, full, at)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cut_anywhere(seed, data):
    text, source, full = seed
    at = data.draw(st.integers(min_value=0, max_value=len(text)), label="cut at")
    check_cut(text, source, full, at)


def test_cut_document_reports_truncation():
    text = SEEDS[0].read_text(encoding="utf-8")
    cut = text[: text.index("Insufficient data") + len("Insufficient data\n\nHousing and built env")]
    snapshot = read_snapshot(cut, SEEDS[0].name)
    assert snapshot.truncated
    assert "Housing and built env" not in [r.area.text for r in snapshot.data_ratings]
    assert [r.level.value for r in snapshot.data_ratings] == ["Sufficient"] * 5

"""The cut line, with or without a final newline (issue 8, deliverable 4).

Real copies stop at byte 2000, mid-word, and some saved copies add a newline after the cut:
a half item is never an answer, a fact whose key phrase is complete is kept, and the snapshot
is marked truncated either way. The sweep cuts every complete page of the fixtures and
variants in the middle of its lines, with and without a final newline, and checks that the
cut copy states nothing its whole page does not, and the same with or without the newline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapper import UnreadableDocument, read_snapshot
from mapper.rdf import CIK, snapshot_quads
from tests.mapper.pagetext import LISTS, page, story, strategy

HERE = Path(__file__).resolve().parent
SPOTLIGHT = CIK + "spotlight"


def _complete_pages() -> list[Path]:
    found = []
    for folder in (HERE / "fixtures", HERE / "variants"):
        for label in sorted((folder / "labels").glob("*.json")):
            data = json.loads(label.read_text(encoding="utf-8"))
            if not data["truncated"]:
                found.append(folder / "pages" / data["file"])
    return found


def _facts(snapshot) -> tuple[set[tuple[str, str, str]], dict[str, str]]:
    """What the snapshot states about the city, as triples (its graph's self-description aside),
    and the spotlight apart (a cut story is a prefix of the whole one)."""
    triples, spotlight = set(), {}
    for quad in snapshot_quads(snapshot):
        if quad.subject == quad.graph_name:
            continue
        if quad.predicate.value == SPOTLIGHT:
            spotlight[quad.subject.value] = quad.object.value
        else:
            triples.add((quad.subject.value, quad.predicate.value, quad.object.value))
    return triples, spotlight


def _mid_line_cuts(text: str) -> list[int]:
    """The middle of every line up to byte 2400 (real copies stop at byte 2000), of every third
    line after it (the later sections: funding, partnerships, data availability)."""
    cuts, start, number = [], 0, 0
    for index, char in enumerate(text):
        if char == "\n":
            if text[start:index].strip():
                number += 1
                if len(text[:index].encode("utf-8")) <= 2400 or number % 3 == 0:
                    cuts.append((start + index) // 2)
            start = index + 1
    return cuts


@pytest.mark.parametrize("path", _complete_pages(), ids=lambda path: path.stem)
def test_a_cut_copy_states_only_what_its_page_states_with_or_without_a_final_newline(path):
    text = path.read_text(encoding="utf-8")
    whole, whole_spotlight = _facts(read_snapshot(text, path.name))
    for at in _mid_line_cuts(text):
        try:
            bare = read_snapshot(text[:at], path.name)
        except UnreadableDocument:
            with pytest.raises(UnreadableDocument):
                read_snapshot(text[:at] + "\n", path.name)
            continue
        saved = read_snapshot(text[:at] + "\n", path.name)
        facts, spotlight = _facts(bare)
        assert facts <= whole, (at, sorted(facts - whole))
        assert all(whole_spotlight.get(city, "").startswith(story) for city, story in spotlight.items()), at
        assert _facts(saved) == (facts, spotlight), at
        assert bare.truncated and saved.truncated, at


def _terms_page(cut_terms: str, newline: bool) -> str:
    return page("Marlow Junction", "United States", "Mayor", "Cynthia Hargrove", LISTS, story("Marlow Junction"),
                strategy("Marlow Junction"), "Terms Marlow Junction most associates with innovation",
                "Technological innovation\n" + cut_terms, newline=newline)


@pytest.mark.parametrize("newline", [False, True])
def test_a_half_item_is_never_an_answer(newline):
    snapshot = read_snapshot(_terms_page("Behavioral eco", newline), "p.txt")
    assert [item.text for item in snapshot.terms] == ["Technological innovation"]
    assert snapshot.truncated


@pytest.mark.parametrize("newline", [False, True])
def test_a_whole_last_answer_is_kept_but_the_copy_may_still_be_cut(newline):
    snapshot = read_snapshot(_terms_page("Behavioral economics", newline), "p.txt")
    assert [item.text for item in snapshot.terms] == ["Technological innovation", "Behavioral economics"]
    assert snapshot.truncated  # the page stops before its last section


@pytest.mark.parametrize(
    "cut_sentence, field, expected",
    [
        ("Like 81% of cities surveyed, Marlow Junction has dedicated funding to s", "has_dedicated_funding", True),
        ("Like 19% of cities surveyed, Marlow Junction does not have dedicated funding", "has_dedicated_funding", False),
        ("Like 81% of cities surveyed, Marlow Junction has de", "has_dedicated_funding", None),
        ("As an independent department, Marlow Junction’s dedicated innovation team consists of 14 st", "team_size", 14),
        ("As an independent department, Marlow Junction’s dedicated innovation team consists of 14", "team_size", None),
        ("To improve data use, the city has also developed data partnerships with the private sector, academia, and "
         "think ta", "data_partners", ["private sector", "academia"]),
        ("To improve data use, the city has also developed data partnerships with the private sector and think tanks "
         "to coll", "data_partners", ["private sector", "think tanks"]),
        ("Marlow Junction has developed partnerships to promote its innovation capacity with other public agencies, "
         "city residents and resident assoc", "partners", ["other public agencies"]),
        ("Its innovation activities also include engaging residents in new ways; and rethinking approaches to "
         "financing and partn", "activities", ["engaging residents in new ways"]),
    ],
)
@pytest.mark.parametrize("newline", [False, True])
def test_a_fact_whose_key_phrase_is_complete_is_kept(cut_sentence, field, expected, newline):
    text = page("Marlow Junction", "United States", "Mayor", "Cynthia Hargrove", LISTS, story("Marlow Junction"),
                strategy("Marlow Junction"), "Marlow Junction utilizes 2 different innovation skills or roles",
                "Project manager\nDesigner", "Innovation roles by number of cities", cut_sentence, newline=newline)
    snapshot = read_snapshot(text, "p.txt")
    value = getattr(snapshot, field)
    if isinstance(value, list):
        value = [item.text for item in value]
    elif value is not None:
        value = value.count if field == "team_size" else value.value
    assert value == expected
    assert snapshot.truncated


@pytest.mark.parametrize("newline", [False, True])
def test_last_line_is_an_answer_only_when_no_longer_label_begins_with_it(newline):
    """Within its own list's scheme: "Culture" is a whole policy area (only a success factor's label
    begins with it), "Housing" is not. The data counts do not help: "2" announces a second area,
    not that "Hea" is all of it."""
    areas = "Data availability by policy area\n\n1\n2\n\nSufficient data\n\nTourism\n\nInsufficient data\n\nWater"
    text = page("Puerto Lirio", "Chile", "Mayor", "Ignacio Valdés", LISTS, story("Puerto Lirio"), strategy("Puerto Lirio"),
                areas, newline=False)
    for last, kept in (("Health", True), ("Hea", False), ("Housing", False), ("Culture", True)):
        snapshot = read_snapshot(text + "\n\n" + last + ("\n" if newline else ""), "p.txt")
        expected = ["Tourism", "Water"] + ([last] if kept else [])
        assert [rating.area.text for rating in snapshot.data_ratings] == expected
        assert snapshot.truncated is not kept


@pytest.mark.parametrize("newline", [False, True])
def test_a_cut_that_leaves_another_lists_label_adds_nothing_to_the_open_list(newline: bool) -> None:
    # Seed 001 cut inside "Mexico City's most common innovation activities" leaves "Mexico": a
    # whole label, but of the country scheme, so no term (a flake of test_cut_anywhere, found by hypothesis)
    seed = (HERE.parent.parent / "seeds" / "001_f03e1c1ef73cc7b8.txt").read_text(encoding="utf-8")
    cut = seed[: seed.index("Mexico City's most common innovation activities") + len("Mexico")]
    snapshot = read_snapshot(cut + ("\n" if newline else ""), "001-cut.txt")
    assert [item.text for item in snapshot.terms] == ["Data analytics", "Technological innovation"]
    assert snapshot.truncated


def test_a_cut_after_a_bold_phrase_of_a_heading_is_no_answer() -> None:
    # tests/pages/pdf-curitiba.md cut right after "The most **critical success factors**": the line
    # ends with closed bold, but a PDF answer is the bold alone ("- ✓ **Dedicated funding**")
    page = (HERE.parent / "pages" / "pdf-curitiba.md").read_text(encoding="utf-8")
    end = page.index("The most **critical success factors**") + len("The most **critical success factors**")
    snapshot = read_snapshot(page[:end], "pdf-curitiba.md")
    assert [item.text for item in snapshot.outcomes] == ["Generate new sources of revenue", "Serve current obligations"]

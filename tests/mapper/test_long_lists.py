"""Long lists are read in linear time (issue 9): a hostile page is one list of 10,000 answers.

List splitting used to try every run of pieces of a sentence against the vocabulary (about
cubic: 400 partners 9 s, 800 partners 80 s) and every new answer against every earlier one. These
tests read lists 10,000 answers long and check what is read (how many answers, which ones,
duplicates dropped, vocabulary labels that contain "and" kept whole); how long it takes is in
bench/parse.py (``--long-lists``), not here.
"""

from __future__ import annotations

import re

from mapper import read_snapshot
from tests.conftest import SEEDS

MEDELLIN = (SEEDS / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
PARTNERS = re.compile(r"(Medellin has developed partnerships to promote its innovation capacity with ).*")
ROLES = "Data scientist\n"  # the second answer of the seed's roles list
N = 10_000


def _with_partners(names: str) -> str:
    assert PARTNERS.search(MEDELLIN)
    return PARTNERS.sub(lambda match: match.group(1) + names + ".", MEDELLIN)


def test_ten_thousand_partners_in_one_sentence() -> None:
    names = ", ".join(f"Partner Organisation {i}" for i in range(N))
    snapshot = read_snapshot(_with_partners(names + ", and universities"), "long.txt")
    assert len(snapshot.partners) == N + 1
    assert snapshot.partners[0].text == "Partner Organisation 0"
    assert snapshot.partners[N - 1].text == f"Partner Organisation {N - 1}"
    assert snapshot.partners[N].text == "universities"
    assert snapshot.city.value == "Medellin"


def test_labels_that_contain_and_stay_whole_in_a_long_list() -> None:
    # "rethinking the city's approach to financing and partnerships" is one activity (its label has
    # "and" in it): in a list of 10,000 answers it must still not be cut at that "and"
    saltillo = (SEEDS / "002_ce7a1059dbe019e2.txt").read_text(encoding="utf-8")
    printed = "promoting data-driven analytics; facilitating organisational change"
    assert printed in saltillo
    extra = "".join(f"unknown activity {i}; " for i in range(N))
    snapshot = read_snapshot(saltillo.replace(printed, extra + printed, 1), "long.md")
    texts = [item.text for item in snapshot.activities]
    assert len(texts) == N + 5  # the 10,000 free-text answers, then the seed's five
    assert texts[0] == "unknown activity 0" and texts[N - 1] == f"unknown activity {N - 1}"
    assert "rethinking the city's approach to financing and partnerships" in texts
    assert not any(text.endswith("financing") or text == "partnerships" for text in texts)


def test_ten_thousand_list_lines_and_their_repeats() -> None:
    lines = "".join(f"Skill number {i}\n" for i in range(N))
    page = MEDELLIN.replace(ROLES, ROLES + lines + lines, 1)  # the whole list printed twice
    snapshot = read_snapshot(page, "long-roles.txt")
    roles = [item.text for item in snapshot.roles]
    assert len(roles) == N + 7  # the seed's 7 roles and the 10,000 new ones, each once
    assert roles[:3] == ["Project manager", "Data scientist", "Skill number 0"]
    assert roles[N + 1] == f"Skill number {N - 1}" and roles[N + 2] == "Designer"

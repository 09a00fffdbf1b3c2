"""Template sentences: the facts a page states in prose rather than in lists.

Each reader tries one family of the survey's fixed sentences on a line and records what it
states in the :class:`~mapper.state.PageState`; every reader also records the city name the
sentence prints, which is how a page without its header still names its city.
"""

from __future__ import annotations

import re

from mapper import patterns as p
from mapper.enumeration import split_enumeration
from mapper.items import add_item
from mapper.lines import Line
from mapper.model import Approach, Item, Section, Sourced, TeamSize
from mapper.state import PageState
from mapper.text import normalise_label
from mapper.vocab import Vocabulary


def read_sentences(line: Line, state: PageState, vocab: Vocabulary) -> bool:
    """Every fact a template sentence states; True when the line held one."""
    text, hit = line.text, False
    for reader in _SENTENCE_READERS:
        hit = reader(text, line, state, vocab) or hit
    return hit


def _mention(state: PageState, match, line: Line, group: str = "city") -> None:
    name = (match.groupdict().get(group) or "").strip()
    if name and len(name) <= 60:
        state.mentions.append(Sourced(value=name, line=line.no))


def _strategy(text, line, state, vocab) -> bool:
    match = p.STRATEGY.search(text)
    if match:
        _mention(state, match, line)
        state.values["has_strategy"] = Sourced(value=match.group("verb").lower() == "has", line=line.no)
        state.found.add(Section.STRATEGY)
    return bool(match)


def _approach(text, line, state, vocab) -> bool:
    match = p.APPROACH.search(text)
    if not match:
        return False
    how = match.group("how").lower()
    holistic, specific = "holistic" in how or "macro" in how, "specific" in how
    approach = Approach.BOTH if "both" in how or (holistic and specific) else (
        Approach.SPECIFIC if specific else Approach.HOLISTIC if holistic else None)
    _mention(state, match, line)
    if approach is not None:
        state.values["approach"] = Sourced(value=approach, line=line.no)
        state.found.add(Section.APPROACH)
    return True


def _funding(text, line, state, vocab) -> bool:
    match = p.FUNDING.search(text)
    if match:
        _mention(state, match, line)
        state.values["has_dedicated_funding"] = Sourced(value=match.group("verb").lower() == "has", line=line.no)
        state.found.add(Section.FUNDING)
    return bool(match)


def _partners(text, line, state, vocab) -> bool:
    hit = False
    if p.PARTNERS.search(text) or p.INTERNAL.search(text) or p.DATA_PARTNERS.search(text):
        state.lists_end = state.lists_end or line.no
    match = p.PARTNERS.search(text)
    if match:
        _mention(state, match, line)
        _extend(state.partners, split_enumeration(match.group("list"), "partner", vocab), line)
        state.found.add(Section.PARTNERSHIPS)
        hit = True
    match = p.INTERNAL.search(text)
    if match:
        _mention(state, match, line)
        state.values["partnerships_internal_only"] = Sourced(value=True, line=line.no)
        state.found.add(Section.PARTNERSHIPS)
        hit = True
    match = p.DATA_PARTNERS.search(text)
    if match:
        _extend(state.data_partners, split_enumeration(match.group("list"), "partner", vocab), line)
        state.found.add(Section.DATA_PARTNERSHIPS)
        hit = True
    return hit


def _no_priority(text, line, state, vocab) -> bool:
    match = p.NO_PRIORITY.search(text)
    if match:
        _mention(state, match, line)
        state.values["prioritises_policy_areas"] = Sourced(value=False, line=line.no)
        state.found.add(Section.POLICY_AREAS)
    return bool(match)


def _team(text, line, state, vocab) -> bool:
    if state.section == "spotlight" or not p.TEAM.search(text):
        return False  # a story may speak of its team; only the template sentence states the structure
    match = p.TEAM_CITY.search(text)
    if match:
        _mention(state, match, line, "city" if match.group("city") else "city2")
    key = normalise_label(text)
    for concept in _concepts_named_in(key, "team-structure", vocab):
        if all(existing.text != concept for existing in state.structures):
            state.structures.append(Item(text=concept, line=line.no))
    size = p.TEAM_SIZE.search(text)
    if size and "team_size" not in state.values:
        count = int((size.group("count") or size.group("count2")).replace(",", ""))
        more = bool(size.group("more") or size.group("more2"))
        state.values["team_size"] = TeamSize(count=count, more_than=more, line=line.no)
    state.found.add(Section.TEAM)
    return True


def _concepts_named_in(key: str, scheme: str, vocab: Vocabulary) -> list[str]:
    """prefLabels of the concepts of ``scheme`` a label of which occurs in ``key``, in text order."""
    first_at: dict[str, int] = {}
    for label, concept in vocab.by_label.get(scheme, {}).items():
        match = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", key)
        if match:
            name = concept.pref_label
            first_at[name] = min(first_at.get(name, match.start()), match.start())
    return sorted(first_at, key=first_at.__getitem__)


def _activities(text, line, state, vocab) -> bool:
    hit = False
    for pattern in (p.ACTIVITIES_MAIN, p.ACTIVITIES_ALSO):
        match = pattern.search(text)
        if match:
            _mention(state, match, line)
            items = state.lists.setdefault("activities", [])
            _extend(items, split_enumeration(match.group("list"), "activity", vocab), line)
            state.found.add(Section.ACTIVITIES)
            hit = True
    return hit


def _funded(text, line, state, vocab) -> bool:
    hit = False
    for pattern, verb in ((p.FUNDED_DIRECTED, ""), (p.FUNDED_INVESTS, "Investing in ")):
        match = pattern.search(text)
        if match:
            _mention(state, match, line)
            items = state.lists.setdefault("funded-activities", [])
            _extend(items, split_enumeration(match.group("list"), "funded-activity", vocab, verb), line)
            state.found.add(Section.FUNDED_ACTIVITIES)
            hit = True
    return hit


def _survey_round(text, line, state, vocab) -> bool:
    match = p.ROUND_NOTE.search(text)
    if match:
        state.values["round_note"] = Sourced(value=2018, line=line.no)
        return True
    if p.ROUND_2020.search(text) and "round_2020" not in state.values:
        state.values["round_2020"] = Sourced(value=2020, line=line.no)
    return False


def _extend(items: list[Item], answers: list[str], line: Line) -> None:
    for answer in answers:
        add_item(items, Item(text=answer, line=line.no))


_SENTENCE_READERS = (
    _strategy, _approach, _funding, _partners, _no_priority, _team, _activities, _funded, _survey_round,
)

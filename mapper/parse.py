"""Read the lines of any rendering into a :class:`~mapper.model.Snapshot`.

One pass over the lines: a heading opens its section, a template sentence yields its
facts wherever it stands, chart residue is skipped, and the other lines are the items of
the open list. Renderings differ in what they drop, not in what they print, so the same
pass reads them all; what is rendering-specific is the header (labelled, unlabelled, PDF
title) and, for pages whose headings are gone, placing bare list lines by vocabulary
(:mod:`mapper.headingless`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from mapper import patterns as p
from mapper.detect import detect_rendering
from mapper.enumeration import split_enumeration
from mapper.errors import UnreadableDocument
from mapper.header import Header, place_unlabelled, read_labelled, read_title, split_place
from mapper.headingless import place_bare_lines
from mapper.items import add_item, item_like, make_item
from mapper.lines import Line, settle_last_line, to_lines
from mapper.model import (
    Approach,
    DataRating,
    Item,
    Rendering,
    Section,
    Snapshot,
    Sourced,
    SufficiencyLevel,
    TeamSize,
)
from mapper.text import normalise_label, plain
from mapper.vocab import Vocabulary, default_vocabulary

_SCHEME_OF = {
    "outcomes": "outcome",
    "success-factors": "success-factor",
    "policy-areas": "policy-area",
    "roles": "role",
    "terms": "term",
    "activities": "activity",
    "funding-sources": "funding-source",
    "funded-activities": "funded-activity",
}
_LEVELS = {level.value: level for level in SufficiencyLevel}


@dataclass
class _State:
    """What the pass has read so far."""

    section: str | None = None
    list_open: bool = False
    skip_next: bool = False  # the line after a legend marker is a legend label
    in_chart: bool = False  # after "N cities" in the funded-activities chart
    headings: int = 0
    mentions: list[Sourced[str]] = field(default_factory=list)
    lists: dict[str, list[Item]] = field(default_factory=dict)
    found: set[Section] = field(default_factory=set)
    bare: list[Line] = field(default_factory=list)  # lines no heading, label or pattern claimed
    spotlight: list[Line] = field(default_factory=list)
    area_notes: dict[str, str] = field(default_factory=dict)
    data_counts: list[int] = field(default_factory=list)
    ratings: list[DataRating] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)  # single-valued facts
    structures: list[Item] = field(default_factory=list)
    partners: list[Item] = field(default_factory=list)
    data_partners: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_document(text: str, source: str, vocab: Vocabulary | None = None) -> Snapshot:
    """Parse one snapshot document; raise :class:`UnreadableDocument` if it is not one."""
    vocab = vocab or default_vocabulary()
    lines = to_lines(text)
    if not lines:
        raise UnreadableDocument(source, "the document is empty")
    lines, cut_last = settle_last_line(text, lines, vocab)
    rendering = detect_rendering(lines)
    if rendering is None:
        raise UnreadableDocument(source, "not a City Innovation Snapshot: none of its headings, labels or "
                                 "template sentences occur")
    header = read_labelled(lines, vocab)
    state = _State()
    for line in lines:
        if line.no not in header.consumed and not read_title(line, vocab, header):
            _read_line(line, state, vocab)
    _place_header(header, lines, state, vocab)
    if state.headings == 0:
        place_bare_lines(state.bare, lines, state.lists, vocab, state.warnings)
    if not state.spotlight:
        state.spotlight = _bare_spotlight(state.bare, header)
    city = _choose_city(header, state, source)
    return _snapshot(text, source, rendering, header, city, state, cut_last)


# --- the pass --------------------------------------------------------------------------


def _read_line(line: Line, state: _State, vocab: Vocabulary) -> None:
    if line.sentence_only:
        _read_sentences(line, state, vocab)
        return
    if _read_heading(line, state):
        _read_sentences(line, state, vocab)
        return
    if _read_sentences(line, state, vocab):
        if state.section == "spotlight":
            state.section = None
        return
    if _is_residue(line, state):
        return
    if state.section == "spotlight":
        state.spotlight.append(line)
    elif state.section == "data-availability" and p.COUNT.match(line.text):
        state.data_counts.append(int(line.text))
    elif state.section in _LEVELS:
        add_item(state.lists.setdefault(state.section, []), make_item(line, "policy-area", vocab))
    elif state.section in p.LIST_SECTIONS and not _read_area_note(line, state, vocab):
        if state.list_open and item_like(line):
            add_item(state.lists.setdefault(state.section, []), make_item(line, _SCHEME_OF[state.section], vocab))
        else:
            state.bare.append(line)
    else:
        state.bare.append(line)


def _read_heading(line: Line, state: _State) -> bool:
    for key, pattern in p.HEADINGS:
        match = pattern.search(line.text)
        if not match:
            continue
        state.headings += 1
        state.section, state.list_open, state.in_chart, state.skip_next = key, True, False, False
        groups = match.groupdict()
        if groups.get("city"):
            state.mentions.append(Sourced(value=groups["city"].strip(), line=line.no))
        if groups.get("count"):
            state.values["stated_role_count"] = Sourced(value=int(groups["count"]), line=line.no)
        _mark(state, key)
        return True
    if line.md_level:  # a Markdown heading we have no use for closes the open section
        state.section, state.list_open = None, False
        state.headings += 1
        return True
    return False


def _mark(state: _State, key: str) -> None:
    if key in _LEVELS:
        state.found.add(Section.DATA_AVAILABILITY)
    elif key in {s.value for s in Section}:
        state.found.add(Section(key))


def _is_residue(line: Line, state: _State) -> bool:
    """Chart captions, legends and aggregate counts: the same on every page, not city data."""
    if state.skip_next:
        state.skip_next = False
        return True
    if p.LEGEND_MARKER.match(line.text):
        state.skip_next, state.list_open = True, False
        return True
    if p.CITY_COUNT.match(line.text):
        state.in_chart, state.list_open = True, False
        return True
    if p.CAPTION.match(line.text):
        state.list_open = False
        return True
    if state.in_chart and state.section == "funded-activities" and not line.text.endswith("."):
        return True
    return bool(p.DESCRIPTION.match(line.text))


def _read_area_note(line: Line, state: _State, vocab: Vocabulary) -> bool:
    """``Area: explanation`` paragraphs of 2020 pages name a policy area and explain it."""
    if state.section != "policy-areas":
        return False
    match = p.AREA_NOTE.match(line.text)
    if not match or line.text.lower().startswith("note:"):
        return False
    area = match.group("area").strip()
    items = state.lists.setdefault("policy-areas", [])
    add_item(items, make_item(Line(line.no, area, area), "policy-area", vocab))
    state.area_notes[normalise_label(area)] = match.group("note").strip()
    state.list_open = False
    return True


# --- template sentences ----------------------------------------------------------------


def _read_sentences(line: Line, state: _State, vocab: Vocabulary) -> bool:
    """Every fact a template sentence states; True when the line held one."""
    text, hit = line.text, False
    for reader in _SENTENCE_READERS:
        hit = reader(text, line, state, vocab) or hit
    return hit


def _mention(state: _State, match, line: Line, group: str = "city") -> None:
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
        count = int(size.group("count").replace(",", ""))
        state.values["team_size"] = TeamSize(count=count, more_than=bool(size.group("more")), line=line.no)
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


# --- after the pass --------------------------------------------------------------------


def _place_header(header: Header, lines: list[Line], state: _State, vocab: Vocabulary) -> None:
    names = {normalise_label(mention.value) for mention in state.mentions}
    first_label = min(header.consumed, default=None) if header.labelled else None
    if first_label is not None:
        before = [line for line in lines if line.no < first_label and not line.bullet and not line.md_level]
        _place_city_country(header, before, vocab)
    candidates = [line for line in state.bare if line.no not in header.consumed]
    place_unlabelled(header, candidates, vocab, names)
    state.bare = [line for line in state.bare if line.no not in header.consumed]


def _place_city_country(header: Header, before: list[Line], vocab: Vocabulary) -> None:
    """City and country lines above the labels of a labelled page (city first)."""
    free = [line for line in before if line.no not in header.consumed and not line.sentence_only]
    for line in free:
        if header.country is None and vocab.lookup("country", line.text):
            header.country = Sourced(value=line.text, line=line.no)
        elif header.city is None:
            header.city, header.region = split_place(line)
        elif header.country is None:
            header.country = Sourced(value=line.text, line=line.no)
        else:
            continue
        header.consumed.add(line.no)


def _bare_spotlight(bare: list[Line], header: Header) -> list[Line]:
    """Spotlight of a page without headings: the long story paragraph after the header."""
    after = max(header.consumed, default=0)
    story = [line for line in bare if line.no > after and len(line.text) >= 150 and not p.AREA_NOTE.match(line.text)]
    return story[:1]


def _choose_city(header: Header, state: _State, source: str) -> Sourced[str]:
    """The city's name: the header's city line, else the majority of the sentences' mentions.

    The header line is the page's own statement of the name (and keeps "Washington, D.C."
    whole, where a sentence pattern may catch only "D.C."); mentions that differ from the
    chosen name are reported, since one version of a page may misspell it.
    """
    mentions = state.mentions
    if header.city:
        chosen = header.city
    elif mentions:
        votes = Counter(normalise_label(mention.value) for mention in mentions)
        winner = max(votes, key=lambda key: (votes[key], -_first_line(mentions, key)))
        chosen = next(m for m in mentions if normalise_label(m.value) == winner)
    else:
        raise UnreadableDocument(source, "no city name anywhere: no city line and no sentence that names the city")
    for mention in mentions:
        if normalise_label(mention.value) != normalise_label(chosen.value):
            state.warnings.append(f"line {mention.line}: city printed as {mention.value!r}, read as {chosen.value!r}")
    return chosen


def _first_line(mentions: list[Sourced[str]], key: str) -> int:
    return min(m.line for m in mentions if normalise_label(m.value) == key)


def _snapshot(
    text: str, source: str, rendering: Rendering, header: Header, city: Sourced[str], state: _State, cut_last: bool
) -> Snapshot:
    lists = state.lists
    ratings, complete = _ratings(state)
    notes = state.area_notes
    policy = [item.model_copy(update={"note": notes.get(normalise_label(item.text))})
              for item in lists.get("policy-areas", [])]
    values = state.values
    found = set(state.found)
    if header.city or header.mayor or header.population or header.officers:
        found.add(Section.HEADER)
    for key in _SCHEME_OF:
        if lists.get(key):
            found.add(Section(key))
    if state.spotlight:
        found.add(Section.SPOTLIGHT)
    order = list(Section)
    missing = [section for section in order if section not in found]
    last_expected = Section.SUCCESS_FACTORS if rendering == Rendering.PDF_MARKDOWN else Section.DATA_AVAILABILITY
    truncated = cut_last or not complete or last_expected in missing
    return Snapshot(
        source=source,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rendering=rendering,
        survey_round=values.get("round_note") or _pdf_round(rendering, header) or values.get("round_2020"),
        city=city,
        region=header.region,
        country=header.country,
        mayor=header.mayor,
        population=header.population,
        lead_officers=header.officers,
        outcomes=lists.get("outcomes", []),
        success_factors=lists.get("success-factors", []),
        spotlight=_join(state.spotlight),
        has_strategy=values.get("has_strategy"),
        approach=values.get("approach"),
        prioritises_policy_areas=values.get("prioritises_policy_areas"),
        policy_areas=policy,
        stated_role_count=values.get("stated_role_count"),
        roles=lists.get("roles", []),
        team_structures=state.structures,
        team_size=values.get("team_size"),
        terms=lists.get("terms", []),
        activities=lists.get("activities", []),
        has_dedicated_funding=values.get("has_dedicated_funding"),
        funding_sources=lists.get("funding-sources", []),
        funded_activities=lists.get("funded-activities", []),
        partnerships_internal_only=values.get("partnerships_internal_only"),
        partners=state.partners,
        data_partners=state.data_partners,
        data_counts=state.data_counts,
        data_ratings=ratings,
        sections_found=[section for section in order if section in found],
        sections_missing=missing,
        truncated=truncated,
        warnings=state.warnings,
    )


def _pdf_round(rendering: Rendering, header: Header) -> Sourced[int] | None:
    """The PDF edition (2019) carries the 2018 survey round."""
    if rendering == Rendering.PDF_MARKDOWN and header.city is not None:
        return Sourced(value=2018, line=header.city.line)
    return None


def _ratings(state: _State) -> tuple[list[DataRating], bool]:
    """Data ratings, and whether the printed counts confirm the lists are complete."""
    ratings, complete = [], True
    present = [level for level in _LEVELS if level in state.lists]
    for index, level in enumerate(present):
        items = state.lists[level]
        if index < len(state.data_counts) and len(items) != state.data_counts[index]:
            complete = complete and len(items) > state.data_counts[index]
            state.warnings.append(
                f"data availability: {state.data_counts[index]} {level} areas announced, {len(items)} listed")
        ratings.extend(DataRating(area=item, level=_LEVELS[level]) for item in items)
    if len(present) < len(state.data_counts):
        complete = False
    return ratings, complete


def _join(lines: list[Line]) -> Sourced[str] | None:
    if not lines:
        return None
    return Sourced(value=" ".join(plain(line.text) for line in lines), line=lines[0].no)

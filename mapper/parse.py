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
from collections import Counter

from mapper import patterns as p
from mapper.detect import detect_rendering
from mapper.errors import UnreadableDocument
from mapper.header import Header, place_unlabelled, read_labelled, read_title, split_place
from mapper.headingless import place_bare_lines
from mapper.items import add_item, item_like, make_item
from mapper.sentences import read_sentences
from mapper.state import LIST_SCHEMES, PageState
from mapper.lines import Line, settle_last_line, to_lines
from mapper.model import (
    DataRating,
    Rendering,
    Section,
    Snapshot,
    Sourced,
    SufficiencyLevel,
)
from mapper.text import normalise_label, plain
from mapper.vocab import Vocabulary, default_vocabulary

_LEVELS = {level.value: level for level in SufficiencyLevel}
# Headings after which the page prints sentences, not lists: a bare list line there (or
# before any heading) belongs to a list whose heading the rendering dropped.
_LISTLESS = {None, "vision", "funding", "measured"}


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
    state = PageState()
    for line in lines:
        if line.no not in header.consumed and not read_title(line, vocab, header):
            _read_line(line, state, vocab)
    _place_header(header, lines, state, vocab)
    listless = [line for line in state.listless if line.no not in header.consumed]
    place_bare_lines(listless, lines, state.lists, vocab, state.warnings, state.lists_end)
    if not state.spotlight:
        state.spotlight = _bare_spotlight(state.bare, header)
    city = _choose_city(header, state, source)
    return _snapshot(text, source, rendering, header, city, state, cut_last)


# --- the pass --------------------------------------------------------------------------


def _read_line(line: Line, state: PageState, vocab: Vocabulary) -> None:
    if line.sentence_only:
        read_sentences(line, state, vocab)
        return
    if _read_heading(line, state):
        read_sentences(line, state, vocab)
        return
    if read_sentences(line, state, vocab):
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
    elif state.section in LIST_SCHEMES and _belongs_elsewhere(line, LIST_SCHEMES[state.section], vocab):
        state.section, state.list_open = None, False  # the next list's heading was dropped
        state.bare.append(line)
        state.listless.append(line)
    elif state.section in LIST_SCHEMES:
        if _read_area_note(line, state, vocab):
            return
        if state.list_open and item_like(line):
            add_item(state.lists.setdefault(state.section, []), make_item(line, LIST_SCHEMES[state.section], vocab))
        else:
            state.bare.append(line)
    else:
        state.bare.append(line)
        if state.section in _LISTLESS:
            state.listless.append(line)


def _belongs_elsewhere(line: Line, scheme: str, vocab: Vocabulary) -> bool:
    """A line only other lists' schemes print: the open list ended without its caption."""
    schemes = vocab.schemes_of(line.text)
    return bool(schemes) and scheme not in schemes and set(schemes) & set(LIST_SCHEMES.values()) != set()


def _read_heading(line: Line, state: PageState) -> bool:
    for key, pattern in p.HEADINGS:
        match = pattern.search(line.text)
        if not match:
            continue
        state.section, state.list_open, state.in_chart, state.skip_next = key, True, False, False
        groups = match.groupdict()
        if groups.get("city"):
            state.mentions.append(Sourced(value=groups["city"].strip(), line=line.no))
        if groups.get("count"):
            state.values["stated_role_count"] = Sourced(value=int(groups["count"]), line=line.no)
        _mark(state, key)
        return True
    if line.md_level:  # a Markdown heading we have no use for closes the open section
        state.section, state.list_open = "other", False
        return True
    return False


def _mark(state: PageState, key: str) -> None:
    if key in _LEVELS:
        state.found.add(Section.DATA_AVAILABILITY)
    elif key in {s.value for s in Section}:
        state.found.add(Section(key))


def _is_residue(line: Line, state: PageState) -> bool:
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


def _read_area_note(line: Line, state: PageState, vocab: Vocabulary) -> bool:
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


# --- after the pass --------------------------------------------------------------------


def _place_header(header: Header, lines: list[Line], state: PageState, vocab: Vocabulary) -> None:
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


def _choose_city(header: Header, state: PageState, source: str) -> Sourced[str]:
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
    text: str, source: str, rendering: Rendering, header: Header, city: Sourced[str], state: PageState, cut_last: bool
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
    for key in LIST_SCHEMES:
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


def _ratings(state: PageState) -> tuple[list[DataRating], bool]:
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
